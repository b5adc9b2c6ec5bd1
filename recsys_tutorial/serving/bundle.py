"""Model bundles: everything the service loads, in immutable versions behind an atomic ``current`` link.

A bundle holds the retrieval vectors and their FAISS index, the ranker, the online feature
store's snapshot, the users' seen items and the catalogue, plus ``manifest.json``: the
package's and the libraries' versions, the training data's time window, the feature columns,
and each file's size and SHA-256. Bundles live in a **bundle folder**::

    bundles/
      BUNDLES.json              marks the folder as ours
      versions/3f9c0a…/         a bundle, named by its content, never modified
      versions/81d2e7…/         another
      current -> versions/81d2e7…

A folder without ``BUNDLES.json`` is never written into.

* `write_bundle` writes every file into a staging folder inside ``versions/``, then renames it
  into place and switches ``current`` to it by renaming a new link over the old one (one
  ``rename``, atomic on POSIX): a reader sees the old bundle or the new one, never neither, never
  half of one. A bundle's id is a hash of its files, so the same build gives the same id.
* `activate` points ``current`` at another version: a release, or a rollback.
* `verify_bundle` checks the files the format requires against the manifest; `load_bundle`
  resolves ``current`` once, reads each file once, checks its hash, and builds the objects from
  those very bytes: nothing is re-read by path after it was verified.
* A folder that exists and is not a bundle folder (no ``BUNDLES.json``) is refused, untouched:
  a mistyped path never costs anyone their files.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["BundleError", "Bundle", "write_bundle", "verify_bundle", "load_bundle", "activate", "list_bundles",
           "library_versions", "FORMAT", "FILES"]

#: Bump when the files or their meaning change; `load_bundle` refuses other formats.
FORMAT = 2
MANIFEST = "manifest.json"
#: The file that marks a folder as a bundle folder.
MARKER = "BUNDLES.json"
#: The files of a bundle and what each holds.
FILES = {
    "item_index.faiss": "FAISS index over the interacted items' vectors (their ids in catalogue.npz)",
    "item_vectors.npy": "item vectors, float64 (exact rescoring of the index's candidates)",
    "user_vectors.npy": "user vectors, float64",
    "ranker.txt": "the LightGBM ranker",
    "features.sqlite": "the online feature store's snapshot",
    "seen.npz": "each user's seen items (CSR: indptr, indices)",
    "catalogue.npz": "item categories, item genre weights, the popularity fallback, the indexed items' ids",
}


class BundleError(ValueError):
    """A bundle or bundle folder is missing, incomplete, corrupted, of another format, or not ours."""


@dataclass
class Bundle:
    """A loaded, verified bundle (see `load_bundle`)."""

    path: Path
    manifest: dict
    item_index: object
    item_vectors: np.ndarray
    user_vectors: np.ndarray
    booster: object
    store: object
    seen_indptr: np.ndarray
    seen_indices: np.ndarray
    item_category: np.ndarray
    item_genres: np.ndarray | None
    popular: np.ndarray

    @property
    def bundle_id(self) -> str:
        return self.manifest["bundle_id"]

    def seen(self, user_id: int) -> np.ndarray:
        return self.seen_indices[self.seen_indptr[user_id] : self.seen_indptr[user_id + 1]]


def write_bundle(root, writers: dict, manifest: dict, make_current: bool = True) -> Path:
    """Write a new bundle version into the bundle folder ``root`` and (by default) make it current.

    ``writers`` maps each file name of `FILES` to a function that writes that file at the path
    it is given; ``manifest`` holds the metadata to record (the id, the files' hashes and the
    versions are added here). ``root`` must be new, empty, or a bundle folder; returns ``root``.
    """
    root = _bundle_folder(root, create=True)
    missing = sorted(set(FILES) - set(writers))
    extra = sorted(set(writers) - set(FILES))
    if missing or extra:
        raise BundleError(f"write_bundle: writers must be exactly {sorted(FILES)}; missing {missing}, unknown {extra}")
    versions = root / "versions"
    staging = versions / f".staging-{uuid.uuid4().hex}"
    staging.mkdir(parents=True)
    try:
        for name, write in writers.items():
            write(staging / name)
        files = {name: {"bytes": (staging / name).stat().st_size, "sha256": _sha256((staging / name).read_bytes())}
                 for name in FILES}  # fmt: skip
        bundle_id = hashlib.sha256("".join(files[name]["sha256"] for name in sorted(FILES)).encode()).hexdigest()[:16]
        record = {"format": FORMAT, "bundle_id": bundle_id, **manifest, "versions": library_versions(),
                  "files": files}  # fmt: skip
        with open(staging / MANIFEST, "w") as handle:
            json.dump(record, handle, indent=2, sort_keys=True, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        target = versions / bundle_id
        if target.exists():  # the same files were built before: that version stands, unchanged
            shutil.rmtree(staging)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_current:
        activate(root, bundle_id)
    return root


def activate(root, bundle_id: str) -> str:
    """Point ``root``'s ``current`` link at the version ``bundle_id`` (verified first); returns the previous id.

    The new link is made beside the old one and renamed over it: one atomic ``rename``. A service
    loads the link's target when it starts (or reloads), so a rollback is ``activate`` with the
    previous id, then a restart.
    """
    root = _bundle_folder(root)
    target = root / "versions" / str(bundle_id)
    if not target.is_dir() or target.name.startswith("."):
        raise BundleError(f"activate: no version {bundle_id!r} in {root}; versions: {list_bundles(root)}")
    verify_bundle(target)
    current = root / "current"
    previous = os.readlink(current).split("/")[-1] if current.is_symlink() else None
    link = root / f".current-{uuid.uuid4().hex}"
    os.symlink(Path("versions") / str(bundle_id), link)
    os.replace(link, current)
    return previous


def list_bundles(root) -> list[str]:
    """The version ids in the bundle folder ``root``, oldest first."""
    root = _bundle_folder(root)
    versions = [path for path in (root / "versions").iterdir() if path.is_dir() and not path.name.startswith(".")]
    return [path.name for path in sorted(versions, key=lambda path: (path.stat().st_mtime_ns, path.name))]


def verify_bundle(path) -> dict:
    """The manifest of the bundle at ``path`` (a bundle folder: its current version), after checking
    every file the format requires: present, of the recorded size and SHA-256."""
    manifest, _ = _verified_files(path)
    return manifest


def load_bundle(path) -> Bundle:
    """Load the bundle at ``path`` (a bundle folder: its current version, resolved once), verified."""
    import io

    import faiss
    import lightgbm

    from ..retrieval import VectorIndex
    from .store import SQLiteFeatureStore

    manifest, data = _verified_files(path)
    seen = np.load(io.BytesIO(data["seen.npz"]))
    catalogue = np.load(io.BytesIO(data["catalogue.npz"]))
    return Bundle(
        path=Path(manifest["path"]),
        manifest=manifest,
        item_index=VectorIndex(faiss.deserialize_index(np.frombuffer(data["item_index.faiss"], dtype=np.uint8)),
                               manifest["index_kind"], "ip", manifest["index_params"], 0.0,
                               ids=catalogue["indexed_items"]),
        item_vectors=np.load(io.BytesIO(data["item_vectors.npy"])),
        user_vectors=np.load(io.BytesIO(data["user_vectors.npy"])),
        booster=lightgbm.Booster(model_str=data["ranker.txt"].decode()),
        store=SQLiteFeatureStore.from_bytes(data["features.sqlite"]),
        seen_indptr=seen["indptr"],
        seen_indices=seen["indices"],
        item_category=catalogue["item_category"],
        item_genres=catalogue["item_genres"] if catalogue["item_genres"].size else None,
        popular=catalogue["popular"],
    )


def _verified_files(path) -> tuple[dict, dict]:
    """The manifest and every required file's bytes, read once and checked against the manifest."""
    version = _resolve(path)
    manifest_path = version / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{manifest_path}: missing (an incomplete bundle?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BundleError(f"{manifest_path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BundleError(f"{manifest_path}: bundle format {found!r}, this package reads format {FORMAT}")
    listed = manifest.get("files", {})
    absent = sorted(set(FILES) - set(listed))
    if absent:
        raise BundleError(f"{manifest_path}: lists no {absent}")
    data = {}
    for name in FILES:
        file = version / name
        try:
            content = file.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BundleError(f"{file}: missing") from None
        if len(content) != listed[name]["bytes"]:
            raise BundleError(f"{file}: truncated or altered: {len(content)} bytes, the manifest says "
                              f"{listed[name]['bytes']}")
        if _sha256(content) != listed[name]["sha256"]:
            raise BundleError(f"{file}: corrupted: its SHA-256 does not match the manifest")
        data[name] = content
    return {**manifest, "path": str(version)}, data


def _resolve(path) -> Path:
    """The version folder ``path`` names: itself, or a bundle folder's ``current`` target (read once)."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"no bundle at {path}: not a directory")
    if (path / MARKER).is_file():
        current = path / "current"
        if not current.exists():
            raise BundleError(f"{path}: a bundle folder with no current version (activate one of "
                              f"{list_bundles(path)})")
        return Path(os.path.realpath(current))
    return path


def _bundle_folder(root, create: bool = False) -> Path:
    """``root`` as a bundle folder; refuses anything that exists and is not one, touching nothing."""
    root = Path(root)
    if (root / MARKER).is_file():
        try:
            marker = json.loads((root / MARKER).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            marker = None
        if not isinstance(marker, dict) or marker.get("format") != FORMAT:
            raise BundleError(f"{root / MARKER}: not a bundle folder of format {FORMAT} (found {marker!r})")
        return root
    if not create:
        raise BundleError(f"{root}: not a bundle folder (no {MARKER})")
    if root.exists() and not root.is_dir():
        raise BundleError(f"refusing to write a bundle at {root}: it is a file, not a bundle folder")
    if root.is_dir() and any(root.iterdir()):
        raise BundleError(f"refusing to write a bundle into {root}: the folder exists, is not empty and is not a "
                          f"bundle folder (no {MARKER}); nothing was changed. Choose a new or empty folder.")
    root.mkdir(parents=True, exist_ok=True)
    (root / "versions").mkdir(exist_ok=True)
    (root / MARKER).write_text(json.dumps({"format": FORMAT, "what": "recsys-tutorial model bundles"}, indent=2)
                               + "\n")  # fmt: skip
    return root


def library_versions() -> dict:
    """Versions of Python, the package and the libraries a bundle's files depend on."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in ("recsys-tutorial", "numpy", "pandas", "faiss-cpu", "lightgbm", "torch", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
