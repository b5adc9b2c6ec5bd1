"""Checks for chapter 2 (point-in-time features).

1. The AUC of recency alone (minus the days since the last event, as of 3 June 2024) at
   predicting a purchase in the label window 3–17 June.
2. Every user's smoothed conversion rate as of 1 June 2024, computed without `user_features`.
3. Which of six candidate features leak the label.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .. import features
from ..data import REFERENCE_DATE, make_synthetic
from . import RTOL, CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_AS_OF = pd.Timestamp("2024-06-03")  # exercise 1: the chapter's cutoff
_LABEL_END = _AS_OF + pd.Timedelta(days=14)
_CUTOFF = pd.Timestamp("2024-06-01")  # exercise 2
_PRIOR_VIEWS = 10  # k, the pseudo-views of the smoothed rate


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(random_state=0)


@lru_cache(maxsize=1)
def _label():
    world = _world()
    return features.labels_in_window(world.interactions, _AS_OF, _LABEL_END, n_users=world.n_users)


@lru_cache(maxsize=4)
def _recency(as_of: pd.Timestamp) -> pd.Series:
    world = _world()
    return features.user_features(world.interactions, as_of, n_users=world.n_users)["days_since_last_event"]


# ---------------------------------------------------------------------------------------------
# 1) Recency alone
# ---------------------------------------------------------------------------------------------


@exercise
def check_1(auc) -> CheckResult:
    """Exercise 1: ROC AUC of −days_since_last_event (as of 3 June) for a purchase in 3–17 June."""
    value = as_number(auc, "the AUC")
    if isinstance(value, CheckResult):
        return value
    label = _label()
    expected = roc_auc_score(label, -_recency(_AS_OF))
    if close(value, expected):
        return numeric_verdict(value, expected, "the AUC of recency alone", explain=(
            "One honest feature ranks next fortnight's buyers about as well as the chapter's logistic "
            "regression on eleven: most of what these features know is how active a user is."))  # fmt: skip
    if close(value, 1 - expected):
        return wrong("below 0.5: the score runs the wrong way. More days since the last event means a *less* "
                     "likely buyer, so score users by minus days_since_last_event.")
    if close(value, roc_auc_score(label, -_recency(REFERENCE_DATE))):
        return wrong("that is far too good: those features were computed on the whole log, so a purchase in "
                     "the label window resets the recency it is meant to predict. Compute them as of 3 June.")
    if close(value, 100 * expected):
        return wrong("AUC lies between 0 and 1; that looks like a percentage.")
    verdict = numeric_verdict(value, expected, "the AUC of recency alone")
    if verdict is not None:
        return verdict
    if not 0 <= value <= 1:
        return wrong(f"an AUC lies between 0 and 1; got {value:.4g}.")
    return wrong("use features.user_features(log, as_of, n_users=world.n_users) with as_of = 3 June, the label "
                 "features.labels_in_window(log, as_of, as_of + 14 days, ...), and roc_auc_score over all "
                 "10,000 users.")


# ---------------------------------------------------------------------------------------------
# 2) Smoothed conversion rates by hand
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _views_and_purchases() -> tuple[np.ndarray, np.ndarray]:
    world = _world()
    log = world.interactions
    before = log[log["timestamp"] < _CUTOFF]
    views = np.bincount(before.loc[before["event_type"] == "view", "user_id"], minlength=world.n_users)
    purchases = np.bincount(before.loc[before["event_type"] == "purchase", "user_id"], minlength=world.n_users)
    return views, purchases


def _smoothed(views, purchases, prior_rate, k=_PRIOR_VIEWS) -> np.ndarray:
    return (purchases + k * prior_rate) / (views + k)


@exercise
def check_2(smoothed_conversion) -> CheckResult:
    """Exercise 2: every user's smoothed conversion rate as of 1 June 2024 (k = 10 pseudo-views)."""
    n_users = _world().n_users
    if isinstance(smoothed_conversion, (str, bytes)) or np.ndim(smoothed_conversion) != 1:
        return wrong("expected one number per user: a pandas Series indexed by user_id (or a 1-D array), got "
                     f"{type(smoothed_conversion).__name__}.")
    if isinstance(smoothed_conversion, pd.Series):
        smoothed_conversion = smoothed_conversion.sort_index()
    try:
        answer = np.asarray(smoothed_conversion, dtype=float)
    except (TypeError, ValueError):
        return wrong("expected numbers, one per user; some values are not numbers.")
    if len(answer) != n_users:
        return wrong(f"expected one value for each of the {n_users:,} users (users with no history too), got "
                     f"{len(answer):,}.")
    if np.isnan(answer).any():
        return wrong("some values are NaN: with smoothing, a user with no views gets the global rate, not 0/0.")
    views, purchases = _views_and_purchases()
    global_rate = purchases.sum() / views.sum()
    expected = _smoothed(views, purchases, global_rate)
    if np.allclose(answer, expected, rtol=RTOL, atol=0):
        return correct(f"every rate matches; users without views sit exactly at the global rate "
                       f"p = {global_rate:.4f}.")
    per_event = purchases.sum() / (_world().interactions["timestamp"] < _CUTOFF).sum()
    if np.allclose(answer, _smoothed(views, purchases, per_event), rtol=RTOL):
        return wrong("the global rate p should be purchases per *view*, not per event.")
    if np.allclose(answer, _smoothed(views, purchases, global_rate, k=1), rtol=RTOL):
        return wrong("that is k = 1 pseudo-view; the exercise asks for k = 10.")
    everything = _world().interactions
    all_views = np.bincount(everything.loc[everything["event_type"] == "view", "user_id"], minlength=n_users)
    all_buys = np.bincount(everything.loc[everything["event_type"] == "purchase", "user_id"], minlength=n_users)
    if np.allclose(answer, _smoothed(all_views, all_buys, all_buys.sum() / all_views.sum()), rtol=RTOL):
        return wrong("those rates use the whole log; a feature as of 1 June may only count events before it.")
    return wrong("compare with (purchases + 10·p) / (views + 10), counting only events before 1 June, with "
                 "p = all purchases / all views before 1 June, for every user id 0..9,999.")


