"""Exercise checks of chapter 2: right answers pass, typical slips get their hint, garbage is "not yet".

Every expected answer is recomputed here from the raw log with pandas, numpy and scipy,
independently of the checker and of `recsys_tutorial.features`.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from recsys_tutorial.exercises import ch02

AS_OF = pd.Timestamp("2024-06-03")
LABEL_END = pd.Timestamp("2024-06-17")


def auc_by_ranks(label, score) -> float:
    """ROC AUC as the Mann–Whitney U statistic: P(score of a positive > score of a negative), ties ½."""
    label, ranks = np.asarray(label, dtype=bool), scipy.stats.rankdata(score)
    n_pos, n_neg = label.sum(), (~label).sum()
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def days_since_last_event(log, as_of, n_users) -> np.ndarray:
    """Days from each user's last event before ``as_of`` to ``as_of``; the history's length without one."""
    before = log[log["timestamp"] < as_of]
    last = before.groupby("user_id")["timestamp"].max()
    days = pd.Series((as_of - log["timestamp"].min()) / pd.Timedelta(days=1), index=range(n_users))
    days[last.index] = (as_of - last) / pd.Timedelta(days=1)
    return days.to_numpy()


@pytest.fixture(scope="module")
def buyers(world):
    log = world.interactions
    window = log[(log["timestamp"] >= AS_OF) & (log["timestamp"] < LABEL_END) & (log["event_type"] == "purchase")]
    return np.isin(np.arange(world.n_users), window["user_id"].unique())


@pytest.mark.parametrize("check", [ch02.check_1, ch02.check_2, ch02.check_3])
def test_blank_and_garbage_answers(check):
    assert check(None).passed is None
    for garbage in (np.nan, 3.5, object()):
        assert check(garbage).passed is False
    assert check("abc").passed is False


def test_exercise_1_recency_auc(world, buyers):
    recency = days_since_last_event(world.interactions, AS_OF, world.n_users)
    expected = auc_by_ranks(buyers, -recency)
    assert 0.6 < expected < 0.7
    assert ch02.check_1(expected).passed
    assert ch02.check_1(round(expected, 4)).passed
    assert "wrong way" in ch02.check_1(1 - expected).message
    leaky = days_since_last_event(world.interactions, pd.Timestamp("2024-07-01"), world.n_users)
    assert "whole log" in ch02.check_1(auc_by_ranks(buyers, -leaky)).message
    assert "percentage" in ch02.check_1(100 * expected).message
    assert ch02.check_1(0.55).passed is False and f"{expected:.3f}" not in ch02.check_1(0.55).message


def smoothed_rates(log, cutoff, n_users, k=10, per_event=False) -> pd.Series:
    before = log[log["timestamp"] < cutoff]
    counts = before.groupby(["user_id", "event_type"]).size().unstack(fill_value=0)
    counts = counts.reindex(range(n_users), fill_value=0)
    views, purchases = counts["view"], counts["purchase"]
    prior = purchases.sum() / (len(before) if per_event else views.sum())
    return ((purchases + k * prior) / (views + k)).rename_axis("user_id")


def test_exercise_2_smoothed_conversion(world):
    log, n = world.interactions, world.n_users
    cutoff = pd.Timestamp("2024-06-01")
    expected = smoothed_rates(log, cutoff, n)
    assert ch02.check_2(expected).passed
    assert ch02.check_2(expected.sample(frac=1, random_state=0)).passed  # any order of the index
    assert ch02.check_2(expected.to_numpy()).passed
    assert ch02.check_2(expected.round(6)).passed
    assert "per *view*" in ch02.check_2(smoothed_rates(log, cutoff, n, per_event=True)).message
    assert "k = 1" in ch02.check_2(smoothed_rates(log, cutoff, n, k=1)).message
    assert "whole log" in ch02.check_2(smoothed_rates(log, pd.Timestamp("2024-07-01"), n)).message
    assert "one value for each" in ch02.check_2(expected.iloc[:10]).message
    before = log[log["timestamp"] < cutoff]
    raw = before.query("event_type == 'purchase'").groupby("user_id").size() / before.query(
        "event_type == 'view'"
    ).groupby("user_id").size()
    assert "NaN" in ch02.check_2(raw.reindex(range(n))).message
    assert ch02.check_2(expected * 1.01).passed is False


def test_exercise_3_leaky_features():
    assert ch02.check_3({"a", "c", "e"}).passed
    assert ch02.check_3(["A", "c", "e"]).passed
    assert ch02.check_3("a, c, e").passed
    everything = ch02.check_3(set("abcdef"))
    assert not everything.passed and "3 of your letters are safe features" in everything.message
    feedback = ch02.check_3({"a", "b"}).message
    assert "1 of your letters is a safe feature" in feedback and "2 leaking features are missing" in feedback
    for letter in "bdf":  # the feedback teaches the test but never names which letters leak
        assert f"({letter})" not in feedback
    assert "unknown letters ['z']" in ch02.check_3({"a", "z"}).message
