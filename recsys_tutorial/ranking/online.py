"""The ranking frame's features online: materialised per entity, assembled per request.

Offline, `build_ranking_frame` computes every feature from the full event log. A service cannot:
it has a few milliseconds and a key-value store. So the same definitions are split in two:

1. `feature_snapshot` (a batch job) evaluates the frame's per-entity blocks for *every* user,
   item and (user, category) pair as of one moment, into tables an online store can hold;
2. `FeatureAssembler` (the request path) looks those rows up for one user and their candidates
   and lays them out in the ranker's column order, adding the retrieval scores and the request's
   context.

Both call the frame's own block functions or read their output, so there is one definition of
each feature; the test suite requires the assembled rows to equal `build_ranking_frame`'s rows at
the same moment, feature by feature. That test is the guard against training–serving skew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frame import _affinity, _context_block, _item_block, _user_block, _user_item_block

__all__ = ["feature_snapshot", "FeatureAssembler", "item_genre_weights"]

#: Column suffix of a per-category or per-genre value in a snapshot table: ``name@code``.
_AT = "@"


def feature_snapshot(history: pd.DataFrame, items: pd.DataFrame, at, n_users: int, users: pd.DataFrame | None = None,
                     user_columns=(), prior_strength: float = 10.0) -> dict[str, pd.DataFrame]:
    """The per-entity inputs of the ranking features as of ``at``: what an online store holds.

    Returns tables indexed by entity id with numeric columns:

    * ``"item"``: the ``item__*`` block of every item (the category as its code in sorted order);
    * ``"user"``: the ``user__*`` block of every user and ``context__days_since_user_last_event``;
    * ``"user_category"``: ``user_item__category_events@c`` and ``user_item__category_affinity@c``
      for every category code c;
    * ``"user_genre"`` (when items have ``genres``): ``user_item__genre_share@g`` for every genre g
      in sorted order, the smoothed share the genre affinity averages over an item's genres.
    """
    at = np.datetime64(pd.Timestamp(at), "ns")
    item_ids, user_ids = np.arange(len(items)), np.arange(n_users)
    item_table = _item_block(history, items, item_ids, np.full(len(items), at), prior_strength)
    item_table["item__category"] = item_table["item__category"].cat.codes.astype(np.float64)
    user_times = np.full(n_users, at)
    user_table = _user_block(history, users, user_columns, user_ids, user_times, prior_strength)
    for column in user_table.columns:
        if isinstance(user_table[column].dtype, pd.CategoricalDtype):
            user_table[column] = user_table[column].cat.codes.astype(np.float64)
    user_table["context__days_since_user_last_event"] = _context_block(history, user_ids, user_times)[
        "context__days_since_user_last_event"].to_numpy()

    # One representative item per category: the user_item block depends on the item only through it.
    codes = pd.factorize(items["category"], sort=True)[0]
    representative = np.array([np.flatnonzero(codes == c)[0] for c in range(codes.max() + 1)])
    pairs = pd.DataFrame({"user_id": np.repeat(user_ids, len(representative)),
                          "item_id": np.tile(representative, n_users),
                          "request_time": np.full(n_users * len(representative), at)})
    block = _user_item_block(history, items.drop(columns="genres", errors="ignore"), pairs, prior_strength)
    category_table = pd.DataFrame(index=pd.Index(user_ids, name="entity_id"))
    for name in ("user_item__category_events", "user_item__category_affinity"):
        values = block[name].to_numpy(dtype=np.float64).reshape(n_users, len(representative))
        for c in range(len(representative)):
            category_table[f"{name}{_AT}{c}"] = values[:, c]
    tables = {"item": item_table.set_axis(pd.Index(item_ids, name="entity_id")),
              "user": user_table.set_axis(pd.Index(user_ids, name="entity_id")),
              "user_category": category_table}
    if "genres" in items.columns:
        tables["user_genre"] = _genre_shares(history, items, user_ids, at, prior_strength)
    return tables


class FeatureAssembler:
    """Lays out one request's ranker features from looked-up snapshot rows.

    Parameters
    ----------
    features : list of str
        The ranker's feature columns, in its order.
    table_columns : dict
        Snapshot table name → its columns (a store's ``columns(table)``).
    items : DataFrame
        The items table (``category``; ``genres`` where the snapshot has ``user_genre``).
    sources : list of str
        The retrievers that propose candidates (the categories of ``retrieval__source``).
    """

    def __init__(self, features, table_columns: dict, items: pd.DataFrame, sources):
        self.features = list(features)
        self.sources = list(sources)
        position = {table: {c: j for j, c in enumerate(cols)} for table, cols in table_columns.items()}
        self.item_category = pd.factorize(items["category"], sort=True)[0]
        n_categories = int(self.item_category.max()) + 1
        self.item_genres = item_genre_weights(items) if "genres" in items.columns else None
        # Where each feature comes from: (kind, index or index array).
        self._plan = []
        for name in self.features:
            if name.startswith("retrieval__") or name in ("context__hour", "context__day_of_week"):
                self._plan.append(("request", name))
            elif name in position.get("item", {}):
                self._plan.append(("item", position["item"][name]))
            elif name in position.get("user", {}):
                self._plan.append(("user", position["user"][name]))
            elif name == "user_item__genre_affinity":
                genres = [position["user_genre"][c] for c in table_columns["user_genre"]]
                self._plan.append(("user_genre", np.array(genres)))
            elif f"{name}{_AT}0" in position.get("user_category", {}):
                columns = [position["user_category"][f"{name}{_AT}{c}"] for c in range(n_categories)]
                self._plan.append(("user_category", np.array(columns)))
            else:
                raise ValueError(f"FeatureAssembler: no snapshot table provides feature {name!r}")

    def assemble(self, item_ids, retrieval: dict, item_rows, user_row, user_category_row, at,
                 user_genre_row=None) -> np.ndarray:
        """``(len(item_ids), len(features))`` float64 rows for one request at time ``at``.

        ``retrieval`` maps ``retrieval__*`` feature names to per-candidate arrays (the source as
        its name or code); ``item_rows`` are the candidates' rows of the ``item`` table; the
        others are the user's rows of their tables.
        """
        item_ids = np.asarray(item_ids, dtype=np.int64)
        stamp = pd.Timestamp(at)
        context = {"context__hour": float(stamp.hour), "context__day_of_week": float(stamp.day_of_week)}
        out = np.empty((len(item_ids), len(self.features)))
        for j, (kind, where) in enumerate(self._plan):
            if kind == "request":
                name = self.features[j]
                out[:, j] = context[name] if name in context else _codes(retrieval[name], self.sources)
            elif kind == "item":
                out[:, j] = item_rows[:, where]
            elif kind == "user":
                out[:, j] = user_row[where]
            elif kind == "user_category":
                out[:, j] = user_category_row[where[self.item_category[item_ids]]]
            else:
                shares = user_genre_row[where]
                out[:, j] = self.item_genres[item_ids] @ shares
        return out


def _codes(values, sources) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "OUS":
        return pd.Categorical(values, categories=sources).codes.astype(np.float64)
    return values.astype(np.float64)


def item_genre_weights(items: pd.DataFrame) -> np.ndarray:
    """``(n_items, n_genres)``: 1/|genres| for each of an item's genres (sorted genre names)."""
    genre_lists = items["genres"].map(list)
    names = sorted({g for genres in genre_lists for g in genres})
    code_of = {g: c for c, g in enumerate(names)}
    weights = np.zeros((len(items), len(names)))
    for row, genres in enumerate(genre_lists):
        for g in genres:
            weights[row, code_of[g]] += 1.0 / len(genres)
    return weights


def _genre_shares(history, items, user_ids, at, prior_strength) -> pd.DataFrame:
    """Each user's smoothed share of every genre as of ``at`` (the frame's genre affinity, per genre)."""
    genre_lists = items["genres"].map(list)
    names = sorted({g for genres in genre_lists for g in genres})
    code_of = {g: c for c, g in enumerate(names)}
    item_genres = [[code_of[g] for g in genres] for genres in genre_lists]
    h_items = history["item_id"].to_numpy()
    lengths = np.array([len(item_genres[i]) for i in h_items], dtype=np.int64)
    h_genres = np.concatenate([item_genres[i] for i in h_items]) if len(h_items) else np.zeros(0, np.int64)
    expanded = pd.DataFrame({"user_id": np.repeat(history["user_id"].to_numpy(), lengths),
                             "timestamp": np.repeat(history["timestamp"].to_numpy(dtype="datetime64[ns]"), lengths)})
    q_users = np.repeat(user_ids, len(names))
    q_genres = np.tile(np.arange(len(names)), len(user_ids))
    _, share = _affinity(expanded, h_genres, expanded["user_id"].to_numpy(), q_genres, q_users,
                         np.full(len(q_users), at), len(names), prior_strength)
    shares = share.reshape(len(user_ids), len(names))
    return pd.DataFrame({f"user_item__genre_share{_AT}{g}": shares[:, g] for g in range(len(names))},
                        index=pd.Index(user_ids, name="entity_id"))
