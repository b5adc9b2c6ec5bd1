"""Serving: model bundles, feature stores, the request path and an HTTP service.

* `build_bundle` trains a two-stage recommender and writes everything the service needs as a
  new version of a bundle folder; `verify_bundle` / `load_bundle` check it file by file;
  `activate` switches the folder's ``current`` link (a release, a rollback).
* `SQLiteFeatureStore` (the online store, behind the `FeatureStore` interface) holds the latest
  features; `OfflineFeatureStore` answers as-of reads for training.
* `RequestPath` serves one request: FAISS retrieval, store features, the ranker, business rules,
  with per-stage timings and fallbacks.
* `create_app` is the FastAPI service; `BackgroundService` runs it in a child process;
  the ``recsys-tutorial`` command builds bundles and serves them.

Serving a bundle needs no PyTorch: `build_bundle` (which trains) is imported on first use, and
so is `create_app`, which needs the ``serve`` extra.
"""

from .assemble import FeatureAssembler
from .bundle import Bundle, BundleError, activate, list_bundles, load_bundle, verify_bundle, write_bundle
from .path import STAGES, Recommendation, RequestPath
from .process import BackgroundService
from .store import FeatureStore, OfflineFeatureStore, SQLiteFeatureStore

__all__ = [
    "build_bundle",
    "Bundle",
    "BundleError",
    "activate",
    "list_bundles",
    "load_bundle",
    "verify_bundle",
    "write_bundle",
    "FeatureStore",
    "SQLiteFeatureStore",
    "OfflineFeatureStore",
    "FeatureAssembler",
    "RequestPath",
    "Recommendation",
    "STAGES",
    "BackgroundService",
    "create_app",
]


def __getattr__(name):
    if name == "build_bundle":  # trains a model: imports PyTorch, LightGBM and scikit-learn
        from .build import build_bundle

        return build_bundle
    if name == "create_app":  # the HTTP service: needs the [serve] extra (FastAPI, uvicorn)
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
