"""Build a model bundle from scratch: data, a two-stage recommender, its index and feature snapshot.

The recipe (`build_bundle`):

1. the interactions (the synthetic world at the requested size, or MovieLens-100K);
2. a `ranking.TwoStageRecommender` with ALS as its one retriever: labels carved from each user's
   latest events, LambdaMART trained on the ranking frame, ALS refitted on everything;
3. the vectors of the items with training interactions in a FAISS index, under their own ids:
   exact (``IndexFlatIP``) up to 200,000 of them, HNSW graph search beyond. An item nobody has
   interacted with has learnt nothing (regularisation leaves its vector near zero), so searching
   it costs time and finds nothing; new items reach users through other sources (chapter 4e);
4. the feature snapshot as of the bundle's moment (one second after the last event), written to
   a SQLite feature store;
5. the users' seen items, the categories and a popularity fallback; all of it written atomically
   with a manifest (`bundle.write_bundle`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import genre_matrix
from ..features import category_codes
from ..models import ALS
from ..ranking import TwoStageRecommender
from ..ranking.online import feature_snapshot
from .bundle import write_bundle
from .store import SQLiteFeatureStore

__all__ = ["build_bundle", "load_dataset", "EXACT_INDEX_MAX_ITEMS"]

log = logging.getLogger(__name__)

#: Up to this many indexed items the index is exact; beyond, HNSW (M = 32, efSearch = 128).
#: Measured on the 100,000-item world, whose 43,667 items with interactions are indexed (32
#: factors, one thread; ``benchmarks/results/bench_serving.json``): exact search took 0.25–0.27
#: ms per query in five runs, and HNSW over the ALS vectors' inner products found only 81 % of
#: the exact top 100 at efSearch 128 (0.08–0.10 ms), since those vectors' norms vary widely. Below a few hundred
#: thousand items, exactness is worth its fraction of a millisecond: the ranker's retrieval ranks
#: then mean online what they meant in training.
EXACT_INDEX_MAX_ITEMS = 200_000
#: Popular items kept for the fallback of unknown users.
N_POPULAR = 1_000


def load_dataset(dataset: str, n_items: int | None = None, random_state: int = 0):
    """The `Dataset` a bundle is built from: ``"movielens"``, or ``"synthetic"`` with ``n_items`` items.

    The synthetic world keeps its default 10,000 users; a larger catalogue gets 3 interactions per
    item (at least the default 100,000), so its long tail stays long.
    """
    from ..data import load_movielens_100k, make_synthetic

    if dataset == "movielens":
        if n_items is not None:
            raise ValueError("load_dataset: MovieLens-100K has its own 1,682 items; drop --n-items")
        return load_movielens_100k()
    if dataset == "synthetic":
        n_items = 5_000 if n_items is None else int(n_items)
        if n_items < 100:
            raise ValueError(f"load_dataset: n_items must be at least 100, got {n_items}")
        return make_synthetic(n_users=10_000, n_items=n_items, n_interactions=max(100_000, 3 * n_items),
                              random_state=random_state)
    raise ValueError(f"load_dataset: dataset must be 'synthetic' or 'movielens', got {dataset!r}")


def build_bundle(out_dir, dataset: str = "synthetic", n_items: int | None = None, n_candidates: int = 100,
                 n_factors: int = 32, random_state: int = 0, data=None) -> Path:
    """Train everything the service needs and write it as a bundle at ``out_dir``; returns the path.

    ``data`` (a `Dataset`) overrides ``dataset``/``n_items``, for tests and notebooks.
    """
    import faiss
    import scipy.sparse as sp

    started = time.perf_counter()
    data = load_dataset(dataset, n_items, random_state) if data is None else data
    history = data.interactions
    as_of = history["timestamp"].max() + pd.Timedelta(seconds=1)

    # 2) The two-stage recommender (its ranker's frame built from ALS's candidates).
    model = TwoStageRecommender(retrievers={"ALS": ALS(n_factors=n_factors, random_state=random_state)},
                                sources=["ALS"], n_candidates=n_candidates, random_state=random_state)
    model.fit(history, items=data.items)
    als = model.retrievers_["ALS"]
    log.info("two-stage recommender fitted in %.1f s", time.perf_counter() - started)

    # 3) The index over the vectors of items with training interactions, under their own ids.
    item_vectors = np.asarray(als.item_factors_, dtype=np.float64)
    item_users = np.bincount(history.drop_duplicates(["user_id", "item_id"])["item_id"], minlength=len(data.items))
    indexed = np.flatnonzero(item_users > 0)
    index = faiss.IndexIDMap(_vector_index(len(indexed), item_vectors.shape[1]))
    index.add_with_ids(np.ascontiguousarray(item_vectors[indexed], dtype=np.float32), indexed.astype(np.int64))

    # 4) The features as of the bundle's moment.
    tables = feature_snapshot(model.feature_engine_, None, as_of, n_users=als.n_users_)  # the fit's indexes
    # 5) Seen items, categories, genres, the popularity fallback.
    seen = sp.csr_matrix(als.seen_)
    item_category = category_codes(data.items)[0]
    item_genres = genre_matrix(data.items)[0].toarray() if "genres" in data.items.columns else np.zeros((0, 0))
    popular = np.argsort(-item_users, kind="stable")[:N_POPULAR]  # most users first, ties to the lower id

    def write_store(path):
        store = SQLiteFeatureStore(path)
        for name, table in tables.items():
            store.write(name, table, as_of)
        store.close()

    writers = {
        "item_index.faiss": lambda path: faiss.write_index(index, str(path)),
        "item_vectors.npy": lambda path: np.save(path, item_vectors),
        "user_vectors.npy": lambda path: np.save(path, np.asarray(als.user_factors_, dtype=np.float64)),
        "ranker.txt": lambda path: model.ranker_.booster_.save_model(str(path)),
        "features.sqlite": write_store,
        "seen.npz": lambda path: _save_npz(path, indptr=seen.indptr.astype(np.int64),
                                           indices=seen.indices.astype(np.int64)),
        "catalogue.npz": lambda path: _save_npz(path, item_category=item_category, item_genres=item_genres,
                                                popular=popular.astype(np.int64)),
    }
    manifest = {
        "created_at": pd.Timestamp.now(tz="UTC").isoformat(),
        "dataset": dataset if dataset == "movielens" or n_items is None else f"{dataset} ({n_items} items)",
        "n_users": int(als.n_users_),
        "n_items": int(len(data.items)),
        "n_interactions": int(len(history)),
        "training_window": [history["timestamp"].min().isoformat(), history["timestamp"].max().isoformat()],
        "as_of": as_of.isoformat(),
        "n_candidates": n_candidates,
        "sources": ["ALS"],
        "feature_columns": list(model.ranker_.features_),
        "store_tables": list(tables),
        "index": type(faiss.downcast_index(index.index)).__name__,
        "n_indexed_items": int(len(indexed)),
        "categories": sorted(map(str, data.items["category"].unique())),
        "ranker_rounds": int(model.ranker_.best_iteration_),
        "random_state": random_state,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    return write_bundle(out_dir, writers, manifest)


def _vector_index(n_items: int, n_factors: int):
    import faiss

    if n_items <= EXACT_INDEX_MAX_ITEMS:
        return faiss.IndexFlatIP(n_factors)
    graph = faiss.IndexHNSWFlat(n_factors, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction, graph.hnsw.efSearch = 80, 128
    return graph


def _save_npz(path, **arrays) -> None:
    with open(path, "wb") as handle:  # np.savez would add ".npz" to a path without it
        np.savez(handle, **arrays)
