"""Feature stores: an online store the service reads, an offline store training data is built from.

Production systems split features in two, as Feast does:

* the **online store** keeps the *latest* value of each entity's features (Redis, DynamoDB or
  Bigtable in production), written by a batch or streaming job, read by the request path in
  well under a millisecond: ``write(table, rows, as_of)`` replaces the rows, ``read(table, ids)``
  returns them;
* the **offline store** keeps every value with the moment it became valid (a warehouse table in
  production) and answers **as-of** reads: ``read(table, ids, at)`` returns each entity's latest
  row valid at ``at``, so a training example built for a request at time t sees exactly what a
  request at t could have seen. ``materialize(online, at)`` copies the rows valid at ``at`` into
  an online store: how a snapshot is published.

A table is either plain (one row per entity: ``rows`` indexed by entity id) or **keyed** (one
row per entity and key: ``rows`` indexed by ``(entity_id, key)``): a user's events per
category become the keys of one user's rows, not one column per category, so a catalogue of
thousands of categories meets no column limit. `read_keys` returns all of one entity's keyed
rows at once, a ``(n_keys, n_columns)`` array indexed by key.

`FeatureStore` is the whole interface the service uses; `SQLiteFeatureStore` implements it in
one embedded file (or in memory), and `OfflineFeatureStore` is the as-of twin. A Redis-backed
online store implements the same few methods with a hash per entity.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FeatureStore", "SQLiteFeatureStore", "OfflineFeatureStore"]


class FeatureStore(ABC):
    """The online store: the latest rows of numeric features per entity (and key)."""

    @abstractmethod
    def write(self, table: str, rows: pd.DataFrame, as_of) -> None:
        """Replace the rows of the entities (and keys) in ``rows``; ``as_of`` is the moment they describe."""

    @abstractmethod
    def read(self, table: str, ids) -> np.ndarray:
        """``(len(ids), n_columns)`` float64: each id's row of a plain table; NaN where there is none."""

    @abstractmethod
    def read_keys(self, table: str, entity_id: int) -> np.ndarray:
        """``(n_keys, n_columns)`` float64: one entity's rows of a keyed table by key; NaN where none."""

    @abstractmethod
    def columns(self, table: str) -> list[str]:
        """The table's feature columns, in the order `read` returns them."""

    @abstractmethod
    def as_of(self, table: str) -> pd.Timestamp:
        """The moment the newest rows written to ``table`` describe."""

    def read_frame(self, table: str, ids) -> pd.DataFrame:
        """`read` as a DataFrame indexed by id (for notebooks and tests; the request path uses `read`)."""
        ids = np.asarray(ids, dtype=np.int64)
        return pd.DataFrame(self.read(table, ids), index=pd.Index(ids, name="entity_id"), columns=self.columns(table))


