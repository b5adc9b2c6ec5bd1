"""Load test of the recommendation service: a fixed number of requests at a fixed concurrency.

    .venv/bin/python benchmarks/bench_serving.py [--n-items 100000] [--requests 4000] [--connections 8] [--workers 2]
    .venv/bin/python benchmarks/bench_serving.py --smoke   # a 300-item world, 200 requests: does it run?

1. Builds a bundle of the synthetic world with ``--n-items`` items as a new user would, with
   ``recsys-tutorial build-bundle`` (once: the bundle folder is kept in ``_build/bench/``, and
   ``--rebuild`` builds it again; builds are deterministic, so a rebuild gives the same bundle
   id; a smoke run builds a tiny one in a temporary folder), and times its exact index against
   an HNSW graph over the same vectors, with the share of the exact top 100 the graph finds.
2. Starts ``recsys-tutorial serve --workers 2 --now snapshot`` (two server processes, one per
   core; every request answered at the bundle's snapshot time, so that answers depend on nothing
   but the bundle and the request) and waits for ``/health``.
3. Sends malformed requests, which must get a 4xx.
4. Runs ``wrk`` (Debian's package: an HTTP load generator in C, so that the client is not the
   bottleneck) with ``--connections`` connections: each ``POST /recommend`` asks for the top 10
   of a user drawn in a fixed sequence. After ``--warmup`` seconds of load (not measured: every
   worker's first requests), every wrk thread stops after its share of ``--requests`` responses.
5. Reads the service's impression log for the time of each stage, per request.
6. Kills the service (SIGKILL), starts it again from the same bundle, and checks that 200 users
   get identical recommendations.

It prints what it measured and whether the targets were met: p99 ≤ 15 ms and ≥ 1,000 requests/s
with 0 errors, and writes it to ``benchmarks/results/bench_serving.json``. Timings are this
machine's (wrk runs on it too); the test suite runs the smoke size only to see that every step
still works.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import record

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WRK_SCRIPT = """
-- Each thread posts users from its own fixed sequence and stops after its share of responses.
local threads = 0
function setup(thread)
  thread:set("offset", threads * 104729)
  threads = threads + 1
end
function init(args)
  limit, stride = tonumber(args[1]), tonumber(args[2])
  sent, answered = 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  sent = sent + 1
  local user = (sent * 7919 + offset) % stride
  return wrk.format(nil, "/recommend", nil, '{"user_id": ' .. user .. ', "k": 10}')
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d, \\"non2xx\\": %d, " ..
    "\\"p50_us\\": %d, \\"p95_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=4_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (each stops after requests/threads)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (recsys-tutorial serve --workers)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the measured requests")
    parser.add_argument("--rebuild", action="store_true")
    record.add_arguments(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_serving: needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)")
    out = record.results_path("bench_serving", args)
    requests = 200 if args.smoke else args.requests

    workdir = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    try:
        bundle = workdir / "bundles" if args.smoke else ROOT / "_build" / "bench" / f"bundles-{args.n_items}"
        if args.smoke or args.rebuild or not (bundle / "current" / "manifest.json").is_file():
            _build(bundle, args)
        measured = _measure(bundle, workdir, args, requests)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    load, stages, identical = measured["load"], measured["stages"], measured["identical after restart"]
    print(f"\nwrk: {load['requests']:,} requests, {args.connections} connections, {args.threads} threads, "
          f"served in {load['seconds']:.2f} s")
    print(f"  throughput {load['requests per second']:,.0f} requests/s; latency p50 {load['p50 ms']:.2f} ms, "
          f"p95 {load['p95 ms']:.2f} ms, p99 {load['p99 ms']:.2f} ms, max {load['max ms']:.2f} ms; "
          f"errors {load['errors']}")
    print("\nper stage, inside the service (ms), from the impression log:")
    print(f"  {'stage':<10} {'p50':>7} {'p95':>7} {'p99':>7}")
    for stage, (p50, p95, p99) in stages.items():
        print(f"  {stage:<10} {p50:7.3f} {p95:7.3f} {p99:7.3f}")
    print(f"\nrestart: the same 200 users got {'identical' if identical else 'DIFFERENT'} recommendations "
          "after a SIGKILL and a restart")
    checks = {
        "p99 ms": record.check(load["p99 ms"], 15, at_most=True),
        "requests per second": record.check(load["requests per second"], 1_000, at_most=False),
        "requests": record.check(load["requests"], min(2_000, requests), at_most=False),
        "errors": record.check(load["errors"], 0, at_most=True),
        "identical after restart": record.check(int(identical), 1, at_most=False),
    }
    print("\n" + "\n".join(f"  {'PASS' if entry['ok'] else 'FAIL'}  {name} {entry['bar']} ({entry['value']:,.2f})"
                            for name, entry in checks.items()))  # fmt: skip
    parameters = {"n_items": measured["bundle"]["n_items"], "requests": requests, "connections": args.connections,
                  "wrk threads": args.threads, "server processes": args.workers, "warm-up s": args.warmup,
                  "k": 10}  # fmt: skip
    rows = [{"what": "bundle", **measured["bundle"]}, {"what": "index", **measured["index"]},
            {"what": "load", **load}]  # fmt: skip
    rows += [{"what": f"stage {stage}", "p50 ms": p50, "p95 ms": p95, "p99 ms": p99}
             for stage, (p50, p95, p99) in stages.items()]  # fmt: skip
    record.write(out, "bench_serving", args, parameters=parameters, results=rows, checks=checks)
    return record.exit_status(args, checks)


