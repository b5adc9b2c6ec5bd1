"""Checks for chapter 4d (MovieLens under the temporal protocol; users with no history)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, by_interval, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2", "check_3"]

#: Item2vec as chapter 4d's search chose it under the temporal protocol, and as chapter 4c's chose it
#: under the random one.
TEMPORAL_ITEM2VEC = {"window": 2, "half_life": 3.0, "n_epochs": 5, "learning_rate": 0.01, "random_state": 0}
RANDOM_ITEM2VEC = {"window": 5, "half_life": 1000, "n_epochs": 3, "random_state": 0}
#: EASE as chapter 4d's search chose it.
TEMPORAL_EASE = {"reg": 1000.0, "half_life": 3.0}


@lru_cache(maxsize=1)
def _movielens():
    from ..data import load_movielens_100k

    return load_movielens_100k()


@cache
def _temporal_item2vec(protocol: str):
    """Per-user NDCG@10 on the per-user temporal split of item2vec with the settings tuned under ``protocol``."""
    from .. import evaluation, split
    from ..models import Item2Vec

    train, test = split.per_user_temporal_split(_movielens().interactions, test_fraction=0.2)
    model = Item2Vec(**{"temporal": TEMPORAL_ITEM2VEC, "random": RANDOM_ITEM2VEC}[protocol]).fit(train)
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
    from ..models import EASE, ItemKNN, Popularity

    with_onboarding, later = _cold_start()
    model = {"ItemKNN, +5": ItemKNN(), "Popularity, +5": Popularity(),
             "recent EASE, +5": EASE(**TEMPORAL_EASE)}[name].fit(with_onboarding)
    return evaluation.evaluate(model, with_onboarding, later, per_user=True)["ndcg@10"]


def _paired(a, b):
    from .. import evaluation

    return evaluation.paired_test(a, b)


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference on the temporal split, item2vec tuned for it − tuned for the
    random split."""
    test = _paired(_temporal_item2vec("temporal"), _temporal_item2vec("random"))
    return paired_difference_verdict(
        difference, test, "the board's item2vec", "chapter 4c's",
        conclusion="settings tuned under the random protocol lose under the temporal one." if test["ci low"] > 0
        else "the random protocol's settings do as well here.",
        hint="fit Item2Vec(window=5, half_life=1000, n_epochs=3, random_state=0) on train, evaluate it with "
        "per_user=True, and pass per_user['Item2Vec'] first and its scores second to evaluation.paired_test.",
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, item-kNN − popularity, both with five onboarding ratings."""
    test = _paired(_cold_ndcg("ItemKNN, +5"), _cold_ndcg("Popularity, +5"))
    return paired_difference_verdict(
        difference, test, "item-kNN", "popularity",
        conclusion=by_interval(
            test, "item-kNN beats popularity with five ratings.",
            "item-kNN and popularity cannot be told apart with five ratings.",
            "five ratings are too few for item-kNN too."),
        hint="fit ItemKNN() on with_onboarding, evaluate it with evaluation.evaluate(model, with_onboarding, later, "
        "per_user=True), and pass its scores first and cold_per_user['Popularity, +5'] second to "
        "evaluation.paired_test.",
    )


@exercise
def check_3(difference) -> CheckResult:
    """Exercise 3: paired mean NDCG@10 difference, recency-weighted EASE − popularity, both with five onboarding
    ratings."""
    test = _paired(_cold_ndcg("recent EASE, +5"), _cold_ndcg("Popularity, +5"))
    return paired_difference_verdict(
        difference, test, "recency-weighted EASE", "popularity",
        conclusion=by_interval(
            test, "with five ratings, the board's EASE beats popularity.",
            "with five ratings, this test cannot tell the board's EASE from popularity.",
            "with five ratings, the board's EASE falls below popularity."),
        hint="fit EASE(reg=1000.0, half_life=3.0) on with_onboarding, evaluate it on later with per_user=True, and "
        "pass its scores first and cold_per_user['Popularity, +5'] second to evaluation.paired_test.",
    )
