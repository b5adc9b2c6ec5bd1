"""Tune the embedding models on a validation split carved from training, then test once.

    .venv/bin/python benchmarks/tune_embeddings.py                 # every model, ~15 minutes
    .venv/bin/python benchmarks/tune_embeddings.py Item2Vec SASRec # some of them
    .venv/bin/python benchmarks/tune_embeddings.py --smoke         # 100 users, one value each

MovieLens-100K, the protocol of the published benchmark tables: a per-user random 75/25 split
(seed 0). The test quarter is never looked at while tuning. From the training three quarters, a
second per-user random split (seed 1, a quarter again) gives a fitting part and a validation part.
Each model's search is coordinate-wise: a grid over the first group of hyperparameters (the
others at their defaults), then a grid over the next group with the best of the first fixed, and
so on. Every candidate is fitted on the fitting part and scored by NDCG@10 on the validation
part, the fitting part's items excluded. The winner and the defaults are then refitted on the
whole training split and scored on the test split, once, with the paired difference and its
interval.

It prints, per model, every configuration tried with its validation NDCG@10 and fit seconds, and
the final test comparison, and writes them to ``benchmarks/results/tune_embeddings.json``. Fit
seconds depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.models import EASE, Item2Vec, LightGCN, MatrixFactorization, Popularity, SASRec

import record

# Model → its class and the coordinate-wise search: a list of grids, searched in order.
SEARCHES = {
    "MF (BPR)": (MatrixFactorization, [
        {"learning_rate": [0.005, 0.01, 0.02], "reg": [0.001, 0.01, 0.03]},
        {"n_epochs": [15, 30, 60]},
    ]),
    "LightGCN": (LightGCN, [
        {"learning_rate": [0.02, 0.05, 0.1], "n_epochs": [10, 20, 40]},
        {"n_layers": [1, 2, 3, 4]},
    ]),
    "Item2Vec": (Item2Vec, [
        {"window": [5, 10, 20], "half_life": [10.0, 50.0, 1000.0]},
        {"n_epochs": [3, 5], "learning_rate": [0.01, 0.02]},
    ]),
    "SASRec": (SASRec, [
        {"max_len": [20, 50, 200], "dropout": [0.2, 0.5]},
        {"n_epochs": [3, 7, 15]},
    ]),
}


def grid(options: dict) -> list[dict]:
    """Every combination of the options, as a list of keyword dicts."""
    combos = [{}]
    for name, values in options.items():
        combos = [{**combo, name: value} for combo in combos for value in values]
    return combos


def validation_score(model_class, params, fit_part, validation) -> tuple[float, float]:
    """Mean validation NDCG@10 and fit seconds of one configuration."""
    model = model_class(random_state=0, **params)
    start = time.perf_counter()
    model.fit(fit_part)
    seconds = time.perf_counter() - start
    return float(evaluation.evaluate(model, fit_part, validation)["ndcg@10"]), seconds


def tune(name, fit_part, validation, smoke=False) -> tuple[dict, list[dict]]:
    """Coordinate-wise search; the best parameters found, and every configuration tried with its score.

    A smoke run tries only the first value of each option.
    """
    model_class, stages = SEARCHES[name]
    best: dict = {}
    tried = []
    for stage in stages:
        if smoke:
            stage = {option: values[:1] for option, values in stage.items()}
        rows = []
        for params in grid(stage):
            candidate = {**best, **params}
            ndcg, seconds = validation_score(model_class, candidate, fit_part, validation)
            rows.append({**candidate, "validation ndcg@10": ndcg, "fit s": seconds})
            print(f"  {name} {candidate}: validation NDCG@10 {ndcg:.4f} ({seconds:.1f} s)", flush=True)
        winner = max(rows, key=lambda row: row["validation ndcg@10"])  # the first of equals
        best = {key: winner[key] for key in candidate}
        tried += rows
    return best, tried


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Checked by hand: Python 3.11's argparse rejects an empty list of positional choices.
    parser.add_argument("models", nargs="*", help=f"some of {', '.join(SEARCHES)} (default: all)")
    record.add_arguments(parser)
    args = parser.parse_args()
    unknown = sorted(set(args.models) - set(SEARCHES))
    if unknown:
        parser.error(f"unknown models {unknown}; expected some of {list(SEARCHES)}")
    args.models = args.models or list(SEARCHES)
    out = record.results_path("tune_embeddings", args)

    ratings = load_movielens_100k().interactions
    if args.smoke:
        ratings = ratings[ratings["user_id"] < 100]
    train, test = split.per_user_random_split(ratings, test_fraction=0.25, random_state=0)
    fit_part, validation = split.per_user_random_split(train, test_fraction=0.25, random_state=1)
    print(f"fitting part {len(fit_part):,}, validation {len(validation):,}, test {len(test):,} ratings")
    rows = []
    for reference in (Popularity(), EASE()):  # yardsticks: no hyperparameters searched
        score = evaluation.evaluate(reference.fit(fit_part), fit_part, validation)["ndcg@10"]
        rows.append({"model": type(reference).__name__, "stage": "validation", "validation ndcg@10": score})
        print(f"  {type(reference).__name__}: validation NDCG@10 {score:.4f}")
    print()

    results = []
    for name in args.models:
        best, tried = tune(name, fit_part, validation, smoke=args.smoke)
        rows += [{"model": name, "stage": "validation", **row} for row in tried]
        model_class = SEARCHES[name][0]
        per_user = {}
        for label, params in [("default", {}), ("tuned", best)]:
            model = model_class(random_state=0, **params)
            start = time.perf_counter()
            model.fit(train)
            seconds = time.perf_counter() - start
            per_user[label] = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
            results.append({"model": name, "settings": label, "params": params or "defaults",
                            "test ndcg@10": per_user[label].mean(), "fit s": round(seconds, 1)})
        difference = evaluation.paired_test(per_user["tuned"], per_user["default"])
        rows.append({"model": name, "stage": "test", "tuned": best, "default test ndcg@10": per_user["default"].mean(),
                     "tuned test ndcg@10": per_user["tuned"].mean(), **difference})  # fmt: skip
        print(f"{name}: tuned {best}; test NDCG@10 {per_user['default'].mean():.4f} → {per_user['tuned'].mean():.4f}, "
              f"paired difference {difference['mean difference']:+.4f} "
              f"[{difference['ci low']:+.4f}, {difference['ci high']:+.4f}]\n", flush=True)

    with pd.option_context("display.width", 200, "display.max_colwidth", 120, "display.precision", 4):
        print(pd.DataFrame(results).to_string(index=False))
    parameters = {"models": args.models, "split": "per-user random 75/25 (seed 0), then 75/25 of training (seed 1)",
                  "users": int(ratings["user_id"].nunique()), "metric": "NDCG@10"}  # fmt: skip
    # No bar: the search reports what it found.
    record.write(out, "tune_embeddings", args, parameters=parameters, results=rows, checks={})
    return record.exit_status(args, {})

if __name__ == "__main__":
    sys.exit(main())
