"""Choose the two-stage recommender's configuration on a validation split, then test once.

    .venv/bin/python benchmarks/tune_ranking.py        # ~3 minutes on 2 cores
    .venv/bin/python benchmarks/tune_ranking.py --smoke  # 150 users, two configurations

MovieLens-100K under chapter 7's protocol: each user's latest 20 % of ratings are the test. The
test is never looked at while choosing. From the training part, a second per-user temporal split
(the latest 20 % again) gives a fitting part and a validation part. Every configuration below is
fitted on the fitting part (which it carves once more, internally, for the ranker's labels) and
scored by NDCG@10 on the validation part, beside EASE fitted on the same part, with the paired
difference and its interval. The configuration with the best validation NDCG@10 and the
package's default are then fitted on the whole training part and scored on the test, once.

Chapter 7 uses what this chose: EASE and item-kNN propose 100 candidates, ALS and popularity
only score them. It writes what it measured to ``benchmarks/results/tune_ranking.json``. Fit
seconds depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from recsys_tutorial import evaluation, ranking, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.models import EASE

import record

# Configuration name → keyword arguments of TwoStageRecommender (random_state=0 is added).
CONFIGURATIONS = {
    # Which retrievers propose the candidates (the others only score them).
    "EASE + item-kNN propose (default)": {},
    "all four retrievers propose": {"sources": ["EASE", "ItemKNN", "ALS", "Popularity"]},
    "EASE alone proposes": {"sources": ["EASE"]},
    "EASE + item-kNN + ALS propose": {"sources": ["EASE", "ItemKNN", "ALS"]},
    # How many candidates.
    "default, 60 candidates": {"n_candidates": 60},
    "default, 150 candidates": {"n_candidates": 150},
    # What the ranker is told and how it is trained (default: 15 leaves, lr 0.03, patience 60).
    "default, with demographics": {"user_columns": ["age", "gender", "occupation"]},
    "ranker: 31 leaves, lr 0.05, patience 30": {
        "ranker": ranking.GBDTRanker(num_leaves=31, learning_rate=0.05, n_estimators=300, early_stopping_rounds=30)},
    "ranker: 31 leaves, lr 0.05, patience 100": {
        "ranker": ranking.GBDTRanker(num_leaves=31, learning_rate=0.05, n_estimators=1000, early_stopping_rounds=100)},
    "ranker: 31 leaves, lr 0.02, patience 100": {
        "ranker": ranking.GBDTRanker(num_leaves=31, learning_rate=0.02, n_estimators=1000, early_stopping_rounds=100)},
    "ranker: 31 leaves, stop on NDCG@50": {
        "ranker": ranking.GBDTRanker(num_leaves=31, learning_rate=0.05, n_estimators=300, early_stopping_rounds=30,
                                     eval_at=50)},
    "ranker: 31 leaves, min_child_samples 200": {
        "ranker": ranking.GBDTRanker(num_leaves=31, learning_rate=0.05, n_estimators=300, early_stopping_rounds=30,
                                     min_child_samples=200)},
}


SMOKE_CONFIGURATIONS = ["EASE + item-kNN propose (default)", "all four retrievers propose"]


def score(config: dict, movielens, train, test, baseline) -> tuple[float, pd.Series, float]:
    """NDCG@10 of a configuration fitted on ``train`` and scored on ``test``, and its paired test against
    ``baseline``."""
    start = time.perf_counter()
    model = ranking.TwoStageRecommender(random_state=0, **config)
    model.fit(train, users=movielens.users, items=movielens.items)
    seconds = time.perf_counter() - start
    ndcg = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
    return ndcg.mean(), evaluation.paired_test(ndcg, baseline), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_arguments(parser)
    args = parser.parse_args()
    out = record.results_path("tune_ranking", args)
    configurations = {name: CONFIGURATIONS[name] for name in SMOKE_CONFIGURATIONS} if args.smoke else CONFIGURATIONS

    # ---- data: test, and a validation split carved from training
    movielens = load_movielens_100k()
    ratings = movielens.interactions
    if args.smoke:
        ratings = ratings[ratings["user_id"] < 150]
    train, test = split.per_user_temporal_split(ratings, test_fraction=0.2)
    fitting, validation = split.per_user_temporal_split(train, test_fraction=0.2)
    ease_validation = evaluation.evaluate(EASE().fit(fitting), fitting, validation, per_user=True)["ndcg@10"]
    print(f"validation: EASE alone {ease_validation.mean():.4f}")
    rows = [{"configuration": "EASE alone", "stage": "validation", "ndcg@10": ease_validation.mean()}]

    # ---- choose on validation
    chosen = {}
    for name, config in configurations.items():
        mean, paired, seconds = score(config, movielens, fitting, validation, ease_validation)
        chosen[name] = mean
        rows.append({"configuration": name, "stage": "validation", "ndcg@10": mean, "fit s": seconds,
                     **{f"vs EASE, {key}": value for key, value in paired.items()}})  # fmt: skip
        print(f"{name:40s} {mean:.4f}  vs EASE {paired['mean difference']:+.4f} "
              f"[{paired['ci low']:+.4f}, {paired['ci high']:+.4f}]  fit {seconds:.1f} s", flush=True)
    best = max(chosen, key=chosen.get)  # the first of equals
    print(f"\nbest on validation: {best}")

    # ---- test once: the chosen configuration and the default
    ease_test = evaluation.evaluate(EASE().fit(train), train, test, per_user=True)["ndcg@10"]
    print(f"test: EASE alone {ease_test.mean():.4f}")
    rows.append({"configuration": "EASE alone", "stage": "test", "ndcg@10": ease_test.mean()})
    for name in dict.fromkeys([best, "EASE + item-kNN propose (default)"]):
        mean, paired, seconds = score(CONFIGURATIONS[name], movielens, train, test, ease_test)
        rows.append({"configuration": name, "stage": "test", "ndcg@10": mean, "fit s": seconds,
                     **{f"vs EASE, {key}": value for key, value in paired.items()}})  # fmt: skip
        print(f"test, {name}: {mean:.4f} ({mean / ease_test.mean() - 1:+.1%} over EASE), paired "
              f"{paired['mean difference']:+.4f} [{paired['ci low']:+.4f}, {paired['ci high']:+.4f}], "
              f"fit {seconds:.1f} s")
    parameters = {"configurations": list(configurations), "users": int(ratings["user_id"].nunique()),
                  "split": "per-user temporal, latest 20 % (test), then the latest 20 % of training (validation)",
                  "chosen": best}  # fmt: skip
    record.write(out, "tune_ranking", args, parameters=parameters, results=rows, checks={})
    return record.exit_status(args, {})

if __name__ == "__main__":
    sys.exit(main())
