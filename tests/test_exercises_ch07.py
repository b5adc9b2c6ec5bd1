"""Exercise checks of chapter 7, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take the chapter's pools, rankers and two-stage fits from cached helpers that return
plain numbers or per-user scores; here those helpers return the made-up values below, so the
tables run without fitting anything. That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict, per_user_scores

from recsys_tutorial.exercises import ch07

# ---------------------------------------------------------------------------------------------
# 1) The candidate recall of EASE's pool of 100, alone and merged with item-kNN's

POOL_RECALL = {("EASE",): 0.4123, ("EASE", "ItemKNN"): 0.3871}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.4123, True, "recall is 0.4123. The same as EASE's recall@100", id="right"),
        pytest.param(0.3871, False, "that is the merged pool of EASE and item-kNN", id="merged pool"),
        pytest.param(0.41, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.2, False, "build the test pool with sources=['EASE']", id="anything else"),
        pytest.param("high", False, "expected EASE's 100-item pool's recall as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_the_ceiling_of_eases_pool(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07, "_pool_recall", POOL_RECALL.__getitem__)
    assert_verdict(ch07.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) LambdaMART − LightGBM's binary classifier

LISTWISE, POINTWISE = per_user_scores(0.36, seed=0), per_user_scores(0.33, seed=1)
LISTWISE_GAIN = float((LISTWISE - POINTWISE).mean())


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(LISTWISE_GAIN, True, "the listwise loss ranks better here.", id="right"),
        pytest.param(-LISTWISE_GAIN, False, "the sign is reversed: LambdaMART minus the binary classifier",
                     id="reversed"),
        pytest.param(0.5, False, "score test_frame[features] with predict_proba(...)[:, 1]", id="anything else"),
        pytest.param("0.03", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_listwise_against_pointwise(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07, "_lambdamart_and_classifier", lambda: (LISTWISE, POINTWISE))
    assert_verdict(ch07.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("pointwise", "conclusion"),
    [
        pytest.param(per_user_scores(0.33, seed=1), "the listwise loss ranks better here.", id="LambdaMART ahead"),
        pytest.param(per_user_scores(0.36, seed=1), "this test cannot tell the two losses apart.", id="a tie"),
        pytest.param(per_user_scores(0.39, seed=1), "the pointwise classifier ranks better here.",
                     id="classifier ahead"),
    ],
)
def test_check_2_concludes_from_the_interval(monkeypatch, pointwise, conclusion):
    monkeypatch.setattr(ch07, "_lambdamart_and_classifier", lambda: (LISTWISE, pointwise))
    assert_verdict(ch07.check_2(float((LISTWISE - pointwise).mean())), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 3) The two-stage recommender with demographics − without: the paired test of the two fits


def paired_test(mean: float, low: float, high: float) -> pd.Series:
    return pd.Series({"mean difference": mean, "ci low": low, "ci high": high, "p-value": 0.3, "users": 900})


NO_DETECTABLE_GAIN = paired_test(-0.0021, -0.0063, 0.0019)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(-0.0021, True, "interval is [-0.0063, 0.0019]: whatever demographics add, this test cannot "
                     "detect it.", id="right"),
        pytest.param(0.0021, False, "the sign is reversed: the model with demographics minus the chapter's",
                     id="reversed"),
        pytest.param(0.05, False, "fit TwoStageRecommender(user_columns=['age', 'gender', 'occupation']",
                     id="anything else"),
        pytest.param([0.0021], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_demographics(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07, "_demographics_test", lambda: NO_DETECTABLE_GAIN)
    assert_verdict(ch07.check_3(answer), passed, feedback)


@pytest.mark.parametrize(
    ("test_row", "conclusion"),
    [
        pytest.param(paired_test(0.004, 0.001, 0.007), "demographics help the ranker.", id="a gain"),
        pytest.param(NO_DETECTABLE_GAIN, "this test cannot detect it.", id="no detectable change"),
        pytest.param(paired_test(-0.004, -0.007, -0.001), "demographics hurt the ranker.", id="a loss"),
    ],
)
def test_check_3_concludes_from_the_interval(monkeypatch, test_row, conclusion):
    monkeypatch.setattr(ch07, "_demographics_test", lambda: test_row)
    assert_verdict(ch07.check_3(test_row["mean difference"]), True, conclusion)
