"""Exercise checks of chapter 4c, on hand-made per-user scores: each answer, its verdict, its feedback.

Each check compares two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py). That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04c

CHAPTER = {
    "MF (BPR)": per_user_scores(0.30, seed=0),
    "MF (BPR), uniform negatives": per_user_scores(0.27, seed=1),
    "Item2Vec": per_user_scores(0.25, seed=2),
    "Item2Vec, half-life 10": per_user_scores(0.22, seed=3),
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
