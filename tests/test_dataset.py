import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.data import Dataset, check_interactions


def _tables():
    interactions = pd.DataFrame(
        {
            "user_id": [0, 1, 1],
            "item_id": [1, 0, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "event_type": ["view", "click", "purchase"],
            "rating": [np.nan, 4.0, 5.0],
        }
    )
    users = pd.DataFrame({"user_id": [0, 1]})
    items = pd.DataFrame({"item_id": [0, 1, 2], "category": ["a", "b", "a"]})
    return interactions, users, items


def test_valid_dataset_builds():
    ds = Dataset(*_tables(), name="tiny")
    assert (ds.n_users, ds.n_items, ds.n_interactions) == (2, 3, 3)
    assert repr(ds).splitlines()[:3] == ["Dataset 'tiny'", "  users:        2", "  items:        3"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda i: i.drop(columns="rating"), "missing column"),
        (lambda i: i.assign(user_id=i["user_id"].astype(float)), "'user_id' must hold integers"),
        (lambda i: i.assign(item_id=[1, 0, 3]), "'item_id' must be < 3"),
        (lambda i: i.assign(user_id=[0, -1, 1]), "'user_id' must be >= 0"),
        (lambda i: i.assign(timestamp=["2024-01-01"] * 3), "'timestamp' must be datetime64"),
        (lambda i: i.assign(timestamp=pd.to_datetime(["2024-01-01", None, "2024-01-03"])), "missing values"),
        (lambda i: i.assign(event_type=["view", "like", "view"]), "unknown values ['like']"),
        (lambda i: i.assign(rating=[np.nan, 6.0, 5.0]), "'rating' must lie in [1, 5]"),
        (lambda i: i.assign(rating=["a", "b", "c"]), "'rating' must be float"),
        (lambda i: i.assign(user_id=pd.array([0, None, 1], dtype="Int64")), "'user_id' has 1 missing values"),
        (lambda i: i.assign(item_id=[True, False, True]), "'item_id' must hold integers"),
        (lambda i: i.iloc[:0], "the table is empty"),
        (lambda i: pd.concat([i, i[["user_id"]]], axis=1), "duplicated column(s) ['user_id']"),
    ],
)
def test_bad_interactions_name_the_column(mutate, message):
    interactions, users, items = _tables()
    with pytest.raises(ValueError) as excinfo:
        Dataset(mutate(interactions), users, items)
    assert message in str(excinfo.value)


def test_side_tables_need_contiguous_ids_and_a_category():
    interactions, users, items = _tables()
    with pytest.raises(ValueError, match="users: column 'user_id' must be the contiguous integers"):
        Dataset(interactions, pd.DataFrame({"user_id": [1, 2]}), items)
    with pytest.raises(ValueError, match="items: missing column 'category'"):
        Dataset(interactions, users, items.drop(columns="category"))
    with pytest.raises(ValueError, match="items: missing column 'item_id'"):
        Dataset(interactions, users, items.drop(columns="item_id"))
    with pytest.raises(ValueError, match="users: column 'user_id' must hold integers"):
        Dataset(interactions, pd.DataFrame({"user_id": [0.0, 1.0]}), items)
    with pytest.raises(ValueError, match="items: column 'category' has 1 missing values"):
        Dataset(interactions, users, items.assign(category=["a", None, "b"]))


def test_check_interactions_rejects_non_frames():
    with pytest.raises(ValueError, match="expected a pandas DataFrame"):
        check_interactions([[0, 1]])


def test_timezone_aware_timestamps_are_rejected_at_the_boundary_with_the_fix():
    interactions, users, items = _tables()
    aware = interactions.assign(timestamp=interactions["timestamp"].dt.tz_localize("Europe/Paris"))
    with pytest.raises(ValueError, match="must be timezone-naive.*tz_convert"):
        Dataset(aware, users, items)
