"""Checks for chapter 3 (train/test splits)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .. import split
from ..data import make_synthetic
from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]


@lru_cache(maxsize=1)
def _log():
    return make_synthetic(random_state=0).interactions


def check_1(cutoff) -> CheckResult:
    """Exercise 1: the cutoff that leaves 10 % of events in test."""
    try:
        value = pd.Timestamp(cutoff)
    except (TypeError, ValueError):
        return wrong(f"expected a timestamp, got {cutoff!r:.60}.")
    log = _log()
    train, test = split.temporal_split(log, test_fraction=0.1)
    expected = test["timestamp"].min()
    if train["timestamp"].max() < value <= expected:  # every such cutoff makes the same split
        return correct(f"the cutoff is {expected} (or anything after the last training event): events from "
                       f"then on ({len(test):,}) form the test set.")
    share = float((log["timestamp"] >= value).mean())
    if abs(share - 0.1) < 0.002:
        return wrong(f"that cutoff leaves {share:.2%} in test, close; the split's own cutoff is the time of the "
                     "first test event (ties at the cutoff go to test).")
    if abs(share - 0.9) < 0.01:
        return wrong("that leaves 90 % in test: the test set is the *latest* 10 % of events.")
    return wrong(f"that cutoff leaves {share:.1%} of events in test; aim for 10 %.")


def check_2(n_cold_items) -> CheckResult:
    """Exercise 2: distinct test items never seen in training (temporal 80/20)."""
    value = as_number(n_cold_items, "the number of items")
    if isinstance(value, CheckResult):
        return value
    train, test = split.temporal_split(_log(), test_fraction=0.2)
    cold = set(test["item_id"]) - set(train["item_id"])
    if value == len(cold):
        return correct(f"{len(cold)} test items are cold: nothing about them can be learnt from interactions.")
    if value == int(test["item_id"].isin(cold).sum()):
        return wrong("that counts test *events* on cold items; the question asks for distinct items.")
    return wrong("take the set of test item ids minus the set of training item ids, and count it.")


def check_3(share_before_cutoff) -> CheckResult:
    """Exercise 3: share of leave-last-out test events before the temporal 80/20 cutoff."""
    value = as_number(share_before_cutoff, "a share between 0 and 1")
    if isinstance(value, CheckResult):
        return value
    log = _log()
    cutoff = split.temporal_split(log, test_fraction=0.2)[1]["timestamp"].min()
    _, last = split.leave_last_out(log)
    expected = float((last["timestamp"] < cutoff).mean())
    if close(value, expected):
        return correct(f"{expected:.1%} of leave-last-out test events lie before the cutoff: a model evaluated "
                       "on them has trained on later events of other users.")
    if close(value, 100 * expected):
        return wrong("express the share as a fraction between 0 and 1, not a percentage.")
    if close(value, 1 - expected):
        return wrong("that is the share at or after the cutoff; the question asks for the share before it.")
    return wrong("compare each leave-last-out test timestamp with the first timestamp of the temporal test set.")
