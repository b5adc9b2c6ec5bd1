"""Exercise checks of chapter 10: right answers pass, typical slips get their hint.

The expected answers are recomputed here with NumPy and pandas, by other code than the
checker's: the PSI from category shares and decile bins, the alert rules from the daily series,
and the retraining replay and its NDCG@10 from a full stable sort of each user's scores.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.data import make_synthetic
from recsys_tutorial.exercises import ch10
from recsys_tutorial.models import ItemKNN

DRIFT = pd.Timestamp("2024-05-20")
TRAIN_END = pd.Timestamp("2024-05-06")
TRAIN_START = TRAIN_END - pd.Timedelta(days=14)
WEEK = pd.Timedelta(days=7)
EPSILON = 1e-4  # the floor on shares of monitoring.psi


@pytest.fixture(scope="module")
def world():
    return make_synthetic(n_days=120, drift_date=DRIFT, taste_shift=0.6, popularity_shift=0.3, random_state=0)


def psi_of_shares(baseline: pd.Series, current: pd.Series) -> float:
    b, c = baseline.align(current, fill_value=0.0)
    b, c = np.maximum(b.to_numpy(), EPSILON), np.maximum(c.to_numpy(), EPSILON)
    return float(np.sum((c - b) * np.log(c / b)))


def daily_psi(values: np.ndarray, times: pd.Series, baseline_mask: np.ndarray, numeric: bool) -> pd.Series:
    """PSI of each day from TRAIN_END against the baseline events."""
    baseline = values[baseline_mask]
    if numeric:  # ten bins at the baseline's deciles
        edges = np.unique(np.quantile(baseline, np.arange(1, 10) / 10))
        values = np.searchsorted(edges, values, side="right")
        baseline = values[baseline_mask]
    base_shares = pd.Series(baseline).value_counts(normalize=True)
    day = times.dt.floor("D").to_numpy()
    out = {}
    for d in pd.date_range(TRAIN_END, times.max().floor("D")):
        current = pd.Series(values[day == d])
        assert set(current) <= set(base_shares.index)  # no value the baseline never had
        out[d] = psi_of_shares(base_shares, current.value_counts(normalize=True))
    return pd.Series(out)


def popularity_feature(world) -> np.ndarray:
    log = world.interactions
    train = log[(log["timestamp"] >= TRAIN_START) & (log["timestamp"] < TRAIN_END)]
    return np.log1p(np.bincount(train["item_id"], minlength=world.n_items))[log["item_id"].to_numpy()]


def ndcg_at_10(scores: np.ndarray, users: np.ndarray, history: pd.DataFrame, week: pd.DataFrame) -> float:
    """Mean NDCG@10 over users with a new item in the week; items they had are never recommended."""
    had = history.groupby("user_id")["item_id"].apply(set)
    wanted = week.groupby("user_id")["item_id"].apply(set)
    values = []
    for row, user in enumerate(users):
        old = had.get(user, set())
        relevant = wanted[user] - old
        ranked = [i for i in np.argsort(-scores[row], kind="stable")[: 10 + len(old)] if i not in old][:10]
        dcg = sum(1 / np.log2(rank + 2) for rank, item in enumerate(ranked) if item in relevant)
        ideal = sum(1 / np.log2(rank + 2) for rank in range(min(10, len(relevant))))
        values.append(dcg / ideal)
    return float(np.mean(values))


def users_with_new_items(history: pd.DataFrame, week: pd.DataFrame) -> np.ndarray:
    had = set(zip(history["user_id"], history["item_id"]))
    return np.array(sorted({u for u, i in zip(week["user_id"], week["item_id"]) if (u, i) not in had}))


@pytest.fixture(scope="module")
def weekly(world):
    """Mean NDCG@10 per week: the trigger policy with 28- and 14-day windows, and the oracle."""
    log, n_items = world.interactions, world.n_items
    times = log["timestamp"]
    psi = daily_psi(popularity_feature(world), times, (times < TRAIN_START).to_numpy(), numeric=True)
    above = psi > 0.2
    two_days = above & above.shift(1, fill_value=False)

    def trigger(date):  # did two consecutive days above 0.2 end in the week before ``date``?
        return bool(two_days[(two_days.index >= date - WEEK + pd.Timedelta(days=1)) & (two_days.index < date)].any())

    starts = pd.date_range(TRAIN_END, periods=8, freq="7D")
    result = {}
    for window in (28, 14):
        model, out = None, {}
        for start in starts:
            if model is None or trigger(start):
                recent = log[(times >= start - pd.Timedelta(days=window)) & (times < start)]
                model = ItemKNN().fit(recent)
            history, week = log[times < start], log[(times >= start) & (times < start + WEEK)]
            users = users_with_new_items(history, week)
            scores = np.full((len(users), n_items), -np.inf)
            scores[:, : model.n_items_] = model.score_items(users)
            out[start] = ndcg_at_10(scores, users, history, week)
        result[f"trigger {window}"] = pd.Series(out)
    # The oracle (the world's true choice model of each week), computed in float64 as in the chapter.
    truth = dataclasses.replace(
        world.truth,
        user_factors=world.truth.user_factors.astype(np.float64),
        item_factors=world.truth.item_factors.astype(np.float64),
    )
    out = {}
    for start in starts:
        history, week = log[times < start], log[(times >= start) & (times < start + WEEK)]
        users = users_with_new_items(history, week)
        scores = truth.scores(users, at=start, after_drift=start >= DRIFT).astype(np.float64)
        out[start] = ndcg_at_10(scores, users, history, week)
    result["ceiling"] = pd.Series(out)
    return pd.DataFrame(result)


def test_check_1_the_psi_by_hand():
    b, c = np.full(4, 0.25), np.array([0.4, 0.3, 0.2, 0.1])
    # (c − b) · ln(c / b), bin by bin: 0.15 ln 1.6 + 0.05 ln 1.2 − 0.05 ln 0.8 − 0.15 ln 0.4
    assert ch10.check_1(0.15 * np.log(1.6) + 0.05 * np.log(1.2) - 0.05 * np.log(0.8) - 0.15 * np.log(0.4)).passed
    assert ch10.check_1(0.2282).passed  # four significant figures are enough
    assert "natural logarithm" in ch10.check_1(float(np.sum((c - b) * np.log10(c / b)))).message
    assert "KL divergence" in ch10.check_1(float(np.sum(c * np.log(c / b)))).message
    assert "sign" in ch10.check_1(-0.2282).message


def test_check_2_the_quiet_threshold_of_the_daily_category_psi(world):
    log = world.interactions
    times = log["timestamp"]
    categories = world.items["category"].to_numpy()[log["item_id"].to_numpy()].astype(str)
    category = daily_psi(categories, times, (times < TRAIN_START).to_numpy(), numeric=False)
    quiet = category[category.index < DRIFT]
    assert ch10.check_2(quiet.max()).passed
    assert ch10.check_2(round(quiet.max(), 4)).passed
    assert "two-day" in ch10.check_2(np.minimum(quiet, quiet.shift(1)).max()).message
    assert "after the drift" in ch10.check_2(category.max()).message
    popularity = daily_psi(popularity_feature(world), times, (times < TRAIN_START).to_numpy(), numeric=True)
    assert "item-popularity" in ch10.check_2(popularity[popularity.index < DRIFT].max()).message
    in_train = ((times >= TRAIN_START) & (times < TRAIN_END)).to_numpy()
    against_train = daily_psi(categories, times, in_train, numeric=False)
    assert "training window" in ch10.check_2(against_train[against_train.index < DRIFT].max()).message


def test_check_3_the_share_of_the_ceiling_of_a_28_day_window(weekly):
    post = weekly.index >= DRIFT
    expected = weekly.loc[post, "trigger 28"].mean() / weekly.loc[post, "ceiling"].mean()
    assert 0.15 < expected < 0.25
    assert ch10.check_3(expected).passed
    assert "14-day" in ch10.check_3(weekly.loc[post, "trigger 14"].mean() / weekly.loc[post, "ceiling"].mean()).message
    assert "divide it by the ceiling" in ch10.check_3(weekly.loc[post, "trigger 28"].mean()).message
    assert "all eight weeks" in ch10.check_3(weekly["trigger 28"].mean() / weekly["ceiling"].mean()).message
    assert "weekly shares" in ch10.check_3((weekly.loc[post, "trigger 28"] / weekly.loc[post, "ceiling"]).mean()).message


@pytest.mark.parametrize("check", [ch10.check_1, ch10.check_2, ch10.check_3])
def test_blank_and_garbage_answers_get_a_reply_not_an_exception(check):
    assert check(None).passed is None
    for garbage in ("abc", float("nan"), [0.2, 0.3], {"psi": 0.2}):
        assert check(garbage).passed is False
