"""Re-ranking rules (rerank.py) and the beyond-accuracy measures of chapter 8 (evaluation.py)."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import evaluation as ev
from recsys_tutorial.rerank import (
    RerankPipeline,
    business_boost,
    calibrate,
    category_cap,
    filter_items,
    freshness_boost,
    genre_matrix,
    genre_profiles,
    mmr,
    simulate_feedback_loop,
)

# Ties are frequent on purpose (0 and 1 drawn often): the rules promise "ties go to the earlier position".
score_values = st.one_of(st.floats(-100, 100, allow_nan=False), st.sampled_from([0.0, 1.0]))


@st.composite
def user_lists(draw):
    """(catalogue, items, scores, rng): distinct ids from a catalogue of n items, one score each."""
    n = draw(st.integers(1, 20))
    items = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    scores = draw(st.lists(score_values, min_size=len(items), max_size=len(items)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return n, np.array(items, dtype=np.int64), np.array(scores, dtype=float), rng


def _catalogue(n, rng):
    """Per-item data for a catalogue of n items: categories, vectors, genre rows (sum 1), ages, boosts."""
    genres = rng.random((n, 3)) * (rng.random((n, 3)) < 0.6) + np.eye(3)[rng.integers(0, 3, n)] * 1e-3
    ages = np.where(rng.random(n) < 0.2, np.nan, rng.exponential(40, n))
    return dict(categories=rng.choice(list("abc"), n), vectors=rng.normal(size=(n, 3)),
                genres=genres / genres.sum(axis=1, keepdims=True), ages=ages, boosts=rng.normal(size=n))


def _rules(n, rng):
    """Every rule with catalogue data filled in, as name -> (items, scores) -> (items, scores)."""
    data = _catalogue(n, rng)
    p = rng.dirichlet(np.ones(3))
    return {
        "filter": lambda i, s: filter_items(i, s, blocked=rng.choice(n, size=n // 2, replace=False)),
        "cap": lambda i, s: category_cap(i, s, data["categories"], max_per_category=2),
        "cap window": lambda i, s: category_cap(i, s, data["categories"], max_per_category=1, window=3),
        "mmr": lambda i, s: mmr(i, s, data["vectors"], lam=0.4, k=5, n_pinned=1),
        "calibrate": lambda i, s: calibrate(i, s, data["genres"], p, lam=0.6, k=5, n_pinned=1),
        "freshness": lambda i, s: freshness_boost(i, s, data["ages"], half_life_days=20, weight=2.0),
        "business": lambda i, s: business_boost(i, s, data["boosts"]),
    }


# --- properties of every rule -----------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(user_lists(), st.sampled_from(["filter", "cap", "cap window", "mmr", "calibrate", "freshness", "business"]))
def test_no_rule_invents_or_repeats_an_item(case, name):
    n, items, scores, rng = case
    out_items, out_scores = _rules(n, rng)[name](items, scores)
    assert len(out_items) == len(out_scores)
    assert len(set(out_items.tolist())) == len(out_items)
    assert set(out_items.tolist()) <= set(items.tolist())


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(user_lists(), min_size=1, max_size=4),
       st.permutations(["filter", "cap window", "mmr", "calibrate", "business"]),
       st.integers(1, 5))
def test_a_pipeline_of_rules_keeps_lists_distinct_and_padded(cases, names, n_steps):
    n = max(case[0] for case in cases)
    rules = _rules(n, cases[0][3])
    pipeline = RerankPipeline([(name, lambda user, i, s, rule=rules[name]: rule(i, s)) for name in names[:n_steps]])
    items = np.full((len(cases), n), -1)  # each user's list, padded with -1 to the catalogue size
    scores = np.full((len(cases), n), np.nan)
    for row, (_, ids, values, _) in enumerate(cases):
        items[row, : len(ids)], scores[row, : len(ids)] = ids, values
    result = pipeline.apply(np.arange(len(cases)), items, scores, k=4)
    assert result.items.shape == result.scores.shape == (len(cases), 4)
    assert list(result.report.index) == names[:n_steps]
    for row in range(len(cases)):
        kept = result.items[row][result.items[row] >= 0]
        assert (result.items[row][len(kept) :] == -1).all() and np.isnan(result.scores[row][len(kept) :]).all()
        assert len(set(kept.tolist())) == len(kept) and set(kept.tolist()) <= set(cases[row][1].tolist())


# --- filter_items and category_cap: properties ------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(user_lists(), st.data())
def test_filter_drops_exactly_the_blocked_items_in_order(case, data):
    n, items, scores, _ = case
    blocked = data.draw(st.sets(st.integers(0, n + 3)))  # may name items not in the list
    out_items, out_scores = filter_items(items, scores, blocked)
    keep = [j for j, item in enumerate(items) if item not in blocked]
    np.testing.assert_array_equal(out_items, items[keep])
    np.testing.assert_array_equal(out_scores, scores[keep])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(user_lists(), st.integers(1, 3), st.one_of(st.none(), st.integers(1, 6)))
def test_category_cap_holds_in_every_window(case, cap, window):
    n, items, scores, rng = case
    categories = rng.choice(list("abc"), n)
    out_items, out_scores = category_cap(items, scores, categories, cap, window=window)
    labels = categories[out_items]
    width = len(labels) if window is None else window
    for start in range(max(len(labels) - width + 1, 1)):
        assert max(Counter(labels[start : start + width]).values(), default=0) <= cap
    position = {item: j for j, item in enumerate(items)}
    np.testing.assert_array_equal(out_scores, scores[[position[i] for i in out_items]])  # each item keeps its score
    if window is None:  # a subsequence: input order kept, only the items past the cap dropped
        assert all(np.diff([position[i] for i in out_items]) > 0)
        assert len(out_items) == sum(min(c, cap) for c in pd.Series(categories[items]).value_counts())
    if window is None or window >= len(items):  # a window covering the list is the same as no window
        np.testing.assert_array_equal(out_items, category_cap(items, scores, categories, cap, window=None)[0])


def test_category_cap_hand_example():
    # categories a a b a b, cap 1 in windows of 2: 0 (a); 1 would make "a a", so 2 (b); then 1 (a);
    # 3 would make "a a", so 4 (b); then 3 (a). Everything fits, reordered. Over the whole list: 0 and 2.
    items, scores = np.array([0, 1, 2, 3, 4]), np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    categories = {0: "a", 1: "a", 2: "b", 3: "a", 4: "b"}
    assert category_cap(items, scores, categories, 1, window=2)[0].tolist() == [0, 2, 1, 4, 3]
    assert category_cap(items, scores, categories, 1)[0].tolist() == [0, 2]
    assert category_cap(items, scores, categories, 2)[0].tolist() == [0, 1, 2, 4]
    # a a a: with cap 1 in windows of 2 nothing can separate them: one a, the rest dropped
    assert category_cap([0, 1, 3], [3.0, 2.0, 1.0], categories, 1, window=2)[0].tolist() == [0]



@settings(max_examples=60, deadline=None, derandomize=True)
@given(user_lists(), st.integers(1, 3), st.one_of(st.none(), st.integers(1, 6)))
def test_a_one_hot_weight_matrix_caps_exactly_as_labels_do(case, cap, window):
    n, items, scores, rng = case
    codes = rng.integers(0, 3, n)
    one_hot = np.eye(3)[codes]
    for matrix in (one_hot, sp.csr_matrix(one_hot)):
        weighted = category_cap(items, scores, matrix, cap, window=window)
        labelled = category_cap(items, scores, codes, cap, window=window)
        np.testing.assert_array_equal(weighted[0], labelled[0])
        np.testing.assert_array_equal(weighted[1], labelled[1])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(user_lists(), st.integers(1, 3), st.one_of(st.none(), st.integers(1, 6)))
def test_weighted_category_cap_holds_on_every_categorys_summed_weight(case, cap, window):
    n, items, scores, rng = case
    shares = rng.random((n, 4)) * (rng.random((n, 4)) < 0.5)
    shares[np.arange(n), rng.integers(0, 4, n)] += 0.1  # every item has a category
    shares /= shares.sum(axis=1, keepdims=True)  # each item's weights sum to 1, as genre_matrix's do
    out_items, _ = category_cap(items, scores, shares, cap, window=window)
    width = len(out_items) if window is None else window
    for start in range(max(len(out_items) - width + 1, 1)):
        assert (shares[out_items[start : start + width]].sum(axis=0) <= cap + 1e-9).all()
    if window is None:  # greedy in the model's order: an item is dropped only if it would overfill
        position = {item: j for j, item in enumerate(items)}
        assert all(np.diff([position[i] for i in out_items]) > 0)
        for j, item in enumerate(items):
            if item not in out_items:
                before = [i for i in out_items if position[i] < j]
                assert (shares[before].sum(axis=0) + shares[item] > cap + 1e-9).any()


def test_weighted_category_cap_hand_example():
    # Films 0 and 1 are pure Action, 2 is half Action half Comedy, 3 pure Comedy. At most 2 of a genre:
    # 0 and 1 fill Action, 2 would make 2.5, so it goes; 3 fits. Three thirds sum to one despite rounding.
    genres = sp.csr_matrix(np.array([[1, 0], [1, 0], [0.5, 0.5], [0, 1]]))
    assert category_cap([0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0], genres, 2)[0].tolist() == [0, 1, 3]
    # in any 2 consecutive slots at most 1: 0, then 3 (1 and 2 would overfill Action), then 1; 2 never fits
    assert category_cap([0, 1, 2, 3], [4.0, 3.0, 2.0, 1.0], genres, 1, window=2)[0].tolist() == [0, 3, 1]
    thirds = np.full((3, 3), 1 / 3)
    assert category_cap([0, 1, 2], [3.0, 2.0, 1.0], thirds, 1)[0].tolist() == [0, 1, 2]

# --- mmr and calibrate: properties ------------------------------------------------------------


@settings(max_examples=100, deadline=None, derandomize=True)
@given(user_lists(), st.integers(1, 8), st.integers(0, 8))
def test_mmr_and_calibrate_at_their_pure_relevance_end_return_the_top_k(case, k, n_pinned):
    """mmr(λ = 1), calibrate(λ = 0): the k best by score, ties to the earlier position (a stable sort); on a
    list sorted by score, exactly its first k. The unsorted case uses integer scores: min–max scaling keeps
    them ≥ 1/200 apart, so rounding cannot create ties that the scores lack."""
    n, items, scores, rng = case
    data, p = _catalogue(n, rng), rng.dirichlet(np.ones(3))

    def both(s, pinned):
        return (mmr(items, s, data["vectors"], lam=1.0, k=k, n_pinned=pinned),
                calibrate(items, s, data["genres"], p, lam=0.0, k=k, n_pinned=pinned))

    ranked = np.sort(scores)[::-1]
    for out_items, out_scores in both(ranked, n_pinned):
        np.testing.assert_array_equal(out_items, items[:k])
        np.testing.assert_array_equal(out_scores, ranked[:k])
    rounded = np.round(scores)
    for out_items, _ in both(rounded, 0):
        np.testing.assert_array_equal(out_items, items[np.argsort(-rounded, kind="stable")[:k]])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(user_lists(), st.floats(0, 1), st.integers(1, 8), st.integers(0, 8))
def test_mmr_and_calibrate_keep_the_pinned_head_and_return_k_items(case, lam, k, n_pinned):
    n, items, scores, rng = case
    data = _catalogue(n, rng)
    head = min(n_pinned, k)
    for out_items, out_scores in (mmr(items, scores, data["vectors"], lam=lam, k=k, n_pinned=n_pinned),
                                  calibrate(items, scores, data["genres"], rng.dirichlet(np.ones(3)), lam=lam, k=k,
                                            n_pinned=n_pinned)):
        assert len(out_items) == len(out_scores) == min(k, len(items))
        np.testing.assert_array_equal(out_items[:head], items[:head])
        position = {item: j for j, item in enumerate(items)}
        np.testing.assert_array_equal(out_scores, scores[[position[i] for i in out_items]])  # original scores


# --- mmr and calibrate: hand-worked and brute force -------------------------------------------


def _greedy(scores, k, gain):
    """Greedy selection written out: k times, the first unchosen i maximising gain(chosen, i, rel), rel the
    min–max scaled scores (Python's max keeps the first of equal values: ties to the earlier position)."""
    rel, chosen = (scores - scores.min()) / (scores.max() - scores.min()), []
    for _ in range(k):
        chosen.append(max((i for i in range(len(scores)) if i not in chosen), key=lambda i: gain(chosen, i, rel)))
    return chosen


def _slow_mmr(scores, vectors, lam, k):
    """λ·rel_i − (1 − λ)·max_{j∈S} cos(v_i, v_j), 0 for the first pick."""
    cos = lambda i, j: vectors[i] @ vectors[j] / np.linalg.norm(vectors[i]) / np.linalg.norm(vectors[j])  # noqa: E731
    return _greedy(
        scores, k, lambda chosen, i, rel: lam * rel[i] - (1 - lam) * max((cos(i, j) for j in chosen), default=0.0)
    )


def test_mmr_hand_example_switches_to_the_dissimilar_item():
    # rel = [1, .8, .6, 0]; item 1 points the way item 0 does (cos 1), item 2 is orthogonal (cos 0),
    # item 3 in between (cos 1/√2 with both). Second pick at λ: item 1 scores .8λ − (1 − λ), item 2 .6λ:
    # item 2 wins when .2λ < 1 − λ, i.e. λ < 5/6.  λ = .8: .44 against .48 → 2; λ = .9: .62 against .54 → 1.
    items, scores = np.array([0, 1, 2, 3]), np.array([1.0, 0.8, 0.6, 0.0])
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert mmr(items, scores, vectors, lam=0.8, k=3)[0].tolist() == [0, 2, 1]
    assert mmr(items, scores, vectors, lam=0.9, k=3)[0].tolist() == [0, 1, 2]
    for lam in (0.0, 0.3, 0.5, 0.8, 0.9, 1.0):
        assert mmr(items, scores, vectors, lam=lam, k=4)[0].tolist() == _slow_mmr(scores, vectors, lam, 4)


@pytest.mark.parametrize("seed", range(8))
def test_mmr_equals_the_formula_written_out(seed):
    rng = np.random.default_rng(seed)
    scores, vectors = np.sort(rng.random(7))[::-1], rng.normal(size=(7, 3))
    for lam in (0.2, 0.5, 0.7):
        assert mmr(np.arange(7), scores, vectors, lam=lam, k=5)[0].tolist() == _slow_mmr(scores, vectors, lam, 5)


def _slow_calibrate(scores, genres, p, lam, k, alpha=0.01):
    """(1 − λ)·Σ_{S+i} rel − λ·KL(p ‖ (1 − α)·q(S+i) + α·p), q the mean genre row; KL by scipy, not calibration_kl."""
    def gain(chosen, i, rel):
        q_tilde = (1 - alpha) * genres[chosen + [i]].mean(axis=0) + alpha * p
        return (1 - lam) * rel[chosen + [i]].sum() - lam * scipy.stats.entropy(p, q_tilde)
    return _greedy(scores, k, gain)


def test_calibrate_hand_example():
    # Genres A A B, p = (½, ½), rel = (1, .875, 0), α = .01. One item of a genre: q̃ = (.995, .005),
    # KL = ½ ln(.5/.995) + ½ ln(.5/.005) = 1.9585. Step 1 (λ = ½): ½·1 − ½·1.9585 beats ½·.875 − ½·1.9585:
    # item 0. Step 2: item 1 gives ½(1 + .875) − ½·1.9585 = −.0418, item 2 gives q = p, KL 0: ½(1 + 0) = .5.
    # Item 2 wins while (1 − λ)·.875 < λ·1.9585, i.e. λ > .875 / 2.8335 = .309.
    kl_one_genre = 0.5 * np.log(0.5 / 0.995) + 0.5 * np.log(0.5 / 0.005)
    assert float(ev.calibration_kl([0.5, 0.5], [1.0, 0.0])) == pytest.approx(kl_one_genre)
    assert round(kl_one_genre, 4) == 1.9585
    genres, p = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), [0.5, 0.5]
    items, scores = np.array([0, 1, 2]), np.array([1.0, 0.9, 0.2])
    assert calibrate(items, scores, genres, p, lam=0.5, k=2)[0].tolist() == [0, 2]
    assert calibrate(items, scores, genres, p, lam=0.32, k=2)[0].tolist() == [0, 2]
    assert calibrate(items, scores, genres, p, lam=0.30, k=2)[0].tolist() == [0, 1]
    # a user without history has nothing to calibrate to
    assert calibrate(items, scores, genres, [0.0, 0.0], lam=1.0, k=2)[0].tolist() == [0, 1]


