"""Checks for chapter 10 (monitoring and drift)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .. import monitoring
from ..data import make_synthetic
from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]

_DRIFT_DATE = pd.Timestamp("2024-05-20")
_TRAIN_END = pd.Timestamp("2024-05-06")


@lru_cache(maxsize=1)
def _daily_psi() -> pd.Series:
    world = make_synthetic(n_days=120, drift_date=_DRIFT_DATE, taste_shift=0.6, popularity_shift=0.3, random_state=0)
    log = world.interactions
    train = log[(log["timestamp"] >= _TRAIN_END - pd.Timedelta(days=28)) & (log["timestamp"] < _TRAIN_END)]
    popularity = np.log1p(np.bincount(train["item_id"], minlength=world.n_items))
    return monitoring.windowed_psi(pd.Series(popularity[log["item_id"]]), log["timestamp"], _TRAIN_END, freq="1D")


def check_1(value) -> CheckResult:
    """Exercise 1: PSI of shares 40/30/20/10 % against 25 % each."""
    answer = as_number(value, "the PSI")
    if isinstance(answer, CheckResult):
        return answer
    b, c = np.full(4, 0.25), np.array([0.4, 0.3, 0.2, 0.1])
    expected = float(np.sum((c - b) * np.log(c / b)))
    if close(answer, expected, rtol=1e-6):
        return correct(f"PSI = {expected:.4f}: above 0.2, a shift worth acting on.")
    if close(answer, float(np.sum((c - b) * np.log10(c / b))), rtol=1e-6):
        return wrong("PSI uses the natural logarithm, not log10.")
    if close(answer, float(np.sum(c * np.log(c / b))), rtol=1e-6):
        return wrong("that is the KL divergence of current from baseline; PSI sums (c − b)·ln(c / b), both directions.")
    return wrong("sum (c − b) · ln(c / b) over the four bins.")


def check_2(n_days) -> CheckResult:
    """Exercise 2: days after the drift with daily PSI above 0.2."""
    answer = as_number(n_days, "a number of days")
    if isinstance(answer, CheckResult):
        return answer
    daily = _daily_psi()
    expected = int((daily[daily.index >= _DRIFT_DATE] > 0.2).sum())
    after = int((daily.index >= _DRIFT_DATE).sum())
    if answer == expected:
        return correct(f"{expected} of the {after} days after the drift: the shift persists, it is not noise.")
    if answer == int((daily > 0.2).sum()):
        return wrong("that includes the days before the drift; count only days on or after 20 May.")
    return wrong("filter daily_psi to dates on or after drift_date and count the values above 0.2.")


def check_3(date) -> CheckResult:
    """Exercise 3: the first alert with a one-day rule."""
    try:
        answer = pd.Timestamp(date)
    except (TypeError, ValueError):
        return wrong(f"expected a date, got {date!r:.60}.")
    daily = _daily_psi()
    expected = monitoring.first_alert(daily, 0.2, consecutive=1)
    if answer == expected:
        early = expected < _DRIFT_DATE
        return correct(f"{expected:%Y-%m-%d}" + (": before the drift, a false alarm the two-day rule avoids."
                                                 if early else "."))
    if answer == monitoring.first_alert(daily, 0.2, consecutive=2):
        return wrong("that is the two-day rule's alert; with consecutive=1 a single day above 0.2 is enough.")
    return wrong("use monitoring.first_alert(daily_psi, 0.2, consecutive=1).")
