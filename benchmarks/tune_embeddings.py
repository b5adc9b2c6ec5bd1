"""Tune the retrieval models on a validation split carved from training, then test once.

    .venv/bin/python benchmarks/tune_embeddings.py                      # random protocol, ~15 minutes
    .venv/bin/python benchmarks/tune_embeddings.py --protocol temporal  # all nine models, ~15 minutes
    .venv/bin/python benchmarks/tune_embeddings.py Item2Vec SASRec      # some of them
    .venv/bin/python benchmarks/tune_embeddings.py --world synthetic    # chapter 4b, ~10 minutes
    .venv/bin/python benchmarks/tune_embeddings.py --smoke              # 100 users, one value each

MovieLens-100K under one of two protocols, the validation split always drawn the way the test is:

* ``random`` (chapter 4c, the protocol of the published benchmark tables): a per-user random
  75/25 split (seed 0); from the training three quarters, a second per-user random split (seed 1,
  a quarter again) gives a fitting part and a validation part. Results:
  ``benchmarks/results/tune_embeddings.json``.
* ``temporal`` (chapters 4d, 7 and 12): each user's latest 20 % of ratings are the test; each
  user's latest 20 % of the rest are the validation part, and the remainder the fitting part.
  Every model of chapter 4d's board is searched, recency-weighted scoring (``half_life``) included.
  Results: ``benchmarks/results/tune_embeddings_temporal.json``.

``--world synthetic`` runs the temporal protocol on the synthetic world of chapter 4b
(``make_synthetic(random_state=0)``) instead, for the models whose verdict there turns on order and
recency: SASRec against the recency-weighted EASE, item-kNN and item2vec. Results:
``benchmarks/results/tune_embeddings_synthetic.json``.

The test part is never looked at while tuning. Each model's search is coordinate-wise: a grid
over the first group of hyperparameters (the others at their defaults), then a grid over the next
group with the best of the first fixed, and so on. Every candidate is fitted on the fitting part
and scored by NDCG@10 on the validation part, the fitting part's items excluded. The winner and
the defaults are then refitted on the whole training split and scored on the test split, once,
with the paired difference and its interval.

It prints, per model, every configuration tried with its validation NDCG@10 and fit seconds, and
the final test comparison, and writes them to the protocol's results file. Fit seconds depend on
the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k, make_synthetic
from recsys_tutorial.models import (
    ALS,
    EASE,
    Item2Vec,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    Popularity,
    SASRec,
    TwoTower,
)

import record

# Model → its class and the coordinate-wise search: a list of grids, searched in order. The random
# protocol's searches (chapter 4c):
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

# The temporal protocol's (chapter 4d): every model of the board, and the recency weight of the
# three that score a user from their history (EASE, item-kNN, item2vec) searched with the setting
# it trades off against. Within a budget: chapter 4d fits all nine in its minute, so no setting
# may take much more than the defaults' fit time (at most 30 epochs of MF, 8 of the two-tower,
# sequences of at most 50 films for SASRec).
TEMPORAL_SEARCHES = {
    "ItemKNN": (ItemKNN, [
        {"n_neighbors": [50, 100, 200], "half_life": [None, 3.0, 10.0, 30.0]},
        {"shrink": [0.0, 10.0, 100.0]},
    ]),
    "EASE": (EASE, [
        {"reg": [100.0, 250.0, 500.0, 1000.0, 2000.0], "half_life": [None, 3.0, 10.0, 30.0, 100.0]},
    ]),
    "MF (BPR)": (MatrixFactorization, [
        {"learning_rate": [0.005, 0.01, 0.02], "reg": [0.001, 0.01, 0.03]},
        {"n_epochs": [15, 30]},
    ]),
    "ALS": (ALS, [
        {"n_factors": [32, 64, 128], "reg": [0.01, 0.1, 1.0]},
        {"alpha": [0.5, 1.0, 2.0, 5.0]},
    ]),
    "TwoTower": (TwoTower, [
        {"learning_rate": [0.003, 0.01, 0.03], "n_epochs": [4, 8]},
        {"temperature": [0.05, 0.1, 0.2]},
    ]),
    "Item2Vec": (Item2Vec, [
        {"window": [2, 5, 10], "half_life": [1.0, 3.0, 10.0, 30.0, 1000.0]},
        {"n_epochs": [3, 5], "learning_rate": [0.01, 0.02]},
    ]),
    "LightGCN": (LightGCN, [
        {"learning_rate": [0.02, 0.05, 0.1], "n_epochs": [10, 20, 40]},
        {"n_layers": [1, 2, 3, 4]},
    ]),
    "SASRec": (SASRec, [
        {"max_len": [20, 50], "dropout": [0.2, 0.5]},
        {"n_epochs": [3, 7], "learning_rate": [0.003, 0.01, 0.03]},
    ]),
}
PROTOCOLS = {"random": SEARCHES, "temporal": TEMPORAL_SEARCHES}
# Chapter 4b's question on the synthetic world: is SASRec's lead attention, or recency? Its sessions
# are short, so the half-lives start at one item, and SASRec may read as few as its last 5 items.
SYNTHETIC_SEARCHES = {
    "ItemKNN": (ItemKNN, [
        {"n_neighbors": [50, 100, 200], "half_life": [None, 1.0, 3.0, 10.0, 30.0]},
        {"shrink": [0.0, 10.0, 100.0]},
    ]),
    "EASE": (EASE, [
        {"reg": [100.0, 250.0, 500.0, 1000.0, 2000.0], "half_life": [None, 1.0, 3.0, 10.0, 30.0]},
    ]),
    "Item2Vec": TEMPORAL_SEARCHES["Item2Vec"],
    "SASRec": (SASRec, [
        {"max_len": [5, 20, 50], "dropout": [0.2, 0.5]},
        {"n_epochs": [3, 7, 10], "learning_rate": [0.003, 0.01, 0.03, 0.05]},
    ]),
}


def movielens_side_features(movielens) -> dict:
    """The two-tower's side features as chapter 4d passes them: age band, gender and occupation; category."""
    age_band = pd.cut(movielens.users["age"], [0, 18, 25, 35, 45, 55, 120]).astype(str)
    return {"user_features": movielens.users.assign(age_band=age_band)[["age_band", "gender", "occupation"]],
            "item_features": movielens.items[["category"]]}

