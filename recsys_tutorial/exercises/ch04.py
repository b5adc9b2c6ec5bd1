"""Checks for chapter 4 (embedding models)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]


@lru_cache(maxsize=1)
def _movielens_split():
    from .. import split
    from ..data import load_movielens_100k

    return split.per_user_random_split(load_movielens_100k().interactions, test_fraction=0.25, random_state=0)


@lru_cache(maxsize=1)
def _synthetic_split():
    from .. import split
    from ..data import make_synthetic

    return split.temporal_split(make_synthetic(random_state=0).interactions, test_fraction=0.2)


def check_1(rmse) -> CheckResult:
    """Exercise 1: test RMSE of the bias-only model μ + b_i on the MovieLens split."""
    value = as_number(rmse, "the RMSE")
    if isinstance(value, CheckResult):
        return value
    train, test = _movielens_split()
    mu = train["rating"].mean()
    bias = (train["rating"] - mu).groupby(train["item_id"]).mean()
    predicted = mu + test["item_id"].map(bias).fillna(0.0)
    expected = float(np.sqrt(np.mean((test["rating"] - predicted) ** 2)))
    if close(value, expected, rtol=1e-6):
        return correct(f"RMSE {expected:.4f}: the item bias alone removes much of the global mean's error; "
                       "the factors of the MSE model take it the rest of the way.")
    if close(value, expected**2, rtol=1e-6):
        return wrong("that is the mean squared error; take its square root.")
    if close(value, float(np.sqrt(np.mean((test["rating"] - mu) ** 2))), rtol=1e-6):
        return wrong("that is the global-mean model's RMSE; add each item's bias b_i.")
    return wrong("b_i is the mean of (rating − μ) over the item's *training* ratings; predict μ + b_i on "
                 "the test pairs, 0 bias for unseen items.")


@lru_cache(maxsize=1)
def _world_als():
    from ..models import ALS

    train, _ = _synthetic_split()
    return ALS(random_state=0).fit(train)


def check_2(item_id) -> CheckResult:
    """Exercise 2: the nearest item (cosine) to item 0 in the synthetic world's ALS vectors."""
    value = as_number(item_id, "an item id")
    if isinstance(value, CheckResult):
        return value
    vectors = _world_als().item_embeddings()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit[0]
    similarity[0] = -np.inf
    expected = int(np.argmax(similarity))
    if value == expected:
        return correct(f"item {expected}, at cosine similarity {similarity[expected]:.3f}.")
    if value == 0:
        return wrong("item 0 is always its own nearest neighbour; exclude it.")
    dots = vectors @ vectors[0]
    dots[0] = -np.inf
    if value == int(np.argmax(dots)):
        return wrong("that is the largest dot product; cosine similarity divides by both vectors' lengths.")
    return wrong("normalise every vector to unit length, take dot products with item 0's, and pick the largest.")


@lru_cache(maxsize=1)
def _validation_scores():
    from .. import evaluation, split
    from ..models import ALS

    train, _ = _synthetic_split()
    fit_part, validation = split.temporal_split(train, test_fraction=0.1)
    return {
        a: evaluation.evaluate(ALS(alpha=a, random_state=0).fit(fit_part), fit_part, validation)["ndcg@10"]
        for a in (1, 3, 10, 30)
    }


def check_3(best_alpha) -> CheckResult:
    """Exercise 3: the alpha with the best validation NDCG@10."""
    value = as_number(best_alpha, "a value of alpha")
    if isinstance(value, CheckResult):
        return value
    scores = _validation_scores()
    expected = max(scores, key=scores.get)
    table = ", ".join(f"{a}: {s:.4f}" for a, s in scores.items())
    if value == expected:
        return correct(f"alpha = {expected} (validation NDCG@10 {table}). Refit on all of train with it "
                       "before the one final test evaluation.")
    if value not in scores:
        return wrong(f"choose among 1, 3, 10 and 30; got {value}.")
    return wrong(f"not on this validation split ({table}). Did you score on the test set instead? "
                 "Tuning on test makes the final test score optimistic.")
