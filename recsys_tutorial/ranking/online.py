"""The ranking frame's features as tables a feature store holds: the batch half of serving.

Offline, `build_ranking_frame` computes every feature from the full event log. A service cannot:
it has a few milliseconds and a key-value store. So the same definitions are split in two:

1. `feature_snapshot` (a batch job) evaluates the frame's per-entity blocks for *every* user,
   item, (user, category) and (user, genre) pair as of one moment, into tables a store holds;
2. `serving.FeatureAssembler` (the request path) looks those rows up for one user and their
   candidates and lays them out in the ranker's column order, adding the retrieval scores and
   the request's context at the request's own time.

Both ask chapter 2's engine (`features.AsOfFeatures`), as the frame does, so there is one
definition of each feature; the test suite requires the assembled rows to equal
`build_ranking_frame`'s rows at the same moment, feature by feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import AsOfFeatures
from .frame import context_block, item_block, user_block

__all__ = ["feature_snapshot"]


def feature_snapshot(history, items: pd.DataFrame | None, at, n_users: int, users: pd.DataFrame | None = None,
                     user_columns=(), prior_strength: float = 10.0) -> dict[str, pd.DataFrame]:
    """The per-entity inputs of the ranking features as of ``at``: what an online store holds.

    ``history`` is the event log or an `AsOfFeatures` engine built over it (with ``items``);
    ``items`` and ``users`` are joined by id. Returns tables indexed by entity id with numeric
    columns:

    * ``"item"``: the ``item__*`` block of every item (the category as its code in sorted order);
    * ``"user"``: the ``user__*`` block of every user, ``context__days_since_user_last_event`` at
      ``at``, and ``last_event_s`` and ``last_event_ns`` (the user's last event before ``at``: whole
      seconds since 1970 and the nanoseconds after them, NaN for none): what the request path
      needs to count the days to its own time;
    * ``"user_category"``, keyed by ``(user id, category code)`` (categories in sorted order):
      ``user_item__category_events`` and ``user_item__category_affinity``;
    * ``"user_genre"`` (when items have ``genres``), keyed by ``(user id, genre code)``:
      ``user_item__genre_share``, the smoothed share the genre affinity averages over an item's
      genres.
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
    # The user's last event, as whole seconds and nanoseconds since 1970: two float64 columns
    # hold it exactly (one would round it to 256 ns), so a request counts the days to its own time
    # exactly as the offline frame does.
    last = engine.last_event_time("user_id", user_ids, user_times)
    seconds, nanoseconds = np.divmod(last.astype(np.int64), 1_000_000_000)
    user_table["last_event_s"] = np.where(np.isnat(last), np.nan, seconds.astype(np.float64))
    user_table["last_event_ns"] = np.where(np.isnat(last), np.nan, nanoseconds.astype(np.float64))

    # Every (user, category) pair, asked of the engine by category code.
    n_categories = len(engine.categories)
    pair_users = np.repeat(user_ids, n_categories)
    codes = np.tile(np.arange(n_categories), n_users)
    events, share = engine.category_shares(pair_users, codes, np.full(len(codes), at))
    category_table = pd.DataFrame(
        {"user_item__category_events": events.astype(np.float64), "user_item__category_affinity": share},
        index=pd.MultiIndex.from_arrays([pair_users, codes], names=["entity_id", "key"]),
    )
    tables = {"item": item_table.set_axis(pd.Index(item_ids, name="entity_id")),
              "user": user_table.set_axis(pd.Index(user_ids, name="entity_id")),
              "user_category": category_table}  # fmt: skip
    if "genres" in engine.items.columns:
        n_genres = len(engine.genres)
        genre_users, genres = np.repeat(user_ids, n_genres), np.tile(np.arange(n_genres), n_users)
        shares = engine.genre_shares(genre_users, genres, np.full(len(genre_users), at))
        tables["user_genre"] = pd.DataFrame(
            {"user_item__genre_share": np.asarray(shares, dtype=np.float64)},
            index=pd.MultiIndex.from_arrays([genre_users, genres], names=["entity_id", "key"]),
        )
    return tables
