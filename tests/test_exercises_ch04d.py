"""Exercise checks of chapter 4d, on hand-made per-user scores: each answer, its verdict, its feedback.

Each check compares two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py). That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04d

ITEM2VEC_BY_PROTOCOL = {"temporal": per_user_scores(0.12, seed=0), "random": per_user_scores(0.09, seed=1)}
NEW_USERS = {"ItemKNN, +5": per_user_scores(0.15, seed=2), "Popularity, +5": per_user_scores(0.11, seed=3),
             "recent EASE, +5": per_user_scores(0.13, seed=4)}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores, which a test may change before it calls a check."""
    return (serve_per_user(monkeypatch, ch04d, "_temporal_item2vec", ITEM2VEC_BY_PROTOCOL),
            serve_per_user(monkeypatch, ch04d, "_cold_ndcg", NEW_USERS))


# ---------------------------------------------------------------------------------------------
# 1) Item2vec tuned for the temporal protocol − tuned for the random one, temporal split

TUNING_GAIN = mean_difference(ITEM2VEC_BY_PROTOCOL, "temporal", "random")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(TUNING_GAIN, True, "settings tuned under the random protocol lose under the temporal one",
                     id="right"),
        pytest.param(-TUNING_GAIN, False, "the sign is reversed: the board's item2vec minus chapter 4c's",
                     id="reversed"),
        pytest.param(2 * TUNING_GAIN, False, "pass per_user['Item2Vec'] first and its scores second",
                     id="anything else"),
        pytest.param("0.03", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_settings_tuned_under_another_protocol_lose(per_user, answer, passed, feedback):
    assert_verdict(ch04d.check_1(answer), passed, feedback)


def test_check_1_says_when_the_random_settings_do_as_well(per_user):
    item2vec, _ = per_user
    item2vec["temporal"] = per_user_scores(0.09, seed=0)
    assert_verdict(ch04d.check_1(mean_difference(item2vec, "temporal", "random")), True,
                   "the random protocol's settings do as well here.")


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


# ---------------------------------------------------------------------------------------------
# 3) Recency-weighted EASE − popularity, both with five onboarding ratings


@pytest.mark.parametrize(
    ("ease_mean", "conclusion"),
    [
        pytest.param(0.13, "the board's EASE beats popularity.", id="EASE ahead"),
        pytest.param(0.11, "this test cannot tell the board's EASE from popularity.", id="a tie"),
        pytest.param(0.09, "the board's EASE falls below popularity.", id="popularity ahead"),
    ],
)
def test_check_3_concludes_from_the_interval(per_user, ease_mean, conclusion):
    _, new_users = per_user
    new_users["recent EASE, +5"] = per_user_scores(ease_mean, seed=4)
    answer = mean_difference(new_users, "recent EASE, +5", "Popularity, +5")
    assert_verdict(ch04d.check_3(answer), True, conclusion)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(-0.02, False, "the sign is reversed", id="reversed"),
        pytest.param(0.5, False, "fit EASE(reg=1000.0, half_life=3.0) on with_onboarding", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_wrong_answers(per_user, answer, passed, feedback):
    assert_verdict(ch04d.check_3(answer), passed, feedback)
