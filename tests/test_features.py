import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import features as F
from recsys_tutorial.data import make_synthetic


def _tiny():
    log = pd.DataFrame(
        {
            "user_id": [0, 0, 0, 0, 1, 0],
            "item_id": [0, 0, 0, 1, 1, 2],
            "timestamp": pd.to_datetime(
                ["2024-01-01 00:00", "2024-01-01 00:05", "2024-01-01 00:09",
                 "2024-01-05 00:00", "2024-01-06 00:00", "2024-01-20 00:00"]
            ),
            "event_type": ["view", "click", "purchase", "view", "view", "view"],
            "rating": [np.nan, np.nan, 4.0, np.nan, 2.0, np.nan],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": [0, 1, 2],
            "category": ["a", "b", "a"],
            "release_date": pd.to_datetime(["2023-12-01", "2024-01-03", "2024-02-01"]),
        }
    )
    return log, items


def test_user_features_hand_worked():
    log, _ = _tiny()
    feats = F.user_features(log, as_of="2024-01-10", n_users=3, prior_strength=2.0)
    # Before 2024-01-10: user 0 has view, click, purchase of item 0 and a view of item 1; user 1 one view.
    assert feats.loc[0, ["n_events", "n_view", "n_click", "n_purchase", "n_items"]].tolist() == [4, 2, 1, 1, 2]
    assert feats.loc[0, "days_since_last_event"] == pytest.approx(5.0)
    assert feats.loc[0, "tenure_days"] == pytest.approx(9.0)
    assert feats.loc[0, "n_events_7d"] == 1  # only the 2024-01-05 view is within 7 days
    # Global before the cutoff: 3 views, 1 purchase, 1 click → both global rates are 1/3.
    assert feats.loc[0, "conversion_rate"] == pytest.approx((1 + 2 / 3) / (2 + 2))
    assert feats.loc[1, "conversion_rate"] == pytest.approx((0 + 2 / 3) / (1 + 2))
    # Mean ratings smoothed towards the global mean 3.0: user 0 has one 4-star, user 1 one 2-star.
    assert feats.loc[0, "mean_rating"] == pytest.approx((4 + 2 * 3.0) / 3)
    # User 2 has no history: defined values, no NaN.
    no_history = feats.loc[2]
    assert no_history["n_events"] == 0 and no_history["has_history"] == 0 and no_history["tenure_days"] == 0
    assert no_history["days_since_last_event"] == pytest.approx(9.0)  # silent since the log began
    assert no_history["conversion_rate"] == pytest.approx(1 / 3)
    assert not feats.isna().any().any()


def test_item_and_pair_features_hand_worked():
    log, items = _tiny()
    feats = F.item_features(log, as_of="2024-01-10", items=items, prior_strength=2.0)
    assert feats["n_events"].tolist() == [3, 2, 0]
    assert feats["n_users"].tolist() == [1, 2, 0]
    assert feats.loc[0, "log_popularity"] == pytest.approx(np.log(4))
    assert feats["is_released"].tolist() == [1, 1, 0]
    assert feats["age_days"].tolist() == pytest.approx([40.0, 7.0, 0.0])
    pairs = pd.DataFrame({"user_id": [0, 0, 2], "item_id": [2, 1, 0]})
    pair_feats = F.user_item_features(log, "2024-01-10", pairs, items, prior_strength=2.0)
    # User 0: 4 events before the cutoff, 3 in category a; global share of a is 3/5.
    assert pair_feats["user_category_events"].tolist() == [3, 1, 0]
    assert pair_feats["user_item_events"].tolist() == [0, 1, 0]
    assert pair_feats.loc[0, "user_category_affinity"] == pytest.approx((3 + 2 * 3 / 5) / (4 + 2))
    assert pair_feats.loc[2, "user_category_affinity"] == pytest.approx(3 / 5)


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 80), st.integers(0, 2**16), st.booleans())
def test_nothing_at_or_after_the_cutoff_changes_a_feature(day, seed, drop_instead):
    world = _small_world()
    log = world.interactions
    as_of = log["timestamp"].min().floor("D") + pd.Timedelta(days=day)
    future = log["timestamp"] >= as_of
    rng = np.random.default_rng(seed)
    changed = log.copy()
    if drop_instead:
        changed = changed[~(future & (rng.random(len(log)) < 0.5))]
    else:
        changed.loc[future, "item_id"] = rng.integers(0, world.n_items, size=int(future.sum()))
        changed.loc[future, "user_id"] = rng.integers(0, world.n_users, size=int(future.sum()))
        changed.loc[future, "rating"] = 1.0
    pairs = log[["user_id", "item_id"]].drop_duplicates().head(200)
    before = (
        F.user_features(log, as_of, n_users=world.n_users),
        F.item_features(log, as_of, items=world.items),
        F.user_item_features(log, as_of, pairs, world.items),
    )
    after = (
        F.user_features(changed, as_of, n_users=world.n_users),
        F.item_features(changed, as_of, items=world.items),
        F.user_item_features(changed, as_of, pairs, world.items),
    )
    for a, b in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(a, b)


_WORLD = {}


def _small_world():
    if "w" not in _WORLD:
        _WORLD["w"] = make_synthetic(n_users=400, n_items=150, n_interactions=6_000, random_state=7)
    return _WORLD["w"]


