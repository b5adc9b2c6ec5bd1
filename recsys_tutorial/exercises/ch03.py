"""Checks for chapter 3 (train/test splits).

A temporal split at cutoff c puts every event with timestamp < c in train and every event with
timestamp >= c in test (train < cutoff <= test).

1. The cutoff of the temporal split that leaves 10 % of the default world's events in test.
2. The share of the temporal 80/20 test events that an interaction-only model cannot
   personalise: their user or their item never appears in training.
3. The share of leave-last-out test events that happen before the temporal 80/20 cutoff.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import split
from ..data import make_synthetic
from . import CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_EXACT = 1e-6  # slips within a few per cent of the answer are recognised at this tolerance


@lru_cache(maxsize=1)
def _log():
    return make_synthetic(random_state=0).interactions


@lru_cache(maxsize=2)
def _temporal(test_fraction: float):
    return split.temporal_split(_log(), test_fraction=test_fraction)


# ---------------------------------------------------------------------------------------------
# 1) The cutoff of a 90/10 temporal split
# ---------------------------------------------------------------------------------------------


@exercise
def check_1(cutoff) -> CheckResult:
    """Exercise 1: the cutoff c (train < c <= test) that leaves 10 % of events in test."""
    if not isinstance(cutoff, (str, dt.date, np.datetime64)):
        return wrong(f"expected a timestamp such as pd.Timestamp('2024-06-01 12:00'), got {type(cutoff).__name__}.")
    try:
        value = pd.Timestamp(cutoff)
    except (TypeError, ValueError):
        return wrong(f"expected a timestamp, got {cutoff!r:.60}.")
    if pd.isna(value):
        return wrong("expected a timestamp, got NaT (not a time).")
    if value.tzinfo is not None:
        return wrong("the log's timestamps have no time zone; give a timestamp without one.")
    log = _log()
    train, test = _temporal(0.1)
    expected = test["timestamp"].min()
    if train["timestamp"].max() < value <= expected:  # every such cutoff makes the same split
        return correct(f"events from {expected} on ({len(test):,}, 10 %) form the test set; any cutoff after "
                       "the last training event and up to that moment makes the same split.")
    share = float((log["timestamp"] >= value).mean())
    if abs(share - 0.9) < 0.01:
        return wrong("that leaves 90 % in test: the test set is the *latest* 10 % of events.")
    if value == train["timestamp"].max():
        return wrong("that is the last *training* event; with train < cutoff, it would land in test. The cutoff "
                     "is the time of the first test event (or anything between the two).")
    if abs(share - 0.1) < 0.002:
        return wrong(f"that cutoff leaves {share:.2%} of events in test, close but not the split's own: events at "
                     "or after the cutoff go to test, so it is the time of the first of the latest 10,000 events.")
    return wrong(f"that cutoff leaves {share:.1%} of events in test; aim for 10 %.")


# ---------------------------------------------------------------------------------------------
# 2) Test events an interaction-only model cannot personalise
# ---------------------------------------------------------------------------------------------


@exercise
def check_2(share) -> CheckResult:
    """Exercise 2: share of temporal 80/20 test events whose user or item is absent from training."""
    value = as_number(share, "the share")
    if isinstance(value, CheckResult):
        return value
    train, test = _temporal(0.2)
    cold_user = ~test["user_id"].isin(train["user_id"])
    cold_item = ~test["item_id"].isin(train["item_id"])
    expected = float((cold_user | cold_item).mean())
    if close(value, expected):
        return numeric_verdict(value, expected, "the share", explain=(
            f"{(cold_user | cold_item).sum():,} of {len(test):,} test events: a quarter of the future is out of "
            "reach of a model that learns from interactions alone; content features and popularity must "
            "serve it."))  # fmt: skip
    if close(value, cold_user.mean() + cold_item.mean(), rtol=_EXACT):
        return wrong("you added the two shares, so events whose user *and* item are both cold count twice; "
                     "count each event once (user cold OR item cold).")
    if close(value, cold_user.mean()):
        return wrong("that counts only events of cold-start users; events on cold-start items (whose user is "
                     "known) cannot be personalised either.")
    if close(value, cold_item.mean()):
        return wrong("that counts only events on cold-start items; add the events of cold-start users.")
    if close(value, (cold_user & cold_item).mean()):
        return wrong("that is the share where user AND item are both cold; the question asks for either.")
    if close(value, 100 * expected):
        return wrong("that looks like a percentage; give the share as a fraction between 0 and 1.")
    if close(value, (cold_user | cold_item).sum()):
        return wrong("that is the number of such events; divide by the number of test events.")
    verdict = numeric_verdict(value, expected, "the share")
    if verdict is not None:
        return verdict
    return wrong("for each test event, check whether its user_id appears in train and whether its item_id does; "
                 "take the share of events where at least one of the two does not.")


# ---------------------------------------------------------------------------------------------
# 3) Leave-last-out test events before the temporal cutoff
# ---------------------------------------------------------------------------------------------


@exercise
def check_3(share_before_cutoff) -> CheckResult:
    """Exercise 3: share of leave-last-out test events before the temporal 80/20 cutoff."""
    value = as_number(share_before_cutoff, "the share")
    if isinstance(value, CheckResult):
        return value
    log = _log()
    cutoff = _temporal(0.2)[1]["timestamp"].min()
    _, last = split.leave_last_out(log)
    expected = float((last["timestamp"] < cutoff).mean())
    if close(value, expected):
        return numeric_verdict(value, expected, "the share", explain=(
            "These test events lie in what a deployed model would call the past: a model evaluated on them "
            "has trained on later events of other users."))  # fmt: skip
    if close(value, 100 * expected):
        return wrong("express the share as a fraction between 0 and 1, not a percentage.")
    if close(value, 1 - expected):
        return wrong("that is the share at or after the cutoff; the question asks for the share before it.")
    verdict = numeric_verdict(value, expected, "the share")
    if verdict is not None:
        return verdict
    return wrong("compare each leave-last-out test timestamp with the cutoff, the first timestamp of the temporal "
                 "80/20 test set, and take the share of those before it.")
