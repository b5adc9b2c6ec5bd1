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

One engine computes all of it. `AsOfFeatures` indexes an event log once (`EventsBefore`: the
events of each key sorted by time, so that "events of this user before t" is a binary search)
and answers for any (entity, request time) pairs, each pair with its own moment: the ranking
frame asks it for thousands of requests at once, the serving snapshot for every entity at one
moment. `user_features`, `item_features` and `user_item_features` are its special case of one
cutoff for every entity.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from .data import FUNNEL, align_by_id, genre_matrix

__all__ = [
    "user_features",
    "item_features",
    "user_item_features",
    "context_features",
    "labels_in_window",
    "redundant_pairs",
    "AsOfFeatures",
    "EventsBefore",
    "ACTIVITY_COLUMNS",
    "RATING_MIDPOINT",
    "days",
    "category_codes",
]

#: The prior mean rating when no rating exists before the cutoff: the middle of the 1–5 scale.
RATING_MIDPOINT = 3.0
_NS_PER_DAY = 86_400 * 10**9
#: Columns of the activity block shared by users and items, in their order.
ACTIVITY_COLUMNS = (
    "n_events", *(f"n_{event}" for event in FUNNEL), "n_ratings", "n_events_7d", "n_events_30d",
    "days_since_last_event", "click_through_rate", "conversion_rate", "mean_rating", "has_history",
)  # fmt: skip