def _build(bundle: Path, args) -> None:
    """Build the bundle folder: the 100,000-item world (or ``--n-items``) with the command a reader
    runs, or for a smoke run a tiny world, in process."""
    started = time.perf_counter()
    if args.smoke:
        from recsys_tutorial.data import make_synthetic
        from recsys_tutorial.serving.build import build_bundle

        build_bundle(bundle, data=make_synthetic(n_users=500, n_items=300, n_interactions=5_000, random_state=0))
    else:
        subprocess.run([sys.executable, "-m", "recsys_tutorial.serving.cli", "build-bundle", str(bundle),
                        "--n-items", str(args.n_items)], check=True)  # fmt: skip
    print(f"bundle built in {time.perf_counter() - started:.0f} s")


def _measure(bundle: Path, workdir: Path, args, requests: int) -> dict:
    """Serve the bundle, load it with wrk, restart it after a SIGKILL: what each step measured."""
    from recsys_tutorial.serving.bundle import verify_bundle
    from recsys_tutorial.serving.process import BackgroundService

    manifest = verify_bundle(bundle)  # the current version's
    version = Path(manifest["path"])
    index = _exact_against_hnsw(bundle)
    n_users = manifest["n_users"]
    size_mb = sum(p.stat().st_size for p in version.iterdir()) / 1e6
    print(f"bundle {manifest['bundle_id']}: {manifest['dataset']}, {n_users:,} users, {size_mb:.0f} MB; index "
          f"{manifest['index']} over the {manifest['n_indexed_items']:,} items with interactions")
    log = workdir / "impressions.jsonl"
    server = BackgroundService(bundle, impressions=log, now="snapshot", workers=args.workers).start()
    try:
        _check_malformed(server)
        script = workdir / "fixed.lua"
        script.write_text(WRK_SCRIPT)
        # The warm-up: every worker's first requests (caches, lazily built state) are not measured.
        warm = _wrk(script, server.url, args, seconds=1 if args.smoke else args.warmup, per_thread=10**9,
                    n_users=n_users)  # fmt: skip
        _wait_for_impressions(log, warm["requests"])  # written by the logs' own threads, a moment later
        time.sleep(0.5)  # and the last requests in flight when wrk stopped
        log.write_text("")
        result = _wrk(script, server.url, args, seconds=3 if args.smoke else max(10, requests // 250),
                      per_thread=-(-requests // args.threads), n_users=n_users)  # fmt: skip
        _wait_for_impressions(log, result["requests"])
        stages = _stage_percentiles(log)
        seconds, throughput = _served_per_second(log)
        before_kill = _recommendations(server, n_users)
        server.kill()
        server = BackgroundService(bundle, port=server.port, now="snapshot", workers=args.workers).start()
        identical = _recommendations(server, n_users) == before_kill
    finally:
        server.stop()
    # wrk's own clock runs for its whole -d window even after every thread has stopped, so the
    # rate comes from the service's log: requests over the span from the first to the last.
    load = {"requests": result["requests"], "seconds": seconds, "requests per second": throughput,
            **{f"{name} ms": result[f"{name}_us"] / 1000 for name in ("p50", "p95", "p99", "max")},
            "errors": result["errors"] + result["non2xx"]}  # fmt: skip
    bundle_facts = {"bundle_id": manifest["bundle_id"], "n_items": manifest.get("n_items"), "n_users": n_users,
                    "indexed items": manifest["n_indexed_items"], "index": manifest["index"], "size MB": size_mb}
    return {"bundle": bundle_facts, "index": index, "load": load, "stages": stages,
            "identical after restart": identical}  # fmt: skip


def _wrk(script: Path, url: str, args, seconds: float, per_thread: int, n_users: int) -> dict:
    """One wrk run: each thread stops after ``per_thread`` responses or ``seconds``; its summary."""
    run = subprocess.run(
        ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s", "--timeout", "5s",
         "-s", str(script), url, "--", str(per_thread), str(n_users)],
        capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(next(line[5:] for line in run.stdout.splitlines() if line.startswith("JSON ")))


def _exact_against_hnsw(bundle: Path) -> dict:
    """Why the bundle's index is exact at this size: exact search's cost, and what HNSW would miss."""
    import faiss

    from recsys_tutorial.retrieval import build_index
    from recsys_tutorial.serving.build import HNSW_PARAMS
    from recsys_tutorial.serving.bundle import load_bundle

    faiss.omp_set_num_threads(1)
    loaded = load_bundle(bundle)
    loaded.store.close()
    served = loaded.item_index
    ids = served.ids if served.ids is not None else np.arange(served.ntotal)
    items = loaded.item_vectors[ids]
    users = loaded.user_vectors[:: max(1, len(loaded.user_vectors) // 200)][:200]
    exact = build_index(items, kind="flat", metric="ip", ids=ids)
    graph = build_index(items, kind="hnsw", metric="ip", ids=ids, **HNSW_PARAMS)
    timed = {}
    for name, index in (("exact", exact), ("HNSW", graph)):
        started = time.perf_counter()
        found = [index.search(user[None], min(100, index.ntotal))[1][0] for user in users]
        timed[name] = ((time.perf_counter() - started) / len(users) * 1000, found)
    recall = np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(timed["exact"][1], timed["HNSW"][1], strict=True)])
    print(f"index: exact search {timed['exact'][0]:.2f} ms per query; HNSW (M {HNSW_PARAMS['M']}, efSearch "
          f"{HNSW_PARAMS['ef_search']}) {timed['HNSW'][0]:.2f} ms, finding {recall:.0%} of the exact top 100")
    return {"exact ms per query": timed["exact"][0], "HNSW ms per query": timed["HNSW"][0],
            "HNSW share of the exact top 100": recall, "queries": len(users), "threads": 1}


def _check_malformed(server) -> None:
    for body in (b"{not json", b'{"user_id": "7"}', b'{"user_id": 7, "k": 0}', b'{"user_id": -3}',
                 b'{"user_id": 7, "extra": 1}', b'{"user_id": 1e400}'):
        status, _ = server.post("/recommend", body)
        if not 400 <= status < 500:
            sys.exit(f"bench_serving: {body!r} got HTTP {status}, expected a 4xx")
    print("malformed requests: all 6 got a 4xx")


def _recommendations(server, n_users: int) -> list:
    users = np.linspace(0, n_users - 1, 200).astype(int)
    return [server.post("/recommend", {"user_id": int(u), "k": 10})[1]["items"] for u in users]


def _wait_for_impressions(log: Path, n: int, timeout: float = 10.0) -> None:
    """Until the log holds ``n`` lines (its writer threads write a few times a second), or ``timeout``."""
    deadline = time.monotonic() + timeout
    while len(log.read_bytes().splitlines()) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def _impressions(log: Path) -> list[dict]:
    """The impression log's impressions (its header lines left out)."""
    return [line for line in map(json.loads, log.read_text().splitlines()) if "header" not in line]


def _stage_percentiles(log: Path) -> dict:
    rows = [impression["timings_ms"] for impression in _impressions(log)]
    stages = ["retrieval", "features", "ranking", "rules", "total"]
    return {s: tuple(np.percentile([r[s] for r in rows if s in r], [50, 95, 99])) for s in stages}


def _served_per_second(log: Path) -> tuple[float, float]:
    """(seconds from the first to the last logged response, responses per second over them)."""
    stamps = np.array([impression["served_at"] for impression in _impressions(log)])
    span = stamps.max() - stamps.min()
    return span, (len(stamps) - 1) / span


if __name__ == "__main__":
    sys.exit(main())
