"""Approximate nearest-neighbour search at 1,000,000 vectors: recall against speed.

    .venv/bin/python benchmarks/bench_ann.py            # 1M vectors (HNSW build: minutes)
    .venv/bin/python benchmarks/bench_ann.py --n 200000 # a quicker run

Data: a seeded mixture of 1,000 Gaussian clusters in 64 dimensions (spread along 8 shared
directions, plus a little isotropic noise), normalised to unit length, and 1,000 queries drawn
the same way. Measured in one run: NumPy brute force one query at a time,
FAISS Flat, and sweeps of IVF ``nprobe`` and HNSW ``ef_search``, each through this package's
wrapper and through FAISS directly with the same parameters.

The bars (from the project's issues): an HNSW or IVF setting reaches recall@10 >= 0.95 at >= 100x
the one-query-at-a-time throughput of NumPy brute force, and the wrapper adds at most 10 % over
calling FAISS directly.
"""

from __future__ import annotations

import argparse
import sys
import time

import faiss
import numpy as np

from recsys_tutorial import retrieval


def clustered(n, d, n_clusters, rng, rank=8):
    """Unit vectors in Gaussian clusters that spread along a few shared directions, plus noise.

    Learnt embeddings have a low intrinsic dimension; isotropic 64-d noise would not, and makes
    every neighbour about as far as every other (a worst case no real catalogue looks like).
    """
    centers = np.random.default_rng(1_000).normal(size=(n_clusters, d)).astype(np.float32)
    directions = np.random.default_rng(1_001).normal(size=(rank, d)).astype(np.float32) / np.sqrt(rank)
    x = centers[rng.integers(0, n_clusters, n)] + rng.normal(size=(n, rank)).astype(np.float32) @ directions
    x += 0.1 * rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def one_by_one(search, queries, n=300):
    start = time.perf_counter()
    for row in queries[:n]:
        search(row[None, :])
    return n / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, q = clustered(args.n, 64, 1_000, rng), clustered(1_000, 64, 1_000, np.random.default_rng(1))
    k = 10
    print(f"{args.n:,} vectors of dimension 64, 1,000 queries, k = {k}")

    def numpy_search(row):
        return retrieval.brute_force_search(x, row, k)

    numpy_qps = one_by_one(numpy_search, q, n=30)
    flat = retrieval.build_index(x, kind="flat")
    _, exact = flat.search(q, k)
    print(f"{'method':<34}{'recall@10':>10}{'build s':>9}{'QPS 1-by-1':>12}{'x numpy':>9}{'wrapper overhead':>18}")
    print(f"{'numpy brute force':<34}{1.0:>10.3f}{0.0:>9.1f}{numpy_qps:>12.0f}{1.0:>9.1f}{'':>18}")
    best_ok = 0.0
    for kind, knob, values in (("ivf", "nprobe", (4, 8, 16, 32, 64)), ("hnsw", "ef_search", (8, 16, 32, 64, 128))):
        index = retrieval.build_index(x, kind=kind, deterministic=False)
        for value in values:
            if kind == "ivf":
                faiss.extract_index_ivf(index.index).nprobe = value
            else:
                index.index.hnsw.efSearch = value
            _, ids = index.search(q, k)
            recall = retrieval.neighbour_recall(ids, exact)
            # Interleave the two and keep each one's best of five runs: timing noise is one-sided.
            wrapped_runs, direct_runs = [], []
            for _ in range(5):
                wrapped_runs.append(one_by_one(lambda row: index.search(row, k), q))
                direct_runs.append(one_by_one(lambda row: index.index.search(row, k), q))
            wrapped, direct = max(wrapped_runs), max(direct_runs)
            overhead = direct / wrapped - 1
            speedup = wrapped / numpy_qps
            if recall >= 0.95:
                best_ok = max(best_ok, speedup)
            print(f"{kind + ' ' + knob + '=' + str(value):<34}{recall:>10.3f}{index.build_seconds:>9.1f}"
                  f"{wrapped:>12.0f}{speedup:>9.0f}{overhead:>17.1%}")  # fmt: skip
    print(f"best speed-up at recall@10 >= 0.95: {best_ok:.0f}x (bar: >= 100x)")
    return 0 if best_ok >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