def grid(options: dict) -> list[dict]:
    """Every combination of the options, as a list of keyword dicts."""
    combos = [{}]
    for name, values in options.items():
        combos = [{**combo, name: value} for combo in combos for value in values]
    return combos


def make(model_class, params):
    """The model with these settings, seeded where the class takes a seed."""
    seeded = "random_state" in model_class().get_params()
    return model_class(**({"random_state": 0} if seeded else {}), **params)


def validation_score(model_class, params, fit_part, validation, fit_kwargs) -> tuple[float, float]:
    """Mean validation NDCG@10 and fit seconds of one configuration."""
    model = make(model_class, params)
    start = time.perf_counter()
    model.fit(fit_part, **fit_kwargs)
    seconds = time.perf_counter() - start
    return float(evaluation.evaluate(model, fit_part, validation)["ndcg@10"]), seconds


def tune(searches, name, fit_part, validation, fit_kwargs, smoke=False) -> tuple[dict, list[dict]]:
    """Coordinate-wise search; the best parameters found, and every configuration tried with its score.

    A smoke run tries only the first value of each option.
    """
    model_class, stages = searches[name]
    best: dict = {}
    tried = []
    for stage in stages:
        if smoke:
            stage = {option: values[:1] for option, values in stage.items()}
        rows = []
        for params in grid(stage):
            candidate = {**best, **params}
            ndcg, seconds = validation_score(model_class, candidate, fit_part, validation, fit_kwargs)
            rows.append({**candidate, "validation ndcg@10": ndcg, "fit s": seconds})
            print(f"  {name} {candidate}: validation NDCG@10 {ndcg:.4f} ({seconds:.1f} s)", flush=True)
        winner = max(rows, key=lambda row: row["validation ndcg@10"])  # the first of equals
        best = {key: winner[key] for key in candidate}
        tried += rows
    return best, tried


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=list(PROTOCOLS), default=None,
                        help="how the test and validation parts are drawn (default: random on MovieLens, "
                        "temporal on the synthetic world, its only one)")
    parser.add_argument("--world", choices=["movielens", "synthetic"], default="movielens",
                        help="MovieLens-100K, or chapter 4b's synthetic world (temporal protocol only)")
    # Checked by hand: Python 3.11's argparse rejects an empty list of positional choices.
    parser.add_argument("models", nargs="*", help="models to search (default: all of the protocol's)")
    record.add_arguments(parser)
    args = parser.parse_args()
    synthetic = args.world == "synthetic"
    if synthetic and args.protocol == "random":
        parser.error("--world synthetic is searched under the temporal protocol only")
    args.protocol = args.protocol or ("temporal" if synthetic else "random")
    searches = SYNTHETIC_SEARCHES if synthetic else PROTOCOLS[args.protocol]
    unknown = sorted(set(args.models) - set(searches))
    if unknown:
        parser.error(f"unknown models {unknown} for the {args.protocol} protocol; expected some of {list(searches)}")
    args.models = args.models or list(searches)
    name = "tune_embeddings" if args.protocol == "random" else f"tune_embeddings_{args.protocol}"
    name = "tune_embeddings_synthetic" if synthetic else name
    out = record.results_path(name, args)

    if synthetic:
        world = make_synthetic(random_state=0)
        ratings = world.interactions
        side = {"user_features": world.users[["age_group"]], "item_features": world.items[["category"]]}
    else:
        movielens = load_movielens_100k()
        ratings = movielens.interactions
        side = movielens_side_features(movielens)
    if args.smoke:
        ratings = ratings[ratings["user_id"] < 100]
    if args.protocol == "random":
        train, test = split.per_user_random_split(ratings, test_fraction=0.25, random_state=0)
        fit_part, validation = split.per_user_random_split(train, test_fraction=0.25, random_state=1)
        described = "per-user random 75/25 (seed 0), then 75/25 of training (seed 1)"
    else:
        train, test = split.per_user_temporal_split(ratings, test_fraction=0.2)
        fit_part, validation = split.per_user_temporal_split(train, test_fraction=0.2)
        described = "each user's latest 20 % the test, then the latest 20 % of each user's training the validation"
    print(f"fitting part {len(fit_part):,}, validation {len(validation):,}, test {len(test):,} ratings")
    rows = []
    references = (Popularity(), EASE()) if args.protocol == "random" else (Popularity(),)
    for reference in references:  # yardsticks: no hyperparameters searched
        score = evaluation.evaluate(reference.fit(fit_part), fit_part, validation)["ndcg@10"]
        rows.append({"model": type(reference).__name__, "stage": "validation", "validation ndcg@10": score})
        print(f"  {type(reference).__name__}: validation NDCG@10 {score:.4f}")
    print()

    results = []
    for model_name in args.models:
        fit_kwargs = side if model_name == "TwoTower" and args.protocol == "temporal" else {}
        best, tried = tune(searches, model_name, fit_part, validation, fit_kwargs, smoke=args.smoke)
        rows += [{"model": model_name, "stage": "validation", **row} for row in tried]
        model_class = searches[model_name][0]
        per_user = {}
        for label, params in [("default", {}), ("tuned", best)]:
            model = make(model_class, params)
            start = time.perf_counter()
            model.fit(train, **fit_kwargs)
            seconds = time.perf_counter() - start
            per_user[label] = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
            results.append({"model": model_name, "settings": label, "params": params or "defaults",
                            "test ndcg@10": per_user[label].mean(), "fit s": round(seconds, 1)})
        difference = evaluation.paired_test(per_user["tuned"], per_user["default"])
        rows.append({"model": model_name, "stage": "test", "tuned": best,
                     "default test ndcg@10": per_user["default"].mean(),
                     "tuned test ndcg@10": per_user["tuned"].mean(), **difference})  # fmt: skip
        print(f"{model_name}: tuned {best}; test NDCG@10 {per_user['default'].mean():.4f} → "
              f"{per_user['tuned'].mean():.4f}, paired difference {difference['mean difference']:+.4f} "
              f"[{difference['ci low']:+.4f}, {difference['ci high']:+.4f}]\n", flush=True)

    with pd.option_context("display.width", 200, "display.max_colwidth", 120, "display.precision", 4):
        print(pd.DataFrame(results).to_string(index=False))
    parameters = {"models": args.models, "protocol": args.protocol, "split": described,
                  "world": "make_synthetic(random_state=0)" if synthetic else "MovieLens-100K",
                  "users": int(ratings["user_id"].nunique()), "metric": "NDCG@10"}  # fmt: skip
    # No bar: the search reports what it found.
    record.write(out, name, args, parameters=parameters, results=rows, checks={})
    return record.exit_status(args, {})


if __name__ == "__main__":
    sys.exit(main())