class _SQLiteTables:
    """Tables of float64 feature columns in one SQLite database, with their columns and keys recorded.

    Each table is ``(entity_id, key, valid_from, c0, c1, ...)``: ``key`` is 0 in a plain table;
    times are integer nanoseconds; values 8-byte floats, so what is read equals what was
    written, bit for bit.
    """

    def __init__(self, path=":memory:", read_only: bool = False, *, _connection=None):
        self.path = str(path)
        self.read_only = read_only
        if _connection is not None:
            self._db = _connection
        elif read_only:
            if not Path(self.path).is_file():
                raise FileNotFoundError(f"{type(self).__name__}: no feature store at {self.path}")
            # A URI, escaped: a folder named "run#1" or "50%" is a path, not a fragment or an escape.
            uri = Path(self.path).resolve().as_uri() + "?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
        if not read_only:
            with self._db:
                self._db.execute("CREATE TABLE IF NOT EXISTS _tables (tbl TEXT PRIMARY KEY, keyed INTEGER, "
                                 "n_keys INTEGER, as_of INTEGER)")
                self._db.execute("CREATE TABLE IF NOT EXISTS _columns (tbl TEXT, position INTEGER, name TEXT, "
                                 "PRIMARY KEY (tbl, position))")
        self._layout: dict[str, tuple[list[str], bool, int]] = {}
        self._queries: dict[tuple, str] = {}

    @classmethod
    def from_bytes(cls, data: bytes):
        """A read-only store over a database image (``Connection.serialize``'s bytes, or a file's)."""
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        connection.deserialize(data)
        return cls(":memory:", read_only=True, _connection=connection)

    def columns(self, table: str) -> list[str]:
        return self._table(table)[0]

    def tables(self) -> list[str]:
        return [t for (t,) in self._db.execute("SELECT tbl FROM _tables ORDER BY tbl")]

    def is_keyed(self, table: str) -> bool:
        return self._table(table)[1]

    def n_keys(self, table: str) -> int:
        return self._table(table)[2]

    def as_of(self, table: str) -> pd.Timestamp:
        self._table(table)
        (stamp,) = self._db.execute("SELECT as_of FROM _tables WHERE tbl = ?", (table,)).fetchone()
        return pd.Timestamp(stamp, unit="ns")

    def close(self) -> None:
        self._db.close()

    def _table(self, table: str) -> tuple[list[str], bool, int]:
        if table not in self._layout:
            found = self._db.execute("SELECT keyed, n_keys FROM _tables WHERE tbl = ?", (table,)).fetchone()
            if found is None:
                raise KeyError(f"{type(self).__name__}: no table {table!r} in {self.path}; tables: {self.tables()}")
            names = self._db.execute("SELECT name FROM _columns WHERE tbl = ? ORDER BY position", (table,)).fetchall()
            self._layout[table] = ([n for (n,) in names], bool(found[0]), int(found[1]))
        return self._layout[table]

    def _insert(self, table: str, rows: pd.DataFrame, valid_from, replace_latest: bool) -> None:
        """Record ``rows``: a new version beside the older ones, or (``replace_latest``) in their place."""
        _check_table_name(table)
        if self.read_only:
            raise ValueError(f"{type(self).__name__}: {self.path} is open read-only")
        if not isinstance(rows, pd.DataFrame):
            raise TypeError(f"{type(self).__name__}.write: rows must be a DataFrame, got {type(rows).__name__}")
        keyed = rows.index.nlevels == 2
        if rows.index.nlevels > 2:
            raise ValueError(f"{type(self).__name__}.write: rows are indexed by entity id, or by (entity id, key); "
                             f"got {rows.index.nlevels} index levels")
        entity = np.asarray(rows.index.get_level_values(0), dtype=np.int64)
        key = np.asarray(rows.index.get_level_values(1), dtype=np.int64) if keyed else np.zeros(len(rows), np.int64)
        if (entity < 0).any() or (key < 0).any():
            raise ValueError(f"{type(self).__name__}.write: entity ids and keys are non-negative integers")
        columns = [str(c) for c in rows.columns]
        values = rows.to_numpy(dtype=np.float64)
        stamp = _nanoseconds(valid_from)
        n_keys = int(key.max()) + 1 if keyed and len(key) else 1
        try:
            known = self._table(table)
        except KeyError:
            known = None
        if known is not None and (known[0] != columns or known[1] != keyed):
            raise ValueError(f"{type(self).__name__}.write: table {table!r} has columns {known[0]} "
                             f"({'keyed' if known[1] else 'one row per entity'}), got {columns} "
                             f"({'keyed' if keyed else 'one row per entity'})")
        with self._db:
            if known is None:
                slots = ", ".join(f"c{j} REAL" for j in range(len(columns)))
                primary = "entity_id, key" if replace_latest else "entity_id, key, valid_from"
                self._db.execute(f'CREATE TABLE "{table}" (entity_id INTEGER, key INTEGER, valid_from INTEGER, '
                                 f"{slots}, PRIMARY KEY ({primary})) WITHOUT ROWID")
                self._db.executemany("INSERT INTO _columns VALUES (?, ?, ?)",
                                     [(table, j, name) for j, name in enumerate(columns)])
                self._db.execute("INSERT INTO _tables VALUES (?, ?, ?, ?)", (table, int(keyed), n_keys, stamp))
            else:
                self._db.execute("UPDATE _tables SET n_keys = MAX(n_keys, ?), as_of = MAX(as_of, ?) WHERE tbl = ?",
                                 (n_keys, stamp, table))
            marks = ", ".join("?" * (len(columns) + 3))
            self._db.executemany(
                f'INSERT OR REPLACE INTO "{table}" VALUES ({marks})',
                [(int(e), int(k), stamp, *row) for e, k, row in zip(entity, key, values.tolist(), strict=True)],
            )
        self._layout.pop(table, None)

    def _place(self, found, ids: np.ndarray, n_columns: int) -> np.ndarray:
        """Rows ``(entity_id, c0, ...)`` in the order of ``ids`` (repeats allowed); NaN where none was found."""
        out = np.full((len(ids), n_columns), np.nan)
        if found:
            rows = np.array(found, dtype=np.float64)
            entities = rows[:, 0].astype(np.int64)
            order = np.argsort(entities, kind="stable")
            entities, rows = entities[order], rows[order]
            where = np.searchsorted(entities, ids)
            hit = (where < len(entities)) & (entities[np.minimum(where, len(entities) - 1)] == ids)
            out[hit] = rows[where[hit], 1:]
        return out

    def _by_key(self, found, table: str) -> np.ndarray:
        out = np.full((self.n_keys(table), len(self.columns(table))), np.nan)
        if found:
            rows = np.array(found, dtype=np.float64)
            out[rows[:, 0].astype(np.int64)] = rows[:, 1:]
        return out

    def _values(self, table: str, prefix: str = "") -> str:
        return ", ".join(f"{prefix}c{j}" for j in range(len(self.columns(table))))


