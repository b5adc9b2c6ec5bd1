"""Exercise checks of chapter 11d, on hand-made inputs: each answer, the verdict it gets, the feedback.

The checks read the chapter's log, pools and rankers from cached helpers; here those return
made-up numbers and a tiny pool whose A/B power `resampled_power` computes in a blink, so the
tables run without simulating or training anything. That the worked solutions pass on the
chapter's own data is tested by tests/test_exercise_solutions.py.
"""

import numpy as np
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial import experiments
from recsys_tutorial.exercises import ch11d

RATIO, INVERSE = 0.1117, 1 / 0.1117
CLICKS_A = np.array([0, 0, 1, 2, 0, 1, 0, 0, 1, 0] * 30)
CLICKS_B = np.array([0, 0, 0, 1, 0, 1, 0, 0, 1, 0] * 30)
USERS = 400.0
CAPPED = {5.0: 0.8045, np.inf: 0.8271}


@pytest.fixture(autouse=True)
def hand_made(monkeypatch):
    monkeypatch.setattr(ch11d, "_unrandomised_ratio", lambda: (RATIO, INVERSE))
    monkeypatch.setattr(ch11d, "_pools", lambda: (CLICKS_A, CLICKS_B, USERS))
    monkeypatch.setattr(ch11d, "_capped_ndcg", lambda cap: CAPPED[cap])


def _power(n):
    return float(experiments.resampled_power((CLICKS_B, CLICKS_A), [n], "ab").iloc[0])


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(RATIO, True, "the click rate at position 10 over position 1 is 0.1117", id="right"),
        pytest.param(INVERSE, False, "that is position 1 over position 10", id="inverse"),
        pytest.param(0.1, False, "looks rounded", id="the truth, rounded"),
        pytest.param(0.2345, False, "the mean click at position 10 divided by", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_unrandomised_ratio(answer, passed, feedback):
    assert_verdict(ch11d.check_1(answer), passed, feedback)


def test_check_2_power_at_interleavings_size():
    right, doubled = _power(400), _power(800)
    assert right != doubled
    assert_verdict(ch11d.check_2(right), True, "far short of it")
    assert_verdict(ch11d.check_2(doubled), False, "n_users is the total")
    assert_verdict(ch11d.check_2(0.8), False, "experiments.resampled_power((clicks_b, clicks_a)")
    assert_verdict(ch11d.check_2(None), None, BLANK)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.8045, True, "the capped ranker's mean NDCG@10 is 0.8045", id="right"),
        pytest.param(0.8271, False, "that is the uncapped ranker's", id="uncapped"),
        pytest.param(0.7, False, "sample_weight=np.minimum", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_capped_weights(answer, passed, feedback):
    assert_verdict(ch11d.check_3(answer), passed, feedback)
