"""Exercise checks of chapter 4b, on hand-made per-user scores: each answer, its verdict, its feedback.

Each check compares two of the chapter's models with a paired test, here on the made-up per-user
NDCG@10 below (see exercise_verdicts.py). That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, mean_difference, per_user_scores, serve_per_user

from recsys_tutorial.exercises import ch04b

CHAPTER = {
    "SASRec": per_user_scores(0.30, seed=0),
    "SASRec, last 5 items": per_user_scores(0.285, seed=1),
    "SASRec, order lost": per_user_scores(0.22, seed=5),
    "LightGCN": per_user_scores(0.26, seed=3),
    "LightGCN, 0 layers": per_user_scores(0.21, seed=4),
}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores: CHAPTER, which a test may change before it calls a check."""
    return serve_per_user(monkeypatch, ch04b, "_chapter_model", CHAPTER)


# ---------------------------------------------------------------------------------------------
# 1) LightGCN with three layers − with none

LAYERS_GAIN = mean_difference(CHAPTER, "LightGCN", "LightGCN, 0 layers")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(LAYERS_GAIN, True, "the difference is what propagation adds", id="right"),
        pytest.param(-LAYERS_GAIN, False, "the sign is reversed: three layers minus zero layers", id="reversed"),
        pytest.param(0.5, False, "fit LightGCN(n_layers=0, n_epochs=20", id="anything else"),
        pytest.param("0.05", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_what_the_layers_buy(per_user, answer, passed, feedback):
    assert_verdict(ch04b.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) SASRec reading 20 items − reading 5


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(mean_difference(CHAPTER, "SASRec", "SASRec, last 5 items"), True,
                     "the mean difference is", id="right"),
        pytest.param(-mean_difference(CHAPTER, "SASRec", "SASRec, last 5 items"), False,
                     "the sign is reversed: the chapter's SASRec minus the five-item one", id="reversed"),
        pytest.param(0.5, False, "refit SASRec with the chapter's settings but max_len=5", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)  # fmt: skip
def test_check_2_how_far_back_sasrec_reads(per_user, answer, passed, feedback):
    assert_verdict(ch04b.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("short", "conclusion"),
    [
        pytest.param(per_user_scores(0.25, seed=1), "carry something SASRec uses", id="longer history ahead"),
        pytest.param(per_user_scores(0.30, seed=1), "add nothing this test can detect", id="no difference"),
        pytest.param(per_user_scores(0.35, seed=1), "the shorter history scores better", id="shorter ahead"),
    ],
)
def test_check_2_concludes_from_the_interval(per_user, short, conclusion):
    per_user["SASRec, last 5 items"] = short
    answer = mean_difference(per_user, "SASRec", "SASRec, last 5 items")
    assert_verdict(ch04b.check_2(answer), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 3) SASRec on the ordered history − on the shuffled one


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(mean_difference(CHAPTER, "SASRec", "SASRec, order lost"), True,
                     "SASRec loses its edge", id="right"),
        pytest.param(-mean_difference(CHAPTER, "SASRec", "SASRec, order lost"), False,
                     "the sign is reversed: SASRec on the ordered history minus", id="reversed"),
        pytest.param(0.5, False, "split.shuffle_order_within_users(train, random_state=0)", id="anything else"),
        pytest.param([0.1], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)  # fmt: skip
def test_check_3_sasrec_without_order(per_user, answer, passed, feedback):
    assert_verdict(ch04b.check_3(answer), passed, feedback)
