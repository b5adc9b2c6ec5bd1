"""Property tests (hypothesis) for monitoring, retrieval and the models' shared machinery."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recsys_tutorial import monitoring, retrieval
from recsys_tutorial.models import EASE, ItemKNN, Popularity
from recsys_tutorial.models.base import top_k

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


# --- monitoring -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(20, 300), elements=finite))
def test_psi_of_a_sample_against_itself_is_zero(sample):
    assert monitoring.psi(sample, sample) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(20, 300), elements=finite),
    arrays(np.float64, st.integers(20, 300), elements=finite),
)
def test_psi_is_never_negative(baseline, current):
    assert monitoring.psi(baseline, current) >= 0.0


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(20, 200), elements=st.integers(-1000, 1000).map(float)),
    st.sampled_from([2.0**-10, 0.5, 2.0, 1024.0]),
)
def test_psi_of_numeric_data_ignores_the_unit(sample, scale):
    """Bins are baseline quantiles, so a change of unit changes nothing (powers of two: exact)."""
    current = sample[::-1][: len(sample) // 2]
    assert monitoring.psi(scale * sample, scale * current) == pytest.approx(monitoring.psi(sample, current), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=5, max_size=100),
    st.lists(st.sampled_from(["a", "b", "c", "e"]), min_size=5, max_size=100),
)
def test_js_divergence_of_categories_lies_between_zero_and_one(baseline, current):
    """Base-2 Jensen–Shannon divergence: 0 for equal distributions, 1 for disjoint ones."""
    value = monitoring.js_divergence(np.array(baseline), np.array(current))
    assert -1e-12 <= value <= 1 + 1e-12
    if not set(baseline) & set(current):
        assert value == pytest.approx(1.0)


# --- retrieval --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(5, 60), st.integers(1, 8), st.integers(1, 5), st.integers(0, 10_000), st.sampled_from(["ip", "cosine"])
)
def test_flat_index_and_brute_force_agree_on_the_scores(n, d, k, seed, metric):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    queries = rng.normal(size=(7, d)).astype(np.float32)
    k = min(k, n)
    scores, ids = retrieval.build_index(vectors, kind="flat", metric=metric).search(queries, k)
    ref_scores, ref_ids = retrieval.brute_force_search(vectors, queries, k, metric=metric)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-4, atol=1e-4)  # ids may differ only on ties
    assert (np.diff(ref_scores, axis=1) <= 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 30), st.integers(0, 10_000))
def test_merged_candidates_are_distinct_and_come_from_the_sources(n_sources, n, seed):
    rng = np.random.default_rng(seed)
    sources = {f"s{j}": rng.integers(-1, 40, size=(3, 8)) for j in range(n_sources)}
    merged, origin = retrieval.merge_candidates(sources, n=n)
    for row in range(3):
        kept = merged[row][merged[row] >= 0]
        assert len(set(kept)) == len(kept)
        offered = set(np.concatenate([ids[row] for ids in sources.values()])) - {-1}
        assert set(kept) <= offered
        assert len(kept) == min(n, len(offered))


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=st.integers(-1, 9)))
def test_neighbour_recall_lies_in_zero_one_and_is_one_against_itself(ids):
    exact = np.array([
        np.concatenate([np.unique(r[r >= 0]), -np.ones(len(r) - len(np.unique(r[r >= 0])), int)]) for r in ids
    ])
    if (exact >= 0).sum() == 0:
        return
    assert retrieval.neighbour_recall(exact, exact) == 1.0
    assert 0.0 <= retrieval.neighbour_recall(ids, exact) <= 1.0


# --- models -----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 12)), elements=st.one_of(finite, st.just(-np.inf))),
    st.integers(1, 12),
)
def test_top_k_equals_a_stable_descending_sort(scores, k):
    k = min(k, scores.shape[1])
    items, top = top_k(scores, k)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    expected_scores = np.take_along_axis(scores, order, axis=1)
    np.testing.assert_array_equal(top, expected_scores)
    np.testing.assert_array_equal(items, np.where(np.isneginf(expected_scores), -1, order))


interaction_logs = st.lists(st.tuples(st.integers(0, 14), st.integers(0, 11)), min_size=1, max_size=80)


@settings(max_examples=40, deadline=None)
@given(interaction_logs, st.sampled_from(["Popularity", "ItemKNN", "EASE"]), st.integers(1, 12))
def test_recommendations_are_distinct_unseen_and_best_first(pairs, name, k):
    train = pd.DataFrame(pairs, columns=["user_id", "item_id"])
    model = {"Popularity": Popularity, "ItemKNN": ItemKNN, "EASE": EASE}[name]().fit(train)
    k = min(k, model.n_items_)
    users = np.arange(16)  # 15 may be unknown: the fallback must still hold
    items, scores = model.recommend(users, k=k)
    assert items.shape == (16, k)
    for row, user in enumerate(users):
        kept = items[row][items[row] >= 0]
        assert len(set(kept)) == len(kept)
        if model._is_known(np.array([user]))[0]:
            assert not set(kept) & set(train.loc[train["user_id"] == user, "item_id"])
        assert (np.diff(scores[row][np.isfinite(scores[row])]) <= 1e-12).all()
