"""Exercise checks of chapter 10, on hand-made series: each answer, the verdict it gets, the feedback it reads.

Exercise 1 is self-contained. Exercises 2 and 3 take the chapter's daily PSI and weekly NDCG@10
from cached helpers; here those helpers return the made-up series below, so the tables run
without replaying the drifting world. That the worked solutions pass on the real world is tested
by tests/test_exercise_solutions.py.
"""

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch10

DRIFT = pd.Timestamp("2024-05-20")


# ---------------------------------------------------------------------------------------------
# 1) The PSI of shares 40/30/20/10 % against 25 % each

BASELINE, CURRENT = np.full(4, 0.25), np.array([0.4, 0.3, 0.2, 0.1])
# (c − b) · ln(c / b), bin by bin: 0.15 ln 1.6 + 0.05 ln 1.2 − 0.05 ln 0.8 − 0.15 ln 0.4
PSI = 0.15 * np.log(1.6) + 0.05 * np.log(1.2) - 0.05 * np.log(0.8) - 0.15 * np.log(0.4)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(PSI, True, "the PSI is 0.2282. Above 0.2: a shift worth acting on.", id="right"),
        pytest.param(0.2282, True, "the PSI is 0.2282.", id="four figures"),
        pytest.param(float(np.sum((CURRENT - BASELINE) * np.log10(CURRENT / BASELINE))), False,
                     "PSI uses the natural logarithm", id="log10"),
        pytest.param(float(np.sum(CURRENT * np.log(CURRENT / BASELINE))), False, "that is the KL divergence",
                     id="KL divergence"),
        pytest.param(-PSI, False, "the sign is flipped: PSI is never negative", id="sign flipped"),
        pytest.param(0.23, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.5, False, "sum (c − b) · ln(c / b) over the four bins", id="anything else"),
        pytest.param("0.2", False, "expected the PSI as a number", id="text"),
        pytest.param({"psi": 0.2}, False, "as a single number", id="dict"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_the_psi_by_hand(answer, passed, feedback):
    assert_verdict(ch10.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The one-day rule's quiet threshold: the largest daily category PSI before the drift


def daily(before_drift, after_drift) -> pd.Series:
    """Daily PSI from 6 May (train_end); the drift comes on 20 May, after 14 days."""
    values = list(before_drift) + list(after_drift)
    return pd.Series(values, index=pd.date_range("2024-05-06", periods=len(values), freq="D"))


# The category's quiet days peak at 0.31 on one day; the best two days in a row are 0.22 then 0.24,
# so the two-day rule's threshold is 0.22. The other features and baselines are scaled or shifted.
QUIET_DAYS = [0.10, 0.15, 0.31, 0.12, 0.22, 0.24, 0.11, 0.09, 0.13, 0.14, 0.10, 0.12, 0.08, 0.11]
DAILY_PSI = {
    ("category", "reference"): daily(QUIET_DAYS, [0.55, 0.60, 0.48]),
    ("item popularity (log)", "reference"): daily(np.array(QUIET_DAYS) * 0.4, [0.9, 0.8, 0.7]),
    ("category", "train"): daily(np.array(QUIET_DAYS) + 0.10, [0.6, 0.6, 0.6]),
    ("category", "all before"): daily(np.array(QUIET_DAYS) + 0.06, [0.6, 0.6, 0.6]),
}


@pytest.fixture
def daily_psi(monkeypatch):
    """The checks' daily PSI: DAILY_PSI, keyed by (feature, baseline), which a test may change."""
    series = dict(DAILY_PSI)
    monkeypatch.setattr(ch10, "_daily_psi", lambda name, baseline="reference": series[name, baseline])
    return series


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.31, True, "the quiet threshold is 0.31. Far above 0.2", id="right"),
        pytest.param(0.22, False, "that is the two-day rule's quiet threshold", id="two-day rule"),
        pytest.param(0.60, False, "that includes the days after the drift", id="after the drift too"),
        pytest.param(0.31 * 0.4, False, "that is the item-popularity feature", id="popularity feature"),
        pytest.param(0.41, False, "that baseline is the training window", id="baseline: training window"),
        pytest.param(0.37, False, "that baseline is everything before train_end", id="baseline: all before"),
        pytest.param(0.3, False, "rounded to too few figures", id="rounded"),
        pytest.param(-0.1, False, "is never negative", id="negative"),
        pytest.param(0.5, False, "keep the days before drift_date, and pass them to quiet_threshold",
                     id="anything else"),
        pytest.param("abc", False, "expected the threshold as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_quiet_threshold_of_the_daily_category_psi(daily_psi, answer, passed, feedback):
    assert_verdict(ch10.check_2(answer), passed, feedback)


def test_check_2_passes_the_right_answer_when_a_slip_gives_the_same_number(daily_psi):
    # A drift that never lifts the PSI above the quiet days' maximum: "all days" equals "before the drift".
    daily_psi["category", "reference"] = daily(QUIET_DAYS, [0.2, 0.2, 0.2])
    assert_verdict(ch10.check_2(0.31), True, "the quiet threshold is 0.31.")


# ---------------------------------------------------------------------------------------------
# 3) The 28-day trigger policy's post-drift NDCG@10 as a share of the ceiling's


def weekly(before_drift, after_drift) -> pd.Series:
    """Mean NDCG@10 of 8 weeks from 6 May: two before the drift, six from it."""
    return pd.Series(list(before_drift) + list(after_drift), index=pd.date_range("2024-05-06", periods=8, freq="7D"))


TRIGGER_28 = weekly([0.30, 0.28], [0.050, 0.061, 0.070, 0.083, 0.090, 0.100])
TRIGGER_14 = weekly([0.30, 0.28], [0.080, 0.090, 0.100, 0.110, 0.120, 0.130])
CEILING = weekly([0.40, 0.40], [0.35, 0.36, 0.37, 0.38, 0.39, 0.40])
AFTER = TRIGGER_28.index >= DRIFT
SHARE = TRIGGER_28[AFTER].mean() / CEILING[AFTER].mean()


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(SHARE, True, "the share of the ceiling is 0.2018. Slightly below the 14-day window's",
                     id="right"),
        pytest.param(0.2018, True, "the share of the ceiling is 0.2018.", id="four figures"),
        pytest.param(TRIGGER_14[AFTER].mean() / CEILING[AFTER].mean(), False, "that is the chapter's 14-day window",
                     id="14-day window"),
        pytest.param(TRIGGER_28[AFTER].mean(), False, "that is the mean NDCG@10 itself", id="not divided"),
        pytest.param(TRIGGER_28.mean() / CEILING.mean(), False, "that averages all eight weeks", id="all weeks"),
        pytest.param((TRIGGER_28[AFTER] / CEILING[AFTER]).mean(), False, "that averages the weekly shares",
                     id="mean of the weekly shares"),
        pytest.param(TRIGGER_28[AFTER].mean() / CEILING[~AFTER].mean(), False, "the ceiling before the drift",
                     id="ceiling before the drift"),
        pytest.param(0.202, False, "rounded to too few figures", id="rounded"),
        pytest.param(1.5, False, "lies between 0 and 1", id="out of range"),
        pytest.param(0.5, False, "replay with monitoring.replay_retraining(..., train_window=\"28D\")",
                     id="anything else"),
        pytest.param([0.2, 0.3], False, "expected the share of the ceiling as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_the_share_of_the_ceiling_of_a_28_day_window(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch10, "_trigger_weekly_ndcg", {"28D": TRIGGER_28, "14D": TRIGGER_14}.__getitem__)
    monkeypatch.setattr(ch10, "_ceiling", lambda: CEILING)
    assert_verdict(ch10.check_3(answer), passed, feedback)
