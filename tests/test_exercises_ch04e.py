"""Exercise checks of chapter 4e, on hand-made per-user scores: each answer, its verdict, its feedback.

Each check compares two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py). That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04e

CHAPTER = {
    "TwoTower, features": per_user_scores(0.10, seed=0),
    "shuffled": per_user_scores(0.07, seed=1),
    "TwoTower, +5": per_user_scores(0.16, seed=2),
    "EASE, +5": per_user_scores(0.19, seed=3),
}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores: CHAPTER, which a test may change before it calls a check."""
    return serve_per_user(monkeypatch, ch04e, "_cold_ndcg", CHAPTER)


# ---------------------------------------------------------------------------------------------
# 1) The feature tower − the same tower with the age groups shuffled (a placebo)

PLACEBO_GAP = mean_difference(CHAPTER, "TwoTower, features", "shuffled")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(PLACEBO_GAP, True, "the gain came from the age group itself.", id="right"),
        pytest.param(-PLACEBO_GAP, False, "the sign is reversed: the chapter's tower minus the shuffled one",
                     id="reversed"),
        pytest.param(0.0, False, "permute user_features['age_group'] with np.random.default_rng(0).permutation",
                     id="anything else"),
        pytest.param("0.03", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_a_placebo_feature(per_user, answer, passed, feedback):
    assert_verdict(ch04e.check_1(answer), passed, feedback)


def test_check_1_says_when_shuffling_costs_nothing_detectable(per_user):
    per_user["shuffled"] = per_user_scores(0.10, seed=1)
    assert_verdict(ch04e.check_1(mean_difference(per_user, "TwoTower, features", "shuffled")), True,
                   "shuffling the age group costs nothing this split can detect.")


# ---------------------------------------------------------------------------------------------
# 2) The two-tower with five onboarding events − EASE with them

TOWER_GAP = mean_difference(CHAPTER, "TwoTower, +5", "EASE, +5")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(TOWER_GAP, True, "EASE still leads once the users have five events.", id="right"),
        pytest.param(-TOWER_GAP, False, "the sign is reversed: the two-tower minus EASE", id="reversed"),
        pytest.param(0.5, False, "pass its scores first and cold_per_user['EASE, +5'] second", id="anything else"),
        pytest.param({0.03}, False, "as a single number", id="set"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_tower_with_five_events_against_ease(per_user, answer, passed, feedback):
    assert_verdict(ch04e.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("ease", "conclusion"),
    [
        pytest.param(per_user_scores(0.13, seed=3), "the tower, now with five events, beats EASE.", id="tower ahead"),
        pytest.param(per_user_scores(0.16, seed=3), "the two cannot be told apart.", id="a tie"),
        pytest.param(per_user_scores(0.19, seed=3), "EASE still leads once the users have five events.",
                     id="EASE ahead"),
    ],
)
def test_check_2_concludes_from_the_interval(per_user, ease, conclusion):
    per_user["EASE, +5"] = ease
    assert_verdict(ch04e.check_2(mean_difference(per_user, "TwoTower, +5", "EASE, +5")), True, conclusion)
