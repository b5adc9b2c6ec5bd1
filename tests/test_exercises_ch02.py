"""Exercise checks of chapter 2, on hand-made data: each answer, the verdict it gets, the feedback it reads.

The checks read the chapter's world through cached helpers; here those helpers serve the tiny data
below. That the worked solutions pass on the real data is tested by tests/test_exercise_solutions.py.
"""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch02

# ---------------------------------------------------------------------------------------------
# 1) The AUC of recency alone

# Five users; users 0 and 1 buy in the label window. Days since the last event as of 3 June rank
# 5 of the 6 (buyer, non-buyer) pairs right; computed on the whole log, the window's purchases
# reset the buyers' recency to 0 and rank every pair right.
BUYS = np.array([True, True, False, False, False])
DAYS_AS_OF_3_JUNE = pd.Series([1.0, 5.0, 3.0, 8.0, 9.0])
DAYS_ON_THE_WHOLE_LOG = pd.Series([0.0, 0.0, 9.0, 9.0, 9.0])
AUC = 5 / 6


@pytest.fixture
def recency(monkeypatch):
    days = {ch02._AS_OF: DAYS_AS_OF_3_JUNE, ch02.REFERENCE_DATE: DAYS_ON_THE_WHOLE_LOG}
    monkeypatch.setattr(ch02, "_label", lambda: BUYS)
    monkeypatch.setattr(ch02, "_recency", days.__getitem__)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(AUC, True, "the AUC of recency alone is 0.8333.", id="right"),
        pytest.param(1 - AUC, False, "the score runs the wrong way", id="plus days"),
        pytest.param(1.0, False, "computed on the whole log", id="features on the whole log"),
        pytest.param(100 * AUC, False, "looks like a percentage", id="percentage"),
        pytest.param(0.83, False, "rounded to too few figures", id="rounded"),
        pytest.param(1.5, False, "an AUC lies between 0 and 1; got 1.5", id="out of range"),
        pytest.param(0.5, False, "roc_auc_score over all 10,000 users", id="anything else"),
        pytest.param("0.8", False, "expected the AUC as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_recency_auc(recency, answer, passed, feedback):
    assert_verdict(ch02.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) Smoothed conversion rates as of 1 June, k = 10 pseudo-views


def _log(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "event_type", "timestamp"])
    return frame.assign(item_id=0, timestamp=pd.to_datetime(frame["timestamp"]))


# Before 1 June: user 0 views 4 times and buys once, user 1 views twice and clicks once, user 2 is
# not seen. Then user 2 views 3 times and buys twice, and user 0 views once more.
WORLD = SimpleNamespace(
    n_users=3,
    interactions=_log(
        [(0, "view", f"2024-05-0{day}") for day in range(1, 5)] + [(0, "purchase", "2024-05-05")]
        + [(1, "view", "2024-05-10"), (1, "view", "2024-05-11"), (1, "click", "2024-05-11")]
        + [(2, "view", f"2024-06-0{day}") for day in range(2, 5)] + [(2, "purchase", "2024-06-05")] * 2
        + [(0, "view", "2024-06-07")]
    ),
)
VIEWS, PURCHASES = np.array([4, 2, 0]), np.array([1, 0, 0])


def smoothed(views, purchases, prior, k=10):
    return (purchases + k * prior) / (views + k)


RATES = smoothed(VIEWS, PURCHASES, prior=1 / 6)  # 1 purchase per 6 views before 1 June


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(ch02, "_views_and_purchases", ch02._views_and_purchases.__wrapped__)  # uncached
    monkeypatch.setattr(ch02, "_world", lambda: WORLD)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(pd.Series(RATES), True, "users without views sit exactly at the global rate p = 0.1667",
                     id="right"),
        pytest.param(pd.Series(RATES, index=[0, 1, 2]).iloc[[2, 0, 1]], True, "every rate matches",
                     id="any order of the index"),
        pytest.param(RATES, True, "every rate matches", id="array"),
        pytest.param(list(RATES.round(6)), True, "every rate matches", id="list, rounded"),
        pytest.param(smoothed(VIEWS, PURCHASES, prior=1 / 8), False, "purchases per *view*, not per event",
                     id="prior per event"),
        pytest.param(smoothed(VIEWS, PURCHASES, prior=1 / 6, k=1), False, "that is k = 1", id="k = 1"),
        pytest.param(smoothed(np.array([5, 2, 3]), np.array([1, 0, 2]), prior=3 / 10), False,
                     "those rates use the whole log", id="whole log"),
        pytest.param([1 / 4, 0 / 2, np.nan], False, "some values are NaN", id="unsmoothed: 0/0 for user 2"),
        pytest.param(RATES[:2], False, "one value for each of the 3 users", id="users without history left out"),
        pytest.param(2 * RATES, False, "compare with (purchases + 10·p) / (views + 10)", id="anything else"),
        pytest.param(["a", "b", "c"], False, "some values are not numbers", id="texts"),
        pytest.param(0.17, False, "expected one number per user", id="one number"),
        pytest.param("0.17", False, "expected one number per user", id="text"),
        pytest.param(np.ones((3, 1)), False, "expected one number per user", id="2-D array"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_smoothed_conversion(world, answer, passed, feedback):
    assert_verdict(ch02.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Which features leak: (a), (c) and (e)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param({"a", "c", "e"}, True, "(a), (c) and (e) leak", id="right"),
        pytest.param(["A", "c", "e"], True, "(a), (c) and (e) leak", id="list, any case"),
        pytest.param("a, c, e", True, "(a), (c) and (e) leak", id="text"),
        pytest.param("a, c and e", True, "(a), (c) and (e) leak", id="text with and"),
        pytest.param("ace", True, "(a), (c) and (e) leak", id="text run together"),
        pytest.param(set("abcdef"), False, "3 of your letters are safe features", id="everything"),
        pytest.param({"a", "b"}, False, "1 of your letters is a safe feature and 2 leaking features are missing",
                     id="one safe, two missing"),
        pytest.param({"a", "c"}, False, "1 leaking feature is missing. Ask of each candidate", id="one missing"),
        pytest.param(set(), False, "3 leaking features are missing", id="nothing"),
        pytest.param({"a", "z"}, False, "unknown letters ['z']; the candidates are a to f", id="unknown letter"),
        pytest.param(3.5, False, "expected a set of letters, such as {'a', 'b'}, got float", id="number"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_leaky_features(answer, passed, feedback):
    verdict = ch02.check_3(answer)
    assert_verdict(verdict, passed, feedback)
    if passed is False:  # the feedback teaches the test, never which letters leak
        assert not re.search(r"\([a-f]\)", verdict.message)
