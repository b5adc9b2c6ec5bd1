"""Checks for chapter 4 (embedding models)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

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


@exercise
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
    verdict = numeric_verdict(value, expected, "the bias-only RMSE", explain="The item bias alone removes much "
                              "of the global mean's error; the factors of the MSE model take it the rest of the way.")
    if verdict is not None:
        return verdict
    if close(value, expected**2):
        return wrong("that is the mean squared error; take its square root.")
    if close(value, float(np.sqrt(np.mean((test["rating"] - mu) ** 2)))):
        return wrong("that is the global-mean model's RMSE; add each item's bias b_i.")
    return wrong("b_i is the mean of (rating − μ) over the item's *training* ratings; predict μ + b_i on "
                 "the test pairs, 0 bias for unseen items.")


@lru_cache(maxsize=1)
def _world_als():
    from ..models import ALS

    train, _ = _synthetic_split()
    return ALS(random_state=0).fit(train)


@exercise
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


ALPHAS = (1, 3, 10, 30)


@lru_cache(maxsize=1)
def _validation_per_user():
    from .. import evaluation, split
    from ..models import ALS

    train, _ = _synthetic_split()
    fit_part, validation = split.temporal_split(train, test_fraction=0.1)
    return {
        a: evaluation.evaluate(ALS(alpha=a, random_state=0).fit(fit_part), fit_part, validation, per_user=True)[
            "ndcg@10"
        ]
        for a in ALPHAS
    }


@exercise
def check_3(alphas_within_noise) -> CheckResult:
    """Exercise 3: the values of alpha whose validation NDCG@10 is not significantly below the best."""
    if isinstance(alphas_within_noise, str | bytes):  # "10" would read as {1, 0}
        return wrong("expected a set of alpha values (numbers), such as {1, 30}, not text.")
    try:
        answer = {float(a) for a in alphas_within_noise}
    except (TypeError, ValueError):
        return wrong("expected a set of alpha values, such as {1, 30}.")
    if not answer <= set(ALPHAS):
        return wrong(f"choose among {', '.join(map(str, ALPHAS))}; got {sorted(answer)}.")
    from .. import evaluation

    per_user = _validation_per_user()
    best = max(ALPHAS, key=lambda a: per_user[a].mean())
    p_values = {a: evaluation.paired_test(per_user[best], per_user[a])["p-value"] for a in ALPHAS if a != best}
    expected = {best} | {a for a, p in p_values.items() if p >= 0.05}
    if answer == expected:
        table = ", ".join(f"α={a}: {per_user[a].mean():.4f}" for a in ALPHAS)
        return correct(f"{sorted(expected)}: validation NDCG@10 {table}. The best and the runner-up differ by less "
                       "than the noise, so the data cannot choose between them; pick either (or the cheaper, "
                       "more regularised one) and refit on all of train before the single test evaluation.")
    if answer == {best}:
        return wrong("the best value is in the set, but so is every value a paired test cannot tell from it "
                     "(p ≥ 0.05). Compare each alpha with the best on the same validation users.")
    if best not in answer:
        return wrong("the set must contain the best alpha itself (the highest mean validation NDCG@10). Did you "
                     "score on the test split? Tuning on test makes the final test score optimistic.")
    return wrong("run evaluation.paired_test(best, other) on the per-user validation NDCG@10 "
                 "(evaluate(..., per_user=True)) and keep the alphas with p ≥ 0.05, plus the best.")
