"""Exercise checks of chapter 4d, on hand-made per-user scores: each answer, its verdict, its feedback.

Each check compares two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py). That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04d

ITEM2VEC_BY_HALF_LIFE = {10: per_user_scores(0.12, seed=0), 1000: per_user_scores(0.09, seed=1)}
NEW_USERS = {"ItemKNN, +5": per_user_scores(0.15, seed=2), "Popularity, +5": per_user_scores(0.11, seed=3)}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores, which a test may change before it calls a check."""
    return (serve_per_user(monkeypatch, ch04d, "_temporal_item2vec", ITEM2VEC_BY_HALF_LIFE),
            serve_per_user(monkeypatch, ch04d, "_cold_ndcg", NEW_USERS))


# ---------------------------------------------------------------------------------------------
# 1) Item2vec with half-life 10 − the chapter's (1,000), temporal split

SHORT_MEMORY_GAIN = mean_difference(ITEM2VEC_BY_HALF_LIFE, 10, 1000)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(SHORT_MEMORY_GAIN, True, "under the temporal protocol a short memory helps", id="right"),
        pytest.param(-SHORT_MEMORY_GAIN, False, "the sign is reversed: the half-life-10 model minus the chapter's "
                     "item2vec", id="reversed"),
        pytest.param(2 * SHORT_MEMORY_GAIN, False, "pass its scores first and per_user['Item2Vec'] second",
                     id="anything else"),
        pytest.param("0.03", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_the_temporal_protocol_wants_a_short_memory(per_user, answer, passed, feedback):
    assert_verdict(ch04d.check_1(answer), passed, feedback)


def test_check_1_says_when_the_protocol_has_no_clear_preference(per_user):
    item2vec, _ = per_user
    item2vec[10] = per_user_scores(0.09, seed=0)
    assert_verdict(ch04d.check_1(mean_difference(item2vec, 10, 1000)), True,
                   "the temporal protocol does not clearly prefer a short memory.")


# ---------------------------------------------------------------------------------------------
# 2) Item-kNN − popularity, both with five onboarding ratings


def knn_gain(new_users) -> float:
    return mean_difference(new_users, "ItemKNN, +5", "Popularity, +5")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(knn_gain(NEW_USERS), True, "item-kNN beats popularity with five ratings.", id="right"),
        pytest.param(-knn_gain(NEW_USERS), False, "the sign is reversed: item-kNN minus popularity", id="reversed"),
        pytest.param(0.5, False, "fit ItemKNN() on with_onboarding", id="anything else"),
        pytest.param("none", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_item_knn_with_five_onboarding_ratings(per_user, answer, passed, feedback):
    assert_verdict(ch04d.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("popularity", "conclusion"),
    [
        pytest.param(per_user_scores(0.11, seed=3), "item-kNN beats popularity with five ratings.",
                     id="item-kNN ahead"),
        pytest.param(per_user_scores(0.15, seed=3), "item-kNN and popularity cannot be told apart", id="a tie"),
        pytest.param(per_user_scores(0.19, seed=3), "five ratings are too few for item-kNN too.",
                     id="popularity ahead"),
    ],
)
def test_check_2_concludes_from_the_interval(per_user, popularity, conclusion):
    _, new_users = per_user
    new_users["Popularity, +5"] = popularity
    assert_verdict(ch04d.check_2(knn_gain(new_users)), True, conclusion)
