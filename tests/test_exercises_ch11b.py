"""Exercise checks of chapter 11b, on a hand-made log: each answer, the verdict it gets, the feedback.

The checks read the chapter's log and its simulator from cached helpers; here those return a
six-row log whose effective sample size and SNIPS estimate are worked by hand below, and made-up
clipped biases, so the tables run without simulating anything. That the worked solutions pass
on the chapter's own log is tested by tests/test_exercise_solutions.py.
"""

from types import SimpleNamespace

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch11b

# Two rounds of three positions. Logged propensities, the new policy's, and the clicks:
LOG = pd.DataFrame({
    "round": [0, 0, 0, 1, 1, 1],
    "position": [1, 2, 3, 1, 2, 3],
    "propensity": [0.5, 0.25, 0.25, 0.5, 0.5, 0.25],
    "click": [1, 0, 1, 0, 1, 1],
})  # fmt: skip
TARGET = pd.Series([1.0, 0.5, 0.0, 0.0, 1.0, 0.5])
# w = [2, 2, 0, 0, 2, 2]: Σw = 8, Σw² = 16, so ESS = 64 / 16 = 4
ESS = 4.0
# SNIPS per position: 1: (2·1 + 0·0) / 2 = 1; 2: (2·0 + 2·1) / 4 = 0.5; 3: (0·1 + 2·1) / 2 = 1
SNIPS = 2.5
# all rows pooled: Σ w r / Σ w = (2 + 0 + 0 + 0 + 2 + 2) / 8 = 0.75
POOLED = 0.75
CLIPPED = {3.0: -0.1234, 10.0: -0.0385}


@pytest.fixture(autouse=True)
def hand_made(monkeypatch):
    monkeypatch.setattr(ch11b, "_one_log", lambda: (LOG, TARGET.to_numpy()))
    simulator = SimpleNamespace(value=lambda policy: 1.25)
    monkeypatch.setattr(ch11b, "_chapter", lambda: (simulator, None, "target", None))
    monkeypatch.setattr(ch11b, "_clipped_bias", lambda clip: CLIPPED[clip])


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(ESS, True, "the effective sample size is 4. Of 6 logged rows", id="right"),
        pytest.param(ESS / 6, False, "that is the share of the rows", id="share"),
        pytest.param(8.0, False, "that is Σ w", id="sum of weights"),
        pytest.param(3.0, False, "offpolicy.effective_sample_size", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_effective_sample_size(answer, passed, feedback):
    assert_verdict(ch11b.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(SNIPS, True, "SNIPS's estimate of clicks per round is 2.5. The truth is 1.2500", id="right"),
        pytest.param(POOLED, False, "that normalises all rows together", id="pooled"),
        pytest.param(3 * POOLED, False, "normalise each position separately, then add", id="pooled times three"),
        pytest.param(0.9, False, "for each position j", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_snips_per_position(answer, passed, feedback):
    assert_verdict(ch11b.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(-0.1234, True, "clipped IPS's bias is -0.1234. Capping the weights", id="right"),
        pytest.param(0.1234, False, "the sign is reversed", id="sign"),
        pytest.param(-0.0385, False, "that is the default cap of 10", id="default cap"),
        pytest.param(-0.5, False, "run simulation.offpolicy_study", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_clipped_bias(answer, passed, feedback):
    assert_verdict(ch11b.check_3(answer), passed, feedback)
