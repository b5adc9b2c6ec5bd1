"""One request's ranker features, laid out from a feature store's rows at the request's own time.

`ranking.online.feature_snapshot` (a batch job) writes every user's, item's and (user,
category) pair's features as of one moment, the snapshot time T. A request arrives at its own
time t ≥ T. Three of its features depend on t, not on T, and are computed here, as the offline
frame computes them for a request at t: the hour and weekday of t, and the days from the user's
last event to t (from the last event's time, which the snapshot stores). The rest are the
snapshot's values: counts over "the last 7 days" are as of T until a newer snapshot (or a
streaming job) replaces them. That staleness is a real, measurable skew (chapter 9's lab).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import days

__all__ = ["FeatureAssembler", "REQUEST_TIME_FEATURES", "naive_utc"]

#: Features computed from the request's time, not read from the store.
REQUEST_TIME_FEATURES = ("context__hour", "context__day_of_week", "context__days_since_user_last_event")


def naive_utc(moment) -> pd.Timestamp:
    """``moment`` as a timestamp in UTC without a time zone, the package's convention (a naive one is
    taken as UTC already). Raises a ``ValueError`` for text that is not a time, and for NaT."""
    stamp = pd.Timestamp(moment)
    if stamp is pd.NaT:
        raise ValueError(f"a time is required, got {moment!r}")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


class FeatureAssembler:
    """Lays out one request's ranker features from looked-up store rows.

    Parameters
    ----------
    features : list of str
        The ranker's feature columns, in its order.
    table_columns : dict
        Store table name → its columns (a store's ``columns(table)``): ``"item"`` and ``"user"``
        with one row per entity, ``"user_category"`` and ``"user_genre"`` keyed by code.
    item_category : array of int
        Each item id's category code (categories in sorted order, as in the snapshot).
    sources : list of str
        The retrievers that propose candidates (the categories of ``retrieval__source``).
    snapshot_time : timestamp
        The moment the store's rows describe (T).
    item_genres : matrix, optional
        p(g|i), ``(n_items, n_genres)`` (`data.genre_matrix`), where the store has ``user_genre``.
    """

    def __init__(self, features, table_columns: dict, item_category, sources, snapshot_time, item_genres=None):
        self.features = list(features)
        self.sources = list(sources)
        self.snapshot_time = pd.Timestamp(snapshot_time)
        self.item_category = np.asarray(item_category, dtype=np.int64)
        self.item_genres = item_genres
        position = {table: {c: j for j, c in enumerate(cols)} for table, cols in table_columns.items()}
        user = position.get("user", {})
        self._days_columns = (user.get("context__days_since_user_last_event"), user.get("last_event_s"),
                              user.get("last_event_ns"))  # fmt: skip
        # Where each feature comes from: (kind, column).
        self._plan = []
        for name in self.features:
            if name.startswith("retrieval__") or name in REQUEST_TIME_FEATURES:
                if name == REQUEST_TIME_FEATURES[2] and None in self._days_columns:
                    raise ValueError(f"FeatureAssembler: {name} needs the user table's {REQUEST_TIME_FEATURES[2]}, "
                                     "last_event_s and last_event_ns (ranking.online.feature_snapshot writes them)")
                self._plan.append(("request", name))
            elif name in position.get("item", {}):
                self._plan.append(("item", position["item"][name]))
            elif name in user:
                self._plan.append(("user", user[name]))
            elif name == "user_item__genre_affinity":
                if item_genres is None or "user_genre" not in position:
                    raise ValueError("FeatureAssembler: user_item__genre_affinity needs item_genres and a user_genre "
                                     "table")
                self._plan.append(("user_genre", position["user_genre"]["user_item__genre_share"]))
            elif name in position.get("user_category", {}):
                self._plan.append(("user_category", position["user_category"][name]))
            else:
                raise ValueError(f"FeatureAssembler: no store table provides feature {name!r}; tables: "
                                 f"{ {table: list(cols) for table, cols in table_columns.items()} }")

    def assemble(self, item_ids, retrieval: dict, item_rows, user_row, user_category_rows, at,
                 user_genre_rows=None) -> np.ndarray:  # fmt: skip
        """``(len(item_ids), len(features))`` float64 rows for one request at time ``at``.

        ``retrieval`` maps ``retrieval__*`` feature names to per-candidate arrays (the source as
        its name or code); ``item_rows`` are the candidates' rows of the ``item`` table,
        ``user_row`` the user's row of ``user``, ``user_category_rows`` (and ``user_genre_rows``)
        the user's keyed rows, indexed by category (genre) code.
        """
        item_ids = np.asarray(item_ids, dtype=np.int64)
        stamp = pd.Timestamp(at)
        request = {"context__hour": float(stamp.hour), "context__day_of_week": float(stamp.day_of_week),
                   "context__days_since_user_last_event": self.days_since_last_event(user_row, stamp)}
        out = np.empty((len(item_ids), len(self.features)))
        for j, (kind, where) in enumerate(self._plan):
            if kind == "request":
                name = self.features[j]
                out[:, j] = request[name] if name in request else _codes(retrieval[name], self.sources)
            elif kind == "item":
                out[:, j] = item_rows[:, where]
            elif kind == "user":
                out[:, j] = user_row[where]
            elif kind == "user_category":
                out[:, j] = user_category_rows[self.item_category[item_ids], where]
            else:
                out[:, j] = self.item_genres[item_ids] @ user_genre_rows[:, where]
        return out

    def days_since_last_event(self, user_row, at: pd.Timestamp) -> float:
        """Days from the user's last event to ``at``, as `features.days` counts them offline.

        A user with no event before the snapshot: its value at T plus the days from T to ``at``
        (the silence so far, as offline).
        """
        stored, seconds, nanoseconds = (user_row[j] for j in self._days_columns)
        at_ns = np.datetime64(at.as_unit("ns").asm8, "ns")
        if np.isnan(seconds):
            return float(stored + days(at_ns - np.datetime64(self.snapshot_time.as_unit("ns").asm8, "ns")))
        last = np.datetime64(int(seconds) * 1_000_000_000 + int(nanoseconds), "ns")
        return float(days(at_ns - last))


def _codes(values, sources) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "OUS":
        return pd.Categorical(values, categories=sources).codes.astype(np.float64)
    return values.astype(np.float64)
