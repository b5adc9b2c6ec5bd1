"""The online feature store: point-in-time feature rows keyed by entity id.

A batch or nearline job computes features offline (chapter 2's functions, as of a moment) and
*materialises* them: ``write(table, rows, valid_from)``. The request path reads them:
``read(table, ids, at)`` returns, for each id, the latest row whose ``valid_from`` is at or
before ``at``: the point-in-time ("as-of") lookup of Feast and similar stores, so a request
replayed at time t sees exactly what a live request at t would have seen, and never a row
written later.

`FeatureStore` is the whole interface the service uses; `SQLiteFeatureStore` implements it in
one embedded file. A Redis- or Feast-backed store implements the same four methods.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FeatureStore", "SQLiteFeatureStore"]


class FeatureStore(ABC):
    """Feature tables of numeric columns, one row per (entity id, valid_from)."""

    @abstractmethod
    def write(self, table: str, rows: pd.DataFrame, valid_from) -> None:
        """Materialise ``rows`` (indexed by entity id, numeric columns), valid from ``valid_from`` on."""

    @abstractmethod
    def read(self, table: str, ids, at) -> np.ndarray:
        """``(len(ids), n_columns)`` float64: each id's latest row valid at ``at``; NaN where there is none."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """The table's feature columns, in the order `read` returns them."""

    @abstractmethod
    def snapshots(self, table: str) -> list[pd.Timestamp]:
        """The distinct ``valid_from`` times written to ``table``, oldest first."""

    def read_frame(self, table: str, ids, at) -> pd.DataFrame:
        """`read` as a DataFrame indexed by id (for notebooks and tests; the request path uses `read`)."""
        ids = np.asarray(ids, dtype=np.int64)
        return pd.DataFrame(self.read(table, ids, at), index=pd.Index(ids, name="entity_id"),
                            columns=self.columns(table))


class SQLiteFeatureStore(FeatureStore):
    """A `FeatureStore` in one SQLite file.

    Each table is stored as ``(entity_id, valid_from, c0, c1, ...)`` with the primary key
    ``(entity_id, valid_from)``, so an as-of read is one index seek per id. Times are stored as
    integer nanoseconds; values as 8-byte floats, so what is read equals what was written, bit for
    bit.

    >>> store = SQLiteFeatureStore(":memory:")
    >>> day_1 = pd.DataFrame({"n_events": [3.0, 5.0]}, index=[0, 1])
    >>> store.write("user", day_1, "2024-01-01")
    >>> day_2 = pd.DataFrame({"n_events": [4.0]}, index=[0])
    >>> store.write("user", day_2, "2024-01-02")
    >>> store.read("user", [0, 1, 2], "2024-01-01 12:00").ravel().tolist()
    [3.0, 5.0, nan]
    >>> store.read("user", [0, 1], "2024-01-02").ravel().tolist()
    [4.0, 5.0]
    """

    def __init__(self, path, read_only: bool = False):
        self.path = str(path)
        self.read_only = read_only
        if read_only:
            if not Path(self.path).is_file():
                raise FileNotFoundError(f"SQLiteFeatureStore: no feature store at {self.path}")
            uri = f"file:{Path(self.path).resolve()}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS _columns (tbl TEXT, position INTEGER, name TEXT, "
                             "PRIMARY KEY (tbl, position))")
        self._column_cache: dict[str, list[str]] = {}
        self._queries: dict[tuple[str, int | str], str] = {}

    def write(self, table: str, rows: pd.DataFrame, valid_from) -> None:
        _check_table_name(table)
        if self.read_only:
            raise ValueError(f"SQLiteFeatureStore: {self.path} is open read-only")
        values = rows.to_numpy(dtype=np.float64)
        columns = [str(c) for c in rows.columns]
        known = self._stored_columns(table)
        if known and known != columns:
            raise ValueError(f"SQLiteFeatureStore.write: table {table!r} has columns {known}, got {columns}")
        with self._db:
            if not known:
                slots = ", ".join(f"c{j} REAL" for j in range(len(columns)))
                self._db.execute(f'CREATE TABLE "{table}" (entity_id INTEGER, valid_from INTEGER, {slots}, '
                                 "PRIMARY KEY (entity_id, valid_from)) WITHOUT ROWID")
                self._db.executemany("INSERT INTO _columns VALUES (?, ?, ?)",
                                     [(table, j, name) for j, name in enumerate(columns)])
                self._column_cache[table] = columns
            stamp = _nanoseconds(valid_from)
            marks = ", ".join("?" * (len(columns) + 2))
            self._db.executemany(f'INSERT OR REPLACE INTO "{table}" VALUES ({marks})',
                                 [(int(i), stamp, *row) for i, row in zip(rows.index, values.tolist(), strict=True)])

    def read(self, table: str, ids, at) -> np.ndarray:
        columns = self.columns(table)
        ids = np.asarray(ids, dtype=np.int64).ravel()
        out = np.full((len(ids), len(columns)), np.nan)
        if not len(ids):
            return out
        if len(ids) == 1:  # the request path's case: one index seek, newest first
            query = self._latest_row_query(table, len(columns))
            found = self._db.execute(query, (int(ids[0]), _nanoseconds(at))).fetchone()
            if found is not None:
                out[0] = found
            return out
        distinct = np.unique(ids)
        found = self._db.execute(self._query(table, len(distinct), len(columns)),
                                 (*distinct.tolist(), _nanoseconds(at))).fetchall()
        if found:
            rows = np.array(found, dtype=np.float64)
            where = np.searchsorted(distinct, rows[:, 0].astype(np.int64))
            by_distinct = np.full((len(distinct), len(columns)), np.nan)
            by_distinct[where] = rows[:, 1:]
            out = by_distinct[np.searchsorted(distinct, ids)]
        return out

    def columns(self, table: str) -> list[str]:
        columns = self._stored_columns(table)
        if not columns:
            raise KeyError(f"SQLiteFeatureStore: no table {table!r} in {self.path}; tables: {self.tables()}")
        return columns

    def snapshots(self, table: str) -> list[pd.Timestamp]:
        self.columns(table)
        stamps = self._db.execute(f'SELECT DISTINCT valid_from FROM "{table}" ORDER BY valid_from').fetchall()
        return [pd.Timestamp(s, unit="ns") for (s,) in stamps]

    def tables(self) -> list[str]:
        return [t for (t,) in self._db.execute("SELECT DISTINCT tbl FROM _columns ORDER BY tbl")]

    def close(self) -> None:
        self._db.close()

    def _stored_columns(self, table: str) -> list[str]:
        if table not in self._column_cache:
            names = self._db.execute("SELECT name FROM _columns WHERE tbl = ? ORDER BY position", (table,)).fetchall()
            if not names:
                return []
            self._column_cache[table] = [n for (n,) in names]
        return self._column_cache[table]

    def _latest_row_query(self, table: str, n_columns: int) -> str:
        # One id: its newest row at or before the time, a single seek on (entity_id, valid_from).
        key = (table, "latest")
        if key not in self._queries:
            values = ", ".join(f"c{j}" for j in range(n_columns))
            self._queries[key] = (f'SELECT {values} FROM "{table}" WHERE entity_id = ? AND valid_from <= ? '
                                  "ORDER BY valid_from DESC LIMIT 1")
        return self._queries[key]

    def _query(self, table: str, n_ids: int, n_columns: int) -> str:
        # The latest row at or before the time, per id: one index seek each (entity_id, valid_from).
        key = (table, n_ids)
        if key not in self._queries:
            values = ", ".join(f"t.c{j}" for j in range(n_columns))
            self._queries[key] = (
                f'SELECT t.entity_id, {values} FROM "{table}" t '
                f"JOIN (SELECT entity_id, MAX(valid_from) AS v FROM \"{table}\" "
                f"WHERE entity_id IN ({', '.join('?' * n_ids)}) AND valid_from <= ? GROUP BY entity_id) latest "
                "ON t.entity_id = latest.entity_id AND t.valid_from = latest.v"
            )
        return self._queries[key]


def _nanoseconds(moment) -> int:
    if type(moment) is pd.Timestamp and moment.tzinfo is None:
        return moment.value  # the request path's case, on every request: no conversion
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.value)


def _check_table_name(table: str) -> None:
    if not table.replace("_", "").isalnum():
        raise ValueError(f"SQLiteFeatureStore: table names are letters, digits and '_', got {table!r}")
