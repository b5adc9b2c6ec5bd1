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
    for a, b in zip(index.search(q, 5), loaded.search(q, 5), strict=True):
        np.testing.assert_array_equal(a, b)


def test_neighbour_recall_by_hand():
    approx, exact = np.array([[1, 2, 3], [4, 5, 6]]), np.array([[3, 2, 9], [7, 8, 9]])
    assert retrieval.neighbour_recall(approx, exact) == pytest.approx(2 / 6)


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
    configs = [{"kind": "ivf", "nprobe": 1}, {"kind": "ivf", "nprobe": 32}, {"kind": "flat"}]
    table = retrieval.sweep(x, q, configs, k=5, single_queries=20)
    assert list(table.columns[:2]) == ["kind", "nprobe"]
    assert table["recall@k"].iloc[0] < table["recall@k"].iloc[1] <= table["recall@k"].iloc[2] == 1.0
    assert (table[["build s", "QPS batched", "QPS one by one", "memory MB"]] > 0).all().all()


def test_every_sweep_config_is_scored_against_its_own_metric():
    """A cosine flat index is exact under cosine: recall 1, even when an inner-product config comes first."""
    x, q = _data()
    configs = [{"kind": "flat", "metric": "ip"}, {"kind": "flat", "metric": "cosine"}]
    table = retrieval.sweep(x, q, configs, k=5, single_queries=5)
    assert table["recall@k"].tolist() == [1.0, 1.0]


def test_brute_force_search_rejects_metrics_it_does_not_compute():
    x, q = _data()
    with pytest.raises(ValueError, match="metric must be 'ip' or 'cosine', got 'l2'"):
        retrieval.brute_force_search(x, q, 5, metric="l2")


@pytest.mark.parametrize(
    "kind, setting", [("ivf", {"nprobe": 3}), ("hnsw", {"ef_search": 12}), ("ivfpq", {"nprobe": 3, "refine_factor": 2})]
)
def test_search_settings_change_without_a_rebuild(kind, setting):
    """Re-tuning a built index answers exactly as an index built with that setting."""
    x, q = _data()
    fresh = retrieval.build_index(x, kind, **setting)
    tuned = retrieval.build_index(x, kind).set_search_params(**setting)
    for a, b in zip(fresh.search(q, 10), tuned.search(q, 10), strict=True):
        np.testing.assert_array_equal(a, b)
    assert tuned.params == fresh.params


def test_ivfpq_without_re_ranking_keeps_only_the_codes():
    x, q = _data()
    _, exact = retrieval.brute_force_search(x, q, 10)
    flat = retrieval.build_index(x, "flat")
    refined = retrieval.build_index(x, "ivfpq", m=4)
    codes = retrieval.build_index(x, "ivfpq", m=4, refine_factor=0)
    # 4 one-byte codes and an 8-byte id per vector, against 16 float32 numbers (64 bytes).
    assert codes.bytes_per_vector < 0.5 * flat.bytes_per_vector < refined.bytes_per_vector
    assert flat.bytes_per_vector == pytest.approx(16 * 4, rel=0.01)
    # The re-ranked index searched without re-ranking is the codes-only index, in results and size.
    refined.set_search_params(refine_factor=0)
    assert refined.memory_bytes == codes.memory_bytes
    np.testing.assert_array_equal(refined.search(q, 10)[1], codes.search(q, 10)[1])
    assert retrieval.neighbour_recall(codes.search(q, 10)[1], exact) < retrieval.neighbour_recall(
        refined.set_search_params(refine_factor=10).search(q, 10)[1], exact)
    with pytest.raises(ValueError, match="built with refine_factor=0"):
        codes.set_search_params(refine_factor=5)


@pytest.mark.parametrize(
    "kind, setting, message",
    [
        ("ivf", {"nprobe": 0}, "nprobe must be an integer in 1..21"),
        ("ivf", {"nprobe": 22}, "nprobe must be an integer in 1..21"),
        ("ivf", {"ef_search": 8}, "not a search setting of kind 'ivf'"),
        ("hnsw", {"ef_search": 2.5}, "ef_search must be an integer"),
        ("ivfpq", {"refine_factor": 0.5}, "refine_factor must be 0"),
        ("flat", {"nprobe": 4}, "not a search setting of kind 'flat'"),
    ],
)
def test_bad_search_settings_are_named(kind, setting, message):
    x, _ = _data(n=500)
    index = retrieval.build_index(x, kind, **({"nlist": 21} if kind in ("ivf", "ivfpq") else {}))
    with pytest.raises(ValueError, match=message):
        index.set_search_params(**setting)


def test_sweep_builds_each_index_once_and_matches_separate_builds(monkeypatch):
    x, q = _data()
    builds = []
    build_index = retrieval.build_index
    monkeypatch.setattr(
        retrieval, "build_index", lambda *a, **kw: builds.append(kw.get("kind")) or build_index(*a, **kw)
    )
    configs = [{"kind": "ivf", "nprobe": p} for p in (1, 4, 16)] + [{"kind": "hnsw", "ef_search": e} for e in (8, 32)]
    configs += [{"kind": "ivf"}, {"kind": "ivfpq", "m": 4}, {"kind": "ivfpq", "m": 4, "refine_factor": 0}]
    table = retrieval.sweep(x, q, configs, k=10, single_queries=0)
    assert sorted(builds) == ["flat", "hnsw", "ivf", "ivfpq"]  # the exact reference, then one build per index
    _, exact = retrieval.brute_force_search(x, q, 10)
    for config, recall in zip(configs, table["recall@k"], strict=True):
        assert recall == retrieval.neighbour_recall(build_index(x, **config).search(q, 10)[1], exact), config
    assert table["QPS one by one"].isna().all()
    # The default nprobe after a sweep of other values: the config without nprobe gets the default again.
    assert table["recall@k"].iloc[5] == retrieval.neighbour_recall(build_index(x, "ivf").search(q, 10)[1], exact)
    pq = table[table["kind"] == "ivfpq"].set_index("refine_factor", drop=False)
    assert pq["bytes/vector"].iloc[1] < 0.5 * pq["bytes/vector"].iloc[0]
    assert (table["memory MB"] * 2**20 / len(x)).tolist() == pytest.approx(table["bytes/vector"].tolist())


def test_sweep_rejects_configs_that_are_not_a_list_of_dicts():
    x, q = _data()
    with pytest.raises(ValueError, match="configs must be a list of dicts"):
        retrieval.sweep(x, q, {"kind": "flat"})


def test_clustered_vectors_are_seeded_unit_vectors_around_shared_clusters():
    x = retrieval.clustered_vectors(2_000, d=16, n_clusters=5)
    assert x.dtype == np.float32 and x.shape == (2_000, 16)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(x, retrieval.clustered_vectors(2_000, d=16, n_clusters=5))
    q = retrieval.clustered_vectors(200, d=16, n_clusters=5, random_state=1)
    assert not np.array_equal(q, x[:200])
    # Queries come from the catalogue's clusters: their nearest catalogue vector is much closer
    # than a random catalogue vector.
    best = (q @ x.T).max(axis=1)
    assert np.median(best) > 0.85 and (q @ x.T).mean() < 0.5
