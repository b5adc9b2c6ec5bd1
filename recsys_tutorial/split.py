"""Train/test splits of an interactions log, and what each one leaves in the test set.

Four ways to hold data out, from the most to the least realistic:

* `temporal_split`: one global cutoff in time; train is everything before it, test everything
  from it on. This is what deployment looks like: a model trained on the past serves the future.
* `per_user_temporal_split`: each user's latest events go to test. Every test user has history,
  but different users' test events span different times, so the model sees some of the "future"
  of other users (global trends, new items) while training.
* `leave_last_out`: the extreme per-user split: each user's last event is the test set.
* `random_split`: events assigned at random. Kept to show how it flatters a model: training sees
  events from the whole period, including the test period's trends and items.

And one that asks a different question: `new_user_split` holds whole users out, every event of
theirs, to measure how a model serves users it has never seen (cold start).

`shuffle_order_within_users` is a control rather than a split: each user's events keep their
items and their times, but which item came when is drawn at random, so a model that reads order
or recency has nothing to read (chapter 4b's pitfall lab).

Every function returns ``(train, test)`` frames that partition the input rows; both keep the
input's index, so ``train.index`` and ``test.index`` identify the rows that went each way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "temporal_split",
    "per_user_temporal_split",
    "leave_last_out",
    "random_split",
    "per_user_random_split",
    "new_user_split",
    "train_validation_test_split",
    "split_summary",
    "shuffle_order_within_users",
]

_REQUIRED = ("user_id", "item_id", "timestamp")


def temporal_split(
    interactions: pd.DataFrame, cutoff=None, test_fraction: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split at one point in time: train is ``timestamp < cutoff``, test is ``timestamp >= cutoff``.

    Give either ``cutoff`` or ``test_fraction``; with neither, ``test_fraction=0.2``. With
    ``test_fraction`` the cutoff is the timestamp that leaves that share of events in test
    (exactly, up to ties at the cutoff, which go to test; if the cutoff ties with the very first
    event it moves to the next distinct time, so train is never empty).

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=2_000)
    >>> log = world.interactions
    >>> train, test = temporal_split(log, test_fraction=0.25)
    >>> (len(train) + len(test) == len(log),
    ...  train["timestamp"].max() < test["timestamp"].min())
    (True, True)
    """
    _check_frame(interactions, "temporal_split")
    timestamps = interactions["timestamp"]
    if cutoff is not None and test_fraction is not None:
        raise ValueError("temporal_split: give either cutoff or test_fraction, not both")
    if cutoff is None:
        test_fraction = 0.2 if test_fraction is None else test_fraction
        _check_fraction(test_fraction, "temporal_split")
        cutoff = _cutoff_for_fraction(timestamps, test_fraction)
    cutoff = pd.Timestamp(cutoff)
    first, last = timestamps.min(), timestamps.max()
    if not first < cutoff <= last:
        raise ValueError(
            f"temporal_split: cutoff {cutoff} must fall inside the data's range ({first} .. {last}], "
            "so that both train and test are non-empty"
        )
    in_test = (timestamps >= cutoff).to_numpy()
    return interactions[~in_test], interactions[in_test]


def per_user_temporal_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2, min_test: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest events go to test: ``round(test_fraction · n_u)`` of them, clipped to
    ``min_test .. n_u − 1``.

    A user keeps at least one event in train: users with ``n_u <= min_test`` events stay wholly
    in train. Ties in time are broken by the input order, so no test event of a user precedes a
    train event of the same user.
    """
    _check_frame(interactions, "per_user_temporal_split")
    _check_fraction(test_fraction, "per_user_temporal_split")
    if not isinstance(min_test, (int, np.integer)) or min_test < 1:
        raise ValueError(f"per_user_temporal_split: min_test must be an integer >= 1, got {min_test!r}")
    rank, n_events = _rank_within_user(interactions["user_id"].to_numpy(), interactions["timestamp"].to_numpy())
    rank_from_end = n_events - 1 - rank  # 0 = the user's latest event
    n_test = np.round(test_fraction * n_events).astype(np.int64)
    # At least min_test, and always one event left in train; users with too few events stay in train.
    n_test = np.where(n_events > min_test, np.clip(n_test, min_test, n_events - 1), 0)
    in_test = rank_from_end < n_test
    return interactions[~in_test], interactions[in_test]


def leave_last_out(interactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's last event (ties broken by input order) is test; users with one event stay in train."""
    _check_frame(interactions, "leave_last_out")
    rank, n_events = _rank_within_user(interactions["user_id"].to_numpy(), interactions["timestamp"].to_numpy())
    in_test = (rank == n_events - 1) & (n_events > 1)
    return interactions[~in_test], interactions[in_test]


