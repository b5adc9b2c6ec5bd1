"""Point-in-time features: everything a model may know *as of* a moment.

Every function here takes a cutoff ``as_of`` and reads only events strictly before it, so that
changing, adding or removing any event at or after ``as_of`` cannot change a feature. That is the
whole defence against leakage: a feature computed for a training example at time t must be
computable in production at time t.

Defined values where there is no evidence (never NaN):

* counts are 0;
* rates are smoothed towards the global rate before ``as_of`` with ``prior_strength``
  pseudo-observations: ``(successes + k · global_rate) / (trials + k)``, so a user with no views
  gets the global conversion rate, and one purchase out of one view does not claim 100 %;
* ``days_since_last_event`` of a user or item with no history is the length of the history
  before ``as_of`` (it has been silent at least that long); ``tenure_days`` is 0;
* ``age_days`` of an item not yet released at ``as_of`` is 0, flagged by ``is_released = 0``;
* ``mean_rating`` is smoothed towards the global mean rating, or towards 3 (the middle of the
  1–5 scale) when no rating at all exists before ``as_of``.

The number of rows is the only thing taken from the whole log (one past the largest id) unless
``n_users`` / ``items`` fix it; pass them, as the book does, to make even the shape independent
of the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "user_features",
    "item_features",
    "user_item_features",
    "context_features",
    "labels_in_window",
    "redundant_pairs",
]

_FUNNEL = ("view", "click", "add_to_cart", "purchase")
_RATING_MIDPOINT = 3.0  # the prior mean rating when no rating exists before as_of (1–5 scale)
_DAY = pd.Timedelta(days=1)


def user_features(
    interactions: pd.DataFrame, as_of, n_users: int | None = None, prior_strength: float = 10.0
) -> pd.DataFrame:
    """Per-user features from events before ``as_of``: one row per user id ``0..n_users-1``.

    Columns: ``n_events``, ``n_view`` … ``n_purchase``, ``n_ratings``, ``n_items`` (distinct),
    ``n_events_7d`` and ``n_events_30d`` (the last 7 and 30 days), ``days_since_last_event``,
    ``tenure_days`` (since the first event), ``events_per_day`` (over the tenure, at least one
    day), ``click_through_rate`` and ``conversion_rate`` (smoothed, per view), ``mean_rating``
    (smoothed towards the global mean), ``has_history`` (0/1).

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=3_000)
    >>> feats = user_features(world.interactions, as_of="2024-06-01",
    ...                       n_users=world.n_users)
    >>> feats.shape[0], bool(feats.notna().all().all())
    (300, True)
    """
    history, as_of = _history(interactions, as_of, "user_features")
    n_users = _size(interactions, "user_id", n_users, "user_features")
    frame = _activity_block(history, "user_id", n_users, as_of, _history_days(interactions, as_of), prior_strength)
    frame["n_items"] = _distinct_counts(history, "user_id", "item_id", n_users)
    first = _reduce_time(history, "user_id", n_users, "min")
    frame["tenure_days"] = np.where(frame["has_history"] == 1, (as_of - first) / _DAY, 0.0)
    frame["events_per_day"] = frame["n_events"] / np.maximum(frame["tenure_days"], 1.0)
    frame.index.name = "user_id"
    return frame


def item_features(
    interactions: pd.DataFrame,
    as_of,
    items: pd.DataFrame | None = None,
    n_items: int | None = None,
    prior_strength: float = 10.0,
) -> pd.DataFrame:
    """Per-item features from events before ``as_of``: one row per item id.

    Columns: the same activity block as `user_features` (counts, recent counts, recency, smoothed
    rates, mean rating), plus ``n_users`` (distinct), ``log_popularity`` = log(1 + n_events),
    ``popularity_share`` (of all events before ``as_of``) and, when ``items`` has a
    ``release_date``, ``age_days`` and ``is_released``. ``items`` also fixes the number of items.
    """
    history, as_of = _history(interactions, as_of, "item_features")
    if items is not None:
        n_items = len(items)
    n_items = _size(interactions, "item_id", n_items, "item_features")
    frame = _activity_block(history, "item_id", n_items, as_of, _history_days(interactions, as_of), prior_strength)
    frame["n_users"] = _distinct_counts(history, "item_id", "user_id", n_items)
    frame["log_popularity"] = np.log1p(frame["n_events"])
    frame["popularity_share"] = frame["n_events"] / max(len(history), 1)
    if items is not None and "release_date" in items.columns:
        age = ((as_of - pd.to_datetime(items["release_date"])) / _DAY).to_numpy(dtype=float)
        released = ~np.isnan(age) & (age >= 0)
        frame["is_released"] = released.astype(np.int64)
        frame["age_days"] = np.where(released, age, 0.0)
    frame.index.name = "item_id"
    return frame


def user_item_features(
    interactions: pd.DataFrame,
    as_of,
    pairs: pd.DataFrame,
    items: pd.DataFrame,
    prior_strength: float = 10.0,
) -> pd.DataFrame:
    """Features of (user, item) pairs from events before ``as_of``, one row per row of ``pairs``.

    Columns: ``user_item_events`` (the user's earlier events on this item),
    ``user_category_events`` (on the item's category) and ``user_category_affinity``: the share
    of the user's events in the item's category, smoothed towards the category's global share
    with ``prior_strength`` pseudo-events (so a user with no history gets the global share).
    """
    history, as_of = _history(interactions, as_of, "user_item_features")
    for column in ("user_id", "item_id"):
        if column not in pairs.columns:
            raise ValueError(f"user_item_features: pairs is missing column '{column}'")
    if "category" not in items.columns:
        raise ValueError("user_item_features: items is missing column 'category'")
    category_codes, _ = pd.factorize(items["category"], sort=True)
    n_categories = int(category_codes.max()) + 1
    n_items = len(items)
    users, item_ids = pairs["user_id"].to_numpy(), pairs["item_id"].to_numpy()
    if len(item_ids) and (item_ids.min() < 0 or item_ids.max() >= n_items):
        raise ValueError(f"user_item_features: pairs has item ids outside 0..{n_items - 1}")

    hist_users, hist_items = history["user_id"].to_numpy(), history["item_id"].to_numpy()
    hist_categories = category_codes[hist_items]
    # Counts keyed by (user, item) and (user, category), looked up for each pair.
    pair_counts = pd.Series(1, index=pd.MultiIndex.from_arrays([hist_users, hist_items])).groupby(level=[0, 1]).size()
    user_item = pair_counts.reindex(pd.MultiIndex.from_arrays([users, item_ids]), fill_value=0).to_numpy()
    category_counts = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([hist_users, hist_categories])).groupby(level=[0, 1]).size()
    )
    pair_categories = category_codes[item_ids]
    user_category = (
        category_counts.reindex(pd.MultiIndex.from_arrays([users, pair_categories]), fill_value=0).to_numpy()
    )
    user_totals = pd.Series(hist_users).value_counts().reindex(users, fill_value=0).to_numpy()
    global_share = np.bincount(hist_categories, minlength=n_categories) / max(len(history), 1)
    if len(history) == 0:
        global_share = np.full(n_categories, 1 / n_categories)
    affinity = (user_category + prior_strength * global_share[pair_categories]) / (user_totals + prior_strength)
    return pd.DataFrame(
        {
            "user_item_events": user_item.astype(np.int64),
            "user_category_events": user_category.astype(np.int64),
            "user_category_affinity": affinity,
        },
        index=pairs.index,
    )


def context_features(timestamps) -> pd.DataFrame:
    """Features of the moment of a request: hour, day of week, weekend flag, and the hour on a circle.

    ``hour_sin`` / ``hour_cos`` place 23:00 next to 00:00, which a plain hour number does not.
    """
    ts = pd.to_datetime(pd.Series(timestamps))
    if ts.isna().any():
        raise ValueError("context_features: timestamps has missing values")
    hour = ts.dt.hour + ts.dt.minute / 60
    return pd.DataFrame(
        {
            "hour": ts.dt.hour.astype(np.int64),
            "day_of_week": ts.dt.day_of_week.astype(np.int64),
            "is_weekend": (ts.dt.day_of_week >= 5).astype(np.int64),
            "hour_sin": np.sin(2 * np.pi * hour / 24),
            "hour_cos": np.cos(2 * np.pi * hour / 24),
        },
        index=ts.index,
    )


def labels_in_window(
    interactions: pd.DataFrame, start, end, n_users: int | None = None, event_type: str = "purchase"
) -> pd.Series:
    """1 for users with at least one ``event_type`` event in ``[start, end)``, else 0; one row per user."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if not start < end:
        raise ValueError(f"labels_in_window: start ({start}) must be before end ({end})")
    n_users = _size(interactions, "user_id", n_users, "labels_in_window")
    ts = interactions["timestamp"]
    hit = interactions.loc[(ts >= start) & (ts < end) & (interactions["event_type"] == event_type), "user_id"]
    label = np.zeros(n_users, dtype=np.int64)
    label[hit.to_numpy()] = 1
    return pd.Series(label, index=pd.RangeIndex(n_users, name="user_id"), name=f"{event_type}_in_window")


def redundant_pairs(features: pd.DataFrame, threshold: float = 0.7, method: str = "spearman") -> pd.DataFrame:
    """Pairs of feature columns whose absolute correlation exceeds ``threshold``, strongest first.

    Spearman (rank) correlation by default: counts are heavy-tailed, and a few huge values would
    dominate Pearson's.
    """
    corr = features.corr(method=method)
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1))
    pairs = upper.stack().rename("correlation").reset_index()
    pairs.columns = ["feature_a", "feature_b", "correlation"]
    pairs = pairs[pairs["correlation"].abs() > threshold]
    return pairs.reindex(pairs["correlation"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------


def _history(interactions: pd.DataFrame, as_of, caller: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The events strictly before ``as_of``, after checking the frame."""
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError(f"{caller}: expected a pandas DataFrame, got {type(interactions).__name__}")
    missing = [c for c in ("user_id", "item_id", "timestamp", "event_type", "rating") if c not in interactions.columns]
    if missing:
        raise ValueError(f"{caller}: interactions is missing column(s) {missing}")
    if as_of is None:
        raise ValueError(f"{caller}: as_of is required (features are computed as of a cutoff)")
    as_of = pd.Timestamp(as_of)
    return interactions[interactions["timestamp"] < as_of], as_of


def _size(interactions: pd.DataFrame, column: str, given: int | None, caller: str) -> int:
    """How many ids: the given number, else one more than the largest id in the whole log."""
    largest = int(interactions[column].max()) + 1 if len(interactions) else 0
    if given is None:
        return largest
    if given < largest:
        raise ValueError(f"{caller}: n = {given} is smaller than the largest {column} + 1 ({largest})")
    return int(given)


def _history_days(interactions: pd.DataFrame, as_of: pd.Timestamp) -> float:
    """Days from the log's first event to ``as_of``: the silence assumed for entities with no history."""
    if len(interactions) == 0:
        return 0.0
    return max((as_of - interactions["timestamp"].min()) / _DAY, 0.0)


def _activity_block(history, key, size, as_of, history_days, prior_strength) -> pd.DataFrame:
    """Counts, recency and smoothed rates shared by user and item features."""
    if not (np.isfinite(prior_strength) and prior_strength > 0):
        raise ValueError(f"prior_strength must be a finite number > 0 (pseudo-observations), got {prior_strength!r}")
    ids = history[key].to_numpy()
    events = history["event_type"].astype(str).to_numpy()
    frame = pd.DataFrame(index=pd.RangeIndex(size))
    frame["n_events"] = np.bincount(ids, minlength=size)
    for event in _FUNNEL:
        frame[f"n_{event}"] = np.bincount(ids[events == event], minlength=size)
    ratings = history["rating"].to_numpy(dtype=float)
    rated = ~np.isnan(ratings)
    frame["n_ratings"] = np.bincount(ids[rated], minlength=size)
    age_days = ((as_of - history["timestamp"]) / _DAY).to_numpy()
    frame["n_events_7d"] = np.bincount(ids[age_days <= 7], minlength=size)
    frame["n_events_30d"] = np.bincount(ids[age_days <= 30], minlength=size)
    last = _reduce_time(history, key, size, "max")
    has_history = frame["n_events"].to_numpy() > 0
    frame["days_since_last_event"] = np.where(has_history, (as_of - last) / _DAY, history_days)

    views, clicks, purchases = (frame[f"n_{e}"].to_numpy() for e in ("view", "click", "purchase"))
    total_views = views.sum()
    global_ctr = clicks.sum() / total_views if total_views else 0.0
    global_conversion = purchases.sum() / total_views if total_views else 0.0
    frame["click_through_rate"] = (clicks + prior_strength * global_ctr) / (views + prior_strength)
    frame["conversion_rate"] = (purchases + prior_strength * global_conversion) / (views + prior_strength)
    global_rating = ratings[rated].mean() if rated.any() else _RATING_MIDPOINT
    rating_sums = np.bincount(ids[rated], weights=ratings[rated], minlength=size)
    frame["mean_rating"] = (rating_sums + prior_strength * global_rating) / (frame["n_ratings"] + prior_strength)
    frame["has_history"] = has_history.astype(np.int64)
    return frame


def _reduce_time(history: pd.DataFrame, key: str, size: int, how: str) -> np.ndarray:
    """Earliest or latest timestamp per id (NaT where an id has no events)."""
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(history):
        grouped = history.groupby(key)["timestamp"].agg(how)
        out[grouped.index.to_numpy()] = grouped.to_numpy().astype("datetime64[ns]")
    return pd.DatetimeIndex(out)


def _distinct_counts(history: pd.DataFrame, key: str, other: str, size: int) -> np.ndarray:
    distinct = history[[key, other]].drop_duplicates()[key].to_numpy()
    return np.bincount(distinct, minlength=size)
