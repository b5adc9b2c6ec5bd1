"""Exercise checks of chapter 4e, on hand-made per-user scores: each answer, its verdict, its feedback.

The checks compare the chapter's models on per-user NDCG@10, here on the made-up scores below (see
exercise_verdicts.py), whose means mimic the chapter's: the numbers each worked solution states
(`ch04e.STATED`) hold for them. Each check passes a right answer only while the solution's number and
lesson hold, so a table that breaks the lesson must turn a right answer into "not yet". That the worked
solutions pass on the real models is tested by tests/test_exercise_solutions.py.
"""

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04e

USERS = 400  # tight paired intervals: differences of 0.003 are told apart, as on the chapter's 756 users
CHAPTER = {
    "Popularity": per_user_scores(0.0607, seed=0, users=USERS),
    "TwoTower, features": per_user_scores(0.0698, seed=1, users=USERS),
    "shuffled": per_user_scores(0.0592, seed=2, users=USERS),
    "Popularity, +5": per_user_scores(0.0643, seed=3, users=USERS),
    "TwoTower, +5": per_user_scores(0.2056, seed=4, users=USERS),
    "EASE, +5": per_user_scores(0.2218, seed=5, users=USERS),
    "segmented": per_user_scores(0.0729, seed=6, users=USERS),
}
# The pitfall's tower on the random split: 100 new users (ids 0-99) among 400 test users.
NEW_USER_IDS = list(range(100))
RANDOM_SPLIT = {
    "TwoTower, features": pd.concat([per_user_scores(0.163, seed=7, users=100),
                                     per_user_scores(0.172, seed=8, users=300).set_axis(range(100, 400))]),
}
OUT_OF_DATE = "no longer holds with it: the solution is out of date"


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores: CHAPTER on the new users' later events, and RANDOM_SPLIT; a test may change
    either before it calls a check."""
    monkeypatch.setattr(ch04e, "_new_user_ids", lambda: NEW_USER_IDS)
    return (serve_per_user(monkeypatch, ch04e, "_cold_ndcg", CHAPTER),
            serve_per_user(monkeypatch, ch04e, "_random_split_ndcg", RANDOM_SPLIT))


def test_the_tables_give_the_numbers_the_solutions_state():
    stated = {1: mean_difference(CHAPTER, "TwoTower, features", "shuffled"),
              2: mean_difference(CHAPTER, "TwoTower, +5", "EASE, +5"),
              3: mean_difference(CHAPTER, "segmented", "Popularity"),
              4: float(RANDOM_SPLIT["TwoTower, features"][NEW_USER_IDS].mean())}
    for number, value in stated.items():
        number_stated, rtol = ch04e.STATED[number]
        assert abs(value - number_stated) <= rtol * abs(number_stated), (number, value)


# ---------------------------------------------------------------------------------------------
# 1) The feature tower − the same tower with the age groups shuffled (a placebo)

PLACEBO_GAP = mean_difference(CHAPTER, "TwoTower, features", "shuffled")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(PLACEBO_GAP, True, "the gain came from the age group itself", id="right"),
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


def test_check_1_fails_a_right_answer_when_shuffling_costs_nothing_detectable(per_user):
    cold, _ = per_user
    cold["shuffled"] = per_user_scores(0.0695, seed=2, users=USERS)
    assert_verdict(ch04e.check_1(mean_difference(cold, "TwoTower, features", "shuffled")), False, OUT_OF_DATE)


def test_check_1_fails_a_right_answer_when_the_placebo_beats_popularity(per_user):
    cold, _ = per_user
    cold["Popularity"] = per_user_scores(0.0500, seed=0, users=USERS)  # the gap itself stays as stated
    assert_verdict(ch04e.check_1(PLACEBO_GAP), False, OUT_OF_DATE)


# ---------------------------------------------------------------------------------------------
# 2) The two-tower with five onboarding events − EASE with them

TOWER_GAP = mean_difference(CHAPTER, "TwoTower, +5", "EASE, +5")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(TOWER_GAP, True, "EASE still leads once the users have five events", id="right"),
        pytest.param(-TOWER_GAP, False, "the sign is reversed: the two-tower minus EASE", id="reversed"),
        pytest.param(0.5, False, "pass its scores first and cold_per_user['EASE, +5'] second", id="anything else"),
        pytest.param({0.03}, False, "as a single number", id="set"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_tower_with_five_events_against_ease(per_user, answer, passed, feedback):
    assert_verdict(ch04e.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("ease", "tower_at_signup"),
    [
        pytest.param(0.2056, 0.0698, id="a tie"),
        pytest.param(0.1856, 0.0698, id="the tower ahead"),
        pytest.param(0.2418, 0.0698, id="EASE further ahead than stated"),
        pytest.param(0.2218, 0.1100, id="five events no longer double the tower"),
    ],
)
def test_check_2_fails_a_right_answer_when_the_lesson_no_longer_holds(per_user, ease, tower_at_signup):
    cold, _ = per_user
    cold["EASE, +5"] = per_user_scores(ease, seed=5, users=USERS)
    cold["TwoTower, features"] = per_user_scores(tower_at_signup, seed=1, users=USERS)
    assert_verdict(ch04e.check_2(mean_difference(cold, "TwoTower, +5", "EASE, +5")), False, OUT_OF_DATE)


# ---------------------------------------------------------------------------------------------
# 3) Popularity per age group − the chapter's popularity


def segment_gain(cold) -> float:
    return mean_difference(cold, "segmented", "Popularity")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(segment_gain(CHAPTER), True, "a popularity list per age group gains more over popularity",
                     id="right"),
        pytest.param(-segment_gain(CHAPTER), False, "the sign is reversed: popularity per age group minus the "
                     "chapter's popularity", id="reversed"),
        pytest.param(mean_difference(CHAPTER, "segmented", "TwoTower, features"), False,
                     "that compares with the feature tower", id="minus the tower"),
        pytest.param(mean_difference(CHAPTER, "segmented", "Popularity, +5"), False,
                     "that compares with \"Popularity, +5\"", id="minus popularity with onboarding"),
        pytest.param(0.5, False, "for each age group, fit Popularity() on the known events", id="anything else"),
        pytest.param("0.012", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_popularity_per_age_group(per_user, answer, passed, feedback):
    assert_verdict(ch04e.check_3(answer), passed, feedback)


@pytest.mark.parametrize(
    ("segmented", "tower"),
    [
        pytest.param(0.0729, 0.0780, id="the tower gains more"),
        pytest.param(0.0689, 0.0650, id="segmented gains less than stated"),
    ],
)
def test_check_3_fails_a_right_answer_when_the_lesson_no_longer_holds(per_user, segmented, tower):
    cold, _ = per_user
    cold["segmented"] = per_user_scores(segmented, seed=6, users=USERS)
    cold["TwoTower, features"] = per_user_scores(tower, seed=1, users=USERS)
    assert_verdict(ch04e.check_3(segment_gain(cold)), False, OUT_OF_DATE)


# ---------------------------------------------------------------------------------------------
# 4) The pitfall's tower (trained on the random split) over the test users who are new users

WITH_HISTORY = RANDOM_SPLIT["TwoTower, features"]


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(float(WITH_HISTORY[NEW_USER_IDS].mean()), True, "more than twice their cold-start NDCG",
                     id="right"),
        pytest.param(float(WITH_HISTORY.mean()), False, "the mean over every test user", id="every test user"),
        pytest.param(float(WITH_HISTORY.drop(NEW_USER_IDS).mean()), False, "the mean over the known users",
                     id="the known users"),
        pytest.param(float(CHAPTER["TwoTower, features"].mean()), False, "the tower scored cold", id="cold"),
        pytest.param(0.5, False, "keep the rows whose user_id is in new_users['user_id']", id="anything else"),
        pytest.param(0.16, False, "looks rounded to too few figures", id="rounded"),
        pytest.param("0.16", False, "expected the mean NDCG@10 as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_4_the_same_users_with_history(per_user, answer, passed, feedback):
    assert_verdict(ch04e.check_4(answer), passed, feedback)


def test_check_4_fails_a_right_answer_when_history_no_longer_doubles_the_score(per_user):
    cold, _ = per_user
    cold["TwoTower, features"] = per_user_scores(0.0900, seed=1, users=USERS)
    assert_verdict(ch04e.check_4(float(WITH_HISTORY[NEW_USER_IDS].mean())), False, OUT_OF_DATE)
