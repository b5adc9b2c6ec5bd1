"""How fast the evaluation metrics and the point-in-time features run at book scale.

    .venv/bin/python benchmarks/bench_metrics_features.py
    .venv/bin/python benchmarks/bench_metrics_features.py --smoke   # tiny inputs: does it run?

Metrics: every ranking metric of `recsys_tutorial.evaluation` plus coverage, personalisation and
novelty, for 10,000 users × 5,000 items at k = 10. Features: user, item, user × item and context
features of the default synthetic world at one cut-off. Each timing is the median of 5 runs.

The bars (from the project's issues): metrics in under 2 s, features in under 5 s. Timings vary
with the machine; these live here rather than in the test suite, where a loaded machine would
make them fail at random.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp

from recsys_tutorial import evaluation as ev
from recsys_tutorial import features as F
from recsys_tutorial.data import make_synthetic

import record


def median_seconds(run, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def all_metrics(recommended, relevant, popularity, n_items, n_users):
    for metric in (ev.precision_at_k, ev.recall_at_k, ev.ndcg_at_k,
                   ev.average_precision_at_k, ev.reciprocal_rank_at_k, ev.hit_rate_at_k):
        metric(recommended, relevant)
    ev.coverage(recommended, n_items)
    ev.personalisation(recommended)
    ev.novelty(recommended, popularity, n_users)


def all_features(world, as_of):
    F.user_features(world.interactions, as_of, n_users=world.n_users)
    F.item_features(world.interactions, as_of, items=world.items)
    F.user_item_features(world.interactions, as_of, world.interactions[["user_id", "item_id"]], world.items)
    F.context_features(world.interactions["timestamp"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_arguments(parser)
    args = parser.parse_args()
    out = record.results_path("bench_metrics_features", args)
    rng = np.random.default_rng(0)
    n_users, n_items, k = (500, 300, 10) if args.smoke else (10_000, 5_000, 10)
    repeats = 1 if args.smoke else 5
    recommended = np.argsort(rng.random((n_users, 50)), axis=1)[:, :k] * (n_items // 50)  # distinct items
    relevant = sp.random(n_users, n_items, density=0.002, format="csr", random_state=0)
    relevant.data[:] = 1.0
    popularity = rng.integers(0, 100, n_items)
    world = make_synthetic(500, 300, 5_000, random_state=0) if args.smoke else make_synthetic(random_state=0)

    results = {
        f"metrics, {n_users:,} users x {n_items:,} items": (
            median_seconds(lambda: all_metrics(recommended, relevant, popularity, n_items, n_users), repeats), 2.0
        ),
        f"features, world of {len(world.interactions):,} events": (
            median_seconds(lambda: all_features(world, "2024-06-10"), repeats), 5.0
        ),
    }
    print(f"{'what':<40} {'seconds':>8} {'bar':>6}")
    for name, (seconds, bar) in results.items():
        print(f"{name:<40} {seconds:8.3f} {bar:6.1f}")
    checks = {f"{name}: seconds": record.check(seconds, bar, at_most=True) for name, (seconds, bar) in results.items()}
    rows = [{"what": name, "median seconds": seconds} for name, (seconds, _) in results.items()]
    parameters = {"users": n_users, "items": n_items, "k": k, "repeats": repeats, "as_of": "2024-06-10"}
    record.write(out, "bench_metrics_features", args, parameters=parameters, results=rows, checks=checks)
    return record.exit_status(args, checks)

if __name__ == "__main__":
    sys.exit(main())
