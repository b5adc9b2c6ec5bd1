"""Checks for chapter 2 (point-in-time features)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .. import features
from ..data import make_synthetic
from . import CheckResult, as_number, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]

_CUTOFF = pd.Timestamp("2024-06-01")


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(random_state=0)


@lru_cache(maxsize=1)
def _user_features():
    world = _world()
    return features.user_features(world.interactions, _CUTOFF, n_users=world.n_users)


def check_1(n_users_without_history) -> CheckResult:
    """Exercise 1: users with no event before 2024-06-01."""
    value = as_number(n_users_without_history, "the number of users")
    if isinstance(value, CheckResult):
        return value
    world = _world()
    expected = int((_user_features()["n_events"] == 0).sum())
    if value == expected:
        return correct(f"{expected:,} of {world.n_users:,} users have no history yet; their features take the "
                       "documented defaults.")
    never_active = world.n_users - world.interactions["user_id"].nunique()
    if value == never_active:
        return wrong("that counts users with no event in the whole log. As of 1 June, a user whose first "
                     "event comes later has no history either: look only at events before the cutoff.")
    at_or_before = world.interactions[world.interactions["timestamp"] <= _CUTOFF]["user_id"].nunique()
    if value == world.n_users - at_or_before:
        return wrong("close: the history is the events strictly *before* the cutoff (< 1 June, not <=).")
    return wrong("count the users (out of all 10,000 ids) with zero events whose timestamp is before 1 June 2024.")


def check_2(smoothed_conversion) -> CheckResult:
    """Exercise 2: every user's smoothed conversion rate as of 2024-06-01 (k = 10)."""
    if not isinstance(smoothed_conversion, pd.Series):
        return wrong(f"expected a pandas Series indexed by user_id, got {type(smoothed_conversion).__name__}.")
    world = _world()
    expected = _user_features()["conversion_rate"]
    if len(smoothed_conversion) != world.n_users:
        return wrong(f"expected one value for each of the {world.n_users:,} users (users with no history "
                     f"too), got {len(smoothed_conversion):,}.")
    answer = smoothed_conversion.sort_index().to_numpy(dtype=float)
    if np.isnan(answer).any():
        return wrong("some values are NaN: with smoothing, a user with no views gets the global rate, not 0/0.")
    if np.allclose(answer, expected.to_numpy(), rtol=1e-9, atol=1e-12):
        return correct("every rate matches; users without views sit exactly at the global rate.")
    before = world.interactions[world.interactions["timestamp"] < _CUTOFF]
    views = np.bincount(before.loc[before["event_type"] == "view", "user_id"], minlength=world.n_users)
    purchases = np.bincount(before.loc[before["event_type"] == "purchase", "user_id"], minlength=world.n_users)
    per_event = purchases.sum() / len(before)
    if np.allclose(answer, (purchases + 10 * per_event) / (views + 10), rtol=1e-9):
        return wrong(f"the global rate p should be purchases per *view* ({purchases.sum() / views.sum():.4f}), "
                     f"not per event ({per_event:.4f}).")
    return wrong("compare with the formula (purchases + 10·p) / (views + 10) using only events before 1 June, "
                 "p = all purchases / all views before 1 June.")


_LEAKY = {"a": "counts purchases inside the label window",
          "c": "is measured on 1 July, after the label window, so it knows whether the user came back",
          "e": "covers June, the label window itself"}
_SAFE = {"b": "uses only the 7 days before the cutoff",
         "d": "is static catalogue data about an item chosen from past views",
         "f": "uses only the last event before the cutoff"}


def check_3(leaky_letters) -> CheckResult:
    """Exercise 3: which candidate features leak the label."""
    try:
        answer = {str(x).strip().lower() for x in leaky_letters}
    except TypeError:
        return wrong("expected a set of letters, such as {'a', 'b'}.")
    unknown = answer - set(_LEAKY) - set(_SAFE)
    if unknown:
        return wrong(f"unknown letters {sorted(unknown)}; the candidates are a to f.")
    missed = sorted(set(_LEAKY) - answer)
    false_alarms = sorted(answer & set(_SAFE))
    if not missed and not false_alarms:
        return correct("(a), (c) and (e) leak: each looks at or after 3 June. The rest use only the past.")
    notes = [f"({k}) leaks: it {_LEAKY[k]}" for k in missed] + [f"({k}) is safe: it {_SAFE[k]}" for k in false_alarms]
    return wrong("; ".join(notes) + ".")