@pytest.mark.parametrize("seed", range(8))
def test_calibrate_equals_the_objective_recomputed_step_by_step(seed):
    rng = np.random.default_rng(seed)
    scores, genres, p = rng.random(5), rng.dirichlet(np.ones(3), size=5), rng.dirichlet(np.ones(3))
    for lam in (0.2, 0.5, 0.9):
        for k in (2, 5):
            assert calibrate(np.arange(5), scores, genres, p, lam=lam, k=k)[0].tolist() == _slow_calibrate(
                scores, genres, p, lam, k
            )


def test_calibrate_lowers_miscalibration_as_lam_grows():
    # The model's best items are mostly genre 0; the user is (.5, .3, .2). On this example the chosen
    # list's KL falls (weakly) with λ: 0.90 up to λ = .2, then 0.036 (greedy: not promised in general).
    genres = np.array(
        [[1, 0, 0], [1, 0, 0], [.5, .5, 0], [1, 0, 0], [0, 1, 0], [0, .5, .5], [0, 0, 1], [1, 0, 0]], float
    )
    p, scores = np.array([0.5, 0.3, 0.2]), np.linspace(1.0, 0.3, 8)
    kls = [ev.miscalibration(calibrate(np.arange(8), scores, genres, p, lam=lam, k=4)[0][None], genres, p[None])[0]
           for lam in np.linspace(0, 1, 21)]
    assert all(np.diff(kls) <= 1e-12)
    assert kls[0] == pytest.approx(0.9018, abs=1e-4) and kls[-1] < 0.05


