"""Serving: a model bundle, an online feature store, the request path and an HTTP service.

* `build_bundle` trains a two-stage recommender and writes everything the service needs;
  `verify_bundle` / `load_bundle` check it file by file.
* `SQLiteFeatureStore` (behind the `FeatureStore` interface) answers point-in-time reads.
* `RequestPath` serves one request: FAISS retrieval, store features, the ranker, business rules,
  with per-stage timings and fallbacks.
* `create_app` is the FastAPI service; `BackgroundService` runs it in a child process;
  the ``recsys-tutorial`` command builds bundles and serves them.
"""

from .app import create_app
from .build import build_bundle
from .bundle import Bundle, BundleError, load_bundle, verify_bundle, write_bundle
from .path import STAGES, Recommendation, RequestPath
from .process import BackgroundService
from .store import FeatureStore, SQLiteFeatureStore

__all__ = [
    "build_bundle",
    "Bundle",
    "BundleError",
    "load_bundle",
    "verify_bundle",
    "write_bundle",
    "FeatureStore",
    "SQLiteFeatureStore",
    "RequestPath",
    "Recommendation",
    "STAGES",
    "BackgroundService",
    "create_app",
]

