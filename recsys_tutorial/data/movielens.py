"""MovieLens-100K (Harper & Konstan, ACM TiiS 2015): 100,000 ratings of 1,682 movies by 943 users.

Two copies of the same data are read, and both give the same `Dataset`:

* the GroupLens release, the folder ``ml-100k/`` or its zip ``ml-100k.zip``:

  - ``u.data``  tab-separated: user id, item id, rating (1–5), unix timestamp;
  - ``u.item``  ``|``-separated, latin-1: movie id | title | release date | video release date |
    IMDb URL | 19 genre flags (0/1) in the order of ``GENRES``;
  - ``u.user``  ``|``-separated: user id | age | gender | occupation | zip code;

* the RecBole atomic files shipped in the ``recbole`` wheel on PyPI
  (``recbole/dataset_example/ml-100k/``), tab-separated, UTF-8, with a typed header line:

  - ``ml-100k.inter``  ``user_id:token  item_id:token  rating:float  timestamp:float``;
  - ``ml-100k.item``   ``item_id:token  movie_title:token_seq  release_year:token  class:token_seq``
    (the GroupLens title split at its last ``" ("``: ``Toy Story`` and ``1995``; ``class`` the
    set genre flags joined by spaces, in flag order);
  - ``ml-100k.user``   ``user_id:token  age:token  gender:token  occupation:token  zip_code:token``.

The RecBole copy keeps less than the GroupLens one: no day-level release dates (only the year in
the title), no IMDb URLs, and the one movie without a title year (id 267, titled ``unknown``) is
written as ``unkonwn`` (sic) in both fields. So that a chapter prints the same numbers whichever
copy a machine found, the `Dataset` holds only what both copies carry: the full GroupLens title
(rebuilt from RecBole's two fields) and ``release_date`` = 1 January of the year in the title.

With no ``path``, the loader asks `recsys_tutorial.data.movielens_fetch` for a copy: the cache
folder, else the GroupLens zip (downloaded and checked against its published MD5), else the
RecBole copy taken out of the wheel with ``pip download`` and `zipfile` (nothing is installed).
This module only reads: it finds the three files of a copy in a folder or a zip, parses them with
`pandas.read_csv` (every field as text, quoting off, since titles hold quote marks), checks each
column (a `ValueError` names the file, the line and what is wrong), and builds the `Dataset`.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .movielens_fetch import GROUPLENS_FILES, RECBOLE_FILES, fetch_movielens_100k

__all__ = ["load_movielens_100k", "GENRES"]

log = logging.getLogger(__name__)

#: The 19 genre flags of ``u.item``, in file order.
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)  # fmt: skip

# The columns of the GroupLens files, which have no header line (RecBole's name theirs).
U_DATA_COLUMNS = ("user id", "item id", "rating", "timestamp")
U_ITEM_COLUMNS = ("movie id", "title", "release date", "video release date", "IMDb URL", *GENRES)
U_USER_COLUMNS = ("user id", "age", "gender", "occupation", "zip code")

_RECBOLE_MISSING = "unkonwn"  # RecBole's placeholder (sic) for a title without a year


def load_movielens_100k(
    path: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> Dataset:
    """Load MovieLens-100K as a `Dataset` of explicit ratings.

    Parameters
    ----------
    path : str or path-like, optional
        A local copy: the GroupLens folder ``ml-100k/`` (or the folder holding it), the zip
        ``ml-100k.zip``, a folder with the RecBole files ``ml-100k.inter``/``.item``/``.user``, or
        the RecBole wheel itself. ``None`` (default) looks in the cache, then downloads.
    cache_dir : str or path-like, optional
        Where ``ml-100k/`` or ``ml-100k.zip`` is looked for and a download is kept (see
        `fetch_movielens_100k`). Default: the environment variable ``RECSYS_TUTORIAL_DATA``, else
        ``~/.cache/recsys_tutorial``. Unused when ``path`` is given.

    Returns
    -------
    Dataset
        ``name="movielens-100k"``, with

        * ``interactions``: ``user_id``, ``item_id`` (contiguous, in the order of the raw ids),
          ``timestamp`` (datetime64[ns], UTC, naive), ``event_type`` (``"rating"``), ``rating``
          (float, 1–5); sorted by (timestamp, user_id, item_id), index 0..n-1;
        * ``users``: ``user_id``, ``raw_user_id``, ``age``, ``gender``, ``occupation``, ``zip_code``;
        * ``items``: ``item_id``, ``raw_item_id``, ``title`` (as GroupLens writes it,
          ``"Toy Story (1995)"``), ``release_date`` (1 January of the title's year, NaT without
          one), ``genres`` (tuple of genre names, in ``GENRES`` order) and ``category`` (the
          first genre that is not ``"unknown"``, else ``"unknown"``);
        * ``metadata``: ``format`` (``"grouplens"`` or ``"recbole"``) and ``path`` of the copy read.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If a file is malformed; the message names the file, the line and what is wrong.
    RuntimeError
        If ``path`` is ``None`` and no copy is cached, downloadable or obtainable with pip.

    Examples
    --------
    >>> ds = load_movielens_100k()
    >>> ds.n_users, ds.n_items, ds.n_interactions
    (943, 1682, 100000)
    """
    if path is None:
        path = fetch_movielens_100k(cache_dir)
    fmt, location, files = _read_copy(Path(path))
    log.info("MovieLens-100K: reading the %s copy at %s", fmt, location)
    parse = _parse_grouplens if fmt == "grouplens" else _parse_recbole
    ratings, users, items = parse(files)
    return _build_dataset(ratings, users, items, files, metadata={"format": fmt, "path": str(location)})


# ---------------------------------------------------------------------------------------------
# 1) Reading a copy: which format it is, and its three files as bytes
# ---------------------------------------------------------------------------------------------


def _read_copy(path: Path) -> tuple[str, Path, dict[str, tuple[str, bytes]]]:
    """Return ``(format, location, {role: (label, bytes)})`` for a folder or zip holding a copy."""
    path = path.expanduser()
    if not path.exists():
        raise FileNotFoundError(f"MovieLens-100K: {path} does not exist")
    for fmt, names in (("grouplens", GROUPLENS_FILES), ("recbole", RECBOLE_FILES)):
        found = _read_folder(path, names) if path.is_dir() else _read_zip(path, names)
        if found is not None:
            return (fmt, *found)
    raise ValueError(
        f"{path}: found neither the GroupLens files ({', '.join(GROUPLENS_FILES.values())}) nor the "
        f"RecBole files ({', '.join(RECBOLE_FILES.values())}), in it or in an ml-100k/ folder inside it"
    )


def _read_folder(path: Path, names: dict[str, str]) -> tuple[Path, dict[str, tuple[str, bytes]]] | None:
    """The files ``names`` in ``path`` or ``path/ml-100k``; None if the ratings file is in neither."""
    folder = next((d for d in (path, path / "ml-100k") if (d / names["ratings"]).is_file()), None)
    if folder is None:
        return None
    missing = [name for name in names.values() if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"{folder}: has {names['ratings']} but not {', '.join(missing)}")
    return folder, {role: (str(folder / name), (folder / name).read_bytes()) for role, name in names.items()}


def _read_zip(path: Path, names: dict[str, str]) -> tuple[Path, dict[str, tuple[str, bytes]]] | None:
    """The files ``names`` in the zip's folder that holds the ratings file (``ml-100k/`` in GroupLens's)."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        members = archive.namelist()
        hits = sorted((m for m in members if m.rsplit("/", 1)[-1] == names["ratings"]), key=len)
        if not hits:
            return None
        prefix = hits[0][: -len(names["ratings"])]  # the shallowest, e.g. "ml-100k/"
        missing = [prefix + name for name in names.values() if prefix + name not in members]
        if missing:
            raise ValueError(f"{path}: has {hits[0]} but not {', '.join(missing)}")
        files = {role: (f"{path}:{prefix}{name}", archive.read(prefix + name)) for role, name in names.items()}
    return path, files


