"""Checks for chapter 6 (evaluation metrics).

Exercises 2 and 3 use the chapter's MovieLens-100K protocol: per user, a random 25 % of the
ratings held out (`split.per_user_random_split`, ``random_state=0``), EASE (``reg=500``) and
ItemKNN (defaults) trained on the rest, seen items excluded.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.stats

from . import CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

# Exercise 1: the list, and the graded relevance of the items (item 5 was not recommended).
RECOMMENDED = [7, 1, 9, 4, 2]
GRADES = {9: 3, 2: 1, 5: 2}


def _ndcg(grades_in_list, ideal_grades, gain=lambda g: g) -> float:
    discount = 1 / np.log2(np.arange(2, 7))
    dcg = np.array([gain(g) for g in grades_in_list]) @ discount
    ideal = np.array([gain(g) for g in ideal_grades]) @ discount
    return float(dcg / ideal)


@exercise
def check_1(ndcg) -> CheckResult:
    """Exercise 1: NDCG@5 of [7, 1, 9, 4, 2] against graded relevance {9: 3, 2: 1, 5: 2}."""
    in_list = [GRADES.get(item, 0) for item in RECOMMENDED]  # 0, 0, 3, 0, 1
    ideal = sorted(GRADES.values(), reverse=True) + [0, 0]  # 3, 2, 1, 0, 0
    expected = _ndcg(in_list, ideal)
    verdict = numeric_verdict(ndcg, expected, "NDCG@5",
                              explain="The ideal list holds every relevant item, including item 5 that the "
                                      "list missed, so missing it costs NDCG.")  # fmt: skip
    if verdict is not None:
        return verdict
    value = as_number(ndcg, "NDCG@5")
    if close(value, _ndcg(in_list, [3, 1, 0, 0, 0])):
        return wrong("the ideal list must use *all* relevant items, including item 5 that was not recommended: "
                     "ideal gains 3, 2, 1.")
    binary = [1 if g else 0 for g in in_list]
    if close(value, _ndcg(binary, [1, 1, 1, 0, 0])) or close(value, _ndcg(in_list, [1, 1, 1, 0, 0])):
        return wrong("that treats relevance as binary somewhere; use the grades (3 for item 9, 1 for item 2, 2 for "
                     "item 5) as gains, in the list and in the ideal list alike.")
    if close(value, _ndcg(in_list, ideal, gain=lambda g: 2**g - 1)):
        return wrong("that uses exponential gains 2^rel − 1; the book (like scikit-learn) uses linear gains.")
    if not 0 <= value <= 1:
        return wrong(f"NDCG lies between 0 and 1; got {value:g}.")
    return wrong("DCG = Σ rel_j / log2(j + 1) over ranks j = 1..5; divide by the DCG of the ideal order 3, 2, 1.")


@lru_cache(maxsize=1)
def _movielens():
    from .. import evaluation, split
    from ..data import load_movielens_100k
    from ..models import EASE, ItemKNN

    interactions = load_movielens_100k().interactions
    train, test = split.per_user_random_split(interactions, test_fraction=0.25, random_state=0)
    models = {"EASE": EASE(reg=500.0).fit(train), "ItemKNN": ItemKNN().fit(train)}
    return evaluation, train, test, models


@lru_cache(maxsize=1)
def _knn_cutoff() -> tuple[int, float, dict]:
    """The first k at which ItemKNN's recall@k reaches EASE's recall@10, that target, and the curve."""
    evaluation, train, test, models = _movielens()
    target = float(evaluation.evaluate(models["EASE"], train, test, k=10)["recall@10"])
    recall = evaluation.metrics_at_cutoffs(models["ItemKNN"], train, test, max_k=100)["recall"]
    reached = recall.index[recall >= target]
    if len(reached) == 0:  # the data would have to change a lot; say so rather than guess
        raise RuntimeError("ItemKNN's recall@k does not reach EASE's recall@10 within k = 100")
    return int(reached[0]), target, recall.to_dict()


@exercise
def check_2(k) -> CheckResult:
    """Exercise 2: the smallest k at which ItemKNN's recall@k reaches EASE's recall@10 (MovieLens)."""
    value = as_number(k, "a cut-off k")
    if isinstance(value, CheckResult):
        return value
    expected, target, recall = _knn_cutoff()
    if value != int(value) or value < 1:
        return wrong("k counts list positions: a whole number from 1.")
    value = int(value)
    if value == expected:
        return correct(f"k = {expected}: ItemKNN needs a list of {expected} to find, on average, the share of a "
                       f"user's held-out films (recall {target:.4f}) that EASE finds in 10. Another way to say "
                       "'EASE is better': it reaches the same recall with shorter lists.")  # fmt: skip
    if value == expected - 1:
        return wrong(f"at k = {value} ItemKNN's recall is {recall[value]:.4f}, still below EASE's recall@10; "
                     "an index that starts at 0 is one short.")
    if value == 10:
        return wrong("at k = 10 ItemKNN's recall is below EASE's (the leaderboard shows it); look for the k "
                     "at which ItemKNN catches up.")
    if value < expected:
        return wrong(f"at k = {value} ItemKNN's recall is {recall[value]:.4f}, below EASE's recall@10.")
    return wrong("ItemKNN has reached EASE's recall@10 at that k, but already at a smaller one: find the first "
                 "k (evaluation.metrics_at_cutoffs gives recall at every k in one call).")


@lru_cache(maxsize=1)
def _intervals() -> dict[str, tuple[float, float]]:
    """The paired 95 % intervals of EASE − ItemKNN NDCG@10 (t and bootstrap), and typical slips."""
    evaluation, train, test, models = _movielens()
    ease, knn = (evaluation.evaluate(models[name], train, test, per_user=True)["ndcg@10"]
                 for name in ("EASE", "ItemKNN"))
    diff = ease - knn
    _, low, high = evaluation.confidence_interval(diff)
    boot = evaluation.paired_test(ease, knn)
    z = scipy.stats.norm.ppf(0.975)
    unpaired = z * np.sqrt(ease.var(ddof=1) / len(ease) + knn.var(ddof=1) / len(knn))
    return {
        "paired t": (low, high),
        "paired bootstrap": (float(boot["ci low"]), float(boot["ci high"])),
        "reversed": (-high, -low),
        "unpaired": (diff.mean() - unpaired, diff.mean() + unpaired),
        "EASE alone": evaluation.confidence_interval(ease)[1:],
    }


def _as_pair(answer) -> tuple[float, float] | CheckResult:
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != 2:
        return wrong(f"expected the interval as a pair of numbers (low, high), got {answer!r:.60}")
    numbers = [as_number(end, "each end of the interval") for end in answer]
    for number in numbers:
        if isinstance(number, CheckResult):
            return number
    return numbers[0], numbers[1]


@exercise
def check_3(interval) -> CheckResult:
    """Exercise 3: the paired 95 % interval of EASE − ItemKNN NDCG@10 on MovieLens-100K."""
    pair = _as_pair(interval)
    if isinstance(pair, CheckResult):
        return pair
    low, high = pair
    intervals = _intervals()

    def matches(name):
        return close(low, intervals[name][0]) and close(high, intervals[name][1])

    t_low, t_high = intervals["paired t"]
    if matches("paired t") or matches("paired bootstrap"):
        return correct(f"EASE − ItemKNN NDCG@10 lies in [{t_low:.4f}, {t_high:.4f}] (paired t; the paired "
                       "bootstrap agrees). It is far from zero: on MovieLens EASE is clearly better than "
                       "ItemKNN, user for user.")  # fmt: skip
    if matches("reversed"):
        return wrong("that is the interval of ItemKNN − EASE; the exercise asks for EASE − ItemKNN.")
    if matches("unpaired"):
        return wrong("that interval treats the two models' users as independent samples; the same users score "
                     "both models, so take the per-user differences first and give their interval.")
    if matches("EASE alone"):
        return wrong("that is the interval of EASE's NDCG@10 alone; the exercise asks about the difference "
                     "EASE − ItemKNN, user by user.")
    if low > high:
        return wrong("give the interval as (low, high), the lower end first.")
    return wrong("subtract ItemKNN's per-user NDCG@10 from EASE's (evaluate(..., per_user=True), same users), "
                 "then take the 95 % t-interval of those differences (evaluation.confidence_interval).")
