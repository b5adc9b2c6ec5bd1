"""Exercise checks of chapter 3: right answers pass, typical slips get their hint, garbage is "not yet".

Every expected answer is recomputed here from the raw log with pandas and numpy, independently of
the checker and of `recsys_tutorial.split`. A temporal split at cutoff c: train < c <= test.
"""

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.exercises import ch03


@pytest.fixture(scope="module")
def log(world):
    return world.interactions


def temporal_by_hand(log, test_fraction):
    """Cutoff = the timestamp of the first of the latest round(fraction · n) events; ties go to test."""
    ordered = np.sort(log["timestamp"].to_numpy())
    cutoff = pd.Timestamp(ordered[len(ordered) - round(test_fraction * len(ordered))])
    return log[log["timestamp"] < cutoff], log[log["timestamp"] >= cutoff], cutoff


@pytest.mark.parametrize("check", [ch03.check_1, ch03.check_2, ch03.check_3])
def test_blank_and_garbage_answers(check):
    assert check(None).passed is None
    for garbage in ("abc", np.nan, [1, 2], object()):
        assert check(garbage).passed is False


def test_exercise_1_cutoff(log):
    train, test, cutoff = temporal_by_hand(log, 0.1)
    assert len(test) == 10_000 and train["timestamp"].max() < cutoff
    assert ch03.check_1(cutoff).passed
    assert ch03.check_1(str(cutoff)).passed
    assert ch03.check_1(cutoff.to_datetime64()).passed
    between = train["timestamp"].max() + (cutoff - train["timestamp"].max()) / 2
    assert ch03.check_1(between).passed  # any cutoff in (last train event, first test event] splits alike
    assert "*latest* 10 %" in ch03.check_1(np.sort(log["timestamp"])[10_000]).message
    assert "last *training* event" in ch03.check_1(train["timestamp"].max()).message
    assert "aim for 10 %" in ch03.check_1(pd.Timestamp("2024-05-01")).message
    assert "NaT" in ch03.check_1(pd.NaT).message
    assert "time zone" in ch03.check_1(cutoff.tz_localize("UTC")).message


def test_exercise_2_share_out_of_reach(log):
    train, test, _ = temporal_by_hand(log, 0.2)
    cold_user = ~test["user_id"].isin(set(train["user_id"]))
    cold_item = ~test["item_id"].isin(set(train["item_id"]))
    expected = (cold_user | cold_item).mean()
    assert 0.2 < expected < 0.3 and (cold_user & cold_item).any()
    assert ch03.check_2(expected).passed
    assert ch03.check_2(round(expected, 4)).passed
    assert "count twice" in ch03.check_2(cold_user.mean() + cold_item.mean()).message
    assert "only events of cold-start users" in ch03.check_2(cold_user.mean()).message
    assert "only events on cold-start items" in ch03.check_2(cold_item.mean()).message
    assert "AND" in ch03.check_2((cold_user & cold_item).mean()).message
    assert "percentage" in ch03.check_2(100 * expected).message
    assert "number of such events" in ch03.check_2(int((cold_user | cold_item).sum())).message
    assert ch03.check_2(0.5).passed is False


def test_exercise_3_leave_last_out_before_cutoff(log):
    _, _, cutoff = temporal_by_hand(log, 0.2)
    # each user's last event, ties in time broken by the log's order; users with one event have no test
    ordered = log.reset_index().sort_values(["user_id", "timestamp", "index"], kind="stable")
    last = ordered.groupby("user_id").tail(1)
    last = last[last["user_id"].map(log["user_id"].value_counts()) > 1]
    expected = (last["timestamp"] < cutoff).mean()
    assert 0.5 < expected < 0.7
    assert ch03.check_3(expected).passed
    assert "percentage" in ch03.check_3(100 * expected).message
    assert "at or after the cutoff" in ch03.check_3(1 - expected).message
    assert ch03.check_3(0.3).passed is False
