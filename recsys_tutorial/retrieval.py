"""Candidate generation: nearest-neighbour search over item vectors (FAISS), and merged sources.

Exact search scores every item: O(n · d) per query. Approximate indexes trade a little recall for
orders of magnitude of speed:

* ``flat``: exact inner product, the reference;
* ``ivf``: k-means cells (``nlist``); a query scans the ``nprobe`` nearest cells only;
* ``hnsw``: a navigable small-world graph (``M`` links per node); a query walks it greedily,
  keeping ``ef_search`` candidates;
* ``ivfpq``: IVF with product-quantised codes (``m`` sub-vectors of ``nbits`` bits each), then
  re-ranked exactly among ``refine_factor`` × k candidates (so memory also holds the vectors);
  ``refine_factor=0`` keeps the codes alone, the compressed index.

Search-time settings (``nprobe``, ``ef_search``, ``refine_factor``) change without a rebuild
(`VectorIndex.set_search_params`), and `sweep` builds each index once for all of them.

``metric="cosine"`` normalises vectors and queries to unit length, after which the inner product
is the cosine similarity. Defaults are chosen to reach recall@10 ≥ 0.95 on clustered data.

Maximum inner product search (MIPS) is not a nearest-neighbour search: the best matches of a
query need not lie near it, and the norms of learnt vectors (ALS item factors) vary widely.
``euclidean_transform=True`` reduces it to L2 search (Bachrach et al., "Speeding up the Xbox
recommender system using a Euclidean transformation for inner-product spaces", RecSys 2014).
With M the largest norm, every vector gets one more coordinate and every query a zero::

    x̃ = [x, √(M² − ‖x‖²)],   q̃ = [c·q, 0]   (any c > 0)
    ‖q̃ − x̃‖² = c²‖q‖² + M² − 2c·q·x

All x̃ have norm M, so the nearest x̃ are the largest inner products, and search returns
q·x = (c²‖q‖² + M² − ‖q̃ − x̃‖²) / 2c. Queries are scaled to norm M (c = M / ‖q‖): at their
own length, M² would drown q·x in float32 rounding. The reduction is exact (a flat index
returns the exact top k); for a graph it is a trade, not a cure: every q̃ lies far from all
the x̃, where greedy walks are weakest (Morozov & Babenko, "Non-metric similarity graphs for
maximum inner product search", NeurIPS 2018). On the serving chapter's ALS vectors, HNSW found
fewer of the exact top 100 with the transform than over raw inner products, at every efSearch
from 64 to 256. Measure on your own vectors: `sweep` takes ``euclidean_transform`` like any
build parameter.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import faiss
import numpy as np
import pandas as pd
from tqdm import tqdm

__all__ = [
    "VectorIndex",
    "clustered_vectors",
    "build_index",
    "brute_force_search",
    "neighbour_recall",
    "sweep",
    "search_unseen",
    "merge_candidates",
    "candidate_recall",
]

log = logging.getLogger(__name__)
KINDS = ("flat", "ivf", "hnsw", "ivfpq")
#: Settings a search reads, changeable after the build; every other parameter shapes the build.
SEARCH_PARAMS = {"flat": (), "ivf": ("nprobe",), "hnsw": ("ef_search",), "ivfpq": ("nprobe", "refine_factor")}


class VectorIndex:
    """A FAISS index with its settings: ``search``, ``save``/``load`` and its size in memory.

    ``ids`` (or None: the vectors' positions) is the id of each indexed vector, in the order they
    were added. ``max_norm_sq`` is M² of the Euclidean transform, or None if the index holds the
    vectors themselves; ``dim`` is then the vectors' own dimension, smaller than the index's.
    """

    def __init__(self, index, kind: str, metric: str, params: dict, build_seconds: float, *, ids=None,
                 max_norm_sq: float | None = None, dim: int | None = None):  # fmt: skip
        self.index, self.kind, self.metric = index, kind, metric
        self.params, self.build_seconds = dict(params), build_seconds
        self.ids = None if ids is None else np.asarray(ids, dtype=np.int64)
        self.max_norm_sq = None if max_norm_sq is None else float(max_norm_sq)
        # Read once: the index is never added to afterwards, and SWIG attribute access costs time per query.
        self.ntotal, self.dim = int(index.ntotal), int(index.d if dim is None else dim)
        self._width = int(index.d)  # the index's dimension: dim + 1 (and zeros) with the transform
        self._searched = index  # what a search reads: the index, or an IVF-PQ index's codes alone
        self.set_search_params(**{name: self.params[name] for name in SEARCH_PARAMS[kind] if name in self.params})

    @property
    def memory_bytes(self) -> int:
        """Size of what a search reads, serialised (vectors or codes, plus graph or cell lists).

        An IVF-PQ index searched with ``refine_factor=0`` reads its codes alone, and counts them alone.
        Given ``ids`` count too (8 bytes per vector).
        """
        ids_bytes = 0 if self.ids is None else self.ids.nbytes
        return int(faiss.serialize_index(self._searched).nbytes) + ids_bytes

    @property
    def bytes_per_vector(self) -> float:
        """`memory_bytes` per indexed vector, fixed parts (centroids, codebooks) included."""
        return self.memory_bytes / self.ntotal

    def set_search_params(self, **params) -> VectorIndex:
        """Change search-time settings in place, without rebuilding; returns the index.

        ``nprobe`` (``ivf``, ``ivfpq``): cells scanned, 1 .. ``nlist``; ``ef_search`` (``hnsw``):
        candidates kept during the walk, ≥ 1; ``refine_factor`` (``ivfpq``): re-rank
        ``refine_factor`` × k candidates exactly, or 0 to rank by the compressed codes alone.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> vectors = rng.normal(size=(2_000, 8))
        >>> index = build_index(vectors, kind="ivf", nlist=50)
        >>> index.set_search_params(nprobe=5).params["nprobe"]
        5
        """
        allowed = SEARCH_PARAMS[self.kind]
        unknown = set(params) - set(allowed)
        if unknown:
            raise ValueError(
                f"set_search_params: {sorted(unknown)} not a search setting of kind {self.kind!r}; "
                f"expected {list(allowed)}"
            )
        ivf = _ivf_part(self.index) if self.kind in ("ivf", "ivfpq") else None
        for name, value in params.items():
            if name == "refine_factor":
                if (
                    isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
                    or not (value == 0 or value >= 1)
                ):
                    raise ValueError(
                        f"set_search_params: refine_factor must be 0 (no re-ranking) or a number >= 1, got {value!r}"
                    )
                refined = isinstance(self.index, faiss.IndexRefine)
                if value > 0 and not refined:
                    raise ValueError("set_search_params: this IVF-PQ index was built with refine_factor=0 and holds no "
                                     "vectors to re-rank with; rebuild it with refine_factor > 0")  # fmt: skip
                if value > 0:
                    self.index.k_factor = float(value)
                self._searched = self.index if value > 0 else ivf
            else:
                upper = int(ivf.nlist) if name == "nprobe" else None
                if (
                    isinstance(value, bool) or not isinstance(value, (int, np.integer))
                    or value < 1 or (upper and value > upper)
                ):
                    bounds = f"1..{upper}" if upper else ">= 1"
                    raise ValueError(f"set_search_params: {name} must be an integer in {bounds}, got {value!r}")
                if name == "nprobe":
                    ivf.nprobe = int(value)
                else:
                    self.index.hnsw.efSearch = int(value)
            self.params[name] = value
        return self

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar vectors to each query: ``(scores, ids)``, each ``(n_queries, k)``.

        Ids are the ``ids`` given to `build_index` (positions by default); -1 marks a missing
        result. With the Euclidean transform, scores are the inner products recovered from the L2
        distances, best first, ties to the lower id; a missing result scores -inf.
        """
        q = _check_vectors(queries, "queries")
        if q.shape[1] != self.dim:
            raise ValueError(f"search: queries have dimension {q.shape[1]}, the index holds dimension {self.dim}")
        if not (isinstance(k, (int, np.integer)) and 1 <= k <= self.ntotal):
            raise ValueError(f"search: k must be an integer in 1..{self.ntotal} (the vectors indexed), got {k!r}")
        if self.metric == "cosine":
            q = _normalise(q)
        if self.max_norm_sq is None:
            scores, found = self._searched.search(q, int(k))  # (float32 scores, int64 positions)
        else:
            # q̃ = [c·q, 0, ...], c = M / ‖q‖ > 0: ‖q̃ − x̃‖² = c²‖q‖² + M² − 2c·q·x, so the order is the
            # same for any c, and c·q of norm M keeps q·x from drowning in M² in float32.
            q_norms = np.sqrt(np.einsum("ij,ij->i", q, q, dtype=np.float64))[:, None]  # (n_queries, 1)
            c = np.ones_like(q_norms)  # 1 for a zero query (or zero vectors only): every q·x is 0
            np.divide(math.sqrt(self.max_norm_sq), q_norms, out=c, where=(q_norms > 0) & (self.max_norm_sq > 0))
            padded = np.zeros((len(q), self._width), dtype=np.float32)  # (n_queries, d + 1 or more)
            padded[:, : self.dim] = c * q
            distances, found = self._searched.search(padded, int(k))
            # q·x = (c²‖q‖² + M² − ‖q̃ − x̃‖²) / 2c, in float64
            scores = (((c * q_norms) ** 2 + self.max_norm_sq - distances) / (2 * c)).astype(np.float32)
            scores[found < 0] = -np.inf
        if self.ids is not None:
            found = np.where(found >= 0, self.ids[found], -1)
        # Scores fall as distances rise; equal float32 scores go to the lower id first, as in top_k.
        if self.max_norm_sq is not None and (scores[:, 1:] == scores[:, :-1]).any():
            order = np.lexsort((found, -scores))  # (n_queries, k); a missing result (-inf) last
            scores, found = np.take_along_axis(scores, order, 1), np.take_along_axis(found, order, 1)
        return scores, found

    def save(self, path) -> None:
        """Write the index (FAISS's format) and its settings next to it (``path`` + ``.json``).

        The ``ids`` and the transform's M², if any, go to ``path`` + ``.npz``, exactly.
        """
        faiss.write_index(self.index, str(path))
        meta = {"kind": self.kind, "metric": self.metric, "params": self.params, "build_seconds": self.build_seconds}
        arrays = {}
        if self.ids is not None:
            arrays["ids"] = self.ids
        if self.max_norm_sq is not None:
            arrays["max_norm_sq"], arrays["dim"] = np.float64(self.max_norm_sq), np.int64(self.dim)
        if arrays:
            meta["arrays"] = sorted(arrays)  # what the .npz holds; an index without any writes none
            with open(f"{path}.npz", "wb") as handle:  # np.savez would add ".npz" to a path without it
                np.savez(handle, **arrays)
        pd.Series(meta).to_json(f"{path}.json")

    @classmethod
    def load(cls, path) -> VectorIndex:
        """Read an index written by `save`."""
        meta = pd.read_json(f"{path}.json", typ="series")
        arrays = {}
        if "arrays" in meta:
            with np.load(f"{path}.npz") as stored:
                arrays = {name: stored[name] for name in meta["arrays"]}
        return cls(
            faiss.read_index(str(Path(path))), meta["kind"], meta["metric"], dict(meta["params"]),
            float(meta["build_seconds"]), ids=arrays.get("ids"), max_norm_sq=arrays.get("max_norm_sq"),
            dim=arrays.get("dim"),
        )

    def __repr__(self) -> str:
        extra = "" if self.max_norm_sq is None else ", euclidean_transform=True"
        return (f"VectorIndex(kind={self.kind!r}, metric={self.metric!r}, ntotal={self.ntotal:,}, "
                f"params={self.params}{extra})")  # fmt: skip


def build_index(
    vectors, kind: str = "flat", metric: str = "ip", random_state: int = 0, deterministic: bool = True, *,
    ids=None, euclidean_transform: bool = False, **params,
) -> VectorIndex:
    """Build a FAISS index over ``vectors`` (``(n, d)`` float).

    Parameters (with defaults for ``n`` vectors of dimension ``d``):

    * ``ivf``: ``nlist`` = 4 √n cells, ``nprobe`` = max(16, ⌈nlist / 20⌉) of them scanned;
    * ``hnsw``: ``M`` = 32, ``ef_construction`` = 100, ``ef_search`` = 64;
    * ``ivfpq``: as ``ivf``, plus ``m`` = d / 2 sub-quantisers of ``nbits`` = 8 and
      ``refine_factor`` = 10 (0: no exact re-ranking, and no vectors kept: codes only).

    ``nprobe``, ``ef_search`` and ``refine_factor`` are search settings, changeable afterwards
    with `VectorIndex.set_search_params`.

    ``deterministic=True`` builds with one thread, so that the same data gives the same index
    (multi-threaded HNSW insertion can vary). Affects speed, not results otherwise.

    ``ids`` (``n`` distinct integers ≥ 0) are what `VectorIndex.search` returns for the vectors;
    by default their positions.

    ``euclidean_transform=True`` (``metric="ip"`` only) indexes x̃ = [x, √(M² − ‖x‖²)] by L2
    distance, M the largest norm: maximum inner product search as nearest-neighbour search (the
    module docstring gives the maths, and when it pays). Scores are still inner products, best
    first, ties to the lower id. ``ivfpq`` gives the extra coordinate, padded with d/m − 1 zeros,
    its own sub-quantiser: m + 1 codes per vector.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> index = build_index(rng.normal(size=(1_000, 8)), kind="hnsw")
    >>> scores, ids = index.search(rng.normal(size=(2, 8)), k=3)
    >>> ids.shape
    (2, 3)

    Vectors of very different lengths, under their own ids, searched by inner product:

    >>> x = rng.normal(size=(1_000, 8)) * rng.lognormal(0, 1, size=(1_000, 1))
    >>> index = build_index(x, kind="hnsw", euclidean_transform=True,
    ...                     ids=np.arange(1_000) + 5_000)
    >>> q = rng.normal(size=(1, 8))
    >>> scores, ids = index.search(q, k=3)
    >>> bool(np.allclose(scores, q @ x[ids[0] - 5_000].T, rtol=1e-4))
    True
    """
    if kind not in KINDS:
        raise ValueError(f"build_index: unknown kind {kind!r}, expected one of {list(KINDS)}")
    _check_metric(metric, "build_index")
    if not isinstance(euclidean_transform, (bool, np.bool_)):
        raise ValueError(f"build_index: euclidean_transform must be True or False, got {euclidean_transform!r}")
    if euclidean_transform and metric != "ip":
        raise ValueError(f"build_index: euclidean_transform=True needs metric='ip', got {metric!r}: it equalises "
                         "the vectors' norms, which cosine has already done")  # fmt: skip
    x = _check_vectors(vectors, "vectors")
    if metric == "cosine":
        x = _normalise(x)
    n, d = x.shape
    ids = None if ids is None else _check_ids(ids, n)
    settings = _default_params(kind, n, d)
    unknown = set(params) - set(settings)
    if unknown:
        raise ValueError(
            f"build_index: unknown parameter(s) {sorted(unknown)} for kind {kind!r}; expected {sorted(settings)}"
        )
    settings.update(params)
    if "nprobe" in settings and "nprobe" not in params:  # the default follows a given nlist
        settings["nprobe"] = _default_nprobe(settings["nlist"])
    if kind == "ivfpq" and d % int(settings["m"]):
        raise ValueError(f"build_index: m={settings['m']} must divide the dimension {d}")
    threads = faiss.omp_get_max_threads()
    start = time.perf_counter()
    max_norm_sq = None
    if euclidean_transform:
        # ivfpq: the extra coordinate and d/m − 1 zeros make sub-vector m + 1 (zeros change no distance)
        width = d + (d // int(settings["m"]) if kind == "ivfpq" else 1)
        x, max_norm_sq = _euclidean_transform(x, width)
    try:
        if deterministic:
            faiss.omp_set_num_threads(1)
        index = _make_index(kind, x, settings, random_state, euclidean=euclidean_transform)
    finally:
        faiss.omp_set_num_threads(threads)
    return VectorIndex(index, kind, metric, settings, time.perf_counter() - start, ids=ids,
                       max_norm_sq=max_norm_sq, dim=d)  # fmt: skip


def brute_force_search(vectors, queries, k: int, metric: str = "ip") -> tuple[np.ndarray, np.ndarray]:
    """Exact search in NumPy, the reference: score every vector, keep the top ``k``."""
    from .models.base import top_k  # here, not at the top: a service that loads an index needs no PyTorch

    _check_metric(metric, "brute_force_search")
    x, q = _check_vectors(vectors, "vectors"), _check_vectors(queries, "queries")
    if metric == "cosine":
        x, q = _normalise(x), _normalise(q)
    scores = q @ x.T  # (n_queries, n): O(n · d) per query
    ids, top_scores = top_k(scores.astype(np.float64), k)
    return top_scores.astype(np.float32), ids


def neighbour_recall(approx_ids, exact_ids) -> float:
    """Mean share of the exact top-k neighbours that the approximate search also returned."""
    approx, exact = np.asarray(approx_ids), np.asarray(exact_ids)
    if approx.shape != exact.shape:
        raise ValueError(f"neighbour_recall: shapes differ, {approx.shape} vs {exact.shape}")
    hits = [(len(set(a[a >= 0]) & set(e[e >= 0]))) for a, e in zip(approx, exact, strict=True)]
    return float(np.sum(hits) / np.sum(exact >= 0))


def clustered_vectors(n: int, d: int = 64, n_clusters: int = 200, rank: int = 8, random_state: int = 0) -> np.ndarray:
    """``n`` unit vectors in ``n_clusters`` clusters that spread along ``rank`` shared directions.

    Learnt embeddings have a low intrinsic dimension; isotropic noise in d dimensions would not,
    and makes every neighbour about as far as every other (a worst case no real catalogue looks
    like). The clusters and directions are fixed (seeds 1000 and 1001), so draws with different
    ``random_state`` (e.g. a catalogue and its queries) come from the same clusters.

    Examples
    --------
    >>> x = clustered_vectors(1_000, d=16, n_clusters=10)
    >>> norms = np.linalg.norm(x, axis=1)
    >>> x.shape, x.dtype, bool(np.allclose(norms, 1, atol=1e-6))
    ((1000, 16), dtype('float32'), True)
    """
    # Draws are rounded to float32; the sums are formed in float64, and the result is float32.
    centres = np.random.default_rng(1_000).normal(size=(n_clusters, d)).astype(np.float32)
    directions = np.random.default_rng(1_001).normal(size=(rank, d)).astype(np.float32) / np.sqrt(rank)  # float64
    rng = np.random.default_rng(random_state)
    x = centres[rng.integers(0, n_clusters, n)]
    x = x + rng.normal(size=(n, rank)).astype(np.float32) @ directions  # spread within the cluster
    x = x + 0.1 * rng.normal(size=(n, d)).astype(np.float32)  # and a little noise everywhere
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def sweep(
    vectors, queries, configs: list[dict], k: int = 10, single_queries: int = 200, show_progress: bool = False
) -> pd.DataFrame:
    """Measure recall@k, memory, build time and queries per second of each configuration.

    Each config is the keyword arguments of `build_index` (``kind``, ``metric``, parameters).
    Configs that differ only in search settings (``nprobe``, ``ef_search``, ``refine_factor``)
    share one build, re-tuned with `VectorIndex.set_search_params`: a sweep of ``nprobe`` costs
    one k-means. Recall is against the exact top k under each config's own metric (a flat index).
    Throughput is measured batched (all queries in one call) and one query at a time (the first
    ``single_queries``; 0 skips it, NaN). Timings depend on the machine; recall and memory do not.

    Returns one row per config: its keys and the search settings it ran with (defaults
    included), then ``recall@k``, ``build s``, ``QPS batched``,
    ``QPS one by one``, ``memory MB`` and ``bytes/vector`` (`VectorIndex.memory_bytes`).

    Examples
    --------
    >>> x = clustered_vectors(2_000, d=16, n_clusters=20)
    >>> q = clustered_vectors(50, d=16, n_clusters=20, random_state=1)
    >>> configs = [{"kind": "ivf", "nlist": 40, "nprobe": p} for p in (1, 40)]
    >>> table = sweep(x, q, configs, single_queries=0)
    >>> table["recall@k"].tolist()[-1]
    1.0
    """
    q = _check_vectors(queries, "queries")
    if not isinstance(configs, (list, tuple)) or not all(isinstance(c, dict) for c in configs):
        raise ValueError("sweep: configs must be a list of dicts, each the keyword arguments of build_index")
    exact_by_metric = {}  # each config is scored against the exact answer under its own metric
    built, memory = {}, {}
    rows, measured = [], []  # per config: its settings, and what was measured
    for config in tqdm(configs, desc="sweep", disable=not show_progress):
        kind, metric = config.get("kind", "flat"), config.get("metric", "ip")
        if metric not in exact_by_metric:
            exact_by_metric[metric] = build_index(vectors, kind="flat", metric=metric).search(q, k)[1]
        search = {name: value for name, value in config.items() if name in SEARCH_PARAMS.get(kind, ())}
        build = {name: value for name, value in config.items() if name not in search}
        key = tuple(sorted((name, repr(value)) for name, value in build.items()))
        if key not in built:
            index = build_index(vectors, **build)
            built[key] = (index, {name: index.params[name] for name in SEARCH_PARAMS[kind]})
        index, defaults = built[key]
        index.set_search_params(**{**defaults, **search})
        start = time.perf_counter()
        _, ids = index.search(q, k)
        batched = len(q) / (time.perf_counter() - start)
        single = math.nan
        if single_queries > 0:
            start = time.perf_counter()
            for row in q[:single_queries]:
                index.search(row[None, :], k)
            single = min(single_queries, len(q)) / (time.perf_counter() - start)
        codes_only = kind == "ivfpq" and index.params["refine_factor"] == 0
        if (key, codes_only) not in memory:
            memory[key, codes_only] = index.memory_bytes
        settings = {name: index.params[name] for name in SEARCH_PARAMS[kind]}  # the ones used, defaults included
        measured.append({"recall@k": neighbour_recall(ids, exact_by_metric[metric]), "build s": index.build_seconds,
                         "QPS batched": batched, "QPS one by one": single, "memory MB": memory[key, codes_only] / 2**20,
                         "bytes/vector": memory[key, codes_only] / index.ntotal})  # fmt: skip
        rows.append({**config, **settings})
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(measured)], axis=1)


