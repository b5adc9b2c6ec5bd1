"""Exercise checks of chapter 9: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checkers' helpers.
"""

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import serving
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.exercises import ch09
from recsys_tutorial.ranking.online import feature_snapshot


@pytest.fixture(scope="module")
def bundle():
    return serving.load_bundle(ch09.exercise_bundle())


def test_blank_answers_reveal_nothing():
    for check in (ch09.check_1, ch09.check_2, ch09.check_3):
        assert check(None).passed is None


def test_exercise_1_point_in_time_read():
    world = make_synthetic(n_users=3_000, n_items=3_000, n_interactions=40_000, random_state=0)
    as_of = world.interactions["timestamp"].max() + pd.Timedelta(seconds=1)
    store = serving.SQLiteFeatureStore(":memory:")
    values = {}
    for days in (14, 2):
        moment = as_of - pd.Timedelta(days=days)
        table = feature_snapshot(world.interactions, world.items, moment, n_users=world.n_users)["item"]
        store.write("item", table, moment)
        values[days] = float(table.loc[0, "item__n_events_30d"])
    answer = float(store.read_frame("item", [0], as_of - pd.Timedelta(days=5)).loc[0, "item__n_events_30d"])
    assert answer == values[14] != values[2]
    assert ch09.check_1(answer).passed is True
    assert "later snapshot" in str(ch09.check_1(values[2]))


def test_exercise_2_the_cap_changes_lists(bundle):
    capped = serving.RequestPath(bundle, max_per_category=3, budget_ms=None)
    loose = serving.RequestPath(bundle, max_per_category=10, budget_ms=None)
    changed = np.array([capped.recommend(u, 10).items != loose.recommend(u, 10).items for u in range(200)])
    assert 0 < changed.mean() < 1
    assert ch09.check_2(float(changed.mean())).passed is True
    assert "number of lists" in str(ch09.check_2(float(changed.sum())))


def test_exercise_3_what_the_ranking_fallback_keeps(bundle):
    normal = serving.RequestPath(bundle, budget_ms=None)
    degraded = serving.RequestPath(bundle, budget_ms=None, faults={"ranking": "error"})
    overlap = np.mean([len(set(normal.recommend(u, 10).items) & set(degraded.recommend(u, 10).items)) / 10
                       for u in range(200)])
    assert 0 < overlap < 1
    assert ch09.check_3(float(overlap)).passed is True
    assert "divide by 10" in str(ch09.check_3(float(overlap * 10)))