# --- boosts -----------------------------------------------------------------------------------


def test_freshness_boost_hand_values_and_stable_resort():
    # half-life 30 days, weight 1: ages 0, 30, 60 → boosts 1, ½, ¼; NaN age → no boost.
    # New scores 1 + 1, 1.2 + .5, 1.5 + .25, 2 + 0 = 2, 1.7, 1.75, 2: items 0 and 3 tie, 0 came first.
    items, scores = np.array([0, 1, 2, 3]), np.array([1.0, 1.2, 1.5, 2.0])
    out_items, out_scores = freshness_boost(items, scores, [0.0, 30.0, 60.0, np.nan], half_life_days=30, weight=1.0)
    assert out_items.tolist() == [0, 3, 2, 1]
    np.testing.assert_allclose(out_scores, [2.0, 2.0, 1.75, 1.7])
    ages = {0: 0.0, 1: 30.0, 2: 60.0, 3: np.nan}  # a mapping works the same
    np.testing.assert_allclose(freshness_boost(items, scores, ages, half_life_days=30, weight=0.5)[1],
                               np.sort(scores + [0.5, 0.25, 0.125, 0.0])[::-1])


def test_business_boost_with_a_mapping_and_an_array():
    items, scores = np.array([0, 1, 2]), np.array([1.0, 0.9, 0.8])
    out_items, out_scores = business_boost(items, scores, {2: 0.5, 7: 3.0})  # unnamed items: 0; extra keys: ignored
    assert out_items.tolist() == [2, 0, 1]
    np.testing.assert_allclose(out_scores, [1.3, 1.0, 0.9])
    out_items, out_scores = business_boost(items, scores, np.array([0.0, 0.3, -0.5]))
    assert out_items.tolist() == [1, 0, 2]
    np.testing.assert_allclose(out_scores, [1.2, 1.0, 0.3])


