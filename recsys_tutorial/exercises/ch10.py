"""Checks for chapter 10 (monitoring and drift).

The expected answers are recomputed here from the chapter's setting: the drifting world of
section 10.2 (`make_synthetic` with ``n_days=120``, drift on 20 May 2024), a model trained on
the 14 days before 6 May, and the reference period before that training window.
"""

from __future__ import annotations

import dataclasses
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from .. import monitoring
from ..data import make_synthetic
from . import CheckResult, as_number, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_DRIFT_DATE = pd.Timestamp("2024-05-20")
_TRAIN_END = pd.Timestamp("2024-05-06")
_TRAIN_START = _TRAIN_END - pd.Timedelta(days=14)
_WEEK = pd.Timedelta(days=7)


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(n_days=120, drift_date=_DRIFT_DATE, taste_shift=0.6, popularity_shift=0.3, random_state=0)


def _feature(name: str) -> pd.Series:
    """One value per event of the chapter's ``events`` column ``name``."""
    world = _world()
    log = world.interactions
    items = log["item_id"].to_numpy()
    if name == "category":
        return pd.Series(world.items["category"].to_numpy()[items].astype(str))
    train = log[(log["timestamp"] >= _TRAIN_START) & (log["timestamp"] < _TRAIN_END)]
    return pd.Series(np.log1p(np.bincount(train["item_id"], minlength=world.n_items)[items]))  # item popularity


@cache
def _daily_psi(name: str, baseline: str = "reference") -> pd.Series:
    """Daily PSI of a feature from 6 May; baseline "reference" (the chapter's), "train" or "all before"."""
    times = _world().interactions["timestamp"]
    if baseline == "reference":
        return monitoring.windowed_psi(_feature(name), times, _TRAIN_START, freq="1D", start=_TRAIN_END)
    if baseline == "train":
        return monitoring.windowed_psi(_feature(name), times, _TRAIN_END, freq="1D", baseline_start=_TRAIN_START)
    return monitoring.windowed_psi(_feature(name), times, _TRAIN_END, freq="1D")


def _pre_drift(series: pd.Series) -> pd.Series:
    return series[series.index < _DRIFT_DATE]


# ---------------------------------------------------------------------------------------------


@exercise
def check_1(answer) -> CheckResult:
    """Exercise 1: PSI of shares 40/30/20/10 % against 25 % each."""
    b, c = np.full(4, 0.25), np.array([0.4, 0.3, 0.2, 0.1])
    expected = float(np.sum((c - b) * np.log(c / b)))
    value = as_number(answer, "the PSI")
    if isinstance(value, CheckResult):
        return value
    if close(value, float(np.sum((c - b) * np.log10(c / b)))):
        return wrong("PSI uses the natural logarithm (np.log), not log10.")
    if close(value, float(np.sum(c * np.log(c / b)))):
        return wrong("that is the KL divergence of the current shares from the baseline; PSI sums (c − b) · ln(c / b), "
                     "which counts both directions.")
    if close(value, float(np.sum((b - c) * np.log(c / b)))):
        return wrong("the sign is flipped: PSI is never negative, because (c − b) and ln(c / b) share their sign.")
    verdict = numeric_verdict(answer, expected, "the PSI", explain="Above 0.2: a shift worth acting on.")
    if verdict is not None:
        return verdict
    return wrong("sum (c − b) · ln(c / b) over the four bins, with c the current and b the baseline shares.")


@exercise
def check_2(answer) -> CheckResult:
    """Exercise 2: the one-day rule's quiet threshold for the daily category PSI before the drift."""
    category = _daily_psi("category")
    expected = monitoring.quiet_threshold(_pre_drift(category))
    value = as_number(answer, "the threshold")
    if isinstance(value, CheckResult):
        return value
    slips = [
        (monitoring.quiet_threshold(_pre_drift(category), consecutive=2),
         "that is the two-day rule's quiet threshold; a one-day rule fires on any single day above the threshold."),
        (monitoring.quiet_threshold(category),
         "that includes the days after the drift; calibrate only on the quiet days before drift_date."),
        (monitoring.quiet_threshold(_pre_drift(_daily_psi("item popularity (log)"))),
         "that is the item-popularity feature of section 10.3; use events[\"category\"]."),
        (monitoring.quiet_threshold(_pre_drift(_daily_psi("category", "train"))),
         "that baseline is the training window; the chapter's baseline is every event before train_start."),
        (monitoring.quiet_threshold(_pre_drift(_daily_psi("category", "all before"))),
         "that baseline is everything before train_end, training window included; pass train_start as "
         "baseline_end and start=train_end."),
    ]
    for slip, hint in slips:
        if not close(slip, expected) and close(value, slip):
            return wrong(hint)
    verdict = numeric_verdict(
        answer, expected, "the quiet threshold",
        explain="Far above 0.2: the daily category PSI is mostly sampling noise, so its threshold must be "
                "calibrated separately (or computed on weekly windows).",
    )  # fmt: skip
    if verdict is not None:
        return verdict
    if not 0 <= value:
        return wrong("a PSI, and so its quiet threshold, is never negative.")
    return wrong("compute the daily PSI of events[\"category\"] with windowed_psi(..., train_start, freq=\"1D\", "
                 "start=train_end), keep the days before drift_date, and pass them to quiet_threshold.")