class SQLiteFeatureStore(_SQLiteTables, FeatureStore):
    """The online `FeatureStore` in one SQLite file (or ``":memory:"``): the latest row per entity and key.

    >>> store = SQLiteFeatureStore(":memory:")
    >>> day_1 = pd.DataFrame({"n_events": [3.0, 5.0]}, index=[0, 1])
    >>> store.write("user", day_1, "2024-01-01")
    >>> day_2 = pd.DataFrame({"n_events": [4.0]}, index=[0])
    >>> store.write("user", day_2, "2024-01-02")
    >>> store.read("user", [0, 1, 2]).ravel().tolist()
    [4.0, 5.0, nan]
    >>> keys = pd.MultiIndex.from_tuples([(0, 2), (0, 0)])  # (user, category)
    >>> shares = pd.DataFrame({"share": [0.7, 0.3]}, index=keys)
    >>> store.write("user_category", shares, "2024-01-02")
    >>> store.read_keys("user_category", 0).ravel().tolist()
    [0.3, nan, 0.7]
    """

    def write(self, table: str, rows: pd.DataFrame, as_of) -> None:
        self._insert(table, rows, as_of, replace_latest=True)

    def read(self, table: str, ids) -> np.ndarray:
        columns, keyed, _ = self._table(table)
        if keyed:
            raise ValueError(f"SQLiteFeatureStore.read: {table!r} is keyed; read it with read_keys")
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if len(ids) == 1:  # the request path's case: one primary-key seek
            query = self._queries.setdefault((table, "one"), f'SELECT {self._values(table)} FROM "{table}" '
                                             "WHERE entity_id = ? AND key = 0")  # fmt: skip
            found = self._db.execute(query, (int(ids[0]),)).fetchone()
            out = np.full((1, len(columns)), np.nan)
            if found is not None:
                out[0] = found
            return out
        # Many ids (a cache filled at start-up): one scan of the table.
        found = self._db.execute(f'SELECT entity_id, {self._values(table)} FROM "{table}"').fetchall()
        return self._place(found, ids, len(columns))

    def read_keys(self, table: str, entity_id: int) -> np.ndarray:
        if not self._table(table)[1]:
            raise ValueError(f"SQLiteFeatureStore.read_keys: {table!r} has one row per entity; read it with read")
        query = self._queries.setdefault((table, "keys"), f'SELECT key, {self._values(table)} FROM "{table}" '
                                         "WHERE entity_id = ?")  # fmt: skip
        return self._by_key(self._db.execute(query, (int(entity_id),)).fetchall(), table)