def random_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2, random_state: int | None = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign ``round(test_fraction · n)`` events, chosen uniformly at random, to test.

    Shown in the book to measure how much it flatters a model; do not use it to choose one.
    """
    _check_frame(interactions, "random_split")
    _check_fraction(test_fraction, "random_split")
    rng = np.random.default_rng(random_state)
    n_test = int(round(test_fraction * len(interactions)))
    in_test = np.zeros(len(interactions), dtype=bool)
    in_test[rng.choice(len(interactions), size=n_test, replace=False)] = True
    return interactions[~in_test], interactions[in_test]


def per_user_random_split(
    interactions: pd.DataFrame, test_fraction: float = 0.25, random_state: int | None = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each user, ``round(test_fraction · n_u)`` events chosen at random go to test.

    The classic protocol of MovieLens benchmarks (a random 75/25 per user when
    ``test_fraction=0.25``): every test user keeps most of their history. Like `random_split`, it
    ignores time; users with a single event stay in train.
    """
    _check_frame(interactions, "per_user_random_split")
    _check_fraction(test_fraction, "per_user_random_split")
    rng = np.random.default_rng(random_state)
    # A random key per row, ranked within each user: the lowest keys go to test.
    rank, n_events = _rank_within_user(interactions["user_id"].to_numpy(), rng.random(len(interactions)))
    n_test = np.round(test_fraction * n_events).astype(np.int64)
    n_test = np.where(n_events > 1, np.clip(n_test, 1, n_events - 1), 0)
    in_test = rank < n_test
    return interactions[~in_test], interactions[in_test]


def new_user_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2, random_state: int | None = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``round(test_fraction · n_users)`` users, chosen at random, with all their events.

    The test users are *new*: no event of theirs is in train, so a model can serve them only from
    what it knows without their history (popularity, or their side features). The cold-start
    protocol of chapter 4d.
    """
    _check_frame(interactions, "new_user_split")
    _check_fraction(test_fraction, "new_user_split")
    users = np.sort(interactions["user_id"].unique())
    rng = np.random.default_rng(random_state)
    n_test = int(round(test_fraction * len(users)))
    if n_test == 0 or n_test == len(users):
        raise ValueError(f"new_user_split: test_fraction={test_fraction} of {len(users)} users leaves "
                         f"{'no test' if n_test == 0 else 'no training'} user; "
                         "choose a fraction that keeps some of each")
    in_test = interactions["user_id"].isin(rng.choice(users, size=n_test, replace=False)).to_numpy()
    return interactions[~in_test], interactions[in_test]


def train_validation_test_split(
    interactions: pd.DataFrame,
    test_fraction: float = 0.2,
    validation_fraction: float = 0.1,
    method: str = "temporal",
    random_state: int | None = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hold out a test set, then carve a validation set from what is left, the same way.

    ``validation_fraction`` is a share of the whole input, so with the defaults the three parts
    hold about 70 / 10 / 20 % of events. ``method`` is ``"temporal"``, ``"per_user"`` or
    ``"random"``. Tune on validation; report on test once.
    """
    splitters = {
        "temporal": lambda df, f: temporal_split(df, test_fraction=f),
        "per_user": lambda df, f: per_user_temporal_split(df, test_fraction=f),
        "random": lambda df, f: random_split(df, test_fraction=f, random_state=random_state),
    }
    if method not in splitters:
        raise ValueError(f"train_validation_test_split: unknown method {method!r}, expected one of {list(splitters)}")
    _check_fraction(validation_fraction, "train_validation_test_split")
    _check_fraction(test_fraction, "train_validation_test_split")
    if validation_fraction + test_fraction >= 1:
        raise ValueError(
            "train_validation_test_split: validation_fraction + test_fraction must be < 1, got "
            f"{validation_fraction} + {test_fraction}"
        )
    rest, test = splitters[method](interactions, test_fraction)
    train, validation = splitters[method](rest, validation_fraction / (1 - test_fraction))
    return train, validation, test


def split_summary(train: pd.DataFrame, test: pd.DataFrame) -> pd.Series:
    """Sizes, date ranges and cold start of a split.

    A *cold-start* user (item) appears in test but not in train: no model that learns from
    interactions alone can personalise for it.
    """
    for frame, name in ((train, "train"), (test, "test")):
        _check_frame(frame, f"split_summary ({name})")
    test_users, test_items = pd.unique(test["user_id"]), pd.unique(test["item_id"])
    cold_users = np.setdiff1d(test_users, train["user_id"].to_numpy())
    cold_items = np.setdiff1d(test_items, train["item_id"].to_numpy())
    from_cold_user = test["user_id"].isin(cold_users)
    from_cold_item = test["item_id"].isin(cold_items)
    return pd.Series(
        {
            "train events": len(train),
            "test events": len(test),
            "test share": round(len(test) / (len(train) + len(test)), 4),
            "train period": _period(train),
            "test period": _period(test),
            "test users": len(test_users),
            "cold-start users in test": len(cold_users),
            "test items": len(test_items),
            "cold-start items in test": len(cold_items),
            "test events of cold-start users": round(float(from_cold_user.mean()), 4) if len(test) else 0.0,
            "test events on cold-start items": round(float(from_cold_item.mean()), 4) if len(test) else 0.0,
        },
        dtype=object,
    )


