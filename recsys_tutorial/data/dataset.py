"""The `Dataset` container and the schema every chapter relies on.

A dataset is three tables and, for synthetic worlds, the planted truth:

* ``interactions``: one row per event, with ``user_id``, ``item_id`` (contiguous integers),
  ``timestamp`` (datetime64), ``event_type`` (one of :data:`EVENT_TYPES`) and ``rating``
  (1–5 where known, NaN otherwise);
* ``users``: one row per user, ``user_id`` equal to ``0..n_users-1``;
* ``items``: one row per item, ``item_id`` equal to ``0..n_items-1``, with a ``category``.

The schema is checked once, here, when a `Dataset` is built; code downstream trusts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["Dataset", "EVENT_TYPES", "FUNNEL", "INTERACTION_COLUMNS", "check_interactions", "interaction_matrix",
           "align_by_id", "genre_matrix"]

#: The funnel's event types, in order: each step is rarer than the one before.
FUNNEL = ("view", "click", "add_to_cart", "purchase")
#: Event types in funnel order. ``rating`` is the event of explicit-feedback data (MovieLens).
EVENT_TYPES = (*FUNNEL, "rating")

#: Columns every interactions frame has.
INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp", "event_type", "rating")


@dataclass
class Dataset:
    """Interactions plus side information, validated at construction.

    Parameters
    ----------
    interactions : pandas.DataFrame
        Columns ``user_id``, ``item_id``, ``timestamp``, ``event_type``, ``rating``.
    users : pandas.DataFrame
        One row per user; ``user_id`` must be ``0..n_users-1`` in order.
    items : pandas.DataFrame
        One row per item; ``item_id`` must be ``0..n_items-1`` in order; has a ``category`` column.
    truth : object, optional
        The planted preferences of a synthetic world (`SyntheticTruth`), ``None`` for real data.
    name : str
        A short label used in tables and figure titles.

    Raises
    ------
    ValueError
        If a table breaks the schema; the message names the column and the rule.

    Examples
    --------
    >>> import pandas as pd
    >>> inter = pd.DataFrame({
    ...     "user_id": [0, 1],
    ...     "item_id": [1, 0],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    ...     "event_type": ["view", "click"],
    ...     "rating": [float("nan"), 4.0],
    ... })
    >>> users = pd.DataFrame({"user_id": [0, 1]})
    >>> items = pd.DataFrame({"item_id": [0, 1],
    ...                       "category": ["books", "music"]})
    >>> Dataset(inter, users, items).n_users
    2
    """

    interactions: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    truth: Any = None
    name: str = "dataset"
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_id_table(self.users, "users", "user_id")
        _check_id_table(self.items, "items", "item_id")
        if "category" not in self.items.columns:
            raise ValueError("items: missing column 'category' (every item needs a category)")
        if self.items["category"].isna().any():
            raise ValueError(f"items: column 'category' has {int(self.items['category'].isna().sum())} missing values")
        check_interactions(self.interactions, n_users=len(self.users), n_items=len(self.items))
        if len(self.interactions) == 0:
            raise ValueError("interactions: the table is empty; a Dataset needs at least one event")

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_interactions(self) -> int:
        return len(self.interactions)

    def __repr__(self) -> str:
        start, end = self.interactions["timestamp"].agg(["min", "max"])
        truth = "planted preferences (synthetic)" if self.truth is not None else "none (real data)"
        return (
            f"Dataset {self.name!r}\n"
            f"  users:        {self.n_users:,}\n"
            f"  items:        {self.n_items:,}\n"
            f"  interactions: {self.n_interactions:,}, {start:%Y-%m-%d} to {end:%Y-%m-%d}\n"
            f"  truth:        {truth}"
        )


def check_interactions(
    interactions: pd.DataFrame, n_users: int | None = None, n_items: int | None = None
) -> None:
    """Check an interactions frame against the schema; raise ``ValueError`` naming the problem.

    ``n_users`` / ``n_items``, when given, bound the ids: ``0 <= user_id < n_users``.
    """
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError(f"interactions: expected a pandas DataFrame, got {type(interactions).__name__}")
    missing = [c for c in INTERACTION_COLUMNS if c not in interactions.columns]
    if missing:
        raise ValueError(
            f"interactions: missing column(s) {missing}; expected columns {list(INTERACTION_COLUMNS)}"
        )
    duplicated = sorted(set(interactions.columns[interactions.columns.duplicated()]))
    if duplicated:
        raise ValueError(f"interactions: duplicated column(s) {duplicated}")
    for column, bound in (("user_id", n_users), ("item_id", n_items)):
        values = interactions[column]
        if not pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise ValueError(f"interactions: column '{column}' must hold integers, got dtype {values.dtype}")
        if values.isna().any():
            raise ValueError(f"interactions: column '{column}' has {int(values.isna().sum())} missing values")
        if len(values) and values.min() < 0:
            raise ValueError(f"interactions: column '{column}' must be >= 0, found {values.min()}")
        if bound is not None and len(values) and values.max() >= bound:
            raise ValueError(
                f"interactions: column '{column}' must be < {bound} (the table's size), found {values.max()}"
            )
    timestamps = interactions["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(timestamps):
        raise ValueError(f"interactions: column 'timestamp' must be datetime64, got dtype {timestamps.dtype}")
    if getattr(timestamps.dtype, "tz", None) is not None:
        raise ValueError(
            f"interactions: column 'timestamp' must be timezone-naive (one clock for the whole log), got "
            f"{timestamps.dtype}; convert it first, e.g. timestamps.dt.tz_convert('UTC').dt.tz_localize(None)"
        )
    if timestamps.isna().any():
        raise ValueError(f"interactions: column 'timestamp' has {int(timestamps.isna().sum())} missing values")
    unknown = set(pd.unique(interactions["event_type"])) - set(EVENT_TYPES)
    if unknown:
        raise ValueError(
            f"interactions: column 'event_type' has unknown values {sorted(map(str, unknown))}; "
            f"expected one of {list(EVENT_TYPES)}"
        )
    ratings = interactions["rating"]
    if not pd.api.types.is_float_dtype(ratings):
        raise ValueError(f"interactions: column 'rating' must be float (NaN where unknown), got dtype {ratings.dtype}")
    known = ratings.dropna()
    if len(known) and (known.min() < 1 or known.max() > 5):
        raise ValueError(
            f"interactions: column 'rating' must lie in [1, 5] where known, found range "
            f"[{known.min()}, {known.max()}]"
        )


def _check_id_table(table: pd.DataFrame, name: str, id_column: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(table).__name__}")
    if id_column not in table.columns:
        raise ValueError(f"{name}: missing column '{id_column}'")
    if table.columns.duplicated().any():
        raise ValueError(f"{name}: duplicated column(s) {sorted(set(table.columns[table.columns.duplicated()]))}")
    column = table[id_column]
    if not pd.api.types.is_integer_dtype(column) or pd.api.types.is_bool_dtype(column) or column.isna().any():
        raise ValueError(
            f"{name}: column '{id_column}' must hold integers without missing values, got dtype {column.dtype}"
        )
    ids = column.to_numpy()
    if not np.array_equal(ids, np.arange(len(table))):
        raise ValueError(
            f"{name}: column '{id_column}' must be the contiguous integers 0..{len(table) - 1} in order "
            "(map raw ids once, in the loader)"
        )


def interaction_matrix(interactions: pd.DataFrame, shape: tuple[int, int] | None = None) -> sp.csr_matrix:
    """Binary user × item CSR matrix: 1 where the user interacted with the item at least once."""
    users = interactions["user_id"].to_numpy()
    items = interactions["item_id"].to_numpy()
    if shape is None:
        shape = (int(users.max()) + 1, int(items.max()) + 1)
    X = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=shape)
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


def align_by_id(table: pd.DataFrame, id_column: str, caller: str, n_required: int = 0) -> pd.DataFrame:
    """``table`` with row ``i`` holding id ``i``: a side table joined by its ids, never by its row order.

    ``table`` may come in any row order; its ``id_column`` must hold each of ``0..len(table)-1``
    exactly once (the contiguous ids a `Dataset` uses) and at least the ids below
    ``n_required``. Anything else raises a ``ValueError`` naming ``caller`` and the ids at fault.

    >>> items = pd.DataFrame({"item_id": [2, 0, 1],
    ...                       "category": ["c", "a", "b"]})
    >>> align_by_id(items, "item_id", "example")["category"].tolist()
    ['a', 'b', 'c']
    >>> align_by_id(items.iloc[:2], "item_id", "example")
    Traceback (most recent call last):
    ...
    ValueError: example: the table's item_id must be 0..1 each once (the ...
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(
            f"{caller}: expected a table (DataFrame) with an '{id_column}' column, got {type(table).__name__}"
        )
    if id_column not in table.columns:
        raise ValueError(f"{caller}: the table has no '{id_column}' column to join on; columns: {list(table.columns)}")
    ids = table[id_column]
    if not pd.api.types.is_integer_dtype(ids) or pd.api.types.is_bool_dtype(ids):
        raise ValueError(f"{caller}: the table's {id_column} must hold integers, got dtype {ids.dtype}")
    ids = ids.to_numpy(dtype=np.int64)
    n = len(ids)
    outside = ids[(ids < 0) | (ids >= n)]
    if len(outside):
        raise ValueError(f"{caller}: the table's {id_column} must be 0..{n - 1} each once (the dataset's ids), "
                         f"but {_some(outside)} {'is' if len(outside) == 1 else 'are'} outside that range")
    counts = np.bincount(ids, minlength=n)
    if (counts > 1).any():
        raise ValueError(f"{caller}: the table has several rows for {id_column} {_some(np.flatnonzero(counts > 1))}")
    if n < n_required:
        raise ValueError(f"{caller}: the table covers {id_column} 0..{n - 1}, but ids up to {n_required - 1} "
                         f"are used; missing: {_some(np.arange(n, n_required))}")
    if np.array_equal(ids, np.arange(n)):
        return table.reset_index(drop=True)
    return table.iloc[np.argsort(ids, kind="stable")].reset_index(drop=True)


