"""Exercise checks of chapter 5: right answers pass, typical slips get their hint.

The expected answers are recomputed here without the checker: FAISS indexes built directly,
exact neighbours by NumPy, and the candidate pool merged and scored by hand.
"""

import math

import faiss
import numpy as np
import pytest

from recsys_tutorial import retrieval, split
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.exercises import ch05

K = 10


@pytest.fixture(scope="module")
def vectors():
    """The chapter's catalogue and queries, and each query's exact top 10 by NumPy."""
    catalogue = retrieval.clustered_vectors(100_000)
    queries = retrieval.clustered_vectors(1_000, random_state=1)
    exact = np.concatenate([_top(queries[i : i + 100] @ catalogue.T, K) for i in range(0, len(queries), 100)])
    return catalogue, queries, exact


def _top(scores, k):
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1), axis=1)


def _recall(found, exact):
    return np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)])


def _ivf(catalogue, base_factory):
    """Train and fill an IVF index on one thread, as the chapter's deterministic builds do."""
    nlist = int(4 * math.sqrt(len(catalogue)))
    quantizer = faiss.IndexFlatIP(catalogue.shape[1])
    index = base_factory(quantizer, nlist)
    index.cp.seed = 0
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index.train(catalogue)
        index.add(catalogue)
    finally:
        faiss.omp_set_num_threads(threads)
    index.nprobe = min(nlist, max(16, math.ceil(nlist / 20)))
    return index, quantizer


def test_ch05_exercise_1_pq_with_8_byte_codes(vectors):
    catalogue, queries, exact = vectors
    index, _quantizer = _ivf(catalogue, lambda q, nlist: faiss.IndexIVFPQ(q, 64, nlist, 8, 8, faiss.METRIC_INNER_PRODUCT))
    _, codes_ids = index.search(queries, K)
    expected = _recall(codes_ids, exact)
    # Re-ranking by hand: the codes' top 10 × k, re-scored with the exact vectors.
    _, shortlist = index.search(queries, 10 * K)
    exact_scores = np.einsum("qd,qkd->qk", queries, catalogue[shortlist])
    reranked = _recall(np.take_along_axis(shortlist, np.argsort(-exact_scores, axis=1)[:, :K], axis=1), exact)
    assert expected < 0.9 < reranked  # the exercise's point: 8-byte codes lose many neighbours

    assert ch05.check_1(expected).passed
    assert ch05.check_1(expected * (1 + 5e-4)).passed
    assert "refine_factor" in ch05.check_1(reranked).message
    assert "percentage" in ch05.check_1(100 * expected).message
    assert "rounded" in ch05.check_1(round(expected, 2)).message
    assert "between 0 and 1" in ch05.check_1(-0.3).message
    assert ch05.check_1(None).passed is None
    for garbage in ("abc", float("nan"), [0.5, 0.6]):
        assert ch05.check_1(garbage).passed is False


def test_ch05_exercise_2_smallest_nprobe(vectors):
    catalogue, queries, exact = vectors
    index, _quantizer = _ivf(catalogue, lambda q, nlist: faiss.IndexIVFFlat(q, 64, nlist, faiss.METRIC_INNER_PRODUCT))
    recall = {}
    for nprobe in range(1, 65):
        index.nprobe = nprobe
        recall[nprobe] = _recall(index.search(queries, K)[1], exact)
        if recall[nprobe] >= 0.99:
            break
    expected = nprobe
    assert 8 < expected < 16  # between the chapter's powers of two, as the task says

    assert ch05.check_2(expected).passed
    assert ch05.check_2(float(expected)).passed
    assert "powers of two" in ch05.check_2(16).message
    assert "below" in ch05.check_2(expected - 1).message
    assert "smaller nprobe" in ch05.check_2(40).message
    assert "whole number" in ch05.check_2(expected + 0.5).message
    assert ch05.check_2(None).passed is None
    for garbage in ("fourteen", float("nan"), {14}):
        assert ch05.check_2(garbage).passed is False


def _merge(lists, n):
    """Round robin over the sources, skipping repeats and padding (-1), until n items."""
    pool = []
    for rank in range(max(len(items) for items in lists)):
        for items in lists:
            if rank < len(items) and items[rank] >= 0 and items[rank] not in pool:
                pool.append(int(items[rank]))
                if len(pool) == n:
                    return pool
    return pool


def test_ch05_exercise_3_two_source_pool():
    from recsys_tutorial.models import ALS, ItemKNN, Popularity

    world = make_synthetic(random_state=0)
    train, test = split.temporal_split(world.interactions, test_fraction=0.2)
    als = ALS(random_state=0).fit(train)
    known = test[(test["user_id"] < als.n_users_) & (test["item_id"] < als.n_items_)]
    train_pairs = set(zip(train["user_id"], train["item_id"]))
    relevant = {}
    for user, item in zip(known["user_id"], known["item_id"]):
        if (user, item) not in train_pairs:
            relevant.setdefault(int(user), set()).add(int(item))
    users = np.array(sorted(set(relevant) & set(train["user_id"])))

    # The three sources as the chapter builds them; the merge and the recall are done by hand.
    index = retrieval.build_index(als.item_embeddings(), kind="hnsw", metric="ip")
    hnsw = retrieval.search_unseen(index, als.user_embeddings()[users], _seen_matrix(train, als, users), k=300)[0]
    covisitation = ItemKNN().fit(train).recommend(users, k=300)[0]
    popularity = Popularity().fit(train).recommend(users, k=300)[0]

    def recall(pools):
        return np.mean([len(set(pool) & relevant[user]) / len(relevant[user]) for pool, user in zip(pools, users)])

    expected = recall([_merge([h, c], 300) for h, c in zip(hnsw, covisitation)])
    three = recall([_merge([h, c, p], 300) for h, c, p in zip(hnsw, covisitation, popularity)])
    whole = recall([_merge([h, c], 600) for h, c in zip(hnsw, covisitation)])

    assert ch05.check_3(expected).passed
    assert "includes popularity" in ch05.check_3(three).message
    assert "both lists whole" in ch05.check_3(whole).message
    assert "one source alone" in ch05.check_3(recall(covisitation)).message
    assert ch05.check_3(None).passed is None
    for garbage in ("0.47", float("inf"), object()):
        assert ch05.check_3(garbage).passed is False


def _seen_matrix(train, als, users):
    from recsys_tutorial.data import interaction_matrix

    return interaction_matrix(train, shape=(als.n_users_, als.n_items_))[users]
