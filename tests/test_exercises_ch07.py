"""Exercise checks of chapter 7, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take the chapter's pools, rankers and two-stage fits from cached helpers that return
plain numbers or per-user scores; here those helpers return the made-up values below, so the
tables run without fitting anything. That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch07

# ---------------------------------------------------------------------------------------------
# 1) The NDCG@10 of a perfect ranker over the test pool, and of the pool in merged order

POOL_NDCG = {True: 0.6123, False: 0.1871}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.6123, True, "NDCG@10 is 0.6123. The ceiling of any ranker", id="right"),
        pytest.param(0.1871, False, "that is the pool in its merged order", id="merged order"),
        pytest.param(0.61, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.3, False, "put the pool's relevant films", id="anything else"),
        pytest.param("high", False, "expected the perfect ranker's NDCG@10 as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_the_ceiling_of_the_pool(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07, "_pool_ndcg", POOL_NDCG.__getitem__)
    assert_verdict(ch07.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The two-stage recommender over recent-history retrievers − over whole-history ones


def paired_test(mean: float, low: float, high: float) -> pd.Series:
    return pd.Series({"mean difference": mean, "ci low": low, "ci high": high, "p-value": 0.3, "users": 900})


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.0412, True, "retrievers that read the recent history are worth more", id="right"),
        pytest.param(-0.0412, False, "the sign is reversed", id="reversed"),
        pytest.param(0.5, False, "fit ranking.whole_history_two_stage(random_state=0)", id="anything else"),
        pytest.param("0.04", False, "expected the mean difference as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_what_recency_in_retrieval_buys(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07, "_recency_test", lambda: paired_test(0.0412, 0.03, 0.05))
    assert_verdict(ch07.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("low", "high", "conclusion"),
    [
        pytest.param(0.03, 0.05, "worth more than any ranker here.", id="recent ahead"),
        pytest.param(-0.01, 0.02, "this test cannot tell the two apart.", id="a tie"),
        pytest.param(-0.05, -0.01, "recency in retrieval does not help here.", id="whole history ahead"),
    ],
)
def test_check_2_concludes_from_the_interval(monkeypatch, low, high, conclusion):
    monkeypatch.setattr(ch07, "_recency_test", lambda: paired_test(0.0412, low, high))
    assert_verdict(ch07.check_2(0.0412), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 3) The two-stage recommender with demographics − without: the paired test of the two fits


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