@exercise
def check_3(answer) -> CheckResult:
    """Exercise 3: the 28-day trigger policy's post-drift NDCG@10 as a share of the ceiling's."""
    value = as_number(answer, "the share of the ceiling")
    if isinstance(value, CheckResult):
        return value
    weekly = _trigger_weekly_ndcg("28D")
    ceiling = _ceiling()
    post = weekly.index >= _DRIFT_DATE
    expected = weekly[post].mean() / ceiling[post].mean()
    verdict = numeric_verdict(
        answer, expected, "the share of the ceiling",
        explain="Slightly below the 14-day window's 0.216: every retrain on 28 days keeps up to three weeks of the "
                "old world. Whether that gap is more than noise needs a paired test over users (section 10.6).",
    )  # fmt: skip
    if verdict is not None and verdict.passed:
        return verdict
    short = _trigger_weekly_ndcg("14D")
    slips = [
        (short[post].mean() / ceiling[post].mean(),
         "that is the chapter's 14-day window; replay with train_window=\"28D\"."),
        (weekly[post].mean(), "that is the mean NDCG@10 itself; divide it by the ceiling's mean over the same weeks."),
        (weekly.mean() / ceiling.mean(), "that averages all eight weeks; keep the six weeks from drift_date on."),
        ((weekly[post] / ceiling[post]).mean(),
         "that averages the weekly shares; divide the mean NDCG@10 by the ceiling's mean instead."),
        (weekly[post].mean() / ceiling[~post].mean(),
         "that divides by the ceiling before the drift; use the ceiling of the same six weeks."),
    ]
    for slip, hint in slips:
        if not close(slip, expected) and close(value, slip):
            return wrong(hint)
    if verdict is not None:
        return verdict
    if not 0 < value < 1:
        return wrong("a model's share of the oracle's NDCG lies between 0 and 1.")
    return wrong("replay with monitoring.replay_retraining(..., train_window=\"28D\"), average its weekly NDCG@10 "
                 "over the weeks from drift_date, and divide by the ceiling's mean over those weeks.")


# ---------------------------------------------------------------------------------------------


@cache
def _trigger_weekly_ndcg(train_window: str) -> pd.Series:
    """Mean NDCG@10 per week of the chapter's trigger policy, replayed with ``train_window``."""
    from ..models import ItemKNN  # imported here: loading the models loads PyTorch

    world = _world()
    daily = _daily_psi("item popularity (log)")

    def alert_last_week(date):
        last_week = daily[(daily.index >= date - _WEEK) & (daily.index < date)]
        return monitoring.first_alert(last_week, monitoring.PSI_RETRAIN, consecutive=2) is not None

    replay = monitoring.replay_retraining(
        world.interactions, _TRAIN_END, 8, alert_last_week, lambda recent: ItemKNN().fit(recent), world.n_items,
        period="7D", train_window=train_window,
    )  # fmt: skip
    return replay["ndcg"].groupby("period").mean()


@lru_cache(maxsize=1)
def _ceiling() -> pd.Series:
    """Mean NDCG@10 per week of the oracle (the float64 truth of the chapter)."""
    world = _world()
    log = world.interactions
    truth = dataclasses.replace(
        world.truth,
        user_factors=world.truth.user_factors.astype(np.float64),
        item_factors=world.truth.item_factors.astype(np.float64),
    )
    out = {}
    for start in pd.date_range(_TRAIN_END, periods=8, freq="7D"):
        week = log[(log["timestamp"] >= start) & (log["timestamp"] < start + _WEEK)]

        def score(users, start=start):
            return truth.scores(users, at=start, after_drift=start >= _DRIFT_DATE)

        out[start] = monitoring.ndcg_on_new_items(score, log[log["timestamp"] < start], week, world.n_items).mean()
    return pd.Series(out)
