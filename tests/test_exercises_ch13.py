"""Exercise checks of appendix A: right answers pass, typical slips get their hint.

The answers are built here with pandas (the checks accept a pandas frame as well as a Spark
DataFrame), by other code than the checker's, so these tests run without Spark or Java.
"""

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.exercises import ch13


@pytest.fixture(scope="module")
def events(world):
    log = world.interactions.reset_index(drop=True)
    return log.assign(row_id=np.arange(len(log)), category=world.items["category"].astype(str).to_numpy()[log["item_id"]])


def last_rows(events: pd.DataFrame, ascending_time: bool = True) -> pd.DataFrame:
    ordered = events.sort_values(["user_id", "timestamp", "row_id"], ascending=[True, ascending_time, ascending_time])
    size = events.groupby("user_id")["row_id"].transform("size")
    return ordered[size.loc[ordered.index] > 1].groupby("user_id").tail(1)[["row_id"]]


def test_check_1_leave_last_out(events):
    assert ch13.check_1(None).passed is None
    assert ch13.check_1(last_rows(events)).passed
    everyone = events.sort_values(["user_id", "timestamp", "row_id"]).groupby("user_id").tail(1)[["row_id"]]
    assert "only event" in ch13.check_1(everyone).message
    assert "first" in ch13.check_1(last_rows(events, ascending_time=False)).message
    assert "row_id" in ch13.check_1(pd.DataFrame({"rows": [1]})).message
    assert not ch13.check_1([1, 2, 3]).passed


def test_check_2_categories_before_the_cutoff(events):
    before = events[events["timestamp"] < ch13.AS_OF]
    right = before.groupby("user_id")["category"].nunique().rename("n_categories").reset_index()
    assert ch13.check_2(right).passed
    leaky = events.groupby("user_id")["category"].nunique().rename("n_categories").reset_index()
    assert "leaks the future" in ch13.check_2(leaky).message
    items = before.groupby("user_id")["item_id"].nunique().rename("n_categories").reset_index()
    assert "distinct items" in ch13.check_2(items).message
    assert "missing column" in ch13.check_2(right.rename(columns={"n_categories": "n"})).message


def test_check_3_trending_items(events):
    window = events[(events["timestamp"] >= ch13.AS_OF - pd.Timedelta(days=7)) & (events["timestamp"] < ch13.AS_OF)]
    counts = window.groupby(["category", "item_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["category", "n", "item_id"], ascending=[True, False, True])
    counts["rank"] = counts.groupby("category").cumcount() + 1
    assert ch13.check_3(counts[counts["rank"] <= 3]).passed
    assert "row_number" in ch13.check_3(counts[counts["rank"] <= 4]).message
    whole = events[events["timestamp"] < ch13.AS_OF].groupby(["category", "item_id"]).size().rename("n").reset_index()
    whole = whole.sort_values(["category", "n", "item_id"], ascending=[True, False, True])
    whole["rank"] = whole.groupby("category").cumcount() + 1
    assert "whole history" in ch13.check_3(whole[whole["rank"] <= 3]).message