def search_unseen(index: VectorIndex, user_vectors, seen, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` items per user from an ANN index over item vectors, skipping items in ``seen``.

    ``seen`` is the users' sparse training matrix (rows aligned with ``user_vectors``). Asks the
    index for ``k`` + the most items any user has seen, then filters; pads with -1 if needed.
    """
    extra = int(np.diff(seen.indptr).max()) if seen.nnz else 0
    scores, ids = index.search(user_vectors, min(k + extra, index.ntotal))
    out_ids = np.full((len(ids), k), -1, dtype=np.int64)
    out_scores = np.full((len(ids), k), -np.inf, dtype=np.float32)
    for row in range(len(ids)):
        keep = ~np.isin(ids[row], seen.indices[seen.indptr[row] : seen.indptr[row + 1]]) & (ids[row] >= 0)
        chosen = np.flatnonzero(keep)[:k]
        out_ids[row, : len(chosen)], out_scores[row, : len(chosen)] = ids[row, chosen], scores[row, chosen]
    return out_ids, out_scores


def merge_candidates(sources: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge ranked candidate lists from several sources into one pool of ``n`` per user.

    ``sources`` maps a source name to an ``(n_users, k_s)`` array of item ids, best first (-1 =
    none). Sources take turns (round robin, in the order given); an item already in the pool is
    skipped, and is attributed to the source that contributed it first. Returns ``(items,
    source_names)``, both ``(n_users, n)``, padded with -1 and ``""``.
    """
    if not sources:
        raise ValueError("merge_candidates: give at least one source")
    lists = {name: np.asarray(ids) for name, ids in sources.items()}
    n_users = {len(ids) for ids in lists.values()}
    if len(n_users) != 1:
        raise ValueError(f"merge_candidates: sources disagree on the number of users: {sorted(n_users)}")
    n_users = n_users.pop()
    width = max(ids.shape[1] for ids in lists.values())
    # Interleave: rank 0 of every source, then rank 1, ... (n_users, width · n_sources)
    names = np.array(list(lists), dtype=object)
    padded = [np.pad(ids, ((0, 0), (0, width - ids.shape[1])), constant_values=-1) for ids in lists.values()]
    interleaved = np.stack(padded, axis=2).reshape(n_users, -1)
    origin = np.tile(np.arange(len(names)), width)
    items = np.full((n_users, n), -1, dtype=np.int64)
    attributed = np.full((n_users, n), "", dtype=object)
    for user in range(n_users):
        row = interleaved[user]
        valid = row >= 0
        _, first = np.unique(row[valid], return_index=True)
        keep = np.flatnonzero(valid)[np.sort(first)][:n]  # first occurrences, in interleaved order
        items[user, : len(keep)] = row[keep]
        attributed[user, : len(keep)] = names[origin[keep]]
    return items, attributed


def candidate_recall(candidates, relevant) -> np.ndarray:
    """Per user, the share of relevant items present in the candidate pool (order ignored).

    The measure of a retrieval stage: the ranker downstream can only reorder what it is given.
    ``relevant`` is the sparse relevance matrix of `recsys_tutorial.evaluation`.
    """
    from .evaluation import recall_at_k  # here: a service that loads an index needs no scikit-learn

    return recall_at_k(candidates, relevant)


# ---------------------------------------------------------------------------------------------


def _default_params(kind: str, n: int, d: int) -> dict:
    nlist = max(1, int(4 * math.sqrt(n)))
    if kind == "flat":
        return {}
    if kind == "hnsw":
        return {"M": 32, "ef_construction": 100, "ef_search": 64}
    ivf = {"nlist": nlist, "nprobe": _default_nprobe(nlist)}
    if kind == "ivf":
        return ivf
    return {**ivf, "m": max(1, d // 2), "nbits": 8, "refine_factor": 10}


def _default_nprobe(nlist: int) -> int:
    return min(nlist, max(16, math.ceil(nlist / 20)))


def _make_index(kind: str, x: np.ndarray, p: dict, random_state: int, euclidean: bool = False):
    """The FAISS index of ``kind`` over ``x``: by inner product, or by L2 for transformed vectors."""
    n, d = x.shape
    metric = faiss.METRIC_L2 if euclidean else faiss.METRIC_INNER_PRODUCT
    flat = faiss.IndexFlatL2 if euclidean else faiss.IndexFlatIP
    if kind == "flat":
        index = flat(d)
        index.add(x)
        return index
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, int(p["M"]), metric)
        index.hnsw.efConstruction = int(p["ef_construction"])
        index.add(x)
        return index
    if p["nlist"] > n:
        raise ValueError(
            f"build_index: an IVF index with nlist={p['nlist']} cells needs at least that many vectors, got {n}"
        )
    quantizer = flat(d)
    if kind == "ivf":
        index = faiss.IndexIVFFlat(quantizer, d, int(p["nlist"]), metric)
        base = index
    else:
        m = int(p["m"]) + (1 if euclidean else 0)  # the transform's coordinate has a sub-quantiser of its own
        base = faiss.IndexIVFPQ(quantizer, d, int(p["nlist"]), m, int(p["nbits"]), metric)
        # Re-ranking keeps every vector beside its code; without it only the codes are stored.
        index = faiss.IndexRefineFlat(base) if p["refine_factor"] else base
    base.cp.seed = int(random_state)  # k-means initialisation
    index.train(x)
    index.add(x)
    return index


def _ivf_part(index):
    """The IVF index inside ``index`` (itself, or the base of a re-ranking wrapper)."""
    return faiss.downcast_index(index.base_index) if isinstance(index, faiss.IndexRefine) else index


def _euclidean_transform(x: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """``(x̃, M²)``: x̃ = [x, √(M² − ‖x‖²), 0, ...] of ``width`` columns, each of norm M = max ‖x‖."""
    norms_sq = np.einsum("ij,ij->i", x, x, dtype=np.float64)  # (n,), in float64
    max_norm_sq = float(norms_sq.max())
    out = np.zeros((len(x), width), dtype=np.float32)  # (n, d + 1 or more)
    out[:, : x.shape[1]] = x
    out[:, x.shape[1]] = np.sqrt(np.maximum(max_norm_sq - norms_sq, 0.0))
    return out, max_norm_sq


def _check_ids(ids, n: int) -> np.ndarray:
    """``ids`` as int64, checked: one distinct integer ≥ 0 per vector (FAISS's -1 means none)."""
    out = np.asarray(ids)
    if out.shape != (n,) or not np.issubdtype(out.dtype, np.integer):
        raise ValueError(f"build_index: ids must be {n} integers, one per vector; got {out.dtype} of shape {out.shape}")
    if out.min() < 0:
        raise ValueError(f"build_index: ids must be >= 0 (-1 marks a missing result), got {int(out.min())}")
    if len(np.unique(out)) != n:
        raise ValueError("build_index: ids must be distinct, one per vector")
    return out.astype(np.int64)


def _check_vectors(vectors, name: str) -> np.ndarray:
    ready = isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.flags.c_contiguous
    x = vectors if ready else np.ascontiguousarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name}: expected a non-empty (n, d) array, got shape {x.shape}")
    # NaN and ±inf propagate into the sum (inf − inf is NaN): one cheap check, even per query.
    if not np.isfinite(x.sum(dtype=np.float64)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _check_metric(metric: str, caller: str) -> None:
    if metric not in ("ip", "cosine"):
        raise ValueError(f"{caller}: metric must be 'ip' or 'cosine', got {metric!r}")
