"""How fast, and in how much memory, `make_synthetic` builds a world.

Each size runs in a fresh subprocess so its peak resident memory is its own.

    .venv/bin/python benchmarks/bench_synthetic.py            # default and 1M-user worlds
    .venv/bin/python benchmarks/bench_synthetic.py --quick    # default world only
    .venv/bin/python benchmarks/bench_synthetic.py --smoke    # a tiny world: does the script run?

The bars (from the project's issues): the default world in under 2 s; 1,000,000 users,
100,000 items and 10,000,000 events in under 60 s and under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import record

SIZES = {
    "default (10k users, 5k items, 100k events)": (10_000, 5_000, 100_000, 2.0, 4.0),
    "large (1M users, 100k items, 10M events)": (1_000_000, 100_000, 10_000_000, 60.0, 4.0),
}
SMOKE = {"smoke (1k users, 500 items, 10k events)": (1_000, 500, 10_000, 2.0, 4.0)}

_CHILD = """
import json, resource, sys, time
from recsys_tutorial.data import make_synthetic
n_users, n_items, n_interactions = map(int, sys.argv[1:4])
start = time.perf_counter()
world = make_synthetic(n_users, n_items, n_interactions, random_state=0)
seconds = time.perf_counter() - start
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
print(json.dumps({"seconds": seconds, "peak_gb": peak_gb, "events": len(world.interactions)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the default size")
    record.add_arguments(parser)
    args = parser.parse_args()
    out = record.results_path("bench_synthetic", args)
    sizes = SMOKE if args.smoke else {name: size for name, size in SIZES.items() if not args.quick or size[0] <= 10_000}
    rows, checks = [], {}
    print(f"{'world':<46} {'seconds':>8} {'peak GB':>8}  bar")
    for name, (n_users, n_items, n_interactions, max_seconds, max_gb) in sizes.items():
        out_child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(n_users), str(n_items), str(n_interactions)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result = json.loads(out_child.stdout.strip().splitlines()[-1])
        rows.append({"world": name, "users": n_users, "items": n_items, **result})
        checks[f"{name}: seconds"] = record.check(result["seconds"], max_seconds, at_most=True)
        checks[f"{name}: peak GB"] = record.check(result["peak_gb"], max_gb, at_most=True)
        checks[f"{name}: every event generated"] = record.check(result["events"], n_interactions, at_most=False)
        ok = all(checks[f"{name}: {what}"]["ok"] for what in ("seconds", "peak GB", "every event generated"))
        print(f"{name:<46} {result['seconds']:8.2f} {result['peak_gb']:8.2f}  "
              f"< {max_seconds:g} s, < {max_gb:g} GB: {'ok' if ok else 'MISSED'}")
    record.write(out, "bench_synthetic", args, parameters={"random_state": 0}, results=rows, checks=checks)
    return record.exit_status(args, checks)

if __name__ == "__main__":
    sys.exit(main())
