from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_tutorial.data import REFERENCE_DATE, make_synthetic, stats
from recsys_tutorial.data.dataset import EVENT_TYPES


def test_default_world_has_the_requested_shape(world):
    assert (world.n_users, world.n_items, world.n_interactions) == (10_000, 5_000, 100_000)
    assert world.interactions["timestamp"].is_monotonic_increasing
    assert world.interactions["timestamp"].max() < REFERENCE_DATE
    assert world.interactions["timestamp"].min() >= REFERENCE_DATE - pd.Timedelta(days=90)
    assert set(world.interactions["event_type"].unique()) <= set(EVENT_TYPES[:4])
    assert world.items["category"].nunique() == 20


def test_same_seed_same_world_other_seed_other_world(small_world):
    again = make_synthetic(n_users=500, n_items=200, n_interactions=5_000, random_state=1)
    pd.testing.assert_frame_equal(small_world.interactions, again.interactions)
    pd.testing.assert_frame_equal(small_world.items, again.items)
    pd.testing.assert_frame_equal(small_world.users, again.users)
    other = make_synthetic(n_users=500, n_items=200, n_interactions=5_000, random_state=2)
    assert not small_world.interactions["item_id"].equals(other.interactions["item_id"])


@pytest.mark.parametrize("n_interactions", [1, 7, 999, 5_003])
def test_exact_number_of_events(n_interactions):
    ds = make_synthetic(n_users=50, n_items=30, n_interactions=n_interactions, n_categories=5, random_state=3)
    assert len(ds.interactions) == n_interactions


def test_funnels_are_prefixes_view_click_cart_purchase(world):
    per_pair = world.interactions.groupby(["user_id", "item_id", "event_type"], observed=False).size().unstack()
    steps = ["view", "click", "add_to_cart", "purchase"]
    for earlier, later in pairwise(steps):
        assert (per_pair[later] <= per_pair[earlier]).all(), f"more {later} than {earlier} for some pair"


def test_no_event_before_the_item_is_released(world):
    release = world.items["release_date"].to_numpy()[world.interactions["item_id"]]
    assert (world.interactions["timestamp"].to_numpy() >= release).all()
    assert (world.items["release_date"] >= REFERENCE_DATE - pd.Timedelta(days=90)).mean() == pytest.approx(0.2)


def test_signup_precedes_first_event(world):
    first = world.interactions.groupby("user_id")["timestamp"].min()
    assert (world.users.loc[first.index, "signup_date"].to_numpy() <= first.to_numpy()).all()


def test_popularity_and_activity_follow_the_planted_power_laws(world):
    item_exponent, item_r2 = stats.zipf_fit(stats.counts_per(world, "item_id"), 10, 1000)
    # Users' events come in sessions of random length: fit where users have many sessions.
    user_exponent, user_r2 = stats.zipf_fit(stats.counts_per(world, "user_id"), 10, 300)
    assert item_exponent == pytest.approx(0.9, abs=0.1) and item_r2 > 0.99
    assert user_exponent == pytest.approx(0.7, abs=0.1) and user_r2 > 0.99
    steeper = make_synthetic(item_popularity_exponent=1.2, random_state=0)
    assert stats.zipf_exponent(stats.counts_per(steeper, "item_id"), 10, 1000) == pytest.approx(1.2, abs=0.12)


