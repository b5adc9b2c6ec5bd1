"""Exercise checks of chapter 4b: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checker's helpers.
"""

import pytest

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.exercises import ch04b
from recsys_tutorial.models import Item2Vec, LightGCN, SASRec


@pytest.fixture(scope="module")
def per_user():
    train, test = split.per_user_temporal_split(make_synthetic(random_state=0).interactions, test_fraction=0.2)
    models = {
        "SASRec": SASRec(max_len=20, n_epochs=5, learning_rate=0.02, random_state=0),
        "Item2Vec": Item2Vec(n_epochs=3, random_state=0),
        "recent": Item2Vec(half_life=1, n_epochs=3, random_state=0),
        "LightGCN": LightGCN(n_epochs=20, random_state=0),
        "flat": LightGCN(n_layers=0, n_epochs=20, random_state=0),
    }
    return {name: evaluation.evaluate(m.fit(train), train, test, per_user=True)["ndcg@10"] for name, m in models.items()}


def test_blank_answers_reveal_nothing():
    for check in (ch04b.check_1, ch04b.check_2):
        assert check(None).passed is None


def test_exercise_1_sasrec_against_recency_weighted_item2vec(per_user):
    difference = float((per_user["SASRec"] - per_user["recent"]).mean())
    assert ch04b.check_1(difference).passed is True
    assert ch04b.check_1(-difference).passed is False
    assert "the sign is reversed" in str(ch04b.check_1(-difference))
    default = float((per_user["SASRec"] - per_user["Item2Vec"]).mean())
    assert "half-life 10" in str(ch04b.check_1(default))
    assert ch04b.check_1("a lot").passed is False


def test_exercise_2_what_the_layers_buy(per_user):
    difference = float((per_user["LightGCN"] - per_user["flat"]).mean())
    assert ch04b.check_2(difference).passed is True
    assert "reversed" in str(ch04b.check_2(-difference))
    assert ch04b.check_2(difference + 0.05).passed is False