def _some(ids: np.ndarray, shown: int = 5) -> str:
    """The first few of ``ids``, for an error message."""
    ids = np.asarray(ids)
    listed = ", ".join(str(int(i)) for i in ids[:shown])
    return listed + (f" (and {len(ids) - shown} more)" if len(ids) > shown else "")


def genre_matrix(items: pd.DataFrame, column: str = "genres") -> tuple[sp.csr_matrix, list]:
    """p(g|i) as an ``(n_items, n_genres)`` matrix, each item's genres sharing weight 1 equally; and the genre names.

    ``items`` is a dataset's item table (aligned by its ``item_id`` where it has one) whose
    ``column`` holds a tuple of genre names (MovieLens's ``genres``) or one label per item (the
    synthetic world's ``category``). Columns follow the sorted genre names. The one definition of
    the genre matrix: features, ranking, serving and re-ranking all read this one.

    >>> items = pd.DataFrame({"genres": [("Drama",), ("Comedy", "Drama")]})
    >>> matrix, names = genre_matrix(items)
    >>> names, matrix.toarray().tolist()
    (['Comedy', 'Drama'], [[0.0, 1.0], [0.5, 0.5]])
    """
    if not isinstance(items, pd.DataFrame) or column not in items:
        columns = list(items.columns) if isinstance(items, pd.DataFrame) else type(items).__name__
        raise ValueError(f"genre_matrix: the item table has no column {column!r}; columns: {columns}")
    if "item_id" in items.columns:
        items = align_by_id(items, "item_id", "genre_matrix")
    values = items[column].map(lambda v: tuple(v) if isinstance(v, tuple | list) else (v,))
    names = sorted({g for genres in values for g in genres})
    index = {g: j for j, g in enumerate(names)}
    sizes = values.map(len).to_numpy()
    rows = np.repeat(np.arange(len(values)), sizes)
    cols = np.fromiter((index[g] for genres in values for g in genres), dtype=np.int64, count=len(rows))
    return sp.csr_matrix((1.0 / np.repeat(sizes, sizes), (rows, cols)), shape=(len(values), len(names))), names
