"""Exercise checks of chapter 4c, on hand-made scores: each answer, its verdict, its feedback.

Checks 1–3 compare two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py); check 4 reads one draw of sampled metrics, here made up
too. That the worked solutions pass on the real models is tested by tests/test_exercise_solutions.py.
"""

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04c

CHAPTER = {
    "MF (BPR)": per_user_scores(0.30, seed=0),
    "MF (BPR), uniform negatives": per_user_scores(0.27, seed=1),
    "Item2Vec": per_user_scores(0.25, seed=2),
    "Item2Vec, half-life 10": per_user_scores(0.22, seed=3),
    "MF (BPR), seed 1": per_user_scores(0.28, seed=4),
}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores: CHAPTER, which a test may change before it calls a check."""
    return serve_per_user(monkeypatch, ch04c, "_per_user_ndcg", CHAPTER)


# ---------------------------------------------------------------------------------------------
# 1) BPR with redrawn negatives − BPR with uniform ones

REDRAW_GAIN = mean_difference(CHAPTER, "MF (BPR)", "MF (BPR), uniform negatives")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(REDRAW_GAIN, True, "redrawing the negatives that are positives helps.", id="right"),
        pytest.param(-REDRAW_GAIN, False, "the sign is reversed: the chapter's model (redrawn negatives) minus "
                     "the uniform one", id="reversed"),
        pytest.param(0.5, False, "fit MatrixFactorization(learning_rate=0.005, exclude_positives=False",
                     id="anything else"),
        pytest.param("some", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_what_the_redrawn_negatives_are_worth(per_user, answer, passed, feedback):
    assert_verdict(ch04c.check_1(answer), passed, feedback)


def test_check_1_says_when_the_redraw_makes_no_detectable_difference(per_user):
    per_user["MF (BPR), uniform negatives"] = per_user_scores(0.30, seed=1)
    answer = mean_difference(per_user, "MF (BPR)", "MF (BPR), uniform negatives")
    assert_verdict(ch04c.check_1(answer), True, "the redraw makes no difference this seed can detect.")


# ---------------------------------------------------------------------------------------------
# 2) The chapter's item2vec (half-life 1,000) − a half-life of 10

MEMORY_GAIN = mean_difference(CHAPTER, "Item2Vec", "Item2Vec, half-life 10")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(MEMORY_GAIN, True, "a short memory throws information away", id="right"),
        pytest.param(-MEMORY_GAIN, False, "the sign is reversed: the chapter's item2vec (half-life 1,000) minus "
                     "the half-life-10 one", id="reversed"),
        pytest.param(MEMORY_GAIN / 3, False, "fit Item2Vec(window=5, half_life=10", id="anything else"),
        pytest.param([MEMORY_GAIN], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_item2vec_memory_under_a_random_split(per_user, answer, passed, feedback):
    assert_verdict(ch04c.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Matrix factorisation with random_state=1 − the chapter's (random_state=0)

SEED_EFFECT = mean_difference(CHAPTER, "MF (BPR), seed 1", "MF (BPR)")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(SEED_EFFECT, True, "two seeds of one model differ by more than this test's noise", id="right"),
        pytest.param(-SEED_EFFECT, False, "the sign is reversed: the seed-1 model minus the chapter's MF (BPR)",
                     id="reversed"),
        pytest.param(REDRAW_GAIN, False, "fit MatrixFactorization(learning_rate=0.005, random_state=1)",
                     id="anything else"),
        pytest.param("-0.01", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_what_the_training_seed_alone_does(per_user, answer, passed, feedback):
    assert_verdict(ch04c.check_3(answer), passed, feedback)


def test_check_3_says_when_the_seed_makes_no_detectable_difference(per_user):
    per_user["MF (BPR), seed 1"] = per_user_scores(0.30, seed=4)
    answer = mean_difference(per_user, "MF (BPR), seed 1", "MF (BPR)")
    assert_verdict(ch04c.check_3(answer), True, "the seed makes no difference this test can detect.")


# ---------------------------------------------------------------------------------------------
# 4) Sampled HR@10, EASE − MF (BPR), with 300 negatives rather than the lab's 100


def sampled(hit_rates: dict, ndcg: dict) -> pd.DataFrame:
    """One draw's sampled metrics of the two models, as the check reads them."""
    return pd.DataFrame({"hit_rate@10": hit_rates, "ndcg@10": ndcg}).rename_axis("model")


DRAWS = {
    300: sampled({"EASE": 0.5223, "MF (BPR)": 0.5144}, {"EASE": 0.3270, "MF (BPR)": 0.3168}),
    100: sampled({"EASE": 0.7382, "MF (BPR)": 0.7410}, {"EASE": 0.4905, "MF (BPR)": 0.4840}),
}
EASE_AHEAD = 0.5223 - 0.5144


@pytest.fixture
def draws(monkeypatch):
    """The checks' sampled metrics by number of negatives: DRAWS, which a test may change."""
    served = dict(DRAWS)
    monkeypatch.setattr(ch04c, "_sampled", served.__getitem__)
    return served


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(EASE_AHEAD, True, "With 300 negatives EASE is ahead again", id="right"),
        pytest.param(round(EASE_AHEAD, 4), True, "the reversal belonged to the 100 negatives", id="rounded to 4"),
        pytest.param(-EASE_AHEAD, False, "the sign is reversed: EASE minus MF (BPR).", id="reversed"),
        pytest.param(0.7382 - 0.7410, False, "that is the difference with 100 negatives", id="100 negatives"),
        pytest.param(0.3270 - 0.3168, False, "that is the NDCG@10 difference", id="NDCG"),
        pytest.param(0.5, False, "n_negatives=300", id="anything else"),
        pytest.param(0.008, False, "looks rounded to too few figures", id="rounded to 1 figure"),
        pytest.param("0.008", False, "expected the difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_4_sampled_hit_rate_with_more_negatives(draws, answer, passed, feedback):
    assert_verdict(ch04c.check_4(answer), passed, feedback)


def test_check_4_says_when_mf_stays_ahead(draws):
    draws[300] = sampled({"EASE": 0.5100, "MF (BPR)": 0.5144}, {"EASE": 0.3100, "MF (BPR)": 0.3168})
    assert_verdict(ch04c.check_4(0.5100 - 0.5144), True, "MF stays ahead of EASE with 300 negatives too.")