# --- genre distributions ----------------------------------------------------------------------


TABLE = pd.DataFrame(
    {"genres": [("Drama",), ("Comedy", "Drama"), ("Action", "Comedy", "Drama")], "category": list("bab")}
)


def test_genre_matrix_from_tuples_and_from_single_labels():
    matrix, names = genre_matrix(TABLE)
    assert names == ["Action", "Comedy", "Drama"]
    np.testing.assert_allclose(matrix.toarray(), [[0, 0, 1], [0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    matrix, names = genre_matrix(TABLE, column="category")
    assert names == ["a", "b"]
    np.testing.assert_array_equal(matrix.toarray(), [[0, 1], [1, 0], [0, 1]])
    with pytest.raises(ValueError, match="no column 'genre'"):
        genre_matrix(TABLE, column="genre")


def test_genre_profiles_average_the_history_and_leave_newcomers_at_zero():
    matrix, _ = genre_matrix(TABLE)
    interactions = pd.DataFrame({"user_id": [0, 0, 2, 2], "item_id": [0, 1, 2, 0]})
    profiles = genre_profiles(interactions, matrix, n_users=3)
    # user 0: mean of (0, 0, 1) and (0, ½, ½); user 1: no history; user 2: mean of (⅓, ⅓, ⅓) and (0, 0, 1)
    np.testing.assert_allclose(profiles, [[0, 0.25, 0.75], [0, 0, 0], [1 / 6, 1 / 6, 2 / 3]])


# --- calibration and distribution measures (evaluation.py) ------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_calibration_kl_equals_scipy_relative_entropy(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    p[0] = 0.0  # a genre the user never watched contributes nothing
    p /= p.sum()
    for alpha in (0.01, 0.5, 1.0):
        mixed = (1 - alpha) * q + alpha * p
        assert float(ev.calibration_kl(p, q, alpha)) == pytest.approx(scipy.stats.entropy(p, mixed))
    assert float(ev.calibration_kl(p, p)) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="alpha"):
        ev.calibration_kl(p, q, alpha=0.0)


def test_miscalibration_hand_example_with_padding():
    # list (0, 2): q = mean of (1, 0) and (½, ½) = (¾, ¼); p = (½, ½), α = .01: q̃ = (.7475, .2525).
    # list (1, pad): q = (0, 1); p = (1, 0): q̃ = (.01, .99), KL = ln(1/.01) = ln 100.
    item_genres = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    values = ev.miscalibration(np.array([[0, 2], [1, -1]]), sp.csr_matrix(item_genres), [[0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(values, [0.5 * np.log(0.5 / 0.7475) + 0.5 * np.log(0.5 / 0.2525), np.log(100)])
    with pytest.raises(ValueError, match="2 lists but 1 rows"):
        ev.miscalibration(np.array([[0, 2], [1, -1]]), item_genres, [[0.5, 0.5]])


def _slow_gini(counts):
    """Gini as the mean absolute difference: Σ_i Σ_j |c_i − c_j| / (2 n² mean(c))."""
    counts = np.asarray(counts, dtype=float)
    return sum(abs(a - b) for a in counts for b in counts) / (2 * len(counts) ** 2 * counts.mean())


@pytest.mark.parametrize("seed", range(5))
def test_distributional_coverage_and_gini_against_direct_formulas(seed):
    rng = np.random.default_rng(seed)
    recommended = np.where(rng.random((20, 5)) < 0.1, -1, rng.zipf(1.5, (20, 5)) % 12)  # some padding
    counts = np.bincount(recommended[recommended >= 0], minlength=15)
    assert ev.distributional_coverage(recommended) == pytest.approx(scipy.stats.entropy(counts, base=2))
    assert ev.gini_index(recommended, n_items=15) == pytest.approx(_slow_gini(counts))


def test_gini_and_entropy_hand_examples():
    assert ev.gini_index([[0, 1, 2, 3]], n_items=4) == pytest.approx(0.0)  # uniform
    for n in (2, 5, 10):  # one item takes every slot: (n − 1)/n
        assert ev.gini_index([[1], [1], [-1]], n_items=n) == pytest.approx((n - 1) / n)
    assert ev.gini_index([[-1]], n_items=3) == 0.0
    assert ev.distributional_coverage([[0, 1, 2, 3], [4, 5, 6, 7]]) == pytest.approx(3.0)  # 8 items equally: log2 8
    with pytest.raises(ValueError, match="item id 5, but n_items=3"):
        ev.gini_index([[5]], n_items=3)


def test_genre_coverage_ignores_padding():
    # padding −1 must not count as item 0's genre 0
    item_genres = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 1], [0, 0, 0]])
    values = ev.genre_coverage(np.array([[0, 1], [2, -1], [3, -1], [-1, -1]]), sp.csr_matrix(item_genres))
    np.testing.assert_allclose(values, [2 / 3, 2 / 3, 0.0, 0.0])


def test_serendipity_hand_example():
    # user 0: relevant {1, 2, 9}, popularity would show {1, 7}: only 2 is relevant and unexpected: 1/4.
    # user 1: relevant {4}, list (4, 5) plus padding: 4 is unexpected: 1/2 (padding is not the list).
    relevant = sp.csr_matrix(([1, 1, 1, 1], ([0, 0, 0, 1], [1, 2, 9, 4])), shape=(2, 10))
    recommended, expected = np.array([[0, 1, 2, 3], [4, 5, -1, -1]]), np.array([[1, 7], [8, -1]])
    np.testing.assert_allclose(ev.serendipity(recommended, relevant, expected), [0.25, 0.5])
    with pytest.raises(ValueError, match="one list per user"):
        ev.serendipity(recommended, relevant, np.array([[1, 7]]))


# --- RerankPipeline ---------------------------------------------------------------------------


def test_pipeline_report_and_padding_on_a_hand_example():
    # user 0: (0 1 2 3 4); user 1: (3 1) padded. "drop seen" removes item 1 from both lists without
    # moving anything; the top 3 changes for both. "promote" lifts item 4 (score 1 + 10) to the top of
    # user 0's (0 2 3 4): all 4 kept items move, the top 2 changes; user 1's (3) is untouched.
    steps = [("drop seen", lambda user, i, s: filter_items(i, s, {1})),
             ("promote", lambda user, i, s: business_boost(i, s, {4: 10.0}))]
    items = np.array([[0, 1, 2, 3, 4], [3, 1, -1, -1, -1]])
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0], [2.0, 1.0, np.nan, np.nan, np.nan]])
    result = RerankPipeline(steps).apply([10, 11], items, scores, k=3)
    np.testing.assert_array_equal(result.items, [[4, 0, 2], [3, -1, -1]])
    np.testing.assert_array_equal(result.scores, [[11.0, 5.0, 3.0], [2.0, np.nan, np.nan]])
    assert result.report.loc["drop seen"].tolist() == [1.0, 0.0, 1.0]
    assert result.report.loc["promote"].tolist() == [0.0, 2.0, 0.5]
    assert RerankPipeline(steps).rerank(10, items[0], scores[0])[0].tolist() == [4, 0, 2, 3]


