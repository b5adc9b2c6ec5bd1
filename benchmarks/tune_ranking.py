"""Choose the two-stage recommender's configuration on a validation split, then test once.

    .venv/bin/python benchmarks/tune_ranking.py        # ~4 minutes on 2 cores
    .venv/bin/python benchmarks/tune_ranking.py --smoke  # 150 users, two configurations

MovieLens-100K under chapter 7's protocol: each user's latest 20 % of ratings are the test. The
test is never looked at while choosing. From the training part, a second per-user temporal split
(the latest 20 % again) gives a fitting part and a validation part: the split on which
``tune_embeddings.py --protocol temporal`` tuned every single model. Every configuration below
is fitted on the fitting part (which it carves once more, internally, for the ranker's labels)
and scored by NDCG@10 on the validation part, beside the best tuned single model fitted on the
same part (EASE with a recency-weighted history), with the paired difference and its interval.
The configuration with the best validation NDCG@10 and the package's default are then fitted on
the whole training part and scored on the test, once, beside that single model.

The retrievers carry the settings ``tune_embeddings.py --protocol temporal`` chose; configurations
marked "untuned" use the package's plain defaults, as chapter 7 did before recency entered. It
writes what it measured to ``benchmarks/results/tune_ranking.json``. Fit seconds depend on the
machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from recsys_tutorial import evaluation, ranking, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.models import ALS, EASE, ItemKNN, Popularity

import record


# The single models as tune_embeddings.py --protocol temporal chose them
# (benchmarks/results/tune_embeddings_temporal.json).
def recent_ease():
    return EASE(reg=1000.0, half_life=3.0)


def recent_knn():
    return ItemKNN(n_neighbors=200, shrink=0.0, half_life=3.0)


def tuned_als():
    return ALS(n_factors=32, reg=1.0, alpha=0.5, random_state=0)


def retrievers(*, whole_history_ease: bool = True) -> dict:
    """Recency-weighted EASE and item-kNN, tuned ALS, popularity, and (optionally) EASE over the whole history."""
    chosen = {"EASE": recent_ease(), "ItemKNN": recent_knn(), "ALS": tuned_als(), "Popularity": Popularity()}
    if whole_history_ease:  # last: the package default's order, which is the order of the ranker's features
        chosen["EASE (whole history)"] = EASE()
    return chosen


def lambdamart(**settings):
    """LambdaMART with leaves of at least 200 candidates (unless ``settings`` say otherwise)."""
    return ranking.GBDTRanker(**{"min_child_samples": 200, **settings})


def recent(**settings) -> dict:
    """Recent EASE and item-kNN propose, LambdaMART ranks; ``settings`` change one of these."""
    return {"retrievers": retrievers(), "sources": ["EASE", "ItemKNN"], "ranker": lambdamart(), **settings}


# Configuration name → keyword arguments of TwoStageRecommender (random_state=0 is added). Every
# configuration but the package default names its retrievers and ranker, so that its row does not
# move when the default does.
CONFIGURATIONS = {
    "package default": {},
    # Before recency: chapter 7's earlier configuration.
    "untuned: EASE + item-kNN propose": {
        "retrievers": {"EASE": EASE(), "ItemKNN": ItemKNN(), "ALS": ALS(random_state=0), "Popularity": Popularity()},
        "sources": ["EASE", "ItemKNN"], "ranker": ranking.GBDTRanker(random_state=0)},
    # Which retrievers propose the candidates (the others only score them).
    "recent EASE + recent item-kNN propose": recent(),
    "recent EASE + recent item-kNN propose, no whole-history EASE": recent(
        retrievers=retrievers(whole_history_ease=False)),
    "recent EASE alone proposes": recent(sources=["EASE"]),
    "recent EASE + whole-history EASE propose": recent(sources=["EASE", "EASE (whole history)"]),
    "recent EASE + item-kNN + whole-history EASE propose": recent(sources=["EASE", "ItemKNN", "EASE (whole history)"]),
    # How many candidates.
    "recent EASE + item-kNN, 60 candidates": recent(n_candidates=60),
    "recent EASE + item-kNN, 150 candidates": recent(n_candidates=150),
    # What the ranker is told, its loss, and how it is trained (default: 15 leaves, lr 0.03, patience 60).
    "recent EASE + item-kNN, with demographics": recent(user_columns=["age", "gender", "occupation"]),
    "recent EASE + item-kNN, ranker: pointwise (log loss)": recent(ranker=lambdamart(objective="binary")),
    "recent EASE + item-kNN, ranker: 31 leaves, lr 0.05": recent(
        ranker=lambdamart(num_leaves=31, learning_rate=0.05, n_estimators=300, early_stopping_rounds=30)),
    "recent EASE + item-kNN, ranker: min_child_samples 50": recent(ranker=lambdamart(min_child_samples=50)),
}  # fmt: skip

#: Configurations a package default cannot take (they name one dataset's columns): measured and
#: reported, not chosen.
DATASET_SPECIFIC = {"recent EASE + item-kNN, with demographics"}


#: The yardstick: the best single model under this protocol, tuned (tune_embeddings_temporal.json).
SINGLE = "recent EASE alone (best tuned single model)"

SMOKE_CONFIGURATIONS = ["package default", "recent EASE + recent item-kNN propose"]


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
    single = evaluation.evaluate(recent_ease().fit(fitting), fitting, validation, per_user=True)["ndcg@10"]
    print(f"validation: the best tuned single model (recent EASE) {single.mean():.4f}")
    rows = [{"configuration": SINGLE, "stage": "validation", "ndcg@10": single.mean()}]

    # ---- choose on validation
    chosen = {}
    for name, config in configurations.items():
        mean, paired, seconds = score(config, movielens, fitting, validation, single)
        chosen[name] = mean
        rows.append({"configuration": name, "stage": "validation", "ndcg@10": mean, "fit s": seconds,
                     **{f"vs single, {key}": value for key, value in paired.items()}})  # fmt: skip
        print(f"{name:60s} {mean:.4f}  vs single {paired['mean difference']:+.4f} "
              f"[{paired['ci low']:+.4f}, {paired['ci high']:+.4f}]  fit {seconds:.1f} s", flush=True)
    best = max((name for name in chosen if name not in DATASET_SPECIFIC), key=chosen.get)  # the first of equals
    best_of_all = max(chosen, key=chosen.get)
    print(f"\nbest on validation: {best}" + (f" (of all, {best_of_all})" if best_of_all != best else ""))

    # ---- test once: the chosen configuration and the default
    single_test = evaluation.evaluate(recent_ease().fit(train), train, test, per_user=True)["ndcg@10"]
    print(f"test: {SINGLE} {single_test.mean():.4f}")
    rows.append({"configuration": SINGLE, "stage": "test", "ndcg@10": single_test.mean()})
    for name in dict.fromkeys([best, "package default", best_of_all]):
        mean, paired, seconds = score(CONFIGURATIONS[name], movielens, train, test, single_test)
        rows.append({"configuration": name, "stage": "test", "ndcg@10": mean, "fit s": seconds,
                     **{f"vs single, {key}": value for key, value in paired.items()}})  # fmt: skip
        print(f"test, {name}: {mean:.4f} ({mean / single_test.mean() - 1:+.1%} over the single model), paired "
              f"{paired['mean difference']:+.4f} [{paired['ci low']:+.4f}, {paired['ci high']:+.4f}], "
              f"fit {seconds:.1f} s")
    parameters = {"configurations": list(configurations), "users": int(ratings["user_id"].nunique()),
                  "split": "per-user temporal, latest 20 % (test), then the latest 20 % of training (validation)",
                  "chosen": best, "dataset_specific": sorted(DATASET_SPECIFIC)}  # fmt: skip
    record.write(out, "tune_ranking", args, parameters=parameters, results=rows, checks={})
    return record.exit_status(args, {})

if __name__ == "__main__":
    sys.exit(main())
