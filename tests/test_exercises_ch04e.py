"""Exercise checks of chapter 4e: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checker's helpers.
"""

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.exercises import ch04e
from recsys_tutorial.models import EASE, TwoTower


@pytest.fixture(scope="module")
def cold():
    world = make_synthetic(random_state=0)
    known, new_users = split.new_user_split(world.interactions, test_fraction=0.2, random_state=0)
    onboarding = new_users.sort_values(["timestamp", "item_id"], kind="stable").groupby("user_id").head(5)
    later = new_users.drop(onboarding.index)
    with_onboarding = pd.concat([known, onboarding])
    users, items = world.users[["age_group"]], world.items[["category"]]
    shuffled = users.assign(age_group=np.random.default_rng(0).permutation(users["age_group"].to_numpy()))

    def tower(data, user_features):
        return TwoTower(id_dropout=0.5, n_epochs=4, random_state=0).fit(
            data, user_features=user_features, item_features=items
        )

    models = {
        "features": tower(known, users),
        "shuffled": tower(known, shuffled),
        "tower +5": tower(with_onboarding, users),
        "EASE +5": EASE().fit(with_onboarding),
    }
    return {name: evaluation.evaluate(m, with_onboarding, later, per_user=True)["ndcg@10"] for name, m in models.items()}


def test_blank_answers_reveal_nothing():
    for check in (ch04e.check_1, ch04e.check_2):
        assert check(None).passed is None


def test_exercise_1_a_placebo_feature(cold):
    difference = float((cold["features"] - cold["shuffled"]).mean())
    assert difference > 0
    assert ch04e.check_1(difference).passed is True
    assert "the sign is reversed" in str(ch04e.check_1(-difference))
    assert ch04e.check_1(0.0).passed is False


def test_exercise_2_the_tower_with_five_events_against_ease(cold):
    difference = float((cold["tower +5"] - cold["EASE +5"]).mean())
    assert ch04e.check_2(difference).passed is True
    assert "reversed" in str(ch04e.check_2(-difference))
