import numpy as np
import pytest
import scipy.sparse as sp

from recsys_tutorial import evaluation, retrieval


def _data(n=3_000, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(30, d))
    x = centers[rng.integers(0, 30, n)] + 0.4 * rng.normal(size=(n, d))
    q = centers[rng.integers(0, 30, 200)] + 0.4 * rng.normal(size=(200, d))
    return x.astype(np.float32), q.astype(np.float32)


def test_flat_matches_numpy_brute_force():
    x, q = _data()
    for metric in ("ip", "cosine"):
        scores, ids = retrieval.build_index(x, "flat", metric=metric).search(q, 10)
        ref_scores, ref_ids = retrieval.brute_force_search(x, q, 10, metric=metric)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-4, atol=1e-5)
        assert retrieval.neighbour_recall(ids, ref_ids) > 0.999


@pytest.mark.parametrize("kind", ["ivf", "hnsw", "ivfpq"])
def test_default_settings_reach_high_recall_and_are_deterministic(kind):
    x, q = _data()
    _, exact = retrieval.brute_force_search(x, q, 10)
    index = retrieval.build_index(x, kind)
    _, ids = index.search(q, 10)
    assert retrieval.neighbour_recall(ids, exact) >= 0.95
    _, again = retrieval.build_index(x, kind).search(q, 10)
    np.testing.assert_array_equal(ids, again)
    assert index.memory_bytes > 0 and index.ntotal == len(x)


def test_cosine_is_inner_product_of_unit_vectors():
    x, q = _data()
    x[:10] *= 50  # long vectors dominate the inner product, not the cosine
    _, ip_ids = retrieval.build_index(x, "flat", metric="ip").search(q, 10)
    _, cos_ids = retrieval.build_index(x, "flat", metric="cosine").search(q, 10)
    assert np.isin(ip_ids, np.arange(10)).mean() > np.isin(cos_ids, np.arange(10)).mean()


def test_save_and_load_round_trip(tmp_path):
    x, q = _data()
    index = retrieval.build_index(x, "ivfpq", metric="cosine")
    index.save(tmp_path / "items.faiss")
    loaded = retrieval.VectorIndex.load(tmp_path / "items.faiss")
    assert loaded.kind == "ivfpq" and loaded.metric == "cosine" and loaded.params == index.params
    for a, b in zip(index.search(q, 5), loaded.search(q, 5)):
        np.testing.assert_array_equal(a, b)


def test_neighbour_recall_by_hand():
    assert retrieval.neighbour_recall(np.array([[1, 2, 3], [4, 5, 6]]), np.array([[3, 2, 9], [7, 8, 9]])) == pytest.approx(2 / 6)


def test_search_unseen_skips_training_items():
    x, _ = _data(n=50, d=4)
    index = retrieval.build_index(x, "flat")
    users = x[:3]
    seen = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 2], [0, 1, 2])), shape=(3, 50))
    ids, scores = retrieval.search_unseen(index, users, seen, k=5)
    for row in range(3):
        assert row not in ids[row] and len(set(ids[row])) == 5
    assert (np.diff(scores, axis=1) <= 1e-6).all()


def test_merge_candidates_deduplicates_and_attributes():
    sources = {"ann": np.array([[1, 2, 3], [7, -1, -1]]), "popular": np.array([[2, 9, 8], [7, 6, 5]])}
    items, names = retrieval.merge_candidates(sources, n=4)
    assert items.tolist() == [[1, 2, 9, 3], [7, 6, 5, -1]]
    assert names.tolist() == [["ann", "popular", "popular", "ann"], ["ann", "popular", "popular", ""]]


def test_candidate_recall_ignores_order():
    relevant = sp.csr_matrix(([1.0, 1.0], ([0, 0], [3, 8])), shape=(1, 10))
    assert retrieval.candidate_recall(np.array([[8, 1, 2]]), relevant)[0] == 0.5
    assert retrieval.candidate_recall(np.array([[1, 2, 8, 3]]), relevant)[0] == 1.0
    np.testing.assert_array_equal(retrieval.candidate_recall(np.array([[8, 1, 2]]), relevant),
                                  evaluation.recall_at_k(np.array([[8, 1, 2]]), relevant))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x, q: retrieval.build_index(x, "annoy"), "unknown kind"),
        (lambda x, q: retrieval.build_index(x, "flat", metric="l2"), "metric must be"),
        (lambda x, q: retrieval.build_index(np.full((10, 4), np.nan), "flat"), "NaN"),
        (lambda x, q: retrieval.build_index(x, "ivf", nlist=10_000), "needs at least that many vectors"),
        (lambda x, q: retrieval.build_index(x, "hnsw", nprobe=3), "unknown parameter"),
        (lambda x, q: retrieval.build_index(x, "flat").search(q[:, :3], 5), "dimension"),
        (lambda x, q: retrieval.build_index(x, "flat").search(q, len(x) + 1), "k must be an integer"),
        (lambda x, q: retrieval.build_index(x, "ivfpq", m=5), "must divide the dimension"),
    ],
)
def test_bad_input_is_named(call, message):
    x, q = _data()
    with pytest.raises(ValueError, match=message):
        call(x, q)


def test_sweep_reports_recall_that_rises_with_nprobe():
    x, q = _data()
    table = retrieval.sweep(x, q, [{"kind": "ivf", "nprobe": 1}, {"kind": "ivf", "nprobe": 32}, {"kind": "flat"}], k=5, single_queries=20)
    assert list(table.columns[:2]) == ["kind", "nprobe"]
    assert table["recall@k"].iloc[0] < table["recall@k"].iloc[1] <= table["recall@k"].iloc[2] == 1.0
    assert (table[["build s", "QPS batched", "QPS one by one", "memory MB"]] > 0).all().all()


def test_every_sweep_config_is_scored_against_its_own_metric():
    """A cosine flat index is exact under cosine: recall 1, even when an inner-product config comes first."""
    x, q = _data()
    table = retrieval.sweep(x, q, [{"kind": "flat", "metric": "ip"}, {"kind": "flat", "metric": "cosine"}], k=5, single_queries=5)
    assert table["recall@k"].tolist() == [1.0, 1.0]


def test_brute_force_search_rejects_metrics_it_does_not_compute():
    x, q = _data()
    with pytest.raises(ValueError, match="metric must be 'ip' or 'cosine', got 'l2'"):
        retrieval.brute_force_search(x, q, 5, metric="l2")