def user_features(
    interactions: pd.DataFrame, as_of, n_users: int | None = None, prior_strength: float = 10.0
) -> pd.DataFrame:
    """Per-user features from events before ``as_of``: one row per user id ``0..n_users-1``.

    Columns: ``n_events``, ``n_view`` … ``n_purchase``, ``n_ratings``, ``n_events_7d`` and
    ``n_events_30d`` (the last 7 and 30 days), ``days_since_last_event``, ``click_through_rate``
    and ``conversion_rate`` (smoothed, per view), ``mean_rating`` (smoothed towards the global
    mean), ``has_history`` (0/1), ``n_items`` (distinct), ``tenure_days`` (since the first
    event) and ``events_per_day`` (over the tenure, at least one day).

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=3_000)
    >>> feats = user_features(world.interactions, as_of="2024-06-01",
    ...                       n_users=world.n_users)
    >>> feats.shape[0], bool(feats.notna().all().all())
    (300, True)
    """
    engine = AsOfFeatures(interactions, prior_strength=prior_strength, caller="user_features")
    as_of = _cutoff(as_of, "user_features")
    n_users = _size(interactions, "user_id", n_users, "user_features")
    frame = engine.user_activity(np.arange(n_users), np.full(n_users, as_of), distinct=True)
    frame.index = pd.RangeIndex(n_users, name="user_id")
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
    ``release_date``, ``is_released`` and ``age_days``. ``items`` (joined by ``item_id``) also
    fixes the number of items.
    """
    engine = AsOfFeatures(interactions, items=items, prior_strength=prior_strength, caller="item_features")
    as_of = _cutoff(as_of, "item_features")
    if items is not None:
        n_items = len(items)
    n_items = _size(interactions, "item_id", n_items, "item_features")
    frame = engine.item_activity(np.arange(n_items), np.full(n_items, as_of), distinct=True)
    frame.index = pd.RangeIndex(n_items, name="item_id")
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
    ``items`` is joined by ``item_id``.
    """
    caller = "user_item_features"
    engine = AsOfFeatures(interactions, items=items, prior_strength=prior_strength, caller=caller)
    as_of = _cutoff(as_of, caller)
    for column in ("user_id", "item_id"):
        if column not in pairs.columns:
            raise ValueError(f"{caller}: pairs is missing column '{column}'")
    users, item_ids = pairs["user_id"].to_numpy(np.int64), pairs["item_id"].to_numpy(np.int64)
    engine.check_items(item_ids, "pairs")
    times = np.full(len(pairs), as_of)
    in_category, affinity = engine.category_affinity(users, item_ids, times)
    return pd.DataFrame(
        {
            "user_item_events": engine.user_item_events(users, item_ids, times),
            "user_category_events": in_category,
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
    _check_log(interactions, "labels_in_window")
    start, end = _cutoff(start, "labels_in_window"), _cutoff(end, "labels_in_window")
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


def category_codes(items: pd.DataFrame, caller: str = "category_codes") -> tuple[np.ndarray, list]:
    """Each item id's category code, and the category names in sorted order (the codes' order).

    ``items`` is joined by ``item_id`` where it has one. The one coding of categories: the
    ranking frame, the serving snapshot and the business rules all use it.

    >>> items = pd.DataFrame({"item_id": [1, 0],
    ...                       "category": ["toys", "books"]})
    >>> codes, names = category_codes(items)
    >>> codes.tolist(), names
    ([0, 1], ['books', 'toys'])
    """
    if not isinstance(items, pd.DataFrame) or "category" not in items.columns:
        raise ValueError(f"{caller}: the items table needs a 'category' column")
    if "item_id" in items.columns:
        items = align_by_id(items, "item_id", caller)
    names = sorted(items["category"].unique())  # by name, whatever order a categorical column keeps
    return pd.Categorical(items["category"], categories=names).codes.astype(np.int64), names


def days(delta) -> np.ndarray:
    """Time differences as float days (NaN for NaT): the one conversion every feature uses."""
    delta = np.asarray(delta, dtype="timedelta64[ns]")
    out = delta.astype(np.int64) / _NS_PER_DAY
    return np.where(np.isnat(delta), np.nan, out)


# ---------------------------------------------------------------------------------------------
# The engine


class EventsBefore:
    """Counts, sums and first and latest times of events per key, strictly before a query time.

    Events are sorted by (key, time); a query (key, t) is two binary searches. Times are replaced
    by their rank among the distinct event times, so the sort key ``key · n_times + rank`` is an
    exact integer.

    >>> days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    >>> before = EventsBefore(np.array([7, 7, 8]), days.to_numpy())
    >>> now = pd.to_datetime(["2024-01-02"] * 3).to_numpy()
    >>> before.count(np.array([7, 7, 8]), now).tolist()
    [1, 1, 0]
    """

    def __init__(self, keys: np.ndarray, times: np.ndarray, values: np.ndarray | None = None):
        times = np.asarray(times, dtype="datetime64[ns]")
        self.distinct_times = np.unique(times)
        ranks = np.searchsorted(self.distinct_times, times)
        self.stride = len(self.distinct_times) + 1
        order = np.lexsort((ranks, keys))
        self.sorted_key = np.asarray(keys)[order].astype(np.int64) * self.stride + ranks[order]
        self.sorted_time = times[order]
        self.cumulative = np.concatenate([[0.0], np.cumsum(values[order])]) if values is not None else None

    def _bounds(self, keys: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base = np.asarray(keys).astype(np.int64) * self.stride
        start = np.searchsorted(self.sorted_key, base, side="left")
        offset = np.searchsorted(self.distinct_times, np.asarray(times, dtype="datetime64[ns]"), side="left")
        stop = np.searchsorted(self.sorted_key, base + offset, side="left")
        return start, stop

    def count(self, keys, times) -> np.ndarray:
        """Events of each query's key before its time."""
        start, stop = self._bounds(keys, times)
        return stop - start

    def total(self, keys, times) -> np.ndarray:
        """Sum of the events' values (given at construction) of each query's key before its time."""
        start, stop = self._bounds(keys, times)
        return self.cumulative[stop] - self.cumulative[start]

    def last_time(self, keys, times) -> np.ndarray:
        """Latest event time before each query (NaT where there is none)."""
        start, stop = self._bounds(keys, times)
        found = stop > start
        out = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[found] = self.sorted_time[stop[found] - 1]
        return out

    def first_time(self, keys, times) -> np.ndarray:
        """Earliest event time before each query (NaT where there is none)."""
        start, stop = self._bounds(keys, times)
        found = stop > start
        out = np.full(len(start), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[found] = self.sorted_time[start[found]]
        return out


class AsOfFeatures:
    """Chapter 2's features of any (entity, request time) pairs, from one event log indexed once.

    Every query reads only the events strictly before its own time, so one engine serves a
    training frame whose requests sit at different moments and a snapshot of every entity at
    one moment. The indexes are built on first use and kept: a fitted model that holds an
    engine answers later requests with binary searches only.

    Parameters
    ----------
    interactions : DataFrame
        The event log (``user_id``, ``item_id``, ``timestamp`` (timezone-naive),
        ``event_type``, ``rating``), checked once, here.
    items : DataFrame, optional
        The items table, joined by ``item_id``: ``category`` for the category features,
        ``genres`` for the genre features, ``release_date`` for an item's age.
    prior_strength : float
        Pseudo-observations of every smoothed rate, share and mean (> 0).
    caller : str
        The name error messages start with.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=200, n_items=100, n_interactions=2_000,
    ...                        random_state=0)
    >>> engine = AsOfFeatures(world.interactions, items=world.items)
    >>> times = pd.to_datetime(["2024-04-01", "2024-06-01"]).to_numpy()
    >>> # One user at two moments:
    >>> engine.user_activity([87, 87], times)["n_events"].tolist()
    [0, 91]
    """

    def __init__(self, interactions: pd.DataFrame, items: pd.DataFrame | None = None, prior_strength: float = 10.0,
                 caller: str = "AsOfFeatures"):  # fmt: skip
        _check_log(interactions, caller)
        if not (np.isfinite(prior_strength) and prior_strength > 0):
            raise ValueError(f"{caller}: prior_strength must be a finite number > 0 (pseudo-observations), "
                             f"got {prior_strength!r}")  # fmt: skip
        self.caller = caller
        self.prior_strength = float(prior_strength)
        self.user_ids = interactions["user_id"].to_numpy(np.int64)
        self.item_ids = interactions["item_id"].to_numpy(np.int64)
        self.stamps = interactions["timestamp"].to_numpy(dtype="datetime64[ns]")
        self.event_types = interactions["event_type"].to_numpy(dtype=str)
        self.ratings = interactions["rating"].to_numpy(dtype=float)
        self.first_event = self.stamps.min() if len(self.stamps) else None
        #: Whether the log has funnel events (a ratings-only log has no funnel rates).
        self.has_funnel = bool(np.isin(self.event_types, FUNNEL).any())
        self._indexes: dict = {}
        self._groups: dict = {}
        self.items = None
        if items is not None:
            largest = int(self.item_ids.max()) + 1 if len(self.item_ids) else 0
            self.items = align_by_id(items, "item_id", caller, n_required=largest)

    # ---- queries --------------------------------------------------------------------------

    def activity(self, key: str, ids, times) -> pd.DataFrame:
        """The activity block (`ACTIVITY_COLUMNS`) of ``ids`` of ``key`` (``"user_id"`` or ``"item_id"``)."""
        ids, times = self._queries(ids, times)
        everyone = np.zeros(len(ids), dtype=np.int64)  # one key for "all events", for global rates
        events = self._index(key)
        out = {"n_events": events.count(ids, times)}
        for event in FUNNEL:
            out[f"n_{event}"] = self._index(key, event).count(ids, times)
        rated = self._index(key, "rating")
        out["n_ratings"] = rated.count(ids, times)
        out["n_events_7d"] = out["n_events"] - events.count(ids, times - np.timedelta64(7, "D"))
        out["n_events_30d"] = out["n_events"] - events.count(ids, times - np.timedelta64(30, "D"))
        out["days_since_last_event"] = np.where(out["n_events"] > 0, days(times - events.last_time(ids, times)),
                                                self._silence(times))  # fmt: skip
        views = out["n_view"]
        all_views = self._index("all", "view").count(everyone, times)
        for feature, event in (("click_through_rate", "n_click"), ("conversion_rate", "n_purchase")):
            all_hits = self._index("all", event[2:]).count(everyone, times)
            global_rate = np.divide(all_hits, all_views, out=np.zeros(len(ids)), where=all_views > 0)
            out[feature] = (out[event] + self.prior_strength * global_rate) / (views + self.prior_strength)
        overall = self._index("all", "rating")
        n_all, sum_all = overall.count(everyone, times), overall.total(everyone, times)
        global_mean = np.divide(sum_all, n_all, out=np.full(len(ids), RATING_MIDPOINT), where=n_all > 0)
        out["mean_rating"] = ((rated.total(ids, times) + self.prior_strength * global_mean)
                              / (out["n_ratings"] + self.prior_strength))  # fmt: skip
        out["has_history"] = (out["n_events"] > 0).astype(np.int64)
        return pd.DataFrame(out)

    def user_activity(self, user_ids, times, distinct: bool = False) -> pd.DataFrame:
        """The activity block of users, plus ``tenure_days`` and ``events_per_day`` (and, with
        ``distinct``, ``n_items``: the distinct items before each time, placed as `user_features` has it)."""
        user_ids, times = self._queries(user_ids, times)
        frame = self.activity("user_id", user_ids, times)
        if distinct:
            frame["n_items"] = self._index("user_id", "distinct").count(user_ids, times)
        first = self._index("user_id").first_time(user_ids, times)
        frame["tenure_days"] = np.where(frame["has_history"] == 1, days(times - first), 0.0)
        frame["events_per_day"] = frame["n_events"] / np.maximum(frame["tenure_days"], 1.0)
        return frame

    def last_event_time(self, key: str, ids, times) -> np.ndarray:
        """Each ``key`` (``"user_id"`` or ``"item_id"``) id's latest event before its time (NaT: none).

        What a store keeps so that a request can count the days to its own time
        (``days(request_time - last_event_time)``, the definition of ``days_since_last_event``).
        """
        if key not in ("user_id", "item_id"):
            raise ValueError(f"AsOfFeatures.last_event_time: key must be 'user_id' or 'item_id', got {key!r}")
        ids, times = self._queries(ids, times)
        return self._index(key).last_time(ids, times)

    def item_activity(self, item_ids, times, distinct: bool = False) -> pd.DataFrame:
        """The activity block of items, plus ``log_popularity``, ``popularity_share`` and (items with a
        ``release_date``) ``is_released`` and ``age_days``; with ``distinct``, ``n_users`` first."""
        item_ids, times = self._queries(item_ids, times)
        frame = self.activity("item_id", item_ids, times)
        if distinct:
            frame["n_users"] = self._index("item_id", "distinct").count(item_ids, times)
        frame["log_popularity"] = np.log1p(frame["n_events"])
        everything = self._index("all").count(np.zeros(len(item_ids), np.int64), times)
        frame["popularity_share"] = frame["n_events"] / np.maximum(everything, 1)
        if self.items is not None and "release_date" in self.items.columns:
            self.check_items(item_ids, "item_ids")
            released_at = pd.to_datetime(self.items["release_date"]).to_numpy(dtype="datetime64[ns]")
            age = days(times - released_at[item_ids])
            released = ~np.isnan(age) & (age >= 0)
            frame["is_released"] = released.astype(np.int64)
            frame["age_days"] = np.where(released, age, 0.0)
        return frame

    def user_item_events(self, user_ids, item_ids, times) -> np.ndarray:
        """The user's events on the item before each time."""
        user_ids, times = self._queries(user_ids, times)
        item_ids = np.asarray(item_ids, dtype=np.int64)
        return self._index("user_item").count(user_ids * self._n_items + item_ids, times)

    def category_affinity(self, user_ids, item_ids, times) -> tuple[np.ndarray, np.ndarray]:
        """(the user's events in the item's category before each time, their smoothed share)."""
        self.check_items(np.asarray(item_ids, dtype=np.int64), "item_ids")
        return self.category_shares(user_ids, self._category_codes[0][np.asarray(item_ids, dtype=np.int64)], times)

    def category_shares(self, user_ids, category_codes, times) -> tuple[np.ndarray, np.ndarray]:
        """(the user's events in category ``c`` before each time, their share smoothed towards c's global share).

        Categories are coded in sorted order of their names (`categories`)."""
        user_ids, times = self._queries(user_ids, times)
        return self._shares("category", user_ids, np.asarray(category_codes, dtype=np.int64), times)

    def genre_shares(self, user_ids, genre_codes, times) -> np.ndarray:
        """The user's share of genre ``g`` before each time, smoothed towards g's global share.

        An event on an item of several genres counts once for each of them; genres are coded in
        sorted order of their names (`genres`)."""
        user_ids, times = self._queries(user_ids, times)
        return self._shares("genre", user_ids, np.asarray(genre_codes, dtype=np.int64), times)[1]

    def genre_affinity(self, user_ids, item_ids, times) -> np.ndarray:
        """The mean of the user's smoothed genre shares over the item's genres, before each time."""
        user_ids, times = self._queries(user_ids, times)
        item_ids = np.asarray(item_ids, dtype=np.int64)
        self.check_items(item_ids, "item_ids")
        matrix = self._genre_matrix[item_ids]  # the queries' rows: one entry per (query, genre)
        sizes = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(len(item_ids)), sizes)
        share = self._shares("genre", user_ids[rows], matrix.indices.astype(np.int64), times[rows])[1]
        return np.bincount(rows, weights=share, minlength=len(item_ids)) / np.maximum(sizes, 1)

    @property
    def category_codes(self) -> np.ndarray:
        """Each item id's category code (categories in sorted order of their names)."""
        return self._category_codes[0]

    @property
    def categories(self) -> list:
        """The category names, in the order of their codes."""
        return self._category_codes[1]

    @property
    def genres(self) -> list:
        """The genre names, in the order of their codes."""
        return self._genres[1]

    def check_items(self, item_ids: np.ndarray, name: str) -> None:
        """A ``ValueError`` if ``item_ids`` (called ``name``) fall outside the items table."""
        if self.items is None:
            raise ValueError(f"{self.caller}: these features need the items table (items=...)")
        if len(item_ids) and (item_ids.min() < 0 or item_ids.max() >= len(self.items)):
            raise ValueError(f"{self.caller}: {name} has item ids outside 0..{len(self.items) - 1} (the items table)")

    # ---- the indexes, built on first use ----------------------------------------------------

    def prepare(self) -> AsOfFeatures:
        """Build now every index the ranking frame reads (otherwise each is built on first use)."""
        for key in ("user_id", "item_id"):
            for subset in (None, *FUNNEL, "rating"):
                self._index(key, subset)
        for subset in (None, "view", "click", "purchase", "rating"):
            self._index("all", subset)
        if self.items is not None and "category" in self.items.columns:
            self._grouping("category")
        if self.items is not None and "genres" in self.items.columns:
            self._grouping("genre")
        return self

    def _index(self, key: str, subset: str | None = None) -> EventsBefore:
        """The index of ``key``'s events (``subset``: one event type, ``"rating"``: rated events with
        their ratings, ``"distinct"``: each (user, item) pair's first event)."""
        name = (key, subset)
        if name not in self._indexes:
            self._indexes[name] = self._build_index(key, subset)
        return self._indexes[name]

    def _build_index(self, key: str, subset: str | None) -> EventsBefore:
        keys = {"user_id": self.user_ids, "item_id": self.item_ids, "all": np.zeros(len(self.stamps), np.int64),
                "user_item": self.user_ids * self._n_items + self.item_ids}[key]  # fmt: skip
        if subset is None:
            return EventsBefore(keys, self.stamps)
        if subset == "rating":
            rated = ~np.isnan(self.ratings)
            return EventsBefore(keys[rated], self.stamps[rated], self.ratings[rated])
        if subset == "distinct":
            # Each (user, item) pair counts from its first event on: distinct items (or users) so far.
            pairs = pd.DataFrame({"pair": self.user_ids * self._n_items + self.item_ids, "t": self.stamps})
            first = pairs.groupby("pair", sort=False)["t"].min()
            pair_ids = first.index.to_numpy(np.int64)
            owner = pair_ids // self._n_items if key == "user_id" else pair_ids % self._n_items
            return EventsBefore(owner, first.to_numpy(dtype="datetime64[ns]"))
        chosen = self.event_types == subset
        return EventsBefore(keys[chosen], self.stamps[chosen])

    @cached_property
    def _n_items(self) -> int:
        """The stride of (user, item) keys: the catalogue's size."""
        if self.items is not None:
            return len(self.items)
        return int(self.item_ids.max()) + 1 if len(self.item_ids) else 1

    @cached_property
    def _category_codes(self) -> tuple[np.ndarray, list]:
        if self.items is None:
            raise ValueError(f"{self.caller}: the category features need the items table (items=...)")
        return category_codes(self.items, caller=self.caller)

    @cached_property
    def _genres(self) -> tuple:
        if self.items is None or "genres" not in self.items.columns:
            raise ValueError(f"{self.caller}: the genre features need an items table with a 'genres' column")
        return genre_matrix(self.items)

    @cached_property
    def _genre_matrix(self):
        return self._genres[0].tocsr()

    def _grouping(self, kind: str) -> dict:
        """The indexes of one grouping of items: pair (user, group), user, group and all, over
        its expanded events (an event on an item of several genres counts once per genre)."""
        if kind not in self._groups:
            if kind == "category":
                codes = self._category_codes[0]
                n_groups = len(self._category_codes[1])
                groups, rows = codes[self.item_ids], np.arange(len(self.item_ids))
            else:
                matrix = self._genre_matrix
                n_groups = matrix.shape[1]
                item_rows = matrix[self.item_ids]
                rows = np.repeat(np.arange(len(self.item_ids)), np.diff(item_rows.indptr))
                groups = item_rows.indices.astype(np.int64)
            users, stamps = self.user_ids[rows], self.stamps[rows]
            self._groups[kind] = {
                "n_groups": n_groups,
                "pair": EventsBefore(users * n_groups + groups, stamps),
                "user": EventsBefore(users, stamps),
                "group": EventsBefore(groups, stamps),
                "all": EventsBefore(np.zeros(len(stamps), np.int64), stamps),
            }
        return self._groups[kind]

    def _shares(self, kind: str, user_ids, group_codes, times) -> tuple[np.ndarray, np.ndarray]:
        """(events of the user in the group before t, their share smoothed towards the group's global share)."""
        grouping = self._grouping(kind)
        n_groups = grouping["n_groups"]
        in_group = grouping["pair"].count(user_ids * n_groups + group_codes, times)
        user_total = grouping["user"].count(user_ids, times)
        all_events = grouping["all"].count(np.zeros(len(times), np.int64), times)
        global_share = np.divide(grouping["group"].count(group_codes, times), all_events,
                                 out=np.full(len(times), 1.0 / n_groups), where=all_events > 0)  # fmt: skip
        share = (in_group + self.prior_strength * global_share) / (user_total + self.prior_strength)
        return in_group.astype(np.int64), share

    def _queries(self, ids, times) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray(ids, dtype=np.int64)
        times = np.asarray(times, dtype="datetime64[ns]")
        if times.shape != ids.shape:
            raise ValueError(f"{self.caller}: {len(ids)} ids but {times.size} times; give one time per id")
        if np.isnat(times).any():
            raise ValueError(f"{self.caller}: the request times have missing values")
        return ids, times

    def _silence(self, times: np.ndarray) -> np.ndarray:
        """Days from the log's first event to each time: how long an entity without history has been silent."""
        if self.first_event is None:
            return np.zeros(len(times))
        return np.maximum(days(times - self.first_event), 0.0)


# ---------------------------------------------------------------------------------------------


def _check_log(interactions: pd.DataFrame, caller: str) -> None:
    """The event log's columns and clock, checked once per call."""
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError(f"{caller}: expected a pandas DataFrame, got {type(interactions).__name__}")
    missing = [c for c in ("user_id", "item_id", "timestamp", "event_type", "rating") if c not in interactions.columns]
    if missing:
        raise ValueError(f"{caller}: interactions is missing column(s) {missing}")
    timestamps = interactions["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(timestamps):
        raise ValueError(f"{caller}: interactions' 'timestamp' must be datetime64, got dtype {timestamps.dtype}")
    if getattr(timestamps.dtype, "tz", None) is not None:
        raise ValueError(
            f"{caller}: interactions' 'timestamp' must be timezone-naive (one clock for the whole log), got "
            f"{timestamps.dtype}; convert it first, e.g. timestamps.dt.tz_convert('UTC').dt.tz_localize(None)"
        )


def _cutoff(as_of, caller: str) -> np.datetime64:
    """A cutoff as a timezone-naive moment."""
    if as_of is None:
        raise ValueError(f"{caller}: as_of is required (features are computed as of a cutoff)")
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        raise ValueError(f"{caller}: the cutoff {as_of!r} has a time zone; the log's clock is timezone-naive: "
                         "convert it first, e.g. pd.Timestamp(as_of).tz_convert('UTC').tz_localize(None)")  # fmt: skip
    return np.datetime64(stamp, "ns")


def _size(interactions: pd.DataFrame, column: str, given: int | None, caller: str) -> int:
    """How many ids: the given number, else one more than the largest id in the whole log."""
    largest = int(interactions[column].max()) + 1 if len(interactions) else 0
    if given is None:
        return largest
    if given < largest:
        raise ValueError(f"{caller}: n = {given} is smaller than the largest {column} + 1 ({largest})")
    return int(given)
