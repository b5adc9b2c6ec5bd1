"""Checks for chapter 6 (evaluation metrics)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]


def check_1(ndcg) -> CheckResult:
    """Exercise 1: NDCG@5 of [7, 1, 9, 4, 2] against graded relevance {9: 3, 2: 1, 5: 2}."""
    value = as_number(ndcg, "NDCG@5")
    if isinstance(value, CheckResult):
        return value
    discount = 1 / np.log2(np.arange(2, 7))
    dcg = 3 * discount[2] + 1 * discount[4]
    expected = dcg / (np.array([3, 2, 1, 0, 0]) @ discount)
    if close(value, expected, rtol=1e-6):
        return correct(f"NDCG@5 = {dcg:.4f} / {np.array([3, 2, 1, 0, 0]) @ discount:.4f} = {expected:.4f}.")
    if close(value, dcg / (np.array([3, 1, 0, 0, 0]) @ discount), rtol=1e-6):
        return wrong("the ideal list must use *all* relevant items, including item 5 that was not recommended: "
                     "ideal gains 3, 2, 1.")
    if close(value, dcg / (np.array([1, 1, 1, 0, 0]) @ discount), rtol=1e-6) or close(
        value, (discount[2] + discount[4]) / discount[:3].sum(), rtol=1e-6
    ):
        return wrong("that treats relevance as binary; use the grades (3 for item 9, 1 for item 2) as gains.")
    exponential = ((2**3 - 1) * discount[2] + (2**1 - 1) * discount[4]) / (np.array([7, 3, 1, 0, 0]) @ discount)
    if close(value, exponential, rtol=1e-6):
        return wrong("that uses exponential gains 2^rel − 1; the book (like scikit-learn) uses linear gains.")
    return wrong("DCG = Σ rel_j / log2(j + 1) over ranks j = 1..5; divide by the DCG of the ideal order 3, 2, 1.")


def check_2(hit_rate) -> CheckResult:
    """Exercise 2: expected hit rate@10 of a random ranker with 100 sampled negatives."""
    value = as_number(hit_rate, "the expected hit rate")
    if isinstance(value, CheckResult):
        return value
    if close(value, 10 / 101, rtol=1e-3):
        return correct("10/101 ≈ 0.099: the target is equally likely to land at any of 101 positions. Any "
                       "model must be judged against that floor, not against 0.")
    if close(value, 0.1, rtol=1e-6):
        return wrong("almost: there are 101 candidates (the target plus 100 negatives), not 100.")
    return wrong("the target and the 100 negatives are shuffled uniformly: what is the chance the target "
                 "lands in the top 10 of 101?")


@lru_cache(maxsize=1)
def _ease_half_width() -> float:
    from .. import evaluation, split
    from ..data import load_movielens_100k
    from ..models import EASE

    interactions = load_movielens_100k().interactions
    train, test = split.per_user_random_split(interactions, test_fraction=0.25, random_state=0)
    per_user = evaluation.evaluate(EASE(reg=500.0).fit(train), train, test, per_user=True)
    _, low, high = evaluation.confidence_interval(per_user["ndcg@10"])
    return (high - low) / 2


def check_3(half_width) -> CheckResult:
    """Exercise 3: half-width of the 95 % interval of EASE's NDCG@10 on MovieLens-100K."""
    value = as_number(half_width, "the half-width")
    if isinstance(value, CheckResult):
        return value
    expected = _ease_half_width()
    if close(value, expected, rtol=5e-3):  # the normal quantile 1.96 is as good as t's 1.9625 here
        return correct(f"±{expected:.4f}: with 943 users the mean is known to about ±{expected:.2f}.")
    if close(value, 2 * expected, rtol=5e-3):
        return wrong("that is the full width (high − low); the half-width is half of it.")
    if close(value, expected / 1.96 * np.sqrt(943) / 1.0, rtol=0.02):
        return wrong("that looks like the standard deviation of the per-user values; divide by √n for the "
                     "standard error, then multiply by the t (≈ 1.96) quantile.")
    return wrong("take the per-user NDCG@10 values from evaluate(..., per_user=True) and use "
                 "evaluation.confidence_interval, or 1.96 · std / √n.")
