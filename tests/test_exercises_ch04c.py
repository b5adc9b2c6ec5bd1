"""Exercise checks of chapter 4c: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checker's helpers.
"""

import pytest

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.exercises import ch04c
from recsys_tutorial.models import Item2Vec, MatrixFactorization


@pytest.fixture(scope="module")
def per_user():
    movielens = load_movielens_100k()
    train, test = split.per_user_random_split(movielens.interactions, test_fraction=0.25, random_state=0)
    models = {
        "MF (BPR)": MatrixFactorization(learning_rate=0.005, random_state=0),
        "uniform": MatrixFactorization(learning_rate=0.005, exclude_positives=False, random_state=0),
        "Item2Vec": Item2Vec(window=5, half_life=1000, n_epochs=3, random_state=0),
        "short memory": Item2Vec(window=5, half_life=10, n_epochs=3, random_state=0),
    }
    return {name: evaluation.evaluate(m.fit(train), train, test, per_user=True)["ndcg@10"] for name, m in models.items()}


def test_blank_answers_reveal_nothing():
    for check in (ch04c.check_1, ch04c.check_2):
        assert check(None).passed is None


def test_exercise_1_what_the_redrawn_negatives_are_worth(per_user):
    difference = float((per_user["MF (BPR)"] - per_user["uniform"]).mean())
    assert difference > 0
    assert ch04c.check_1(difference).passed is True
    assert "the sign is reversed" in str(ch04c.check_1(-difference))
    assert ch04c.check_1(difference + 0.05).passed is False
    assert ch04c.check_1("some").passed is False


def test_exercise_2_item2vec_memory_under_a_random_split(per_user):
    difference = float((per_user["Item2Vec"] - per_user["short memory"]).mean())
    assert difference > 0
    assert ch04c.check_2(difference).passed is True
    assert "reversed" in str(ch04c.check_2(-difference))
    assert "half_life=10" in str(ch04c.check_2(difference / 2))