def test_conversion_and_ratings_rise_with_true_affinity(world):
    inter = world.interactions
    views = inter[inter["event_type"] == "view"]
    purchases = inter[inter["event_type"] == "purchase"]
    view_affinity = world.truth.affinity(views["user_id"], views["item_id"])
    purchase_affinity = world.truth.affinity(purchases["user_id"], purchases["item_id"])
    assert purchase_affinity.mean() > view_affinity.mean() + 0.5
    rated = inter.dropna(subset=["rating"])
    assert set(rated["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    correlation = np.corrcoef(world.truth.affinity(rated["user_id"], rated["item_id"]), rated["rating"])[0, 1]
    assert correlation > 0.5


def test_weekly_seasonality_and_trend(world):
    daily = stats.daily_counts(world.interactions)
    by_weekday = daily.groupby(daily.index.day_of_week).mean()
    assert by_weekday[[5, 6]].mean() > 1.15 * by_weekday[[0, 1, 2, 3]].mean()
    assert daily.iloc[-28:].mean() > daily.iloc[:28].mean()


def test_drift_changes_what_users_do_after_the_drift_date():
    drift_date = REFERENCE_DATE - pd.Timedelta(days=30)
    drifted = make_synthetic(n_interactions=60_000, drift_date=drift_date, taste_shift=1.0, random_state=4)
    steady = make_synthetic(n_interactions=60_000, random_state=4)

    def category_shift(ds):
        category = ds.items["category"].cat.codes.to_numpy()[ds.interactions["item_id"]]
        after = (ds.interactions["timestamp"] >= drift_date).to_numpy()
        before_share = np.bincount(category[~after], minlength=20) / (~after).sum()
        after_share = np.bincount(category[after], minlength=20) / after.sum()
        return 0.5 * np.abs(before_share - after_share).sum()  # total variation distance

    assert category_shift(drifted) > 2.5 * category_shift(steady)
    truth = drifted.truth
    assert not np.allclose(truth.scores([0, 1]), truth.scores([0, 1], after_drift=True))
    with pytest.raises(ValueError, match="no drift"):
        steady.truth.scores([0], after_drift=True)


def test_truth_affinity_matrix_matches_pairwise_form(small_world):
    truth = small_world.truth
    users = np.array([0, 3, 7])
    matrix = truth.affinity(users)
    assert matrix.shape == (3, small_world.n_items)
    items = np.array([5, 0, 199])
    np.testing.assert_allclose(matrix[np.arange(3), items], truth.affinity(users, items), rtol=1e-5)


@pytest.mark.parametrize(
    "config, field",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": -5}, "n_items"),
        ({"n_interactions": 2.5}, "n_interactions"),
        ({"n_categories": 300, "n_items": 100}, "n_categories"),
        ({"item_popularity_exponent": -1.0}, "item_popularity_exponent"),
        ({"taste_concentration": 0.0}, "taste_concentration"),
        ({"new_item_fraction": 1.5}, "new_item_fraction"),
        ({"funnel_rates": (0.5, 1.2, 0.5)}, "funnel_rates"),
        ({"weekly_profile": (1, 1, 1)}, "weekly_profile"),
        ({"category_shares": (0.5, 0.6) + (0.0,) * 18}, "category_shares must sum to 1"),
        ({"taste_shift": 0.5}, "need a drift_date"),
        ({"taste_concentration": float("inf")}, "taste_concentration"),
        ({"weekly_profile": (1, 1, 1, 1, 1, 1, float("inf"))}, "weekly_profile"),
        ({"reference_date": pd.Timestamp("2024-07-01", tz="UTC")}, "timezone-naive"),
        ({"new_item_fraction": 0.99, "n_items": 100}, "new_item_fraction"),
        ({"session_length_mean": 0.5}, "session_length_mean"),
        ({"drift_date": "2030-01-01", "taste_shift": 0.5}, "drift_date must fall inside the window"),
    ],
)
def test_bad_configuration_names_the_field(config, field):
    with pytest.raises(ValueError, match=field):
        make_synthetic(**config)


def test_numpy_integers_are_valid_sizes():
    ds = make_synthetic(n_users=np.int64(50), n_items=np.int64(30), n_interactions=np.int64(200), n_days=np.int64(30),
                        n_categories=np.int64(5))
    assert len(ds.interactions) == 200


def test_steepest_allowed_popularity_with_a_popularity_shift_stays_finite():
    ds = make_synthetic(n_users=100, n_items=50, n_interactions=500, n_categories=5, item_popularity_exponent=5,
                        drift_date="2024-05-01", popularity_shift=0.5)
    assert np.isfinite(ds.truth.shifted_item_popularity).all()
    with pytest.raises(ValueError, match="item_popularity_exponent must lie in"):
        make_synthetic(item_popularity_exponent=1000)


def test_a_co_occurrence_model_beats_popularity_and_the_oracle_beats_both(world):
    """The planted signal is learnable: on a temporal split, item co-occurrence beats popularity."""
    inter = world.interactions
    cutoff = inter["timestamp"].quantile(0.8)
    train, test = inter[inter["timestamp"] < cutoff], inter[inter["timestamp"] >= cutoff]
    seen = sp.csr_matrix(
        (np.ones(len(train)), (train["user_id"], train["item_id"])), shape=(world.n_users, world.n_items)
    )
    seen.data[:] = 1.0
    relevant = test.groupby("user_id")["item_id"].agg(set)
    users = np.array([u for u in relevant.index if seen[u].nnz > 0 and relevant[u] - set(seen[u].indices)])
    rng = np.random.default_rng(0)
    users = rng.choice(users, size=min(2_000, len(users)), replace=False)

    def ndcg_at_10(scores):
        scores = np.where(seen[users].toarray() > 0, -np.inf, scores)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        discounts = 1 / np.log2(np.arange(2, 12))
        total = 0.0
        for user, row in zip(users, top, strict=True):
            targets = relevant[user] - set(seen[user].indices)
            gains = np.isin(row, list(targets))
            total += (gains * discounts).sum() / discounts[: min(10, len(targets))].sum()
        return total / len(users)

    popularity = np.asarray(seen.sum(axis=0)).ravel()
    co_occurrence = (seen.T @ seen).tocsr()
    co_occurrence.setdiag(0)
    popularity_ndcg = ndcg_at_10(np.tile(popularity, (len(users), 1)))
    co_occurrence_ndcg = ndcg_at_10((seen[users] @ co_occurrence).toarray())
    oracle_ndcg = ndcg_at_10(world.truth.scores(users))
    assert co_occurrence_ndcg > 1.25 * popularity_ndcg
    assert oracle_ndcg > 1.5 * co_occurrence_ndcg


def test_oracle_scores_are_the_choice_distribution_the_data_is_drawn_from():
    """With many candidates and one engagement per session, views follow softmax(truth.scores)."""
    world = make_synthetic(
        n_users=4, n_items=40, n_interactions=120_000, n_categories=4, user_activity_exponent=0.0,
        popularity_volatility=0.0, new_item_fraction=0.0, session_length_mean=1.0, n_candidates=256,
        taste_concentration=1.0, random_state=0,
    )  # fmt: skip
    views = world.interactions[world.interactions["event_type"] == "view"]
    scores = world.truth.scores(np.arange(4)).astype(float)
    oracle = np.exp(scores - scores.max(axis=1, keepdims=True))
    oracle /= oracle.sum(axis=1, keepdims=True)
    for user in range(4):
        mine = views[views["user_id"] == user]
        empirical = np.bincount(mine["item_id"], minlength=40) / len(mine)
        assert len(mine) > 15_000
        assert 0.5 * np.abs(empirical - oracle[user]).sum() < 0.03  # total variation distance


def test_no_event_lands_on_or_after_the_reference_date_even_when_the_window_is_packed():
    packed = make_synthetic(n_users=2_000, n_items=500, n_interactions=300_000, n_days=1, random_state=1)
    assert packed.interactions["timestamp"].max() < REFERENCE_DATE


def test_no_event_before_release_with_drift_and_many_new_items():
    world = make_synthetic(
        n_users=2_000, n_items=500, n_interactions=30_000, new_item_fraction=0.9,
        drift_date="2024-05-01", popularity_shift=1.0, random_state=0,
    )  # fmt: skip
    release = world.items["release_date"].to_numpy()[world.interactions["item_id"]]
    assert (world.interactions["timestamp"].to_numpy() >= release).all()


def test_each_pairs_first_event_is_a_view(world):
    first = world.interactions.groupby(["user_id", "item_id"], observed=True)["event_type"].first()
    assert (first == "view").all()
