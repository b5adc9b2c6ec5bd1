"""The ``recsys-tutorial`` command: ``build-bundle`` and ``serve``.

    recsys-tutorial build-bundle OUT_DIR [--dataset synthetic|movielens] [--n-items N]
                                 [--n-candidates N] [--random-state N]
    recsys-tutorial serve BUNDLE_DIR [--host 127.0.0.1] [--port 8000] [--workers N]
                          [--impressions FILE] [--budget-ms MS] [--fault STAGE=error|slow ...]
                          [--now snapshot|TIME]

``serve --workers N`` runs N server processes on one port (uvicorn's supervisor hands the
connections out), each with its own copy of the bundle: every process serves the version
``current`` pointed at when the command started, and ``/metrics`` counts all of them.

Exit status: 0; 1 when a bundle or a folder is refused (``build-bundle`` into a folder that is
not a bundle folder, ``serve`` of something that is not a verified bundle), with the reason on
standard error and nothing touched; 2 for a malformed option, with what it takes.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import tempfile

__all__ = ["main"]

#: The environment variable through which ``serve --workers N`` hands its settings to the workers.
_WORKER_SETTINGS = "RECSYS_TUTORIAL_SERVE_SETTINGS"


def main(argv=None) -> int:
    """Run the ``recsys-tutorial`` command on ``argv`` (``sys.argv[1:]`` when None); returns the exit
    status: 0, 1 for a refused bundle or folder, 2 for a malformed option (argparse exits)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "build-bundle" and args.dataset == "movielens" and args.n_items is not None:
        parser.error("--n-items sets the size of the synthetic world; MovieLens-100K has its own 1,682 items")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return _build(args) if args.command == "build-bundle" else _serve(args)


def _build(args) -> int:
    from .build import build_bundle
    from .bundle import BundleError

    try:
        path = build_bundle(args.out_dir, dataset=args.dataset, n_items=args.n_items,
                            n_candidates=args.n_candidates, random_state=args.random_state)  # fmt: skip
    except BundleError as error:  # a folder that is not a bundle folder: refused before any work, untouched
        return _refuse("build-bundle", error)
    print(f"bundle written to {path}")
    return 0


def _serve(args) -> int:
    import pandas as pd

    from .assemble import naive_utc
    from .bundle import BundleError, verify_bundle
    from .process import exit_with_parent

    if args.parent_pid is not None:  # started by BackgroundService: never outlive it
        exit_with_parent(args.parent_pid)
    try:
        manifest = verify_bundle(args.bundle_dir)  # a clear refusal now, not a traceback from the app's start-up
    except BundleError as error:
        return _refuse("serve", error)
    if args.now not in (None, "snapshot") and naive_utc(args.now) < pd.Timestamp(manifest["as_of"]):
        return _refuse("serve", f"--now {args.now} is before the bundle's snapshot ({manifest['as_of']}): every "
                                "request would be refused")  # fmt: skip
    if args.impressions is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.impressions))):
        return _refuse("serve", f"--impressions {args.impressions}: no such folder to write the log in")
    try:
        import uvicorn

        from .app import create_app
    except ImportError as error:  # the serve extra is missing: the message says how to install it
        return _refuse("serve", error)
    # The version `current` points at now, resolved once: every worker serves this one, even if
    # the link moves while they start.
    settings = {"bundle_dir": manifest["path"], "impressions_path": args.impressions, "budget_ms": args.budget_ms,
                "faults": dict(args.fault), "clock": args.now}  # fmt: skip
    # No Server header (what runs here is nobody's business) and no X-Forwarded-For trusted: no
    # proxy stands in front of this service.
    server = {"host": args.host, "port": args.port, "log_level": "warning", "access_log": False,
              "server_header": False, "proxy_headers": False}  # fmt: skip
    if args.workers == 1:
        uvicorn.run(create_app(**settings), **server)
        return 0
    # uvicorn starts each worker as a new interpreter, which imports the app by name and reads
    # its settings from the environment; the metrics of every worker go to files in one folder
    # (prometheus_client's multiprocess mode), which any worker's /metrics adds up.
    # A process per core: each runs the request path on its event loop (`api.dependencies.load_service`).
    metrics = tempfile.mkdtemp(prefix="recsys-tutorial-metrics-")
    os.environ[_WORKER_SETTINGS] = json.dumps({**settings, "path_thread": False, "parent_pid": os.getpid()})
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
    # All workers wait on one listening socket, and libuv (uvloop's core) accepts every waiting
    # connection at once: 8 connections arrived as 6 and 2. One at a time, they spread more evenly.
    os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
    try:
        uvicorn.run(f"{__name__}:_worker_app", factory=True, workers=args.workers, **server)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
    return 0


