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
5. the users' seen items, the categories and a popularity fallback; all of it written as a new
   version of a bundle folder, with a manifest, and made current (`bundle.write_bundle`).

Nothing in a bundle depends on the wall clock: the same data and settings give the same files,
and so the same bundle id, on the same machine.
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
from ..ranking import GBDTRanker, TwoStageRecommender
from ..ranking.online import feature_snapshot
from ..retrieval import build_index
from .bundle import write_bundle
from .store import SQLiteFeatureStore

__all__ = ["build_bundle", "train_model", "load_dataset", "EXACT_INDEX_MAX_ITEMS", "HNSW_PARAMS"]

log = logging.getLogger(__name__)

#: Up to this many indexed items the index is exact; beyond, HNSW over inner products
#: (`HNSW_PARAMS`). Measured on the 100,000-item world, whose 43,667 items with interactions are
#: indexed (32 factors, one thread, 200 users): exact search took 0.25–0.40 ms per query; HNSW at
#: efSearch 64 / 128 / 256 found 80 / 82 / 85 % of the exact top 100 (99 % of the top 10) in
#: 0.07 / 0.09 / 0.15 ms, since the ALS vectors' norms vary widely. The Euclidean transform that
#: makes inner products a distance (`retrieval.build_index(..., euclidean_transform=True)`) did
#: worse on these vectors: 57 / 67 / 77 %. Below a few hundred thousand items exactness is worth
#: its fraction of a millisecond: the ranker's retrieval ranks then mean online what they meant
#: in training.
EXACT_INDEX_MAX_ITEMS = 200_000
#: The HNSW graph's settings above `EXACT_INDEX_MAX_ITEMS`.
HNSW_PARAMS = {"M": 32, "ef_construction": 80, "ef_search": 128}
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


def train_model(data, n_candidates: int = 100, n_factors: int = 32, label_split: str = "global",
                random_state: int = 0) -> TwoStageRecommender:
    """The two-stage recommender a bundle serves: ALS proposes ``n_candidates``, LambdaMART ranks them.

    ``label_split="global"`` (the default) trains the ranker on requests drawn as the service
    answers them: every user at one moment (`ranking.TwoStageRecommender`); ``"temporal"`` asks
    each user just after their own last event, which chapter 9's skew lab measures.
    """
    # Its own configuration, not the package default's: one vector index (ALS) and LambdaMART,
    # the model chapter 9 measures.
    model = TwoStageRecommender(retrievers={"ALS": ALS(n_factors=n_factors, random_state=random_state)},
                                sources=["ALS"], n_candidates=n_candidates, label_split=label_split,
                                ranker=GBDTRanker(random_state=random_state), random_state=random_state)
    return model.fit(data.interactions, items=data.items)


def build_bundle(out_dir, dataset: str = "synthetic", n_items: int | None = None, n_candidates: int = 100,
                 n_factors: int = 32, random_state: int = 0, data=None, label_split: str = "global",
                 model: TwoStageRecommender | None = None, make_current: bool = True) -> Path:
    """Train everything the service needs and write it as the current version of the bundle folder ``out_dir``.

    ``out_dir`` must be new, empty, or a bundle folder; anything else is refused before any work
    is done, and left untouched. ``data`` (a `Dataset`) overrides ``dataset``/``n_items``, for
    tests and notebooks; ``model`` is a `train_model` already fitted on ``data`` (its
    ``n_candidates`` and factors then rule). ``make_current=False`` stages the new version beside the
    current one without serving it (a canary or shadow to compare first; `bundle.activate`
    releases it). Returns ``out_dir``.
    """
    import faiss
    import scipy.sparse as sp

    from .bundle import _bundle_folder

    _bundle_folder(out_dir, create=True)  # refuse a folder that is not ours now, not after training
    started = time.perf_counter()
    if data is None:
        data = load_dataset(dataset, n_items, random_state)
        described = dataset if dataset == "movielens" or n_items is None else f"{dataset} ({n_items} items)"
    else:
        described = data.name
    history = data.interactions
    as_of = history["timestamp"].max() + pd.Timedelta(seconds=1)

    # 2) The two-stage recommender (its ranker's frame built from ALS's candidates).
    if model is None:
        model = train_model(data, n_candidates, n_factors, label_split, random_state)
    elif set(getattr(model, "retrievers_", {})) != {"ALS"}:
        raise ValueError(f"build_bundle: the model must have one retriever, ALS; got {sorted(model.retrievers_)}")
    n_candidates = model.n_candidates
    als = model.retrievers_["ALS"]
    log.info("two-stage recommender fitted in %.1f s", time.perf_counter() - started)

    # 3) The index over the vectors of items with training interactions, under their own ids.
    item_vectors = np.asarray(als.item_factors_, dtype=np.float64)
    item_users = np.bincount(history.drop_duplicates(["user_id", "item_id"])["item_id"], minlength=len(data.items))
    indexed = np.flatnonzero(item_users > 0)
    kind, params = ("flat", {}) if len(indexed) <= EXACT_INDEX_MAX_ITEMS else ("hnsw", HNSW_PARAMS)
    index = build_index(item_vectors[indexed], kind=kind, metric="ip", random_state=random_state,
                        ids=indexed.astype(np.int64), **params)  # fmt: skip

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
        "item_index.faiss": lambda path: faiss.write_index(index.index, str(path)),
        "item_vectors.npy": lambda path: np.save(path, item_vectors),
        "user_vectors.npy": lambda path: np.save(path, np.asarray(als.user_factors_, dtype=np.float64)),
        "ranker.txt": lambda path: model.ranker_.booster_.save_model(str(path)),
        "features.sqlite": write_store,
        "seen.npz": lambda path: _save_npz(path, indptr=seen.indptr.astype(np.int64),
                                           indices=seen.indices.astype(np.int64)),
        "catalogue.npz": lambda path: _save_npz(path, item_category=item_category, item_genres=item_genres,
                                                popular=popular.astype(np.int64), indexed_items=index.ids),
    }
    manifest = {
        "dataset": described,
        "n_users": int(als.n_users_),
        "n_items": int(len(data.items)),
        "n_interactions": int(len(history)),
        "training_window": [history["timestamp"].min().isoformat(), history["timestamp"].max().isoformat()],
        "as_of": as_of.isoformat(),
        "n_candidates": n_candidates,
        "sources": ["ALS"],
        "label_split": model.label_split,
        "feature_columns": list(model.ranker_.features_),
        "store_tables": list(tables),
        "index": type(index.index).__name__,
        "index_kind": kind,
        "index_params": dict(params),
        "n_indexed_items": int(len(indexed)),
        "categories": sorted(map(str, data.items["category"].unique())),
        "ranker_rounds": int(model.ranker_.best_iteration_),
        "random_state": random_state,
    }
    root = write_bundle(out_dir, writers, manifest, make_current=make_current)
    log.info("bundle written to %s in %.1f s", root, time.perf_counter() - started)
    return root


def _save_npz(path, **arrays) -> None:
    with open(path, "wb") as handle:  # np.savez would add ".npz" to a path without it
        np.savez(handle, **arrays)
