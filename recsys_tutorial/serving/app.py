"""The HTTP service: FastAPI in front of the request path (needs the ``serve`` extra).

* ``POST /recommend`` with ``{"user_id": int, "k": int, "at": "ISO-8601 time"}`` (``k`` and
  ``at`` optional) → ``{"items", "scores", "fallback", "timings_ms", "bundle_id", "at"}``. The
  body is validated strictly (`api.schemas`): wrong types, a negative user id, ``k`` outside
  1..100, unknown fields, malformed JSON or a time before the bundle's snapshot get a 422 with
  the reason (never the value sent back), a body over 4 KiB a 413, and never a 5xx. A
  well-formed request always gets a 200: an unknown user or a failing stage is a fallback,
  named in the response.
* ``GET /health``: the bundle being served (its id, snapshot time, sizes), the clock, counts.
* ``GET /metrics``: Prometheus' text format: requests by outcome, a latency histogram per
  request-path stage and in total.

The app is laid out as FastAPI's docs lay out a bigger application: this module only
assembles it (the docs' ``main.py``); the routers, the dependencies and the schemas are in
`recsys_tutorial.serving.api`. The bundle is loaded and verified in the lifespan, before the
first request; a bad bundle stops the start-up with its `bundle.BundleError`. Every response is
appended to the impression log (`api.impressions`) when one is given, by a thread of its own.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
except ImportError as error:  # the serve extra is missing
    raise ImportError(f'the HTTP service needs the "serve" extra ({error.name} is not installed): '
                      'pip install "recsys-tutorial[serve]"') from error

from .api import dependencies
from .api.limits import MAX_BODY_BYTES, BodySizeLimit
from .api.routers import health, recommend
from .api.schemas import validation_error_body

__all__ = ["create_app"]


def create_app(bundle_dir, impressions_path=None, budget_ms: float | None = 50.0, faults=None, clock=None,
               path_thread: bool = True) -> FastAPI:  # fmt: skip
    """The service for the bundle at ``bundle_dir`` (loaded when the app starts, not here).

    Parameters
    ----------
    bundle_dir : str or Path
        A bundle folder (its ``current`` version is served) or one version's folder.
    impressions_path : str or Path, optional
        The impression log (JSON lines, appended to); None: no log.
    budget_ms : float or None
        The request path's time budget (`path.RequestPath`).
    faults : dict, optional
        Stage → ``"error"`` or ``"slow"``, to see the fallbacks.
    clock : None, "snapshot", timestamp or callable
        The time of a request that carries none: the system clock (UTC), the bundle's snapshot
        time (reproducible answers), a fixed time, or a function returning it.
    path_thread : bool
        Run the request path on a thread of its own, off the event loop (a lone process), or on
        the loop (one process per core: ``serve --workers 2``); see `api.dependencies.load_service`.
        Affects speed, not results.

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> app = create_app("bundles/world", clock="snapshot")
    >>> with TestClient(app) as client:  # doctest: +SKIP
    ...     answer = client.post("/recommend", json={"user_id": 7, "k": 5})
    >>> answer.json()["items"]  # doctest: +SKIP
    [412, 87, 3051, 96, 1733]
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.service = dependencies.load_service(bundle_dir, impressions_path=impressions_path,
                                                      budget_ms=budget_ms, faults=faults, clock=clock,
                                                      path_thread=path_thread)  # fmt: skip
        # What start-up loaded (the libraries, the bundle: ~300,000 objects) lives as long as the
        # process: frozen, Python's collector no longer walks it in a full collection (~0.1 s, a
        # pause every request in flight would wait for).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.service.close()

    app = FastAPI(title="recsys-tutorial", summary="Recommendations from a two-stage model bundle", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES,
                       on_refused=lambda: app.state.service.metrics.refused(413))
    app.include_router(recommend.router)
    app.include_router(health.router)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        request.app.state.service.metrics.refused()
        return JSONResponse(validation_error_body(error.errors()), status_code=422)

    app.state.bundle_dir = Path(bundle_dir)
    return app
