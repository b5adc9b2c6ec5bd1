"""Tests of the MovieLens-100K loader: both file formats, the cache/download chain, bad input, real data.

Parsing (`movielens`) is tested on tiny hand-written files, without network; fetching
(`movielens_fetch`) with the download and `pip download` replaced by fakes.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.data import movielens_fetch
from recsys_tutorial.data.movielens import GENRES, load_movielens_100k

# ---------------------------------------------------------------------------------------------
# A tiny copy, written in both formats. Lines from the real u.item where they exist (items 1, 2,
# 10, 267, 543, 1412); item 20 is made up to test the category rule ("unknown" plus Comedy).
# Raw ids are not contiguous, and "10" < "2" as text: the mapping must sort them as numbers.
# ---------------------------------------------------------------------------------------------

U_DATA = """\
10\t1\t5\t881250949
1\t2\t3\t881250949
1\t1\t4\t881250949
2\t267\t1\t874724710
74\t1412\t2\t893286638
2\t543\t5\t880000000
10\t20\t3\t885000000
74\t10\t4\t875000000
"""

U_ITEM = """\
1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0
2|GoldenEye (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?GoldenEye%20(1995)|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0
10|Richard III (1995)|22-Jan-1996||http://us.imdb.com/M/title-exact?Richard%20III%20(1995)|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|1|0
20|Made Up (1990)|01-Jan-1990||http://example.org|1|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0
267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0
543|Misérables, Les (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Mis%E9rables,%20Les%20(1995)|0|0|0|0|0|0|0|0|1|0|0|0|1|0|0|0|0|0|0
1412|Land Before Time III: The Time of the Great Giving (1995) (V)|01-Jan-1995||http://example.org|0|0|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0
"""

U_USER = """\
1|24|M|technician|85711
2|53|F|other|94043
10|53|M|lawyer|90703
74|39|M|scientist|T8H1N
"""

# The same data as RecBole writes it: typed header, tabs, UTF-8, the title split at its last " (".
RECBOLE_INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" + U_DATA

RECBOLE_ITEM = """\
item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq
1\tToy Story\t1995\tAnimation Children's Comedy
2\tGoldenEye\t1995\tAction Adventure Thriller
10\tRichard III\t1995\tDrama War
20\tMade Up\t1990\tunknown Comedy
267\tunkonwn\tunkonwn\tunknown
543\tMisérables, Les\t1995\tDrama Musical
1412\tLand Before Time III: The Time of the Great Giving (1995)\tV\tAnimation Children's
"""

RECBOLE_USER = "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n" + U_USER.replace("|", "\t")


def grouplens_files(u_data=U_DATA, u_item=U_ITEM, u_user=U_USER) -> dict[str, bytes]:
    return {"u.data": u_data.encode("latin-1"), "u.item": u_item.encode("latin-1"), "u.user": u_user.encode("latin-1")}


def recbole_files(inter=RECBOLE_INTER, item=RECBOLE_ITEM, user=RECBOLE_USER) -> dict[str, bytes]:
    return {"ml-100k.inter": inter.encode(), "ml-100k.item": item.encode(), "ml-100k.user": user.encode()}


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def write_zip(path: Path, files: dict[str, bytes], prefix: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(prefix + name, content)
    return path


def assert_same_dataset(a, b) -> None:
    assert a.name == b.name == "movielens-100k"
    for table in ("interactions", "users", "items"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


@pytest.fixture
def grouplens_dir(tmp_path) -> Path:
    return write_folder(tmp_path / "grouplens" / "ml-100k", grouplens_files())


@pytest.fixture
def recbole_dir(tmp_path) -> Path:
    return write_folder(tmp_path / "recbole", recbole_files())


@pytest.fixture
def no_network(monkeypatch):
    """Make any download attempt fail the test: the cache must be enough."""

    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to download although a copy was available")

    monkeypatch.setattr(movielens_fetch, "_fetch_url", refuse)
    monkeypatch.setattr(movielens_fetch, "_pip_download_recbole", refuse)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def test_grouplens_folder_is_parsed_exactly(grouplens_dir):
    ds = load_movielens_100k(grouplens_dir)

    assert ds.name == "movielens-100k"
    assert ds.metadata == {"format": "grouplens", "path": str(grouplens_dir)}
    assert (ds.n_users, ds.n_items, ds.n_interactions) == (4, 7, 8)

    users = ds.users
    assert list(users.columns) == ["user_id", "raw_user_id", "age", "gender", "occupation", "zip_code"]
    assert users["user_id"].tolist() == [0, 1, 2, 3]
    assert users["raw_user_id"].tolist() == [1, 2, 10, 74]  # numeric order, not "1", "10", "2"
    assert users["age"].tolist() == [24, 53, 53, 39]
    assert users["gender"].tolist() == ["M", "F", "M", "M"]
    assert users["occupation"].tolist() == ["technician", "other", "lawyer", "scientist"]
    assert users["zip_code"].tolist() == ["85711", "94043", "90703", "T8H1N"]

    items = ds.items
    assert list(items.columns) == ["item_id", "raw_item_id", "title", "release_date", "genres", "category"]
    assert items["item_id"].tolist() == list(range(7))
    assert items["raw_item_id"].tolist() == [1, 2, 10, 20, 267, 543, 1412]
    assert items["title"].tolist() == [
        "Toy Story (1995)", "GoldenEye (1995)", "Richard III (1995)", "Made Up (1990)", "unknown",
        "Misérables, Les (1995)", "Land Before Time III: The Time of the Great Giving (1995) (V)",
    ]  # fmt: skip
    assert items["genres"].tolist() == [
        ("Animation", "Children's", "Comedy"),
        ("Action", "Adventure", "Thriller"),
        ("Drama", "War"),
        ("unknown", "Comedy"),
        ("unknown",),
        ("Drama", "Musical"),
        ("Animation", "Children's"),
    ]
    # The first genre flag set, skipping "unknown" when the movie has another genre.
    assert items["category"].tolist() == ["Animation", "Action", "Drama", "Comedy", "unknown", "Drama", "Animation"]
    # 1 January of the year in the title (Richard III's 22-Jan-1996 is not kept: see the module doc).
    assert pd.api.types.is_datetime64_any_dtype(items["release_date"])
    expected_dates = pd.to_datetime(
        ["1995-01-01", "1995-01-01", "1995-01-01", "1990-01-01", None, "1995-01-01", "1995-01-01"]
    )
    assert items["release_date"].tolist() == list(expected_dates)
    assert items["release_date"].isna().tolist() == [False, False, False, False, True, False, False]

    inter = ds.interactions
    assert list(inter.columns) == ["user_id", "item_id", "timestamp", "event_type", "rating"]
    assert isinstance(inter.index, pd.RangeIndex) and inter.index.tolist() == list(range(8))
    # Sorted by (timestamp, user_id, item_id): the three ratings at 881250949 order by user, then item.
    assert inter["user_id"].tolist() == [1, 3, 1, 0, 0, 2, 2, 3]
    assert inter["item_id"].tolist() == [4, 2, 5, 0, 1, 0, 3, 6]
    assert inter["rating"].tolist() == [1.0, 4.0, 5.0, 4.0, 3.0, 5.0, 3.0, 2.0]
    assert inter["rating"].dtype == np.float64
    assert (inter["event_type"] == "rating").all()
    seconds = [874724710, 875000000, 880000000, 881250949, 881250949, 881250949, 885000000, 893286638]
    assert inter["timestamp"].tolist() == list(pd.to_datetime(seconds, unit="s"))
    assert inter["timestamp"].iloc[3] == pd.Timestamp("1997-12-04 15:55:49")  # UTC, naive
    assert inter["timestamp"].dt.tz is None


def test_zip_and_parent_folder_give_the_same_dataset(grouplens_dir, tmp_path):
    from_folder = load_movielens_100k(grouplens_dir)
    archive = write_zip(tmp_path / "ml-100k.zip", grouplens_files(), prefix="ml-100k/")  # as GroupLens ships it

    from_zip = load_movielens_100k(archive)
    assert from_zip.metadata == {"format": "grouplens", "path": str(archive)}
    assert_same_dataset(from_folder, from_zip)
    assert_same_dataset(from_folder, load_movielens_100k(grouplens_dir.parent))  # the folder holding ml-100k/
    assert_same_dataset(from_folder, load_movielens_100k(str(archive)))


def test_recbole_copy_gives_an_identical_dataset(grouplens_dir, recbole_dir, tmp_path):
    grouplens = load_movielens_100k(grouplens_dir)

    recbole = load_movielens_100k(recbole_dir)
    assert recbole.metadata["format"] == "recbole"
    assert_same_dataset(grouplens, recbole)

    # The wheel itself, a zip holding the files deep inside.
    wheel = write_zip(
        tmp_path / "recbole-1.2.1-py3-none-any.whl", recbole_files(), prefix="recbole/dataset_example/ml-100k/"
    )
    assert_same_dataset(grouplens, load_movielens_100k(wheel))


def test_fields_are_kept_as_written(tmp_path):
    # pandas must not treat quote marks as quoting, "#" as a comment, "NA" as missing, or a zip
    # code with leading zeros as a number.
    title = '"Made Up" #1: NA'
    grouplens = grouplens_files(
        u_item=U_ITEM.replace("20|Made Up (1990)", f"20|{title} (1990)"),
        u_user=U_USER.replace("|85711", "|00501").replace("|other|", "|NA|"),
    )
    recbole = recbole_files(
        item=RECBOLE_ITEM.replace("20\tMade Up\t", f"20\t{title}\t"),
        user=RECBOLE_USER.replace("\t85711", "\t00501").replace("\tother\t", "\tNA\t"),
    )
    ds = load_movielens_100k(write_folder(tmp_path / "grouplens", grouplens))
    assert ds.items.loc[3, "title"] == f"{title} (1990)"
    assert ds.users["zip_code"].tolist()[:2] == ["00501", "94043"] and ds.users.loc[1, "occupation"] == "NA"
    assert ds.items.notna().sum().sum() == ds.items.size - 1  # only movie 267's release date is missing
    assert_same_dataset(ds, load_movielens_100k(write_folder(tmp_path / "recbole", recbole)))


def test_blank_lines_and_crlf_are_tolerated(grouplens_dir, tmp_path):
    files = grouplens_files(u_data=U_DATA.replace("\n", "\r\n") + "\n\n")
    assert_same_dataset(load_movielens_100k(grouplens_dir), load_movielens_100k(write_folder(tmp_path / "crlf", files)))


# ---------------------------------------------------------------------------------------------
# Malformed input: a ValueError naming the file and the problem
# ---------------------------------------------------------------------------------------------

MALFORMED_GROUPLENS = {
    "u.data with three columns": ({"u_data": U_DATA.replace("\t3\t881250949", "\t881250949")},
                                  r"u\.data, line 2: expected 4 columns"),
    "u.data with five columns": ({"u_data": U_DATA.replace("\t2\t893286638", "\t2\t893286638\t0")},
                                 r"u\.data, line 5: expected 4 columns separated by '\\t', found 5"),
    "line numbers count blank lines": ({"u_data": "\n" + U_DATA.replace("\t1\t874724710", "\t0\t874724710")},
                                       r"u\.data, line 5: rating must lie in 1\.\.5, found 0"),
    "fractional user id": ({"u_data": U_DATA.replace("74\t1412", "74.5\t1412")},
                           r"u\.data, line 5: user id must be an integer, found '74\.5'"),
    "empty u.data": ({"u_data": "\n\n"}, r"u\.data: the file holds no data lines"),
    "rating above 5": ({"u_data": U_DATA.replace("\t5\t881250949", "\t6\t881250949")},
                       r"u\.data, line 1: rating must lie in 1\.\.5, found 6"),
    "rating 0": ({"u_data": U_DATA.replace("\t1\t874724710", "\t0\t874724710")},
                 r"u\.data, line 4: rating must lie in 1\.\.5, found 0"),
    "rating nan": ({"u_data": U_DATA.replace("\t1\t874724710", "\tnan\t874724710")},
                   r"u\.data, line 4: rating must be a finite number"),
    "text item id": ({"u_data": U_DATA.replace("74\t1412", "74\tx12")},
                     r"u\.data, line 5: item id must be an integer, found 'x12'"),
    "rating of an unknown item": ({"u_data": U_DATA + "1\t999\t3\t881250949\n"},
                                  r"u\.data: 1 rating\(s\) refer to ids missing from .*u\.item, e.g. 999"),
    "rating of an unknown user": ({"u_data": U_DATA + "5\t1\t3\t881250949\n"},
                                  r"u\.data: 1 rating\(s\) refer to ids missing from .*u\.user, e.g. 5"),
    "u.item short of a genre flag": ({"u_item": U_ITEM.replace("|0|0|0|0\n543", "|0|0|0\n543")},
                                     r"u\.item, line 5: expected 24 columns .* found 23"),
    "genre flag 2": ({"u_item": U_ITEM.replace("|0|1|1|0|", "|0|2|1|0|")},
                     r"u\.item, line 2: genre flags must be 0 or 1"),
    "duplicate item id": ({"u_item": U_ITEM.replace("20|Made Up", "10|Made Up")},
                          r"u\.item: id 10 appears more than once"),
    "text age": ({"u_user": U_USER.replace("|53|F|", "|fifty|F|")},
                 r"u\.user, line 2: age must be an integer, found 'fifty'"),
}  # fmt: skip


@pytest.mark.parametrize("change, message", MALFORMED_GROUPLENS.values(), ids=MALFORMED_GROUPLENS.keys())
def test_malformed_grouplens_file_raises(tmp_path, change, message):
    folder = write_folder(tmp_path / "ml-100k", grouplens_files(**change))
    with pytest.raises(ValueError, match=message):
        load_movielens_100k(folder)


MALFORMED_RECBOLE = {
    "rating above 5": ({"inter": RECBOLE_INTER.replace("\t5\t881250949", "\t5.5\t881250949")},
                       r"ml-100k\.inter, line 2: rating must lie in 1\.\.5, found 5\.5"),
    "missing header field": ({"inter": RECBOLE_INTER.replace("rating:float", "score:float")},
                             r"ml-100k\.inter, line 1: header .* lacks field\(s\) \['rating'\]"),
    "extra column": ({"user": RECBOLE_USER.replace("T8H1N", "T8H1N\textra")},
                     r"ml-100k\.user, line 5: expected 5 columns"),
    "unknown genre": ({"item": RECBOLE_ITEM.replace("Drama War", "Drama Space-Opera")},
                      r"ml-100k\.item, line 4: unknown genre\(s\) \['Space-Opera'\]"),
}  # fmt: skip


@pytest.mark.parametrize("change, message", MALFORMED_RECBOLE.values(), ids=MALFORMED_RECBOLE.keys())
def test_malformed_recbole_file_raises(tmp_path, change, message):
    folder = write_folder(tmp_path / "recbole", recbole_files(**change))
    with pytest.raises(ValueError, match=message):
        load_movielens_100k(folder)


def test_wrong_encoding_incomplete_or_unknown_copies_raise(tmp_path):
    latin1_item = RECBOLE_ITEM.encode("latin-1")  # "Misérables" in latin-1: not UTF-8
    folder = write_folder(tmp_path / "latin1", {**recbole_files(), "ml-100k.item": latin1_item})
    with pytest.raises(ValueError, match=r"ml-100k\.item: not valid utf-8 text"):
        load_movielens_100k(folder)

    partial = write_folder(tmp_path / "partial", {"u.data": U_DATA.encode(), "u.item": U_ITEM.encode("latin-1")})
    with pytest.raises(ValueError, match=r"has u\.data but not u\.user"):
        load_movielens_100k(partial)

    partial_zip = write_zip(tmp_path / "partial.zip", {"u.data": b"", "u.user": b""}, prefix="ml-100k/")
    with pytest.raises(ValueError, match=r"has ml-100k/u\.data but not ml-100k/u\.item"):
        load_movielens_100k(partial_zip)

    with pytest.raises(ValueError, match="found neither the GroupLens files"):
        load_movielens_100k(write_folder(tmp_path / "empty", {}))
    with pytest.raises(FileNotFoundError):
        load_movielens_100k(tmp_path / "does-not-exist")


# ---------------------------------------------------------------------------------------------
# path=None: the cache, then the GroupLens download, then the RecBole wheel
# ---------------------------------------------------------------------------------------------


def test_cached_zip_is_used_without_downloading(grouplens_dir, tmp_path, no_network, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    write_zip(cache / "ml-100k.zip", grouplens_files(), prefix="ml-100k/")

    with caplog.at_level(logging.INFO):
        ds = load_movielens_100k(cache_dir=cache)
    assert ds.metadata == {"format": "grouplens", "path": str(cache / "ml-100k.zip")}
    assert "found a cached copy" in caplog.text and "reading the grouplens copy" in caplog.text
    assert_same_dataset(load_movielens_100k(grouplens_dir), ds)


def test_cached_folder_comes_first_and_env_var_sets_the_cache(recbole_dir, tmp_path, no_network, monkeypatch):
    cache = tmp_path / "env-cache"
    write_folder(cache / "ml-100k", recbole_files())
    (cache / "ml-100k.zip").write_bytes(b"not read: the folder comes first")
    monkeypatch.setenv("RECSYS_TUTORIAL_DATA", str(cache))

    ds = load_movielens_100k()
    assert ds.metadata == {"format": "recbole", "path": str(cache / "ml-100k")}
    assert_same_dataset(load_movielens_100k(recbole_dir), ds)


def test_download_is_checked_and_cached(grouplens_dir, tmp_path, monkeypatch):
    archive = write_zip(tmp_path / "served.zip", grouplens_files(), prefix="ml-100k/").read_bytes()
    calls = []

    def serve(url, timeout):
        calls.append((url, timeout))
        return archive

    monkeypatch.setattr(movielens_fetch, "_fetch_url", serve)
    monkeypatch.setattr(movielens_fetch, "_GROUPLENS_MD5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(movielens_fetch, "_GROUPLENS_BYTES", len(archive))
    cache = tmp_path / "cache"

    ds = load_movielens_100k(cache_dir=cache)
    assert calls == [(movielens_fetch.GROUPLENS_URL, movielens_fetch._DOWNLOAD_TIMEOUT)]
    assert (cache / "ml-100k.zip").read_bytes() == archive
    assert sorted(p.name for p in cache.iterdir()) == ["ml-100k.zip"]  # no scratch file left
    assert_same_dataset(load_movielens_100k(grouplens_dir), ds)

    load_movielens_100k(cache_dir=cache)
    assert len(calls) == 1  # the second load reads the cache


def test_bad_download_falls_back_to_the_recbole_wheel(grouplens_dir, tmp_path, monkeypatch, caplog):
    # The "download" answers with bytes whose MD5 is wrong; the "wheel" holds the tiny RecBole copy.
    monkeypatch.setattr(movielens_fetch, "_fetch_url", lambda url, timeout: b"<html>a captive portal</html>")
    files = recbole_files()

    def fake_pip_download(directory):
        return write_zip(directory / "recbole-1.2.1-py3-none-any.whl", files, prefix="recbole/dataset_example/ml-100k/")

    monkeypatch.setattr(movielens_fetch, "_pip_download_recbole", fake_pip_download)
    pinned = {name: hashlib.sha256(b).hexdigest() for name, b in files.items()}
    monkeypatch.setattr(movielens_fetch, "_RECBOLE_SHA256", pinned)
    cache = tmp_path / "cache"

    with caplog.at_level(logging.INFO):
        ds = load_movielens_100k(cache_dir=cache)
    assert "download_grouplens failed" in caplog.text and "stored the RecBole copy" in caplog.text
    assert ds.metadata == {"format": "recbole", "path": str(cache / "ml-100k")}
    assert sorted(p.name for p in cache.iterdir()) == ["ml-100k"]  # no scratch folder left
    assert sorted(p.name for p in (cache / "ml-100k").iterdir()) == sorted(files)
    assert_same_dataset(load_movielens_100k(grouplens_dir), ds)


def test_no_source_raises_a_runtime_error_naming_the_three_ways(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise OSError("Name or service not known")

    def tampered_wheel(directory):  # a wheel whose files do not match the pinned hashes
        return write_zip(
            directory / "recbole-1.2.1-py3-none-any.whl", recbole_files(), prefix="recbole/dataset_example/ml-100k/"
        )

    monkeypatch.setattr(movielens_fetch, "_fetch_url", offline)
    monkeypatch.setattr(movielens_fetch, "_pip_download_recbole", tampered_wheel)
    cache = tmp_path / "cache"

    with pytest.raises(RuntimeError) as raised:
        load_movielens_100k(cache_dir=cache)
    message = str(raised.value)
    assert "Name or service not known" in message and "SHA-256" in message  # why each way failed
    assert movielens_fetch.GROUPLENS_URL in message and str(cache / "ml-100k.zip") in message  # 1. by hand
    assert "cache_dir=" in message and "RECSYS_TUTORIAL_DATA" in message  # 2. download here
    assert "pip download --no-deps recbole==1.2.1" in message  # 3. the wheel from PyPI
    assert not (cache / "ml-100k").exists()


# ---------------------------------------------------------------------------------------------
# The real data, through the default cache (first run: the RecBole wheel from PyPI, or GroupLens)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_movielens():
    try:
        return load_movielens_100k()
    except RuntimeError as error:
        pytest.fail(f"the real MovieLens-100K could not be had (PyPI or files.grouplens.org needed once):\n{error}")


# Digests of every column of the real data, taken with the hand-written parser that the pandas one
# replaced: the refactor changed no value, dtype or order (SHA-256 of the values, first 16 hex digits).
REAL_DIGESTS = {
    "interactions": {"user_id": "e590ba31e13b7556", "item_id": "882d5f95eaacdcdc", "timestamp": "4eead46f7d9374b6",
                     "event_type": "cc1678b617d3b527", "rating": "34e37259811e5380"},
    "users": {"user_id": "73ffb0dd00e9d4fd", "raw_user_id": "ad0698a1eb38bcf8", "age": "a4cf3195f95ff142",
              "gender": "4ce505c342abd96b", "occupation": "6fb5a2a1b4dfd42b", "zip_code": "52794d3f64064e36"},
    "items": {"item_id": "9818b4016ab17e6b", "raw_item_id": "110d9c0a53f4d5a8", "title": "3ec1688dfea8ee9f",
              "release_date": "b32740578a09ef7c", "genres": "c90b79ee3b716e45", "category": "bdca9d3bc99d3704"},
}  # fmt: skip
# "text": pandas 3's `str` columns, pandas 2's `object` columns of strings (both are supported).
REAL_DTYPES = {
    "interactions": ["int64", "int64", "datetime64[ns]", "text", "float64"],
    "users": ["int64", "int64", "int64", "text", "text", "text"],
    "items": ["int64", "int64", "text", "datetime64[ns]", "object", "text"],
}


def dtype_name(column: pd.Series) -> str:
    return "text" if pd.api.types.is_string_dtype(column) else str(column.dtype)


def column_digest(column: pd.Series) -> str:
    """SHA-256 of a column's values: the bytes of numbers and datetimes, the repr of anything else."""
    if column.dtype.kind == "M":
        data = column.to_numpy().astype("datetime64[ns]").view(np.int64).tobytes()
    elif column.dtype.kind in "if":
        data = np.ascontiguousarray(column.to_numpy()).tobytes()
    else:
        data = "\x1f".join(map(repr, column)).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def test_real_movielens_100k_is_unchanged_by_the_pandas_parser(real_movielens):
    for table, digests in REAL_DIGESTS.items():
        frame = getattr(real_movielens, table)
        assert [dtype_name(frame[column]) for column in frame.columns] == REAL_DTYPES[table], table
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, table
        assert {column: column_digest(frame[column]) for column in frame.columns} == digests, table


def test_fetch_returns_the_cached_copy_without_network(tmp_path, no_network, monkeypatch):
    monkeypatch.setenv("RECSYS_TUTORIAL_DATA", str(tmp_path))
    write_zip(tmp_path / "ml-100k.zip", grouplens_files(), prefix="ml-100k/")
    assert movielens_fetch.fetch_movielens_100k() == tmp_path / "ml-100k.zip"
    write_folder(tmp_path / "ml-100k", recbole_files())
    assert movielens_fetch.fetch_movielens_100k() == tmp_path / "ml-100k"  # the folder comes first


def test_real_movielens_100k(real_movielens):
    ds = real_movielens
    assert (ds.n_interactions, ds.n_users, ds.n_items) == (100_000, 943, 1_682)
    ratings = ds.interactions["rating"]
    assert set(ratings.unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ratings.mean() == pytest.approx(3.52986)
    assert ds.users["raw_user_id"].tolist() == list(range(1, 944))
    assert ds.items["raw_item_id"].tolist() == list(range(1, 1683))
    assert {genre for genres in ds.items["genres"] for genre in genres} == set(GENRES)
    assert len(GENRES) == 19
    assert not ds.interactions.duplicated(["user_id", "item_id"]).any()
    start, end = ds.interactions["timestamp"].iloc[[0, -1]]
    assert (start, end) == (pd.Timestamp("1997-09-20 03:05:10"), pd.Timestamp("1998-04-22 23:10:38"))
    assert ds.items.loc[ds.items["raw_item_id"] == 1, "title"].item() == "Toy Story (1995)"
    assert ds.items["release_date"].isna().sum() == 1  # movie 267, "unknown"