# ---------------------------------------------------------------------------------------------
# 2) Parsing: each format into the same raw tables (raw ids, unix seconds, full titles, genres)
# ---------------------------------------------------------------------------------------------


def _parse_grouplens(files: dict[str, tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    label, content = files["ratings"]
    table = _read_table(_decode(content, "latin-1", label), label, sep="\t", names=U_DATA_COLUMNS)
    ratings = _ratings_table(table, label)

    label, content = files["items"]
    table = _read_table(_decode(content, "latin-1", label), label, sep="|", names=U_ITEM_COLUMNS)
    flags = table[list(GENRES)]
    not_binary = ~flags.isin(["0", "1"]).all(axis=1)
    if not_binary.any():
        line = not_binary.idxmax()
        raise ValueError(f"{label}, line {line}: genre flags must be 0 or 1, found {'|'.join(flags.loc[line])}")
    genre_names = np.array(GENRES, dtype=object)
    items = pd.DataFrame({
        "raw_item_id": _numbers(table["movie id"], "movie id", label, integer=True),
        "title": table["title"].to_numpy(),
        "genres": [tuple(genre_names[row]) for row in flags.to_numpy() == "1"],
    })  # fmt: skip

    label, content = files["users"]
    table = _read_table(_decode(content, "latin-1", label), label, sep="|", names=U_USER_COLUMNS)
    users = _users_table(table, label)
    return ratings, users, items


def _parse_recbole(files: dict[str, tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    label, content = files["ratings"]
    table = _read_atomic(content, label, ("user_id", "item_id", "rating", "timestamp"))
    ratings = _ratings_table(table.set_axis(U_DATA_COLUMNS, axis=1), label)

    label, content = files["items"]
    table = _read_atomic(content, label, ("item_id", "movie_title", "release_year", "class"))
    genres = []
    for line, text in table["class"].items():
        names = tuple(text.split(" ")) if text else ()
        unknown = [name for name in names if name not in GENRES]
        if unknown:
            raise ValueError(
                f"{label}, line {line}: unknown genre(s) {unknown}; expected names from {list(GENRES)}"
            )
        genres.append(tuple(g for g in GENRES if g in names))  # GroupLens flag order
    items = pd.DataFrame({
        "raw_item_id": _numbers(table["item_id"], "item_id", label, integer=True),
        "title": [_join_recbole_title(t, y)
                  for t, y in zip(table["movie_title"], table["release_year"], strict=True)],
        "genres": genres,
    })  # fmt: skip

    label, content = files["users"]
    table = _read_atomic(content, label, ("user_id", "age", "gender", "occupation", "zip_code"))
    users = _users_table(table.set_axis(U_USER_COLUMNS, axis=1), label)
    return ratings, users, items


def _join_recbole_title(title: str, year: str) -> str:
    """Undo RecBole's split of a GroupLens title at its last ``" ("``: ``("Babe", "1995")`` -> ``"Babe (1995)"``.

    Also right for ``("Land Before Time III: ... (1995)", "V")``, once ``"... (1995) (V)"``.
    """
    if year == _RECBOLE_MISSING:  # a title without " (": only movie 267, "unknown", written "unkonwn"
        return "unknown" if title == _RECBOLE_MISSING else title
    return f"{title} ({year})"


def _ratings_table(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """The columns of `U_DATA_COLUMNS` (text) -> a typed table; ratings in 1..5."""
    ratings = pd.DataFrame({
        "raw_user_id": _numbers(table["user id"], "user id", label, integer=True),
        "raw_item_id": _numbers(table["item id"], "item id", label, integer=True),
        "rating": _numbers(table["rating"], "rating", label, integer=False),
        "unix_seconds": _numbers(table["timestamp"], "timestamp", label, integer=True),
    })  # fmt: skip
    outside = ~ratings["rating"].between(1, 5)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{label}, line {table.index[first]}: rating must lie in 1..5, found "
            f"{ratings['rating'].iloc[first]:g} ({int(outside.sum())} such row(s))"
        )
    return ratings


def _users_table(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """The columns of `U_USER_COLUMNS` (text) -> a typed table."""
    return pd.DataFrame({
        "raw_user_id": _numbers(table["user id"], "user id", label, integer=True),
        "age": _numbers(table["age"], "age", label, integer=True),
        "gender": table["gender"].to_numpy(),
        "occupation": table["occupation"].to_numpy(),
        "zip_code": table["zip code"].to_numpy(),  # kept as text: some are Canadian, such as "T8H1N"
    })  # fmt: skip


def _read_table(text: str, label: str, sep: str, names: tuple[str, ...], skip_header: bool = False) -> pd.DataFrame:
    """Read a delimited file with `pandas.read_csv`, every field as text, indexed by its line number.

    Blank lines are skipped, and Windows line ends read like Unix ones. Each other line must hold
    ``len(names)`` fields: pandas would pad a short line with empty fields, so the count is
    checked first, and the error names the line.
    """
    lines = pd.Series(text.split("\n")).str.rstrip("\r")  # split("\n"), like pandas, not splitlines()
    filled = (lines != "").to_numpy(copy=True)
    if skip_header:
        filled[0] = False
    if not filled.any():
        raise ValueError(f"{label}: the file holds no data lines")
    fields = lines.str.count(re.escape(sep)).to_numpy() + 1
    wrong = filled & (fields != len(names))
    if wrong.any():
        number = int(np.flatnonzero(wrong)[0])
        raise ValueError(
            f"{label}, line {number + 1}: expected {len(names)} columns separated by {sep!r}, "
            f"found {fields[number]}: {lines[number][:80]!r}"
        )
    table = pd.read_csv(
        io.StringIO(text), sep=sep, header=None, names=list(names), skiprows=1 if skip_header else 0,
        dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE, skip_blank_lines=True,
    )  # fmt: skip
    if len(table) != filled.sum():  # a line break pandas sees and split("\n") does not, such as a lone \r
        raise ValueError(f"{label}: pandas read {len(table):,} rows from {filled.sum():,} non-blank lines")
    table.index = pd.Index(np.flatnonzero(filled) + 1, name="line")
    return table


def _read_atomic(content: bytes, label: str, wanted: tuple[str, ...]) -> pd.DataFrame:
    """Read a RecBole atomic file (a header line of ``name:type`` fields); keep the ``wanted`` columns."""
    text = _decode(content, "utf-8", label)
    header = text.partition("\n")[0].rstrip("\r")
    names = tuple(field.split(":", 1)[0] for field in header.split("\t"))
    missing = [name for name in wanted if name not in names]
    if missing:
        raise ValueError(f"{label}, line 1: header {header.strip()!r} lacks field(s) {missing}")
    table = _read_table(text, label, sep="\t", names=names, skip_header=True)
    return table[list(wanted)]


def _decode(content: bytes, encoding: str, label: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"{label}: not valid {encoding} text ({error.reason} at byte {error.start})") from None


def _numbers(column: pd.Series, what: str, label: str, integer: bool) -> np.ndarray:
    """A text column (indexed by line) as int64 or finite float64; else name the first bad line."""
    parsed = pd.to_numeric(column, errors="coerce")
    if integer and parsed.dtype.kind in "iu":  # every field an integer: exact, no detour via float
        return parsed.to_numpy(dtype=np.int64)
    values = parsed.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if integer:
        bad |= values != np.round(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        kind = "an integer" if integer else "a finite number"
        raise ValueError(f"{label}, line {column.index[first]}: {what} must be {kind}, found {column.iloc[first]!r}")
    return values.astype(np.int64) if integer else values


# ---------------------------------------------------------------------------------------------
# 3) The Dataset: contiguous ids, datetimes, genres and categories, sorted interactions
# ---------------------------------------------------------------------------------------------


def _build_dataset(
    ratings: pd.DataFrame, users: pd.DataFrame, items: pd.DataFrame, files: dict, metadata: dict
) -> Dataset:
    labels = {role: label for role, (label, _) in files.items()}
    for table, role, column in ((users, "users", "raw_user_id"), (items, "items", "raw_item_id")):
        duplicated = table[column][table[column].duplicated()]
        if len(duplicated):
            raise ValueError(f"{labels[role]}: id {duplicated.iloc[0]} appears more than once")

    # Raw ids sorted numerically become 0..n-1: raw user 1 -> user_id 0.
    users = users.sort_values("raw_user_id", ignore_index=True)
    items = items.sort_values("raw_item_id", ignore_index=True)
    user_id = pd.Index(users["raw_user_id"]).get_indexer(ratings["raw_user_id"])
    item_id = pd.Index(items["raw_item_id"]).get_indexer(ratings["raw_item_id"])
    for ids, raw, role in ((user_id, "raw_user_id", "users"), (item_id, "raw_item_id", "items")):
        if (ids < 0).any():
            unknown = ratings.loc[ids < 0, raw]
            raise ValueError(
                f"{labels['ratings']}: {len(unknown)} rating(s) refer to ids missing from "
                f"{labels[role]}, e.g. {unknown.iloc[0]}"
            )

    interactions = pd.DataFrame({
        "user_id": user_id.astype(np.int64),
        "item_id": item_id.astype(np.int64),
        "timestamp": pd.to_datetime(ratings["unix_seconds"].to_numpy(), unit="s").astype("datetime64[ns]"),
        "event_type": "rating",
        "rating": ratings["rating"].to_numpy(np.float64),
    })  # fmt: skip
    # Stable: rows equal in all three keys keep their file order (sort_values sorts on several
    # columns with a stable lexicographic sort).
    interactions = interactions.sort_values(["timestamp", "user_id", "item_id"], kind="stable", ignore_index=True)

    users.insert(0, "user_id", np.arange(len(users), dtype=np.int64))
    items.insert(0, "item_id", np.arange(len(items), dtype=np.int64))
    items.insert(3, "release_date", _title_year_dates(items["title"]))
    items["category"] = [next((g for g in genres if g != "unknown"), "unknown") for genres in items["genres"]]
    return Dataset(interactions, users, items, name="movielens-100k", metadata=metadata)


def _title_year_dates(titles: pd.Series) -> pd.Series:
    """1 January of the last ``(YYYY)`` in each title: ``"Babe (1995)"`` -> 1995-01-01, else NaT."""
    years = [re.findall(r"\((\d{4})\)", title) for title in titles]
    text = [f"{found[-1]}-01-01" if found else None for found in years]
    return pd.Series(pd.to_datetime(text, format="%Y-%m-%d"), index=titles.index).astype("datetime64[ns]")
