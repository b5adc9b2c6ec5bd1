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
    "Item2Vec, half-life 1": per_user_scores(0.28, seed=1),
    "Item2Vec": per_user_scores(0.23, seed=2),
    "LightGCN": per_user_scores(0.26, seed=3),
    "LightGCN, 0 layers": per_user_scores(0.21, seed=4),
}


@pytest.fixture
def per_user(monkeypatch):
    """The checks' per-user scores: CHAPTER, which a test may change before it calls a check."""
    return serve_per_user(monkeypatch, ch04b, "_chapter_model", CHAPTER)


# ---------------------------------------------------------------------------------------------
# 1) SASRec − the half-life-1 item2vec

SASREC_GAP = mean_difference(CHAPTER, "SASRec", "Item2Vec, half-life 1")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(SASREC_GAP, True, "the mean difference is 0.02. Its paired 95 % interval", id="right"),
        pytest.param(-SASREC_GAP, False, "the sign is reversed: SASRec minus the half-life-1 model", id="reversed"),
        pytest.param(mean_difference(CHAPTER, "SASRec", "Item2Vec"), False, "the default item2vec (half-life 10)",
                     id="the default item2vec"),
        pytest.param(0.5, False, "fit Item2Vec(half_life=1, n_epochs=3, random_state=0)", id="anything else"),
        pytest.param("a lot", False, "expected the mean difference as a number", id="text"),
        pytest.param([0.1, 0.2], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_sasrec_against_recency_weighted_item2vec(per_user, answer, passed, feedback):
    assert_verdict(ch04b.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("half_life_1", "conclusion"),
    [
        pytest.param(per_user_scores(0.28, seed=1), "does not close the whole gap.", id="SASRec clearly ahead"),
        pytest.param(per_user_scores(0.30, seed=1), "ties SASRec here.", id="no detectable difference"),
        pytest.param(per_user_scores(0.32, seed=1), "beats SASRec here.", id="item2vec clearly ahead"),
    ],
)
def test_check_1_concludes_from_the_interval(per_user, half_life_1, conclusion):
    per_user["Item2Vec, half-life 1"] = half_life_1
    answer = mean_difference(per_user, "SASRec", "Item2Vec, half-life 1")
    assert_verdict(ch04b.check_1(answer), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 2) LightGCN with three layers − with none

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
def test_check_2_what_the_layers_buy(per_user, answer, passed, feedback):
    assert_verdict(ch04b.check_2(answer), passed, feedback)
