"""How much of the two-stage recommender's work happens once, in fit, and how much per request.

    .venv/bin/python benchmarks/bench_two_stage.py           # MovieLens-100K, chapter 7's model
    .venv/bin/python benchmarks/bench_two_stage.py --smoke   # 150 users: does it run?

Fits `ranking.TwoStageRecommender` (its defaults: EASE and item-kNN propose 100 candidates, ALS
and popularity score them, LightGBM ranks) on each user's earliest 80 % of MovieLens-100K, then
times `recommend` for 1,000 users (every user once, then the first 57 again), three times, and
reports the median. Everything that depends only on the fit (each user's request time, the
feature engine's indexes of the history) is built in fit; a request pays for retrieval, the
features of its candidates and the ranker.

The bar (from the project's issues): recommending for 1,000 users costs a small fraction of the
fit, at most a quarter of it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from recsys_tutorial import split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.ranking import TwoStageRecommender

import record

REQUESTS = 1_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_arguments(parser)
    args = parser.parse_args()
    out = record.results_path("bench_two_stage", args)
    movielens = load_movielens_100k()
    ratings = movielens.interactions
    if args.smoke:
        ratings = ratings[ratings["user_id"] < 150]
    train, _ = split.per_user_temporal_split(ratings, test_fraction=0.2)
    known = np.unique(train["user_id"])
    users = np.resize(known, REQUESTS)  # every user, then the first ones again

    started = time.perf_counter()
    model = TwoStageRecommender(random_state=0).fit(train, users=movielens.users, items=movielens.items)
    fit_seconds = time.perf_counter() - started
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        model.recommend(users, k=10)
        timings.append(time.perf_counter() - started)
    recommend_seconds = statistics.median(timings)
    share = recommend_seconds / fit_seconds
    print(f"MovieLens-100K{' (150 users)' if args.smoke else ''}: {len(train):,} training ratings, "
          f"{len(known):,} users")  # fmt: skip
    print(f"fit {fit_seconds:.2f} s; recommend for {REQUESTS:,} users {recommend_seconds:.2f} s "
          f"(median of 3), {share:.0%} of the fit (bar: <= 25%)")
    checks = {"recommend for 1,000 users / fit": record.check(share, 0.25, at_most=True)}
    rows = [{"fit seconds": fit_seconds, "recommend seconds": recommend_seconds, "recommend runs": timings,
             "users asked": REQUESTS, "distinct users": len(known)}]  # fmt: skip
    parameters = {"model": "TwoStageRecommender(random_state=0)", "split": "per-user temporal, earliest 80 %",
                  "k": 10}  # fmt: skip
    record.write(out, "bench_two_stage", args, parameters=parameters, results=rows, checks=checks)
    return record.exit_status(args, checks)


if __name__ == "__main__":
    sys.exit(main())