def test_changing_a_past_event_does_change_features():
    """The property above is not vacuous: history does feed the features."""
    world = _small_world()
    log = world.interactions
    as_of = log["timestamp"].quantile(0.5)
    changed = log.copy()
    changed.loc[changed.index[0], "event_type"] = "purchase"
    a = F.user_features(log, as_of, n_users=world.n_users)
    b = F.user_features(changed, as_of, n_users=world.n_users)
    assert not a.equals(b)


def test_default_world_features_are_complete(world):
    as_of = "2024-06-10"
    users = F.user_features(world.interactions, as_of, n_users=world.n_users)
    items = F.item_features(world.interactions, as_of, items=world.items)
    pairs = F.user_item_features(world.interactions, as_of, world.interactions[["user_id", "item_id"]], world.items)
    context = F.context_features(world.interactions["timestamp"])
    for frame in (users, items, pairs, context):
        assert not frame.isna().any().any()
    assert len(users) == world.n_users and len(items) == world.n_items


def test_context_features_put_midnight_next_to_late_evening():
    ctx = F.context_features(pd.to_datetime(["2024-06-01 23:59", "2024-06-02 00:01", "2024-06-03 12:00"]))
    assert ctx["is_weekend"].tolist() == [1, 1, 0]  # Saturday, Sunday, Monday
    late, early, noon = ctx[["hour_sin", "hour_cos"]].to_numpy()
    assert np.linalg.norm(late - early) < 0.02 < 1.9 < np.linalg.norm(late - noon)


def test_labels_in_window():
    log, _ = _tiny()
    labels = F.labels_in_window(log, "2024-01-01", "2024-01-02", n_users=3)
    assert labels.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="must be before"):
        F.labels_in_window(log, "2024-01-02", "2024-01-01")


def test_redundant_pairs_finds_a_copied_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.random(100), "b": rng.random(100)})
    frame["a_again"] = frame["a"] * 3 + 1
    pairs = F.redundant_pairs(frame)
    assert pairs[["feature_a", "feature_b"]].values.tolist() == [["a", "a_again"]]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda log, items: F.user_features(log, None), "as_of is required"),
        (lambda log, items: F.user_features(log.drop(columns="rating"), "2024-01-10"), "missing column"),
        (lambda log, items: F.user_features(log, "2024-01-10", n_users=1), "smaller than the largest"),
        (lambda log, items: F.user_item_features(log, "2024-01-10", pd.DataFrame({"user_id": [0]}), items),
         "pairs is missing"),
        (lambda log, items: F.user_item_features(
            log, "2024-01-10", pd.DataFrame({"user_id": [0], "item_id": [9]}), items), "outside"),
        (lambda log, items: F.context_features(pd.Series([pd.NaT])), "missing values"),
        (lambda log, items: F.user_features(log, "2024-01-10", prior_strength=0), "prior_strength"),
        (lambda log, items: F.user_features(log.assign(timestamp=log["timestamp"].dt.tz_localize("UTC")),
                                            "2024-01-10"), "timezone-naive"),
        (lambda log, items: F.user_features(log, pd.Timestamp("2024-01-10", tz="UTC")), "has a time zone"),
        (lambda log, items: F.item_features(log, "2024-01-10", items=items.iloc[:2]), "missing: 2"),
        (lambda log, items: F.AsOfFeatures(log).user_activity([0, 1], pd.to_datetime(["2024-01-10"])),
         "one time per id"),
    ],
)
def test_bad_input_is_named(call, message):
    log, items = _tiny()
    with pytest.raises(ValueError, match=message):
        call(log, items)


def test_one_engine_answers_each_request_at_its_own_moment(world):
    """The engine at (entity, time) pairs equals chapter 2's tables at each of those cutoffs."""
    log = world.interactions
    cutoffs = [log["timestamp"].quantile(q) for q in (0.3, 0.7, 1.0)]
    engine = F.AsOfFeatures(log, items=world.items)
    users, items = np.arange(world.n_users), np.arange(world.n_items)
    moments = np.repeat(np.array(cutoffs, dtype="datetime64[ns]"), [len(users)] * 3)
    asked_users = engine.user_activity(np.tile(users, 3), moments, distinct=True)
    asked_items = engine.item_activity(np.tile(items, 3), np.repeat(np.array(cutoffs, dtype="datetime64[ns]"),
                                                                    len(items)), distinct=True)
    for k, cutoff in enumerate(cutoffs):
        by_user = F.user_features(log, cutoff, n_users=world.n_users)
        by_item = F.item_features(log, cutoff, items=world.items)
        pd.testing.assert_frame_equal(asked_users.iloc[k * len(users):(k + 1) * len(users)].set_axis(by_user.index),
                                      by_user)
        pd.testing.assert_frame_equal(asked_items.iloc[k * len(items):(k + 1) * len(items)].set_axis(by_item.index),
                                      by_item)


def test_items_in_any_row_order_give_the_same_features(world):
    log = world.interactions
    shuffled = world.items.sample(frac=1, random_state=0)
    pairs = log[["user_id", "item_id"]].iloc[:500]
    pd.testing.assert_frame_equal(F.item_features(log, "2024-05-01", items=shuffled),
                                  F.item_features(log, "2024-05-01", items=world.items))
    pd.testing.assert_frame_equal(F.user_item_features(log, "2024-05-01", pairs, shuffled),
                                  F.user_item_features(log, "2024-05-01", pairs, world.items))
