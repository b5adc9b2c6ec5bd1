import faiss
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
        (lambda x, q: retrieval.build_index(x, "ivfpq", m=5, euclidean_transform=True), "must divide the dimension"),
        (lambda x, q: retrieval.build_index(x, "hnsw", metric="cosine", euclidean_transform=True), "needs metric='ip'"),
        (lambda x, q: retrieval.build_index(x, "hnsw", euclidean_transform="yes"), "must be True or False"),
        (lambda x, q: retrieval.build_index(x, "flat", ids=np.arange(len(x) - 1)), "ids must be 3000 integers"),
        (lambda x, q: retrieval.build_index(x, "flat", ids=np.arange(len(x)) * 0.5), "ids must be 3000 integers"),
        (lambda x, q: retrieval.build_index(x, "flat", ids=np.arange(len(x)) - 1), "ids must be >= 0"),
        (lambda x, q: retrieval.build_index(x, "flat", ids=np.arange(len(x)) // 2), "ids must be distinct"),
        (lambda x, q: retrieval.build_index(x, "hnsw", euclidean_transform=True).search(q[:, :3], 5), "dimension"),
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


# --- Maximum inner product search by L2: the Euclidean transform (Bachrach et al. 2014) -----------


def _varying_norms(n=2_000, d=8, seed=0):
    """Clustered directions with norms spread like ALS factors: items over ~4 orders of magnitude
    (lognormal, sigma 1.5; the largest ~100x the median), queries short (median norm ~0.05)."""
    rng = np.random.default_rng(seed)
    x = retrieval.clustered_vectors(n, d=d, n_clusters=50, random_state=seed)
    q = retrieval.clustered_vectors(200, d=d, n_clusters=50, random_state=seed + 100)
    x = x * rng.lognormal(0, 1.5, size=(n, 1)).astype(np.float32)
    q = q * rng.lognormal(-3, 1, size=(200, 1)).astype(np.float32)
    return x, q


def test_euclidean_transform_by_hand():
    """a = (2, 0), b = (0, 1), c = (1, 2); q = (1, 0): inner products 2, 0, 1, so the order is a, c, b.

    Raw L2 distances (1, 2, 4) would rank a, b, c. M² = ‖c‖² = 5, and the transform appends
    √(5 − ‖x‖²) = 1, 2, 0: ã = (2, 0, 1), b̃ = (0, 1, 2), c̃ = (1, 2, 0), all of norm √5. With
    q̃ = (1, 0, 0): ‖q̃ − x̃‖² = 2, 6, 4 = ‖q‖² + M² − 2 q·x = 6 − 2·(2, 0, 1), in the order a, c, b.
    """
    x = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 2.0]], dtype=np.float32)
    q = np.array([[1.0, 0.0]], dtype=np.float32)
    raw = faiss.IndexFlatL2(2)
    raw.add(x)
    assert raw.search(q, 3)[1].tolist() == [[0, 1, 2]]  # plain L2 ranks b above c
    index = retrieval.build_index(x, "flat", euclidean_transform=True)
    assert index.max_norm_sq == 5.0 and index.dim == 2
    transformed = index.index.reconstruct_n(0, 3)
    np.testing.assert_allclose(transformed, [[2, 0, 1], [0, 1, 2], [1, 2, 0]], atol=1e-6)
    l2 = faiss.IndexFlatL2(3)
    l2.add(transformed)
    distances, order = l2.search(np.array([[1.0, 0.0, 0.0]], dtype=np.float32), 3)
    np.testing.assert_allclose(distances, [[2, 4, 6]], atol=1e-5)
    assert order.tolist() == [[0, 2, 1]]
    scores, ids = index.search(q, 3)
    assert ids.tolist() == [[0, 2, 1]]
    np.testing.assert_allclose(scores, [[2, 1, 0]], atol=1e-6)