# ---------------------------------------------------------------------------------------------
# 3) Which features leak
# ---------------------------------------------------------------------------------------------

# (a) counts purchases inside the label window; (c) is measured on 1 July, after it; (e) covers June.
_LEAKY = {"a", "c", "e"}
_SAFE = {"b", "d", "f"}  # the 7 days before the cutoff; static catalogue data; the last event before it


@exercise
def check_3(leaky_letters) -> CheckResult:
    """Exercise 3: which candidate features leak the label."""
    if isinstance(leaky_letters, str):
        # "a, c", "a and c" and "ac" all name a and c.
        words = re.findall(r"[A-Za-z]+", leaky_letters)
        letters = [letter for word in words if word.lower() not in {"and", "or"} for letter in word]
    else:
        try:
            letters = [str(x).strip() for x in leaky_letters]
        except TypeError:
            return wrong(f"expected a set of letters, such as {{'a', 'b'}}, got {type(leaky_letters).__name__}.")
    answer = {letter.lower() for letter in letters}
    unknown = answer - _LEAKY - _SAFE
    if unknown:
        return wrong(f"unknown letters {sorted(unknown)}; the candidates are a to f.")
    missed = sorted(_LEAKY - answer)
    false_alarms = sorted(answer & _SAFE)
    if not missed and not false_alarms:
        return correct("(a), (c) and (e) leak: each looks at or after 3 June. The rest use only the past.")
    notes = []
    if false_alarms:
        n = len(false_alarms)
        notes.append(f"{n} of your letters {'is a safe feature' if n == 1 else 'are safe features'}")
    if missed:
        n = len(missed)
        notes.append(f"{n} leaking feature{' is' if n == 1 else 's are'} missing")
    return wrong(" and ".join(notes) + ". Ask of each candidate: could its value change if every event from "
                 "3 June on were deleted from the log? If so, it leaks.")
