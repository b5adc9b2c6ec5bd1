"""Checks for chapter 4e (the synthetic world: random protocol; new users)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2"]


@lru_cache(maxsize=1)
def _cold_start():
    """The chapter's new-user split of the synthetic world: known users, onboarding, later events."""
    import pandas as pd

    from .. import split
    from ..data import make_synthetic

    world = make_synthetic(random_state=0)
    known, new_users = split.new_user_split(world.interactions, test_fraction=0.2, random_state=0)
    onboarding = new_users.sort_values(["timestamp", "item_id"], kind="stable").groupby("user_id").head(5)
    return world, known, pd.concat([known, onboarding]), new_users.drop(onboarding.index)


@cache
def _cold_ndcg(name: str):
    """Per-user NDCG@10 on the new users' later events."""
    import numpy as np

    from .. import evaluation
    from ..models import EASE, TwoTower

    world, known, with_onboarding, later = _cold_start()
    user_features, item_features = world.users[["age_group"]], world.items[["category"]]
    if name == "shuffled":
        shuffled = np.random.default_rng(0).permutation(user_features["age_group"].to_numpy())
        user_features = user_features.assign(age_group=shuffled)
    tower = lambda: TwoTower(id_dropout=0.5, n_epochs=4, random_state=0)  # noqa: E731
    model = {
        "TwoTower, features": lambda: tower().fit(known, user_features=user_features, item_features=item_features),
        "shuffled": lambda: tower().fit(known, user_features=user_features, item_features=item_features),
        "TwoTower, +5": lambda: tower().fit(with_onboarding, user_features=user_features, item_features=item_features),
        "EASE, +5": lambda: EASE().fit(with_onboarding),
    }[name]()
    return evaluation.evaluate(model, with_onboarding, later, per_user=True)["ndcg@10"]


def _paired(a: str, b: str):
    from .. import evaluation

    return evaluation.paired_test(_cold_ndcg(a), _cold_ndcg(b))


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, the feature tower − the same tower with shuffled age groups."""
    test = _paired("TwoTower, features", "shuffled")
    return paired_difference_verdict(
        difference, test, "the chapter's tower", "the shuffled one",
        conclusion="the gain came from the age group itself." if test["ci low"] > 0
        else "shuffling the age group costs nothing this split can detect.",
        hint="permute user_features['age_group'] with np.random.default_rng(0).permutation, fit "
        "TwoTower(id_dropout=0.5, n_epochs=4, random_state=0) on known with the shuffled features, evaluate it with "
        "evaluation.evaluate(model, with_onboarding, later, per_user=True), and pass "
        "cold_per_user['TwoTower, features'] first to evaluation.paired_test.",
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, the two-tower with onboarding − EASE with onboarding."""
    test = _paired("TwoTower, +5", "EASE, +5")
    return paired_difference_verdict(
        difference, test, "the two-tower", "EASE",
        conclusion="the tower, now with five events, beats EASE." if test["ci low"] > 0
        else "EASE still leads once the users have five events." if test["ci high"] < 0
        else "the two cannot be told apart.",
        hint="fit TwoTower(id_dropout=0.5, n_epochs=4, random_state=0) on with_onboarding (with the user and item "
        "features), evaluate it on later as in the chapter, and pass its scores first and "
        "cold_per_user['EASE, +5'] second to evaluation.paired_test.",
    )
