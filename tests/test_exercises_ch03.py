"""Exercise checks of chapter 3, on hand-made logs: each answer, the verdict it gets, the feedback it reads.

The checks read the chapter's log through cached helpers; here those helpers serve the tiny logs
below (the splits themselves still run, uncached). A temporal split at cutoff c: train < c <= test.
That the worked solutions pass on the real data is tested by tests/test_exercise_solutions.py.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch03

START = pd.Timestamp("2024-01-01")
HOUR = pd.Timedelta(hours=1)


def hourly_log(users, items) -> pd.DataFrame:
    """Event i at START + i hours."""
    return pd.DataFrame({"user_id": users, "item_id": items, "timestamp": START + np.arange(len(users)) * HOUR})


@pytest.fixture
def serve_log(monkeypatch):
    """Make the checks split ``log`` instead of the chapter's (and cache nothing)."""

    def serve(log):
        monkeypatch.setattr(ch03, "_log", lambda: log)
        monkeypatch.setattr(ch03, "_temporal", ch03._temporal.__wrapped__)

    return serve


# ---------------------------------------------------------------------------------------------
# 1) The cutoff of a 90/10 split: 1,000 hourly events, so the test set is events 900-999


def at_hour(i) -> pd.Timestamp:
    return START + i * HOUR


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(at_hour(900), True, "events from 2024-02-07 12:00:00 on (100, 10 %) form the test set",
                     id="first test event"),
        pytest.param(str(at_hour(900)), True, "any cutoff after the last training event", id="text"),
        pytest.param(at_hour(900).to_datetime64(), True, "form the test set", id="numpy datetime64"),
        pytest.param(at_hour(900).to_pydatetime(), True, "form the test set", id="datetime"),
        pytest.param(at_hour(899.5), True, "up to that moment makes the same split",
                     id="between the last train and first test event"),
        pytest.param(at_hour(100), False, "that leaves 90 % in test", id="90 % in test"),
        pytest.param(at_hour(899), False, "that is the last *training* event", id="last training event"),
        pytest.param(at_hour(901), False, "leaves 9.90% of events in test, close but not the split's own",
                     id="one event late"),
        pytest.param(dt.date(2024, 2, 7), False, "leaves 11.2% of events in test; aim for 10 %",
                     id="a date: midnight, hour 888"),
        pytest.param(at_hour(500), False, "leaves 50.0% of events in test; aim for 10 %", id="anything else"),
        pytest.param(pd.NaT, False, "got NaT", id="NaT"),
        pytest.param(at_hour(900).tz_localize("UTC"), False, "have no time zone", id="with a time zone"),
        pytest.param("next tuesday", False, "expected a timestamp, got 'next tuesday'", id="unreadable text"),
        pytest.param(3.5, False, "expected a timestamp such as pd.Timestamp('2024-06-01 12:00'), got float",
                     id="number"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_cutoff(serve_log, answer, passed, feedback):
    serve_log(hourly_log(users=np.arange(1_000) % 7, items=np.arange(1_000) % 11))
    assert_verdict(ch03.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) Test events out of reach of an interaction-only model

# Users 0 and 1 and items 0 and 1 are in train. Of six test events, three have a cold user, two a
# cold item, one both (user 3, item 6), and four at least one of them.
TRAIN = pd.DataFrame({"user_id": [0, 1], "item_id": [0, 1]})
TEST = pd.DataFrame({"user_id": [0, 2, 0, 3, 1, 2], "item_id": [0, 0, 5, 6, 1, 1]})


@pytest.fixture
def split_80_20(monkeypatch):
    monkeypatch.setattr(ch03, "_temporal", lambda test_fraction: (TRAIN, TEST))


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(4 / 6, True, "the share is 0.6667. 4 of 6 test events", id="right"),
        pytest.param(3 / 6 + 2 / 6, False, "events whose user *and* item are both cold count twice", id="sum"),
        pytest.param(3 / 6, False, "that counts only events of cold-start users", id="cold users only"),
        pytest.param(2 / 6, False, "that counts only events on cold-start items", id="cold items only"),
        pytest.param(1 / 6, False, "user AND item are both cold", id="both cold"),
        pytest.param(100 * 4 / 6, False, "looks like a percentage", id="percentage"),
        pytest.param(4, False, "that is the number of such events", id="count"),
        pytest.param(0.67, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.9, False, "at least one of the two does not", id="anything else"),
        pytest.param([0.6], False, "expected the share as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_share_out_of_reach(split_80_20, answer, passed, feedback):
    assert_verdict(ch03.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Leave-last-out test events before the temporal 80/20 cutoff

# Ten hourly events of five users; the 80/20 cutoff is hour 8. The users' last events are at hours
# 1, 8, 4, 9 and 7: three of five lie before the cutoff.
TEN_EVENTS = hourly_log(users=[0, 0, 1, 2, 2, 3, 4, 4, 1, 3], items=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(3 / 5, True, "the share is 0.6. These test events lie in what a deployed model would call "
                     "the past", id="right"),
        pytest.param(60, False, "not a percentage", id="percentage"),
        pytest.param(2 / 5, False, "that is the share at or after the cutoff", id="after"),
        pytest.param(0.9, False, "compare each leave-last-out test timestamp with the cutoff", id="anything else"),
        pytest.param("0.6", False, "expected the share as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_leave_last_out_before_the_cutoff(serve_log, answer, passed, feedback):
    serve_log(TEN_EVENTS)
    assert_verdict(ch03.check_3(answer), passed, feedback)

