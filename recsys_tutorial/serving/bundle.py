"""The model bundle: everything the service loads, in one directory, written atomically, verified on load.

A bundle holds the retrieval vectors and their FAISS index, the ranker, the feature store's
snapshot, the users' seen items and the catalogue, plus ``manifest.json``: the package's and the
libraries' versions, the training data's time window, the feature columns, and each file's size
and SHA-256.

* `write_bundle` writes every file into a temporary directory beside the target, writes the
  manifest last, then renames the directory into place: a reader sees the old bundle or the new
  one, never half of one.
* `verify_bundle` checks every file against the manifest; `load_bundle` verifies first, so a
  corrupted or truncated file stops the service at start-up with an error naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["BundleError", "Bundle", "write_bundle", "verify_bundle", "load_bundle", "library_versions", "FORMAT"]

#: Bump when the files or their meaning change; `load_bundle` refuses other formats.
FORMAT = 1
MANIFEST = "manifest.json"
#: The files of a bundle and what each holds.
FILES = {
    "item_index.faiss": "FAISS index over item vectors (interacted items)",
    "item_vectors.npy": "item vectors, float64 (exact rescoring of the index's candidates)",
    "user_vectors.npy": "user vectors, float64",
    "ranker.txt": "the LightGBM ranker",
    "features.sqlite": "the online feature store's snapshot",
    "seen.npz": "each user's seen items (CSR: indptr, indices)",
    "catalogue.npz": "item categories, item genre weights, the popularity fallback",
}


class BundleError(ValueError):
    """A bundle is missing, incomplete, corrupted or of another format."""


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

    def seen(self, user_id: int) -> np.ndarray:
        return self.seen_indices[self.seen_indptr[user_id] : self.seen_indptr[user_id + 1]]


def write_bundle(out_dir, writers: dict, manifest: dict) -> Path:
    """Write a bundle atomically.

    ``writers`` maps each file name of `FILES` to a function that writes that file at the path
    it is given; ``manifest`` holds the metadata to record (versions are added here).
    """
    out_dir = Path(out_dir)
    missing = sorted(set(FILES) - set(writers))
    if missing:
        raise BundleError(f"write_bundle: no writer for {missing}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name, write in writers.items():
            write(staging / name)
        files = {name: {"bytes": (staging / name).stat().st_size, "sha256": _sha256(staging / name)} for name in FILES}
        record = {"format": FORMAT, **manifest, "versions": library_versions(), "files": files}
        with open(staging / MANIFEST, "w") as handle:
            json.dump(record, handle, indent=2, sort_keys=True, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        # Swap: the old bundle moves aside, the new one takes its name, the old one goes.
        retired = out_dir.parent / f".{out_dir.name}.retired-{os.getpid()}"
        if out_dir.exists():
            os.replace(out_dir, retired)
        os.replace(staging, out_dir)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def verify_bundle(bundle_dir) -> dict:
    """The manifest, after checking every file's presence, size and SHA-256 against it."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise BundleError(f"no bundle at {bundle_dir}: not a directory")
    manifest_path = bundle_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{manifest_path}: missing (an incomplete bundle?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BundleError(f"{manifest_path}: not valid JSON ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BundleError(
            f"{manifest_path}: bundle format {manifest.get('format')!r}, this package reads format {FORMAT}"
        )
    for name, expected in manifest.get("files", {}).items():
        path = bundle_dir / name
        if not path.is_file():
            raise BundleError(f"{path}: missing")
        size = path.stat().st_size
        if size != expected["bytes"]:
            raise BundleError(f"{path}: truncated or altered: {size} bytes, the manifest says {expected['bytes']}")
        if _sha256(path) != expected["sha256"]:
            raise BundleError(f"{path}: corrupted: its SHA-256 does not match the manifest")
    absent = sorted(set(FILES) - set(manifest.get("files", {})))
    if absent:
        raise BundleError(f"{manifest_path}: lists no {absent}")
    return manifest


def load_bundle(bundle_dir) -> Bundle:
    """Verify, then load a bundle (the feature store opened read-only)."""
    import faiss
    import lightgbm

    from .store import SQLiteFeatureStore

    bundle_dir = Path(bundle_dir)
    manifest = verify_bundle(bundle_dir)
    seen = np.load(bundle_dir / "seen.npz")
    catalogue = np.load(bundle_dir / "catalogue.npz")
    return Bundle(
        path=bundle_dir,
        manifest=manifest,
        item_index=faiss.read_index(str(bundle_dir / "item_index.faiss")),
        item_vectors=np.load(bundle_dir / "item_vectors.npy"),
        user_vectors=np.load(bundle_dir / "user_vectors.npy"),
        booster=lightgbm.Booster(model_file=str(bundle_dir / "ranker.txt")),
        store=SQLiteFeatureStore(bundle_dir / "features.sqlite", read_only=True),
        seen_indptr=seen["indptr"],
        seen_indices=seen["indices"],
        item_category=catalogue["item_category"],
        item_genres=catalogue["item_genres"] if catalogue["item_genres"].size else None,
        popular=catalogue["popular"],
    )


def library_versions() -> dict:
    """Versions of Python, the package and the libraries a bundle's files depend on."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for package in ("recsys-tutorial", "numpy", "pandas", "faiss-cpu", "lightgbm", "torch", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
