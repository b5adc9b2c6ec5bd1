import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import split


@st.composite
def logs(draw, min_size=2):
    """Small interaction logs with many ties in time and uneven users."""
    n = draw(st.integers(min_size, 60))
    users = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    items = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "user_id": users,
            "item_id": items,
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, unit="min"),
        }
    )
    frame.index = draw(st.permutations(list(range(1000, 1000 + n))))  # any index survives
    return frame


def _assert_partition(frame, train, test):
    assert len(train) + len(test) == len(frame)
    assert set(train.index).isdisjoint(test.index)
    assert set(train.index) | set(test.index) == set(frame.index)
    pd.testing.assert_frame_equal(pd.concat([train, test]).loc[frame.index], frame)


@settings(max_examples=150, deadline=None)
@given(logs(), st.floats(0.05, 0.95))
def test_temporal_split_partitions_and_respects_the_cutoff(frame, fraction):
    if frame["timestamp"].nunique() < 2:
        with pytest.raises(ValueError):
            split.temporal_split(frame, test_fraction=fraction)
        return
    train, test = split.temporal_split(frame, test_fraction=fraction)
    _assert_partition(frame, train, test)
    assert len(test) > 0 and len(train) > 0
    assert train["timestamp"].max() < test["timestamp"].min()


@settings(max_examples=150, deadline=None)
@given(logs(), st.floats(0.05, 0.95), st.integers(1, 3))
def test_per_user_split_never_puts_a_test_event_before_a_train_event(frame, fraction, min_test):
    train, test = split.per_user_temporal_split(frame, test_fraction=fraction, min_test=min_test)
    _assert_partition(frame, train, test)
    last_train = train.groupby("user_id")["timestamp"].max()
    first_test = test.groupby("user_id")["timestamp"].min()
    both = first_test.index.intersection(last_train.index)
    assert (first_test[both] >= last_train[both]).all()
    assert set(test["user_id"]) <= set(train["user_id"])  # every test user keeps history
    n_events = frame.groupby("user_id").size()
    n_test = test.groupby("user_id").size().reindex(n_events.index, fill_value=0)
    expected = np.where(n_events > min_test, np.clip(np.round(fraction * n_events), min_test, n_events - 1), 0)
    assert (n_test.to_numpy() == expected).all()


@settings(max_examples=100, deadline=None)
@given(logs())
def test_leave_last_out_takes_each_users_last_event(frame):
    train, test = split.leave_last_out(frame)
    _assert_partition(frame, train, test)
    n_events = frame.groupby("user_id").size()
    assert set(test["user_id"]) == set(n_events[n_events > 1].index)
    assert test["user_id"].is_unique
    merged = test.groupby("user_id")["timestamp"].max()
    assert (merged >= train.groupby("user_id")["timestamp"].max().reindex(merged.index)).all()


@settings(max_examples=100, deadline=None)
@given(logs(), st.floats(0.05, 0.95), st.integers(0, 10))
def test_random_split_is_a_partition_and_deterministic(frame, fraction, seed):
    train, test = split.random_split(frame, test_fraction=fraction, random_state=seed)
    _assert_partition(frame, train, test)
    assert len(test) == round(fraction * len(frame))
    again_train, again_test = split.random_split(frame, test_fraction=fraction, random_state=seed)
    assert test.index.equals(again_test.index)


def test_ties_at_the_cutoff_go_to_test():
    frame = pd.DataFrame({"user_id": [0, 1, 2, 3], "item_id": [0, 0, 1, 1],
                          "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"])})
    train, test = split.temporal_split(frame, cutoff="2024-01-02")
    assert list(train.index) == [0] and list(test.index) == [1, 2, 3]


def test_three_way_split_is_ordered_in_time(world):
    train, validation, test = split.train_validation_test_split(world.interactions, 0.2, 0.1)
    assert train["timestamp"].max() < validation["timestamp"].min()
    assert validation["timestamp"].max() < test["timestamp"].min()
    assert len(train) + len(validation) + len(test) == len(world.interactions)
    assert len(validation) / len(world.interactions) == pytest.approx(0.1, abs=0.01)