@pytest.mark.parametrize("rule", [lambda user, i, s: (np.r_[i, i[:1]], np.r_[s, s[:1]]),  # a duplicate
                                  lambda user, i, s: (np.r_[i, 99], np.r_[s, 0.0])])  # an invented item
def test_pipeline_rejects_a_rule_that_repeats_or_invents_items(rule):
    pipeline = RerankPipeline([("fine", lambda user, i, s: (i, s)), ("bad", rule)])
    with pytest.raises(ValueError, match="rule 'bad' repeated an item or returned one that was not in its input"):
        pipeline.apply([0], np.array([[0, 1, 2]]), np.array([[3.0, 2.0, 1.0]]))
    with pytest.raises(ValueError, match="rule 'bad'"):
        pipeline.rerank(0, [0, 1, 2], [3.0, 2.0, 1.0])


# --- simulate_feedback_loop -------------------------------------------------------------------


def _loop(fit, histories, **kwargs):
    interactions = pd.DataFrame(
        [(user, item) for user, items in histories.items() for item in items], columns=["user_id", "item_id"]
    )
    return simulate_feedback_loop(fit, interactions, users=list(histories), **kwargs)


def test_feedback_loop_with_a_fixed_model_walks_down_its_ranking():
    # Scores ignore the history: item 0 best, then 1, 2, ... Item 3 is already seen. Each session shows
    # the next k unseen items and the user takes the first, so session s shows the ranking minus item 3
    # minus the first s accepted items.
    fixed = lambda interactions: lambda history: -np.arange(10.0)  # noqa: E731
    shown = _loop(fixed, {0: [3]}, n_sessions=4, k=3)
    unseen = [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert shown.shape == (1, 4, 3)
    assert shown[0].tolist() == [unseen[s : s + 3] for s in range(4)]
    # two accepted a session; a candidate pool smaller than k pads with -1; users are independent
    shown = _loop(fixed, {0: [9], 1: [8]}, n_sessions=2, k=3, n_accepted=2, n_candidates=2)
    assert shown.tolist() == [[[0, 1, -1], [2, 3, -1]], [[0, 1, -1], [2, 3, -1]]]


def test_feedback_loop_calls_rerank_with_the_user_history_and_candidates():
    calls = []

    def reverse(user, history, items, scores):
        calls.append((user, history.tolist(), items.tolist(), scores.tolist()))
        return items[::-1], scores[::-1]

    fixed = lambda interactions: lambda history: -np.arange(6.0)  # noqa: E731
    shown = _loop(fixed, {7: [5]}, n_sessions=2, k=2, n_candidates=3, rerank=reverse)
    # session 0: candidates 0 1 2, reversed 2 1 0: shows (2, 1), the user takes 2
    assert calls == [(7, [5], [0, 1, 2], [0.0, -1.0, -2.0]), (7, [5, 2], [0, 1, 3], [0.0, -1.0, -3.0])]
    assert shown.tolist() == [[[2, 1], [3, 1]]]


def test_feedback_loop_refits_on_the_logged_acceptances():
    # The model scores items by how often they appear in its training data: a refit sees the log.
    fits = []

    def fit(interactions):
        fits.append(interactions[["user_id", "item_id"]].to_numpy().tolist())
        counts = np.bincount(interactions["item_id"], minlength=6).astype(float)
        return lambda history: counts - 0.01 * np.arange(6)  # ties: the lower id first

    shown = _loop(fit, {0: [0], 1: [0, 1]}, n_sessions=3, k=1, refit_every=2)
    assert len(fits) == 2  # at the start, and before session 2
    assert fits[1] == [[0, 0], [1, 0], [1, 1], [0, 1], [1, 2], [0, 2], [1, 3]]  # training rows, then the log
    # item 1 (count 1) leads at first; after the refit, 2 has been accepted twice
    assert shown[:, :, 0].tolist() == [[1, 2, 3], [2, 3, 4]]
    _loop(fit, {0: [0], 1: [0, 1]}, n_sessions=3, k=1)
    assert len(fits) == 3  # one fit only


# --- bad input --------------------------------------------------------------------------------

ITEMS, S = np.array([0, 1, 2]), np.array([3.0, 2.0, 1.0])
VECTORS, GENRES, P = np.eye(3), np.eye(3), np.ones(3) / 3
SAME = ("same", lambda user, i, s: (i, s))


@pytest.mark.parametrize("call, message", [
    (lambda: filter_items([0, 1], [1.0], {0}), "filter_items: items and scores must be 1-D arrays of one length"),
    (lambda: category_cap([0, 1, 1], S, list("abc"), 1), "category_cap: the list holds an item twice"),
    (lambda: calibrate([0, 2, 0], S, GENRES, P, 0.5, 2), "calibrate: the list holds an item twice"),
    (lambda: freshness_boost(ITEMS, [1.0, np.nan, 0.0], [1.0] * 3), "freshness_boost: scores contain NaN"),
    (lambda: business_boost([0, -1, 2], S, [0.0] * 3), r"business_boost: item ids must be ≥ 0 \(strip the -1 padding"),
    (lambda: filter_items([0.0, 1.0], [1.0, 0.0], {0}), "filter_items: items must be integer item ids"),
    (lambda: category_cap(ITEMS, S, list("abc"), 0), "max_per_category must be an integer ≥ 1, got 0"),
    (lambda: category_cap(ITEMS, S, list("abc"), 1.5), "max_per_category must be an integer ≥ 1, got 1.5"),
    (lambda: category_cap(ITEMS, S, list("abc"), 1, window=0), "window must be None or an integer ≥ 1, got 0"),
    (lambda: category_cap(ITEMS, S, list("ab"), 1), "category_cap: unknown item id 2; categories covers ids 0..1"),
    (lambda: category_cap(ITEMS, S, {0: "a", 1: "b"}, 1),
     r"category_cap: categories has no entry for item id\(s\) \[2\]"),
    (lambda: mmr(ITEMS, S, VECTORS, lam=1.5, k=2), r"mmr: lam must lie in \[0, 1\], got 1.5"),
    (lambda: mmr(ITEMS, S, VECTORS, lam=-0.1, k=2), r"mmr: lam must lie in \[0, 1\]"),
    (lambda: calibrate(ITEMS, S, GENRES, P, lam=1.01, k=2), r"calibrate: lam must lie in \[0, 1\]"),
    (lambda: mmr(ITEMS, S, VECTORS, 0.5, k=0), "mmr: k must be an integer ≥ 1, got 0"),
    (lambda: calibrate(ITEMS, S, GENRES, P, 0.5, k=0), "calibrate: k must be an integer ≥ 1"),
    (lambda: mmr(ITEMS, S, VECTORS, 0.5, 2, n_pinned=-1), "mmr: n_pinned must be an integer ≥ 0, got -1"),
    (lambda: calibrate(ITEMS, S, GENRES, P, 0.5, 2, n_pinned=-1), "calibrate: n_pinned must be an integer ≥ 0"),
    (lambda: mmr(ITEMS, S, VECTORS[:2], 0.5, 2), "mmr: unknown item id 2; item_vectors covers ids 0..1"),
    (lambda: mmr(ITEMS, S, np.ones(3), 0.5, 2), r"mmr: item_vectors must be an \(n_items, m\) matrix"),
    (lambda: calibrate(ITEMS, S, sp.csr_matrix(GENRES[:2]), P, 0.5, 2), "calibrate: unknown item id 2; item_genres"),
    (lambda: calibrate(ITEMS, S, GENRES, [0.5, 0.5], 0.5, 2), "calibrate: user_genre_history must hold 3 non-negative"),
    (lambda: calibrate(ITEMS, S, GENRES, [1.0, -0.5, 0.5], 0.5, 2), "user_genre_history must hold 3 non-negative"),
    (lambda: freshness_boost(ITEMS, S, [1.0] * 3, half_life_days=0), "half_life_days must be > 0, got 0"),
    (lambda: freshness_boost(ITEMS, S, [1.0, -2.0, 0.0]), "freshness_boost: item ages must be ≥ 0 days, got -2.0"),
    (lambda: freshness_boost(ITEMS, S, [1.0, 2.0]), "freshness_boost: unknown item id 2; item_age_days"),
    (lambda: freshness_boost(ITEMS, S, {0: 1.0}), "freshness_boost: item_age_days has no entry"),
    (lambda: business_boost(ITEMS, S, [0.0, 1.0]), "business_boost: unknown item id 2; boosts covers ids 0..1"),
    (lambda: RerankPipeline([]).apply([0], np.array([[0, 1]]), np.array([[1.0, 0.0]]), k=0),
     "k must be an integer ≥ 1"),
    (lambda: RerankPipeline([]).apply([0], np.array([[0, 0]]), np.array([[1.0, 0.0]])),
     "RerankPipeline: the list holds an item twice"),
    (lambda: RerankPipeline([SAME]).apply([0, 1], np.array([[0, 1]]), np.array([[1.0, 0.0]])), "one user id per row"),
    (lambda: RerankPipeline([SAME, SAME]).apply([0], np.array([[0, 1]]), np.array([[1.0, 0.0]])),
     "step names must be distinct"),
    (lambda: RerankPipeline([("short", lambda user, i, s: (i[:1], s))]).rerank(0, [0, 1], [1.0, 0.0]),
     "rule 'short' returned 1 items but 2 scores"),
])
def test_bad_input_is_rejected_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_negative_age_message_names_the_negative_age_even_next_to_a_missing_one():
    # NaN means "no age known" and is allowed; the message should report the offending −2, not NaN.
    with pytest.raises(ValueError, match="item ages must be ≥ 0 days, got -2.0"):
        freshness_boost(ITEMS, S, [np.nan, -2.0, 0.0])
