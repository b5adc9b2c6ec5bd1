"""The parts of the HTTP service, laid out as FastAPI's docs lay out a bigger application.

* `schemas`: the bodies of ``POST /recommend``, validated strictly;
* `dependencies`: `Service` (what the lifespan loads: the request path, the metrics, the
  impression log) and `get_service`, which hands it to the routes;
* `impressions`: `ImpressionLog`, the writer thread behind the impression log;
* `limits`: `BodySizeLimit`, the middleware refusing oversized request bodies;
* `routers.recommend` (``POST /recommend``) and `routers.health` (``GET /health``, ``GET /metrics``).

`recsys_tutorial.serving.app.create_app` assembles them (the docs' ``main.py``). The service
needs the ``serve`` extra (FastAPI, uvicorn and the Prometheus client): ``pip install
"recsys-tutorial[serve]"``.
"""

try:
    import fastapi  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError as error:  # the serve extra is missing
    raise ImportError(f'the HTTP service needs the "serve" extra ({error.name} is not installed): '
                      'pip install "recsys-tutorial[serve]"') from error

__all__ = []