def test_euclidean_transform_is_exact_with_a_flat_index_despite_widely_varying_norms():
    """The exact top k by inner product, scores included. Queries are searched at norm M: at
    their own (short) length, M² would swamp q·x in float32 and near-ties would swap."""
    x, q = _varying_norms()
    ref_scores, ref_ids = retrieval.brute_force_search(x, q, 100)
    scores, ids = retrieval.build_index(x, "flat", euclidean_transform=True).search(q, 100)
    assert retrieval.neighbour_recall(ids, ref_ids) == 1.0
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-4, atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()  # best first
    table = retrieval.sweep(x, q, [{"kind": "flat", "euclidean_transform": True}], k=10, single_queries=0)
    assert table["recall@k"].tolist() == [1.0]


@pytest.mark.parametrize(
    "kind, setting, bar",
    [("ivf", {"nlist": 20, "nprobe": 20}, 1.0), ("hnsw", {"ef_search": 500}, 0.95), ("ivfpq", {"nlist": 20}, 0.9)],
)
def test_approximate_indexes_with_the_transform_answer_in_inner_products_under_their_ids(kind, setting, bar):
    x, q = _varying_norms()
    _, exact = retrieval.brute_force_search(x, q, 100)
    ids = np.random.default_rng(0).permutation(len(x)) + 10_000  # not positions, not sorted
    index = retrieval.build_index(x, kind, euclidean_transform=True, ids=ids, **setting)
    scores, found = index.search(q, 100)
    assert np.isin(found, ids).all()
    positions = np.argsort(ids)[np.searchsorted(ids, found, sorter=np.argsort(ids))]  # id -> row of x
    assert retrieval.neighbour_recall(positions, exact) >= bar
    np.testing.assert_allclose(scores, np.einsum("ij,ikj->ik", q, x[positions]), rtol=1e-4, atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()
    if kind == "ivfpq":  # the extra coordinate, padded to d/m = 2 numbers, is one more sub-vector
        assert faiss.downcast_index(index.index.base_index).pq.M == index.params["m"] + 1


def test_ties_go_to_the_lower_id():
    x = np.array([[1.0, 0.0]] * 4 + [[0.0, 1.0]], dtype=np.float32)
    ids = np.array([7, 3, 9, 5, 1])
    scores, found = retrieval.build_index(x, "flat", euclidean_transform=True, ids=ids).search(np.array([[2.0, 0]]), 5)
    assert found.tolist() == [[3, 5, 7, 9, 1]]
    np.testing.assert_allclose(scores, [[2, 2, 2, 2, 0]], atol=1e-6)


def test_ids_without_the_transform_relabel_the_positions():
    x, q = _data()
    ids = np.arange(len(x))[::-1] * 3
    plain = retrieval.build_index(x, "hnsw")
    named = retrieval.build_index(x, "hnsw", ids=ids)
    scores, positions = plain.search(q, 10)
    named_scores, found = named.search(q, 10)
    np.testing.assert_array_equal(found, ids[positions])
    np.testing.assert_array_equal(named_scores, scores)
    assert named.memory_bytes == plain.memory_bytes + 8 * len(x)


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_save_and_load_keep_the_transform_and_the_ids(tmp_path, kind):
    x, q = _varying_norms()
    index = retrieval.build_index(x, kind, euclidean_transform=True, ids=np.arange(len(x)) * 2 + 1)
    index.save(tmp_path / "items.faiss")
    loaded = retrieval.VectorIndex.load(tmp_path / "items.faiss")
    assert (loaded.max_norm_sq, loaded.dim, loaded.params) == (index.max_norm_sq, 8, index.params)
    np.testing.assert_array_equal(loaded.ids, index.ids)
    for a, b in zip(index.search(q, 20), loaded.search(q, 20), strict=True):
        np.testing.assert_array_equal(a, b)
    # An index without either writes no arrays, and a stale file from an earlier save is not read.
    retrieval.build_index(x, "flat").save(tmp_path / "items.faiss")
    plain = retrieval.VectorIndex.load(tmp_path / "items.faiss")
    assert plain.ids is None and plain.max_norm_sq is None and plain.search(q, 5)[1].max() < len(x)