def _worker_app():
    """The app of one worker process of ``serve --workers N``; ends with the supervisor that started it."""
    from .app import create_app
    from .process import exit_with_parent

    settings = json.loads(os.environ[_WORKER_SETTINGS])
    exit_with_parent(settings.pop("parent_pid"))
    return create_app(**settings)


def _refuse(command: str, reason) -> int:
    print(f"recsys-tutorial {command}: {reason}", file=sys.stderr)
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recsys-tutorial", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-bundle", help="train a two-stage recommender and write it as a new version "
                                                     "of a bundle folder")  # fmt: skip
    build.add_argument("out_dir", help="a bundle folder, or a new or empty folder (anything else is refused)")
    build.add_argument("--dataset", choices=["synthetic", "movielens"], default="synthetic")
    build.add_argument("--n-items", type=_integer(100), default=None, help="catalogue size of the synthetic world "
                                                                            "(at least 100; default 5,000)")
    build.add_argument("--n-candidates", type=_integer(1), default=100, help="candidates retrieval proposes per "
                                                                              "request (at least 1)")
    build.add_argument("--random-state", type=_integer(0), default=0)
    serve = commands.add_parser("serve", help="serve a bundle over HTTP")
    serve.add_argument("bundle_dir", help="a bundle folder (its current version is served)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument("--workers", type=_integer(1), default=1, help="server processes, each with its own copy of "
                                                                       "the bundle (default 1; 2 on two cores)")
    serve.add_argument("--impressions", default=None, help="append every response to this JSON-lines file")
    serve.add_argument("--budget-ms", type=_positive_ms, default=50.0, help="skip the optional stages left after "
                                                                             "this much time (ms, > 0)")
    serve.add_argument("--fault", type=_fault, action="append", default=[], metavar="STAGE=error|slow",
                       help="make a stage fail or run slow, to see its fallback (repeatable)")
    serve.add_argument("--now", type=_now, default=None, metavar="snapshot|TIME",
                       help="the time of requests that carry none: 'snapshot' (the bundle's snapshot time: "
                            "reproducible answers) or an ISO-8601 time; default: the system clock (UTC)")
    # BackgroundService's own pid: the service ends itself when that process is gone.
    serve.add_argument("--parent-pid", type=_integer(1), default=None, help=argparse.SUPPRESS)
    return parser


# --- option types: each returns the value or says what the option takes ---------------------------


def _integer(least: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer ≥ {least}, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected an integer ≥ {least}, got {value}")
        return value

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"expected a port number in 1..65535, got {text!r}")
    return value


def _positive_ms(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of milliseconds, got {text!r}")
    return value


def _fault(text: str) -> tuple[str, str]:
    from .path import STAGES

    stage, equals, kind = text.partition("=")
    if not equals or stage not in STAGES or kind not in ("error", "slow"):
        raise argparse.ArgumentTypeError(f"expected STAGE=error or STAGE=slow with STAGE one of "
                                         f"{', '.join(STAGES)}; got {text!r}")  # fmt: skip
    return stage, kind


def _now(text: str) -> str:
    from .assemble import naive_utc

    if text != "snapshot":
        try:
            naive_utc(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected 'snapshot' or an ISO-8601 time such as "
                                             f"2024-07-01T09:30:00Z, got {text!r}") from None  # fmt: skip
    return text




if __name__ == "__main__":
    sys.exit(main())
