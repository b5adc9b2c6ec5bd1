"""Exercise checks of chapter 4d: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checker's helpers.
"""

import pandas as pd
import pytest

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.exercises import ch04d
from recsys_tutorial.models import Item2Vec, ItemKNN, Popularity


@pytest.fixture(scope="module")
def movielens():
    return load_movielens_100k()


def test_blank_answers_reveal_nothing():
    for check in (ch04d.check_1, ch04d.check_2):
        assert check(None).passed is None


def test_exercise_1_the_temporal_protocol_wants_a_short_memory(movielens):
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    scores = {
        half_life: evaluation.evaluate(
            Item2Vec(window=5, half_life=half_life, n_epochs=3, random_state=0).fit(train), train, test, per_user=True
        )["ndcg@10"]
        for half_life in (10, 1000)
    }
    difference = float((scores[10] - scores[1000]).mean())
    assert ch04d.check_1(difference).passed is True
    assert "the sign is reversed" in str(ch04d.check_1(-difference))
    assert ch04d.check_1(difference * 2).passed is False


def test_exercise_2_item_knn_with_five_onboarding_ratings(movielens):
    known, new_users = split.new_user_split(movielens.interactions, test_fraction=0.2, random_state=0)
    onboarding = new_users.sort_values(["timestamp", "item_id"], kind="stable").groupby("user_id").head(5)
    later = new_users.drop(onboarding.index)
    with_onboarding = pd.concat([known, onboarding])
    knn, popularity = (
        evaluation.evaluate(m.fit(with_onboarding), with_onboarding, later, per_user=True)["ndcg@10"]
        for m in (ItemKNN(), Popularity())
    )
    difference = float((knn - popularity).mean())
    assert ch04d.check_2(difference).passed is True
    assert "reversed" in str(ch04d.check_2(-difference))
    assert ch04d.check_2("none").passed is False
