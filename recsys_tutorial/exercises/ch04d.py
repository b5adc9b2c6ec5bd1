"""Checks for chapter 4d (MovieLens under the temporal protocol; users with no history)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2"]

CHAPTER_ITEM2VEC = {"window": 5, "half_life": 1000, "n_epochs": 3, "random_state": 0}


@lru_cache(maxsize=1)
def _movielens():
    from ..data import load_movielens_100k

    return load_movielens_100k()


@cache
def _temporal_item2vec(half_life: float):
    """Per-user NDCG@10 of the chapter's item2vec with ``half_life``, on the per-user temporal split."""
    from .. import evaluation, split
    from ..models import Item2Vec

    train, test = split.per_user_temporal_split(_movielens().interactions, test_fraction=0.2)
    model = Item2Vec(**{**CHAPTER_ITEM2VEC, "half_life": half_life}).fit(train)
    return evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]


@lru_cache(maxsize=1)
def _cold_start():
    """The chapter's new-user split: the known users' ratings with the new users' onboarding ratings
    (their first five), and the new users' later ratings."""
    import pandas as pd

    from .. import split

    known, new_users = split.new_user_split(_movielens().interactions, test_fraction=0.2, random_state=0)
    onboarding = new_users.sort_values(["timestamp", "item_id"], kind="stable").groupby("user_id").head(5)
    return pd.concat([known, onboarding]), new_users.drop(onboarding.index)


@cache
def _cold_ndcg(name: str):
    """Per-user NDCG@10 on the new users' later ratings of a model refitted with their onboarding."""
    from .. import evaluation
    from ..models import ItemKNN, Popularity

    with_onboarding, later = _cold_start()
    model = {"ItemKNN, +5": ItemKNN, "Popularity, +5": Popularity}[name]().fit(with_onboarding)
    return evaluation.evaluate(model, with_onboarding, later, per_user=True)["ndcg@10"]


def _paired(a, b):
    from .. import evaluation

    return evaluation.paired_test(a, b)


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, Item2Vec(half_life=10) − the chapter's (1,000), temporal split."""
    test = _paired(_temporal_item2vec(10), _temporal_item2vec(1000))
    return paired_difference_verdict(
        difference, test, "the half-life-10 model", "the chapter's item2vec",
        conclusion="under the temporal protocol a short memory helps, the opposite of the random split's choice."
        if test["ci low"] > 0 else "the temporal protocol does not clearly prefer a short memory.",
        hint="fit Item2Vec(window=5, half_life=10, n_epochs=3, random_state=0) on train, evaluate it with "
        "per_user=True, and pass its scores first and per_user['Item2Vec'] second to evaluation.paired_test.",
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, item-kNN − popularity, both with five onboarding ratings."""
    test = _paired(_cold_ndcg("ItemKNN, +5"), _cold_ndcg("Popularity, +5"))
    return paired_difference_verdict(
        difference, test, "item-kNN", "popularity",
        conclusion="item-kNN beats popularity with five ratings." if test["ci low"] > 0
        else "five ratings are too few for item-kNN too." if test["ci high"] < 0
        else "item-kNN and popularity cannot be told apart with five ratings.",
        hint="fit ItemKNN() on with_onboarding, evaluate it with evaluation.evaluate(model, with_onboarding, later, "
        "per_user=True), and pass its scores first and cold_per_user['Popularity, +5'] second to "
        "evaluation.paired_test.",
    )