def test_split_summary_counts_cold_start():
    train = pd.DataFrame({"user_id": [0, 1], "item_id": [0, 1], "timestamp": pd.to_datetime(["2024-01-01"] * 2)})
    test = pd.DataFrame({"user_id": [1, 2, 2], "item_id": [1, 2, 0], "timestamp": pd.to_datetime(["2024-01-05"] * 3)})
    summary = split.split_summary(train, test)
    assert summary["cold-start users in test"] == 1 and summary["cold-start items in test"] == 1
    assert summary["test events of cold-start users"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary["test events on cold-start items"] == pytest.approx(1 / 3, abs=1e-4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda f: split.temporal_split(f.iloc[:0]), "empty"),
        (lambda f: split.temporal_split(f.drop(columns="timestamp")), "missing column"),
        (lambda f: split.temporal_split(f, test_fraction=1.5), "strictly between 0 and 1"),
        (lambda f: split.temporal_split(f, cutoff="2030-01-01"), "must fall inside the data's range"),
        (lambda f: split.temporal_split(f, cutoff="2024-01-01", test_fraction=0.2), "not both"),
        (lambda f: split.per_user_temporal_split(f, min_test=0), "min_test"),
        (lambda f: split.random_split(f, test_fraction=0), "strictly between 0 and 1"),
        (lambda f: split.new_user_split(f, test_fraction=1.0), "strictly between 0 and 1"),
        (lambda f: split.train_validation_test_split(f, 0.5, 0.5), "must be < 1"),
        (lambda f: split.train_validation_test_split(f, method="kfold"), "unknown method"),
        (lambda f: split.temporal_split(f.assign(timestamp="x")), "datetime64"),
    ],
)
def test_bad_input_is_named(world, call, message):
    with pytest.raises(ValueError, match=message):
        call(world.interactions)


@settings(max_examples=100, deadline=None)
@given(logs(), st.floats(0.05, 0.95), st.integers(0, 10))
def test_per_user_random_split_holds_out_a_share_of_each_user(frame, fraction, seed):
    train, test = split.per_user_random_split(frame, test_fraction=fraction, random_state=seed)
    _assert_partition(frame, train, test)
    n_events = frame.groupby("user_id").size()
    n_test = test.groupby("user_id").size().reindex(n_events.index, fill_value=0)
    expected = np.where(n_events > 1, np.clip(np.round(fraction * n_events), 1, n_events - 1), 0)
    assert (n_test.to_numpy() == expected).all()
    again = split.per_user_random_split(frame, test_fraction=fraction, random_state=seed)[1]
    assert test.index.equals(again.index)


@settings(max_examples=100, deadline=None)
@given(logs(), st.floats(0.05, 0.95), st.integers(0, 10))
def test_new_user_split_holds_out_whole_users(frame, fraction, seed):
    n_users = frame["user_id"].nunique()
    n_test_users = round(fraction * n_users)
    if n_test_users in (0, n_users):
        with pytest.raises(ValueError, match="new_user_split: test_fraction"):
            split.new_user_split(frame, test_fraction=fraction, random_state=seed)
        return
    train, test = split.new_user_split(frame, test_fraction=fraction, random_state=seed)
    _assert_partition(frame, train, test)
    assert set(train["user_id"]).isdisjoint(test["user_id"])  # every test user is new
    assert test["user_id"].nunique() == n_test_users
    again = split.new_user_split(frame, test_fraction=fraction, random_state=seed)[1]
    assert test.index.equals(again.index)


@settings(max_examples=150, deadline=None)
@given(logs(min_size=1), st.integers(0, 3))
def test_shuffling_order_keeps_each_users_items_and_times(frame, seed):
    before = frame.copy()
    shuffled = split.shuffle_order_within_users(frame, random_state=seed)
    pd.testing.assert_frame_equal(frame, before)  # the input is left alone
    pd.testing.assert_frame_equal(shuffled.drop(columns="timestamp"), frame.drop(columns="timestamp"))
    for _, times in frame.groupby("user_id")["timestamp"]:
        assert sorted(shuffled.loc[times.index, "timestamp"]) == sorted(times)
    pd.testing.assert_frame_equal(split.shuffle_order_within_users(frame, random_state=seed), shuffled)


def test_shuffling_order_draws_each_permutation_alike():
    """One user with three events at three times: each of the 3! orders about equally often."""
    log = pd.DataFrame({"user_id": [5, 5, 5], "item_id": [0, 1, 2],
                        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})  # fmt: skip
    orders = pd.Series([
        tuple(split.shuffle_order_within_users(log, random_state=seed).sort_values("timestamp")["item_id"])
        for seed in range(1_200)
    ]).value_counts()  # fmt: skip
    assert len(orders) == 6
    from scipy import stats

    assert stats.chisquare(orders.to_numpy()).pvalue > 0.001


def test_shuffling_order_names_a_bad_frame():
    with pytest.raises(ValueError, match="shuffle_order_within_users: missing column"):
        split.shuffle_order_within_users(pd.DataFrame({"user_id": [0]}))
