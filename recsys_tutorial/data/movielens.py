"""MovieLens-100K (Harper & Konstan, ACM TiiS 2015): 100,000 ratings of 1,682 movies by 943 users.

Two copies of the same data are read, and both give the same `Dataset`:

* the GroupLens release, the folder ``ml-100k/`` or its zip ``ml-100k.zip``:

  - ``u.data``  tab-separated: user id, item id, rating (1–5), unix timestamp;
  - ``u.item``  ``|``-separated, latin-1: movie id | title | release date | video release date |
    IMDb URL | 19 genre flags (0/1) in the order of :data:`GENRES`;
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

With no ``path``, the loader looks in a cache folder, then downloads the GroupLens zip (checked
against its published MD5), then takes the RecBole copy out of the wheel with ``pip download``
and `zipfile` (nothing is installed), and logs which it used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset

__all__ = ["load_movielens_100k", "GENRES"]

log = logging.getLogger(__name__)

#: The 19 genre flags of ``u.item``, in file order.
GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)  # fmt: skip

# The GroupLens archive. Its MD5 is the one GroupLens publishes beside it (ml-100k.zip.md5).
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
_GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
_GROUPLENS_BYTES = 4_924_029
_DOWNLOAD_TIMEOUT = 10  # seconds without an answer before giving up on files.grouplens.org

# The RecBole copy: pip checks the wheel against PyPI's hash; we also pin the three files we take.
RECBOLE_REQUIREMENT = "recbole==1.2.1"
_RECBOLE_DIR = "recbole/dataset_example/ml-100k/"
_RECBOLE_SHA256 = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
_PIP_TIMEOUT = 300  # seconds for the whole `pip download` (the wheel is about 2 MB)
_RECBOLE_MISSING = "unkonwn"  # RecBole's placeholder (sic) for a title without a year

# The three files of each copy, by role.
_GROUPLENS_FILES = {"ratings": "u.data", "items": "u.item", "users": "u.user"}
_RECBOLE_FILES = {"ratings": "ml-100k.inter", "items": "ml-100k.item", "users": "ml-100k.user"}


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
        Where ``ml-100k/`` or ``ml-100k.zip`` is looked for and a download is kept. Default: the
        environment variable ``RECSYS_TUTORIAL_DATA``, else ``~/.cache/recsys_tutorial``.
        Unused when ``path`` is given.

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
          one), ``genres`` (tuple of genre names, in :data:`GENRES` order) and ``category`` (the
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
        path = _cached_or_fetched_copy(cache_dir)
    fmt, location, files = _read_copy(Path(path))
    log.info("MovieLens-100K: reading the %s copy at %s", fmt, location)
    parse = _parse_grouplens if fmt == "grouplens" else _parse_recbole
    ratings, users, items = parse(files)
    return _build_dataset(ratings, users, items, files, metadata={"format": fmt, "path": str(location)})


# ---------------------------------------------------------------------------------------------
# 1) Finding a copy: the cache, then GroupLens, then the RecBole wheel on PyPI
# ---------------------------------------------------------------------------------------------


def _default_cache_dir() -> Path:
    folder = os.environ.get("RECSYS_TUTORIAL_DATA") or Path.home() / ".cache" / "recsys_tutorial"
    return Path(folder).expanduser()


def _cached_or_fetched_copy(cache_dir: str | os.PathLike | None) -> Path:
    cache = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
    for candidate in (cache / "ml-100k", cache / "ml-100k.zip"):
        if candidate.exists():
            log.info("MovieLens-100K: found a cached copy at %s", candidate)
            return candidate

    failures = []
    for fetch in (_download_grouplens, _extract_from_recbole_wheel):
        try:
            return fetch(cache)
        except Exception as error:  # noqa: BLE001 - every failure is reported in the final error
            log.warning("MovieLens-100K: %s failed: %s", fetch.__name__.lstrip("_"), error)
            failures.append(f"{fetch.__name__.lstrip('_')}: {error}")
    raise RuntimeError(_no_copy_message(cache, failures))


def _download_grouplens(cache: Path) -> Path:
    """Download ``ml-100k.zip``, check its size and MD5, and keep it as ``cache/ml-100k.zip``."""
    log.info("MovieLens-100K: downloading %s", GROUPLENS_URL)
    content = _fetch_url(GROUPLENS_URL, timeout=_DOWNLOAD_TIMEOUT)
    md5 = hashlib.md5(content).hexdigest()
    if len(content) != _GROUPLENS_BYTES or md5 != _GROUPLENS_MD5:
        raise ValueError(
            f"{GROUPLENS_URL}: got {len(content):,} bytes with MD5 {md5}, expected "
            f"{_GROUPLENS_BYTES:,} bytes with MD5 {_GROUPLENS_MD5}"
        )
    target = cache / "ml-100k.zip"
    _write_atomically(target, content)
    log.info("MovieLens-100K: stored the GroupLens archive in %s", target)
    return target


def _fetch_url(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed https URL
        return response.read()


def _extract_from_recbole_wheel(cache: Path) -> Path:
    """``pip download`` the RecBole wheel and copy its three ml-100k files into ``cache/ml-100k/``."""
    with tempfile.TemporaryDirectory() as tmp:
        log.info("MovieLens-100K: downloading the %s wheel with pip", RECBOLE_REQUIREMENT)
        wheel = _pip_download_recbole(Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            missing = sorted({_RECBOLE_DIR + name for name in _RECBOLE_FILES.values()} - set(archive.namelist()))
            if missing:
                raise ValueError(f"{wheel.name}: lacks {', '.join(missing)}")
            contents = {name: archive.read(_RECBOLE_DIR + name) for name in _RECBOLE_FILES.values()}
    for name, content in contents.items():
        digest = hashlib.sha256(content).hexdigest()
        if digest != _RECBOLE_SHA256[name]:
            raise ValueError(f"{wheel.name}: {name} has SHA-256 {digest}, expected {_RECBOLE_SHA256[name]}")

    # Write into a scratch folder and rename it, so an interrupted run leaves no half copy.
    target = cache / "ml-100k"
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".ml-100k-", dir=cache))
    for name, content in contents.items():
        (scratch / name).write_bytes(content)
    try:
        scratch.rename(target)
    except OSError:  # another process got there first
        shutil.rmtree(scratch, ignore_errors=True)
        if not target.exists():
            raise
    log.info("MovieLens-100K: stored the RecBole copy in %s", target)
    return target


def _pip_download_recbole(directory: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--quiet", "--timeout", "15",
        RECBOLE_REQUIREMENT, "-d", str(directory),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False)
    wheels = sorted(directory.glob("recbole-*.whl"))
    if result.returncode != 0 or not wheels:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise RuntimeError(
            f"`pip download {RECBOLE_REQUIREMENT}` exited with {result.returncode}: {' '.join(detail[-3:])}"
        )
    return wheels[0]


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.part")
    scratch.write_bytes(content)
    os.replace(scratch, target)


def _no_copy_message(cache: Path, failures: list[str]) -> str:
    return (
        "MovieLens-100K could not be found or fetched:\n  - "
        + "\n  - ".join(failures)
        + "\nProvide it in one of three ways:\n"
        f"  1. download {GROUPLENS_URL} yourself and pass path='.../ml-100k.zip' (or the unzipped "
        f"folder), or put it in the cache as {cache / 'ml-100k.zip'} (or {cache / 'ml-100k'}/);\n"
        "  2. run again where files.grouplens.org is reachable: the archive is downloaded into the "
        "cache (choose the folder with cache_dir=... or the RECSYS_TUTORIAL_DATA variable);\n"
        f"  3. where only PyPI is reachable, `pip download --no-deps {RECBOLE_REQUIREMENT} -d DIR` "
        "and pass path='DIR/recbole-1.2.1-py3-none-any.whl' (nothing needs installing)."
    )


# ---------------------------------------------------------------------------------------------
# 2) Reading a copy: which format it is, and its three files as bytes
# ---------------------------------------------------------------------------------------------


def _read_copy(path: Path) -> tuple[str, Path, dict[str, tuple[str, bytes]]]:
    """Return ``(format, location, {role: (label, bytes)})`` for a folder or zip holding a copy."""
    path = path.expanduser()
    if not path.exists():
        raise FileNotFoundError(f"MovieLens-100K: {path} does not exist")
    for fmt, names in (("grouplens", _GROUPLENS_FILES), ("recbole", _RECBOLE_FILES)):
        found = _read_folder(path, names) if path.is_dir() else _read_zip(path, names)
        if found is not None:
            return (fmt, *found)
    raise ValueError(
        f"{path}: found neither the GroupLens files ({', '.join(_GROUPLENS_FILES.values())}) nor the "
        f"RecBole files ({', '.join(_RECBOLE_FILES.values())}), in it or in an ml-100k/ folder inside it"
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
# 3) Parsing: each format into the same raw tables (raw ids, unix seconds, full titles, genres)
# ---------------------------------------------------------------------------------------------


def _parse_grouplens(files: dict[str, tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    label, content = files["ratings"]
    rows, lines = _split(_decode(content, "latin-1", label), "\t", 4, label)
    ratings = _ratings_table(_columns(rows, 4), lines, label)

    label, content = files["items"]
    rows, lines = _split(_decode(content, "latin-1", label), "|", 5 + len(GENRES), label)
    genres = []
    for row, line in zip(rows, lines):
        flags = row[5:]
        if any(flag not in ("0", "1") for flag in flags):
            raise ValueError(f"{label}, line {line}: genre flags must be 0 or 1, found {'|'.join(flags)}")
        genres.append(tuple(g for g, flag in zip(GENRES, flags) if flag == "1"))
    items = pd.DataFrame({
        "raw_item_id": _numbers([r[0] for r in rows], lines, "movie id", label, np.int64),
        "title": [r[1] for r in rows],
        "genres": genres,
    })  # fmt: skip

    label, content = files["users"]
    rows, lines = _split(_decode(content, "latin-1", label), "|", 5, label)
    users = _users_table(_columns(rows, 5), lines, label)
    return ratings, users, items


def _parse_recbole(files: dict[str, tuple[str, bytes]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    label, content = files["ratings"]
    columns, lines = _split_atomic(
        _decode(content, "utf-8", label), ("user_id", "item_id", "rating", "timestamp"), label
    )
    ratings = _ratings_table(columns, lines, label)

    label, content = files["items"]
    (item_ids, titles, years, classes), lines = _split_atomic(
        _decode(content, "utf-8", label), ("item_id", "movie_title", "release_year", "class"), label
    )
    genres = []
    for text, line in zip(classes, lines):
        names = tuple(text.split(" ")) if text else ()
        unknown = [name for name in names if name not in GENRES]
        if unknown:
            raise ValueError(
                f"{label}, line {line}: unknown genre(s) {unknown}; expected names from {list(GENRES)}"
            )
        genres.append(tuple(g for g in GENRES if g in names))  # GroupLens flag order
    items = pd.DataFrame({
        "raw_item_id": _numbers(item_ids, lines, "item_id", label, np.int64),
        "title": [_join_recbole_title(title, year) for title, year in zip(titles, years)],
        "genres": genres,
    })  # fmt: skip

    label, content = files["users"]
    columns, lines = _split_atomic(
        _decode(content, "utf-8", label), ("user_id", "age", "gender", "occupation", "zip_code"), label
    )
    users = _users_table(columns, lines, label)
    return ratings, users, items


def _join_recbole_title(title: str, year: str) -> str:
    """Undo RecBole's split of a GroupLens title at its last ``" ("``: ``("Babe", "1995")`` -> ``"Babe (1995)"``.

    Also right for ``("Land Before Time III: ... (1995)", "V")``, once ``"... (1995) (V)"``.
    """
    if year == _RECBOLE_MISSING:  # a title without " (": only movie 267, "unknown", written "unkonwn"
        return "unknown" if title == _RECBOLE_MISSING else title
    return f"{title} ({year})"


def _ratings_table(columns: list[list[str]], lines: list[int], label: str) -> pd.DataFrame:
    """user id, item id, rating, unix seconds (text columns) -> a typed table; ratings in 1..5."""
    users, items, ratings, timestamps = columns
    table = pd.DataFrame({
        "raw_user_id": _numbers(users, lines, "user id", label, np.int64),
        "raw_item_id": _numbers(items, lines, "item id", label, np.int64),
        "rating": _numbers(ratings, lines, "rating", label, np.float64),
        "unix_seconds": _numbers(timestamps, lines, "timestamp", label, np.int64),
    })  # fmt: skip
    outside = ~table["rating"].between(1, 5)  # also catches NaN
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{label}, line {lines[first]}: rating must lie in 1..5, found {table['rating'].iloc[first]:g} "
            f"({int(outside.sum())} such row(s))"
        )
    return table


def _users_table(columns: list[list[str]], lines: list[int], label: str) -> pd.DataFrame:
    """user id, age, gender, occupation, zip code (text columns) -> a typed table."""
    user_ids, ages, genders, occupations, zip_codes = columns
    return pd.DataFrame({
        "raw_user_id": _numbers(user_ids, lines, "user id", label, np.int64),
        "age": _numbers(ages, lines, "age", label, np.int64),
        "gender": genders,
        "occupation": occupations,
        "zip_code": zip_codes,  # kept as text: some are Canadian, such as "T8H1N"
    })  # fmt: skip


def _columns(rows: list[list[str]], n_columns: int) -> list[list[str]]:
    return [[row[i] for row in rows] for i in range(n_columns)]


def _decode(content: bytes, encoding: str, label: str) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"{label}: not valid {encoding} text ({error.reason} at byte {error.start})") from None


def _split(
    text: str, sep: str, n_columns: int, label: str, first_line: int = 1
) -> tuple[list[list[str]], list[int]]:
    """Split lines into fields, checking the column count; blank lines are skipped."""
    rows, lines = [], []
    # split("\n"), not splitlines(): the latin-1 titles may hold characters splitlines() breaks at.
    for number, line in enumerate(text.split("\n"), start=first_line):
        line = line.rstrip("\r")
        if not line:
            continue
        fields = line.split(sep)
        if len(fields) != n_columns:
            raise ValueError(
                f"{label}, line {number}: expected {n_columns} columns separated by {sep!r}, "
                f"found {len(fields)}: {line[:80]!r}"
            )
        rows.append(fields)
        lines.append(number)
    return rows, lines


def _split_atomic(text: str, wanted: tuple[str, ...], label: str) -> tuple[list[list[str]], list[int]]:
    """Read a RecBole atomic file (header ``name:type`` fields); return the ``wanted`` columns."""
    header, _, body = text.partition("\n")
    names = [field.split(":", 1)[0] for field in header.rstrip("\r").split("\t")]
    missing = [name for name in wanted if name not in names]
    if missing:
        raise ValueError(f"{label}, line 1: header {header.strip()!r} lacks field(s) {missing}")
    rows, lines = _split(body, "\t", len(names), label, first_line=2)
    return [[row[names.index(name)] for row in rows] for name in wanted], lines


def _numbers(texts: list[str], lines: list[int], what: str, label: str, dtype) -> np.ndarray:
    """Parse a column of numbers; on failure, name the first bad line."""
    try:
        values = np.array(texts, dtype=dtype)
        if dtype is np.float64 and not np.isfinite(values).all():
            raise ValueError
        return values
    except ValueError:
        kind = "an integer" if dtype is np.int64 else "a finite number"
        for text, line in zip(texts, lines):
            try:
                value = dtype(text)
                if not np.isfinite(value):
                    raise ValueError
            except (ValueError, OverflowError):
                raise ValueError(f"{label}, line {line}: {what} must be {kind}, found {text!r}") from None
        raise


# ---------------------------------------------------------------------------------------------
# 4) The Dataset: contiguous ids, datetimes, genres and categories, sorted interactions
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
