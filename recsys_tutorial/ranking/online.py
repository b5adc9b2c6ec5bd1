"""The ranking frame's features online: materialised per entity, assembled per request.

Offline, `build_ranking_frame` computes every feature from the full event log. A service cannot:
it has a few milliseconds and a key-value store. So the same definitions are split in two:

1. `feature_snapshot` (a batch job) evaluates the frame's per-entity blocks for *every* user,
   item and (user, category) pair as of one moment, into tables an online store can hold;
2. `FeatureAssembler` (the request path) looks those rows up for one user and their candidates
   and lays them out in the ranker's column order, adding the retrieval scores and the request's
   context.

Both ask chapter 2's engine (`features.AsOfFeatures`), as the frame does, so there is one
definition of each feature; the test suite requires the assembled rows to equal
`build_ranking_frame`'s rows at the same moment, feature by feature. That test is the guard
against training–serving skew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import AsOfFeatures
from .frame import context_block, item_block, user_block

__all__ = ["feature_snapshot", "FeatureAssembler"]

#: Column suffix of a per-category or per-genre value in a snapshot table: ``name@code``.
_AT = "@"


def feature_snapshot(history, items: pd.DataFrame | None, at, n_users: int, users: pd.DataFrame | None = None,
                     user_columns=(), prior_strength: float = 10.0) -> dict[str, pd.DataFrame]:
    """The per-entity inputs of the ranking features as of ``at``: what an online store holds.

    ``history`` is the event log or an `AsOfFeatures` engine built over it (with ``items``);
    ``items`` and ``users`` are joined by id. Returns tables indexed by entity id with numeric
    columns:

    * ``"item"``: the ``item__*`` block of every item (the category as its code in sorted order);
    * ``"user"``: the ``user__*`` block of every user and ``context__days_since_user_last_event``;
    * ``"user_category"``: ``user_item__category_events@c`` and ``user_item__category_affinity@c``
      for every category code c (categories in sorted order);
    * ``"user_genre"`` (when items have ``genres``): ``user_item__genre_share@g`` for every genre g
      in sorted order, the smoothed share the genre affinity averages over an item's genres.
    """
    if isinstance(history, AsOfFeatures):
        engine = history
    else:
        engine = AsOfFeatures(history, items=items, prior_strength=prior_strength, caller="feature_snapshot")
    at = np.datetime64(pd.Timestamp(at), "ns")
    n_items = len(engine.items)
    item_ids, user_ids = np.arange(n_items), np.arange(n_users)
    item_table = item_block(engine, item_ids, np.full(n_items, at))
    item_table["item__category"] = item_table["item__category"].cat.codes.astype(np.float64)
    user_times = np.full(n_users, at)
    activity = engine.user_activity(user_ids, user_times)
    user_table = user_block(engine, activity, users, user_columns, user_ids)
    for column in user_table.columns:
        if isinstance(user_table[column].dtype, pd.CategoricalDtype):
            user_table[column] = user_table[column].cat.codes.astype(np.float64)
    user_table["context__days_since_user_last_event"] = context_block(activity, user_times)[
        "context__days_since_user_last_event"].to_numpy()  # fmt: skip

    # Every (user, category) pair, asked of the engine by category code.
    n_categories = len(engine.categories)
    pair_users = np.repeat(user_ids, n_categories)
    codes = np.tile(np.arange(n_categories), n_users)
    events, share = engine.category_shares(pair_users, codes, np.full(len(codes), at))
    category_table = pd.DataFrame(index=pd.Index(user_ids, name="entity_id"))
    for name, values in (("user_item__category_events", events), ("user_item__category_affinity", share)):
        values = values.astype(np.float64).reshape(n_users, n_categories)
        for c in range(n_categories):
            category_table[f"{name}{_AT}{c}"] = values[:, c]
    tables = {"item": item_table.set_axis(pd.Index(item_ids, name="entity_id")),
              "user": user_table.set_axis(pd.Index(user_ids, name="entity_id")),
              "user_category": category_table}  # fmt: skip
    if "genres" in engine.items.columns:
        n_genres = len(engine.genres)
        genre_users = np.repeat(user_ids, n_genres)
        shares = engine.genre_shares(genre_users, np.tile(np.arange(n_genres), n_users),
                                     np.full(len(genre_users), at)).reshape(n_users, n_genres)  # fmt: skip
        tables["user_genre"] = pd.DataFrame({f"user_item__genre_share{_AT}{g}": shares[:, g] for g in range(n_genres)},
                                            index=pd.Index(user_ids, name="entity_id"))  # fmt: skip
    return tables


class FeatureAssembler:
    """Lays out one request's ranker features from looked-up snapshot rows.

    Parameters
    ----------
    features : list of str
        The ranker's feature columns, in its order.
    table_columns : dict
        Snapshot table name → its columns (a store's ``columns(table)``).
    item_category : array of int
        Each item id's category code (categories in sorted order, as in the snapshot).
    sources : list of str
        The retrievers that propose candidates (the categories of ``retrieval__source``).
    item_genres : matrix, optional
        p(g|i), ``(n_items, n_genres)`` (`data.genre_matrix`), where the snapshot has
        ``user_genre``.
    """

    def __init__(self, features, table_columns: dict, item_category, sources, item_genres=None):
        self.features = list(features)
        self.sources = list(sources)
        position = {table: {c: j for j, c in enumerate(cols)} for table, cols in table_columns.items()}
        self.item_category = np.asarray(item_category, dtype=np.int64)
        n_categories = int(self.item_category.max()) + 1
        self.item_genres = item_genres
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
                if item_genres is None:
                    raise ValueError("FeatureAssembler: user_item__genre_affinity needs item_genres")
                genres = [position["user_genre"][c] for c in table_columns["user_genre"]]
                self._plan.append(("user_genre", np.array(genres)))
            elif f"{name}{_AT}0" in position.get("user_category", {}):
                columns = [position["user_category"][f"{name}{_AT}{c}"] for c in range(n_categories)]
                self._plan.append(("user_category", np.array(columns)))
            else:
                raise ValueError(f"FeatureAssembler: no snapshot table provides feature {name!r}")

    def assemble(self, item_ids, retrieval: dict, item_rows, user_row, user_category_row, at,
                 user_genre_row=None) -> np.ndarray:  # fmt: skip
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
                out[:, j] = self.item_genres[item_ids] @ user_genre_row[where]
        return out


def _codes(values, sources) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "OUS":
        return pd.Categorical(values, categories=sources).codes.astype(np.float64)
    return values.astype(np.float64)
