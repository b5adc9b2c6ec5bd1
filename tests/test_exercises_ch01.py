"""Exercise checks of chapter 1: right answers pass, typical slips get their hint, garbage is "not yet".

Every expected answer is recomputed here with pandas and numpy, independently of the checker.
"""

import numpy as np
import pytest

from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.exercises import ch01


def gini_by_hand(counts) -> float:
    """G = Σ (2i − n − 1) x_(i) / (n Σ x), i = 1..n, counts sorted ascending."""
    x = np.sort(np.asarray(counts, dtype=float))
    n = len(x)
    return float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * x.sum()))


@pytest.fixture(scope="module")
def purchases(world):
    return world.interactions.query("event_type == 'purchase'")


@pytest.fixture(scope="module")
def ratings_per_user():
    return load_movielens_100k().interactions.groupby("user_id").size().to_numpy()


@pytest.mark.parametrize("check", [ch01.check_1, ch01.check_2, ch01.check_3])
def test_blank_and_garbage_answers(check):
    assert check(None).passed is None
    for garbage in ("abc", np.nan, [0.1, 0.2], {"a": 1}):
        result = check(garbage)
        assert result.passed is False and "expected" in result.message


def test_exercise_1_purchase_density(world, purchases):
    cells = 10_000 * 5_000
    pairs = purchases.groupby(["user_id", "item_id"]).ngroups
    density = pairs / cells
    assert ch01.check_1(density).passed
    assert ch01.check_1(float(f"{density:.4g}")).passed  # four significant figures are enough
    assert "rounded" in ch01.check_1(float(f"{density:.2g}")).message
    assert "distinct (user_id, item_id) pairs" in ch01.check_1(len(purchases) / cells).message
    all_pairs = world.interactions.groupby(["user_id", "item_id"]).ngroups
    assert "*all* events" in ch01.check_1(all_pairs / cells).message
    assert "sparsity" in ch01.check_1(1 - density).message
    assert "percentage" in ch01.check_1(100 * density).message
    active = purchases["user_id"].nunique() * purchases["item_id"].nunique()
    assert "buyers × bought items" in ch01.check_1(pairs / active).message
    assert ch01.check_1(2 * density).passed is False
    assert str(density) not in ch01.check_1(2 * density).message


def test_exercise_2_movielens_user_gini(ratings_per_user):
    assert len(ratings_per_user) == 943 and ratings_per_user.min() >= 20  # no zeros to add
    expected = gini_by_hand(ratings_per_user)
    assert 0.45 < expected < 0.5
    assert ch01.check_2(expected).passed
    assert ch01.check_2(round(expected, 4)).passed
    n = len(ratings_per_user)
    assert "off by one" in ch01.check_2(expected - 2 / n).message
    assert "'- 1'" in ch01.check_2(expected + 1 / n).message
    item_counts = load_movielens_100k().interactions.groupby("item_id").size()
    assert "movie popularity" in ch01.check_2(gini_by_hand(item_counts)).message
    assert "[0, 1]" in ch01.check_2(1.7).message
    assert ch01.check_2(0.3).passed is False


def test_exercise_3_top_one_percent_of_buyers(world, purchases):
    per_user = purchases.groupby("user_id").size().reindex(range(world.n_users), fill_value=0)
    top = per_user.sort_values(ascending=False).iloc[:100]
    expected = top.sum() / per_user.sum()
    assert 0.2 < expected < 0.3
    assert ch01.check_3(expected).passed
    assert "percentage" in ch01.check_3(100 * expected).message
    # 1 % of the buyers only (31 users), not 1 % of all users
    buyers = per_user[per_user > 0].sort_values(ascending=False)
    assert "buyers or not" in ch01.check_3(buyers.iloc[: round(0.01 * len(buyers))].sum() / per_user.sum()).message
    # users ranked by events instead of purchases (ties in the order of user id, like a stable sort)
    events = world.interactions.groupby("user_id").size().reindex(range(world.n_users), fill_value=0)
    by_events = np.argsort(-events.to_numpy(), kind="stable")[:100]
    assert "*purchases*" in ch01.check_3(per_user.to_numpy()[by_events].sum() / per_user.sum()).message
    assert "*events*" in ch01.check_3(np.sort(events.to_numpy())[::-1][:100].sum() / events.sum()).message
    assert ch01.check_3(0.9).passed is False