def shuffle_order_within_users(interactions: pd.DataFrame, random_state: int = 0) -> pd.DataFrame:
    """A copy of ``interactions`` whose timestamps are permuted within each user, at random.

    Every user keeps the same items and the same set of times; only which item took which time
    changes. A model that scores from the order or the recency of a history sees an order that
    says nothing, as after a pipeline that lost the order of events (a history rebuilt from a
    set, or from day-level dates). The index, the other columns and the row order are kept.

    Examples
    --------
    >>> log = pd.DataFrame({"user_id": [0, 0, 0, 1],
    ...                     "item_id": [10, 11, 12, 13],
    ...                     "timestamp": pd.to_datetime(["2024-01-01",
    ...                         "2024-01-02", "2024-01-03", "2024-01-01"])})
    >>> shuffled = shuffle_order_within_users(log, random_state=1)
    >>> shuffled["item_id"].tolist() == log["item_id"].tolist()
    True
    >>> (shuffled.groupby("user_id")["timestamp"].apply(sorted)
    ...  .equals(log.groupby("user_id")["timestamp"].apply(sorted)))
    True
    """
    _check_frame(interactions, "shuffle_order_within_users")
    users = interactions["user_id"].to_numpy()
    times = interactions["timestamp"].to_numpy()
    draws = np.random.default_rng(random_state).random(len(interactions))
    # Both orders group the rows by user, so the k-th row of a user in a random order takes that
    # user's k-th time.
    by_time, by_draw = np.lexsort((times, users)), np.lexsort((draws, users))
    shuffled = times.copy()
    shuffled[by_draw] = times[by_time]
    return interactions.assign(timestamp=pd.Series(shuffled, index=interactions.index))


# ---------------------------------------------------------------------------------------------


def _check_frame(interactions: pd.DataFrame, caller: str) -> None:
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError(f"{caller}: expected a pandas DataFrame, got {type(interactions).__name__}")
    missing = [c for c in _REQUIRED if c not in interactions.columns]
    if missing:
        raise ValueError(f"{caller}: missing column(s) {missing}; expected at least {list(_REQUIRED)}")
    if len(interactions) == 0:
        raise ValueError(f"{caller}: the interactions frame is empty")
    if not pd.api.types.is_datetime64_any_dtype(interactions["timestamp"]):
        raise ValueError(f"{caller}: column 'timestamp' must be datetime64, got {interactions['timestamp'].dtype}")
    if interactions["timestamp"].isna().any():
        raise ValueError(f"{caller}: column 'timestamp' has missing values")


def _check_fraction(fraction, caller: str) -> None:
    if not isinstance(fraction, (int, float, np.floating)) or not 0 < fraction < 1:
        raise ValueError(f"{caller}: fractions must lie strictly between 0 and 1, got {fraction!r}")


def _cutoff_for_fraction(timestamps: pd.Series, test_fraction: float) -> pd.Timestamp:
    """The timestamp with ``round(test_fraction · n)`` events at or after it (ties go to test)."""
    ordered = np.sort(timestamps.to_numpy())
    n_test = max(1, int(round(test_fraction * len(ordered))))
    cutoff = ordered[len(ordered) - n_test]
    if cutoff == ordered[0]:  # ties with the first event: move to the next distinct time, if any
        later = ordered[ordered > ordered[0]]
        if len(later) == 0:
            raise ValueError("temporal_split: every event shares one timestamp; no cutoff leaves a train set")
        cutoff = later[0]
    return pd.Timestamp(cutoff)


def _rank_within_user(users: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row: its rank among the user's rows ordered by ``key`` (0 = smallest; ties by input
    order), and the user's number of rows."""
    n_rows = len(users)
    order = np.lexsort((np.arange(n_rows), key, users))  # by user, then key, then input order
    sorted_users = users[order]
    starts = np.r_[True, sorted_users[1:] != sorted_users[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n_rows), 0))
    rank = np.empty(n_rows, dtype=np.int64)
    rank[order] = np.arange(n_rows) - group_start
    _, inverse, counts = np.unique(users, return_inverse=True, return_counts=True)
    return rank, counts[inverse]


def _period(frame: pd.DataFrame) -> str:
    if len(frame) == 0:
        return "empty"
    return f"{frame['timestamp'].min():%Y-%m-%d} to {frame['timestamp'].max():%Y-%m-%d}"