class OfflineFeatureStore(_SQLiteTables):
    """The offline store: every version of every row, with the moment it became valid; as-of reads.

    >>> store = OfflineFeatureStore(":memory:")
    >>> day_1 = pd.DataFrame({"n_events": [3.0, 5.0]}, index=[0, 1])
    >>> store.write("user", day_1, "2024-01-01")
    >>> day_2 = pd.DataFrame({"n_events": [4.0]}, index=[0])
    >>> store.write("user", day_2, "2024-01-02")
    >>> store.read("user", [0, 1, 2], "2024-01-01 12:00").ravel().tolist()
    [3.0, 5.0, nan]
    >>> store.read("user", [0, 1], "2024-01-02").ravel().tolist()
    [4.0, 5.0]
    """

    def write(self, table: str, rows: pd.DataFrame, valid_from) -> None:
        """Add ``rows`` as the version valid from ``valid_from`` on (older versions stay)."""
        self._insert(table, rows, valid_from, replace_latest=False)

    def read(self, table: str, ids, at) -> np.ndarray:
        """``(len(ids), n_columns)``: each id's latest row valid at ``at`` (a plain table); NaN where none."""
        columns, keyed, _ = self._table(table)
        if keyed:
            raise ValueError(f"OfflineFeatureStore.read: {table!r} is keyed; read it with read_keys")
        ids = np.asarray(ids, dtype=np.int64).ravel()
        found = self._db.execute(self._as_of_query(table, "key = 0"), (_nanoseconds(at),)).fetchall()
        return self._place([(e, *values) for e, _, *values in found], ids, len(columns))

    def read_keys(self, table: str, entity_id: int, at) -> np.ndarray:
        """``(n_keys, n_columns)``: one entity's rows of a keyed table valid at ``at``, by key."""
        if not self._table(table)[1]:
            raise ValueError(f"OfflineFeatureStore.read_keys: {table!r} has one row per entity; read it with read")
        found = self._db.execute(self._as_of_query(table, "entity_id = ?"), (int(entity_id), _nanoseconds(at)))
        return self._by_key([(k, *values) for _, k, *values in found.fetchall()], table)

    def read_frame(self, table: str, ids, at) -> pd.DataFrame:
        """`read` as a DataFrame indexed by id."""
        ids = np.asarray(ids, dtype=np.int64)
        return pd.DataFrame(self.read(table, ids, at), index=pd.Index(ids, name="entity_id"),
                            columns=self.columns(table))

    def snapshots(self, table: str) -> list[pd.Timestamp]:
        """The distinct moments rows of ``table`` became valid, oldest first."""
        self._table(table)
        stamps = self._db.execute(f'SELECT DISTINCT valid_from FROM "{table}" ORDER BY valid_from').fetchall()
        return [pd.Timestamp(s, unit="ns") for (s,) in stamps]

    def rows_at(self, table: str, at) -> pd.DataFrame:
        """Every entity's (and key's) row valid at ``at``, indexed as it was written."""
        columns, keyed, _ = self._table(table)
        found = self._db.execute(self._as_of_query(table, "1"), (_nanoseconds(at),)).fetchall()
        frame = pd.DataFrame([values for _, _, *values in found], columns=columns, dtype=np.float64)
        entity = np.array([e for e, *_ in found], dtype=np.int64)
        if keyed:
            key = np.array([k for _, k, *_ in found], dtype=np.int64)
            return frame.set_axis(pd.MultiIndex.from_arrays([entity, key], names=["entity_id", "key"]))
        return frame.set_axis(pd.Index(entity, name="entity_id"))

    def materialize(self, online: FeatureStore, at, tables=None) -> None:
        """Publish the rows valid at ``at`` to an online store (every table, or those named)."""
        for table in self.tables() if tables is None else tables:
            online.write(table, self.rows_at(table, at), at)

    def _as_of_query(self, table: str, where: str) -> str:
        # Per (entity, key): the newest version at or before the time; one primary-key range each.
        key = (table, "as_of", where)
        if key not in self._queries:
            self._queries[key] = (
                f'SELECT t.entity_id, t.key, {self._values(table, "t.")} FROM "{table}" t '
                f'JOIN (SELECT entity_id, key, MAX(valid_from) AS v FROM "{table}" WHERE {where} AND valid_from <= ? '
                "GROUP BY entity_id, key) latest "
                "ON t.entity_id = latest.entity_id AND t.key = latest.key AND t.valid_from = latest.v "
                "ORDER BY t.entity_id, t.key"
            )
        return self._queries[key]


def _nanoseconds(moment) -> int:
    if type(moment) is pd.Timestamp and moment.tzinfo is None:
        return moment.value
    from .assemble import naive_utc

    return int(naive_utc(moment).as_unit("ns").value)


def _check_table_name(table: str) -> None:
    if not isinstance(table, str) or not table.replace("_", "").isalnum() or table.startswith("_"):
        raise ValueError(f"feature store: table names are letters, digits and '_' (not first), got {table!r}")
