"""The ``recsys-tutorial`` command: ``build-bundle`` and ``serve``.

    recsys-tutorial build-bundle OUT_DIR [--dataset synthetic|movielens] [--n-items N]
    recsys-tutorial serve BUNDLE_DIR [--host 127.0.0.1] [--port 8000] [--impressions FILE]
"""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["main"]


def main(argv=None) -> int:
    """Run the ``recsys-tutorial`` command on ``argv`` (``sys.argv[1:]`` when None); returns the exit
    status: 0, or 2 for a malformed ``--fault``."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "build-bundle":
        from .build import build_bundle

        path = build_bundle(args.out_dir, dataset=args.dataset, n_items=args.n_items,
                            n_candidates=args.n_candidates, random_state=args.random_state)
        print(f"bundle written to {path}")
        return 0

    import uvicorn

    from .app import create_app

    faults = dict(fault.split("=", 1) for fault in args.fault)
    bad = {stage: kind for stage, kind in faults.items() if kind not in ("error", "slow")}
    if bad:
        print(f"recsys-tutorial serve: --fault takes STAGE=error or STAGE=slow, got {bad}", file=sys.stderr)
        return 2
    app = create_app(args.bundle_dir, impressions_path=args.impressions, budget_ms=args.budget_ms, faults=faults)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning", access_log=False)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recsys-tutorial", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build-bundle", help="train a two-stage recommender and write its bundle")
    build.add_argument("out_dir")
    build.add_argument("--dataset", choices=["synthetic", "movielens"], default="synthetic")
    build.add_argument("--n-items", type=int, default=None, help="catalogue size of the synthetic world")
    build.add_argument("--n-candidates", type=int, default=100)
    build.add_argument("--random-state", type=int, default=0)
    serve = commands.add_parser("serve", help="serve a bundle over HTTP (one worker)")
    serve.add_argument("bundle_dir")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--impressions", default=None, help="append every response to this JSON-lines file")
    serve.add_argument("--budget-ms", type=float, default=50.0, help="skip the stages left after this much time")
    serve.add_argument("--fault", action="append", default=[], metavar="STAGE=error|slow",
                       help="make a stage fail or run slow, to see its fallback (repeatable)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
