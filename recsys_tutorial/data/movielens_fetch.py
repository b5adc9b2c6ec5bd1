"""Fetching MovieLens-100K: the raw files, from the cache, GroupLens or the RecBole wheel on PyPI.

`fetch_movielens_100k` returns the path of a local copy of the raw files, fetching one into the
cache folder the first time:

1. the cache: ``ml-100k/`` (either copy's files) or ``ml-100k.zip`` (GroupLens's archive);
2. the GroupLens archive, downloaded from :data:`GROUPLENS_URL` and checked against its published
   size and MD5, kept as ``ml-100k.zip``;
3. where only PyPI is reachable, the copy inside the RecBole wheel
   (``recbole/dataset_example/ml-100k/``), taken with ``pip download`` and `zipfile` (nothing is
   installed), its three files checked against pinned SHA-256 digests and kept in ``ml-100k/``.

Nothing here reads the files' contents: `recsys_tutorial.data.movielens` parses them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.request
from pathlib import Path

from .pypi import pip_download, read_checked, store_folder

__all__ = ["fetch_movielens_100k", "default_cache_dir", "GROUPLENS_URL", "RECBOLE_REQUIREMENT",
           "GROUPLENS_FILES", "RECBOLE_FILES"]  # fmt: skip

log = logging.getLogger(__name__)

# Its MD5 is the one GroupLens publishes beside it (ml-100k.zip.md5).
#: The GroupLens archive ``ml-100k.zip`` (about 4.9 MB); a download is checked against the size
#: and MD5 GroupLens publishes.
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
_GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
_GROUPLENS_BYTES = 4_924_029
_DOWNLOAD_TIMEOUT = 10  # seconds without an answer before giving up on files.grouplens.org

# pip checks the wheel against PyPI's hash; we also pin the three files we take.
#: The pinned pip requirement of the RecBole wheel whose MovieLens-100K copy is read where only
#: PyPI is reachable.
RECBOLE_REQUIREMENT = "recbole==1.2.1"
_RECBOLE_DIR = "recbole/dataset_example/ml-100k/"
_RECBOLE_SHA256 = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}

#: The three files of each copy, by role.
GROUPLENS_FILES = {"ratings": "u.data", "items": "u.item", "users": "u.user"}
#: The three files of the RecBole copy, by role (as `GROUPLENS_FILES`).
RECBOLE_FILES = {"ratings": "ml-100k.inter", "items": "ml-100k.item", "users": "ml-100k.user"}


def fetch_movielens_100k(cache_dir: str | os.PathLike | None = None) -> Path:
    """The path of a local copy of MovieLens-100K's raw files, fetched into the cache if need be.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Where ``ml-100k/`` or ``ml-100k.zip`` is looked for and a fetched copy is kept. Default:
        `default_cache_dir`.

    Returns
    -------
    Path
        ``cache_dir/ml-100k`` (a folder) or ``cache_dir/ml-100k.zip``, whichever exists, the folder
        first; after a fetch, the copy just stored.

    Raises
    ------
    RuntimeError
        If nothing is cached and neither GroupLens nor PyPI gives a copy whose checksums match; the
        message says why each way failed and how to provide the files by hand.

    Examples
    --------
    >>> fetch_movielens_100k().name in ("ml-100k", "ml-100k.zip")
    True
    """
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    for candidate in (cache / "ml-100k", cache / "ml-100k.zip"):
        if candidate.exists():
            log.info("MovieLens-100K: found a cached copy at %s", candidate)
            return candidate

    failures = []
    for fetch in (_download_grouplens, _extract_from_recbole_wheel):
        try:
            return fetch(cache)
        except Exception as error:  # noqa: BLE001 - every failure is reported in the final error
            # Info, not a warning: the next source may well succeed (no network to GroupLens is
            # the usual case offline), and a warning would print into the reader's notebook.
            log.info("MovieLens-100K: %s failed: %s", fetch.__name__.lstrip("_"), error)
            failures.append(f"{fetch.__name__.lstrip('_')}: {error}")
    raise RuntimeError(_no_copy_message(cache, failures))


def default_cache_dir() -> Path:
    """The environment variable ``RECSYS_TUTORIAL_DATA``, else ``~/.cache/recsys_tutorial``."""
    folder = os.environ.get("RECSYS_TUTORIAL_DATA") or Path.home() / ".cache" / "recsys_tutorial"
    return Path(folder).expanduser()


# ---------------------------------------------------------------------------------------------
# The two sources
# ---------------------------------------------------------------------------------------------

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
        contents = read_checked(wheel, _RECBOLE_DIR, _RECBOLE_SHA256)
    target = store_folder(cache / "ml-100k", contents)
    log.info("MovieLens-100K: stored the RecBole copy in %s", target)
    return target


def _pip_download_recbole(directory: Path) -> Path:
    return pip_download(RECBOLE_REQUIREMENT, directory)


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

