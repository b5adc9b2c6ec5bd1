import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from recsys_tutorial import evaluation as ev
from recsys_tutorial.models import Popularity


def _relevant(rows, n_items=10):
    """rows: list of {item: grade} dicts -> csr relevance matrix."""
    data, r, c = [], [], []
    for u, row in enumerate(rows):
        for item, grade in row.items():
            r.append(u), c.append(item), data.append(grade)
    return sp.csr_matrix((data, (r, c)), shape=(len(rows), n_items))


def test_hand_worked_example():
    recommended = np.array([[1, 2, 3, 4]])
    relevant = _relevant([{2: 1, 4: 1, 9: 1}])
    assert ev.precision_at_k(recommended, relevant)[0] == pytest.approx(2 / 4)
    assert ev.recall_at_k(recommended, relevant)[0] == pytest.approx(2 / 3)
    assert ev.hit_rate_at_k(recommended, relevant)[0] == 1
    assert ev.reciprocal_rank_at_k(recommended, relevant)[0] == pytest.approx(1 / 2)
    # hits at ranks 2 and 4: precision there 1/2 and 2/4; divided by min(k=4, R=3) = 3
    assert ev.average_precision_at_k(recommended, relevant)[0] == pytest.approx((1 / 2 + 2 / 4) / 3)
    assert ev.average_precision_at_k(recommended, relevant, normalize="R")[0] == pytest.approx((1 / 2 + 2 / 4) / 3)
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    idcg = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ev.ndcg_at_k(recommended, relevant)[0] == pytest.approx(dcg / idcg)


def test_map_normalisations_differ_when_more_relevant_than_k():
    recommended = np.array([[0, 1]])
    relevant = _relevant([{0: 1, 1: 1, 2: 1, 3: 1}])
    assert ev.average_precision_at_k(recommended, relevant)[0] == pytest.approx(1.0)  # min(k, R) = 2
    assert ev.average_precision_at_k(recommended, relevant, normalize="R")[0] == pytest.approx(0.5)


@pytest.mark.parametrize("graded", [False, True])
def test_ndcg_matches_scikit_learn(graded):
    rng = np.random.default_rng(0)
    n_users, n_items, k = 50, 30, 10
    truth = np.where(rng.random((n_users, n_items)) < 0.2, rng.integers(1, 6, (n_users, n_items)) if graded else 1, 0)
    truth[truth.sum(axis=1) == 0, 0] = 1
    scores = rng.random((n_users, n_items))  # distinct scores: no ties for sklearn to average
    recommended = np.argsort(-scores, axis=1)[:, :k]
    ours = ev.ndcg_at_k(recommended, sp.csr_matrix(truth.astype(float)))
    theirs = [ndcg_score(truth[[u]], scores[[u]], k=k) for u in range(n_users)]
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@st.composite
def ranking_cases(draw):
    n_items = draw(st.integers(5, 25))
    k = draw(st.integers(1, n_items))
    recommended = draw(st.permutations(list(range(n_items))))[:k]
    relevant = draw(st.sets(st.integers(0, n_items - 1), min_size=1, max_size=n_items))
    return np.array([recommended]), _relevant([{i: 1 for i in relevant}], n_items), relevant, k


@settings(max_examples=200, deadline=None)
@given(ranking_cases())
def test_metrics_lie_in_unit_interval(case):
    recommended, relevant, _, _ = case
    for metric in (ev.precision_at_k, ev.recall_at_k, ev.ndcg_at_k,
                   ev.average_precision_at_k, ev.reciprocal_rank_at_k, ev.hit_rate_at_k):
        value = metric(recommended, relevant)[0]
        assert 0 <= value <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(ranking_cases())
def test_a_perfect_ranking_scores_one(case):
    _, relevant, relevant_set, k = case
    n_items = relevant.shape[1]
    perfect = sorted(relevant_set) + [i for i in range(n_items) if i not in relevant_set]
    recommended = np.array([perfect[:k]])
    assert ev.ndcg_at_k(recommended, relevant)[0] == pytest.approx(1.0)
    assert ev.average_precision_at_k(recommended, relevant)[0] == pytest.approx(1.0)
    assert ev.recall_at_k(recommended, relevant)[0] == pytest.approx(min(k, len(relevant_set)) / len(relevant_set))


@settings(max_examples=200, deadline=None)
@given(ranking_cases(), st.randoms(use_true_random=False))
def test_permuting_non_relevant_items_changes_nothing(case, rnd):
    recommended, relevant, relevant_set, _ = case
    row = recommended[0].copy()
    misses = [j for j, item in enumerate(row) if item not in relevant_set]
    shuffled = [row[j] for j in misses]
    rnd.shuffle(shuffled)
    row[misses] = shuffled
    for metric in (ev.precision_at_k, ev.recall_at_k, ev.ndcg_at_k, ev.average_precision_at_k, ev.reciprocal_rank_at_k):
        assert metric(row[None, :], relevant)[0] == pytest.approx(metric(recommended, relevant)[0])


def test_padding_counts_as_a_miss():
    relevant = _relevant([{0: 1}])
    assert ev.precision_at_k(np.array([[0, -1]]), relevant)[0] == 0.5
    assert ev.ndcg_at_k(np.array([[-1, 0]]), relevant)[0] == pytest.approx(1 / np.log2(3))


def test_beyond_accuracy_metrics():
    recommended = np.array([[0, 1], [0, 2], [3, -1]])
    assert ev.coverage(recommended, n_items=8) == pytest.approx(4 / 8)
    popularity = np.array([50, 25, 0, 100])  # item 3 is in every training user's history
    novelty = ev.novelty(recommended, popularity, n_users=100)
    assert novelty[0] == pytest.approx((1 + 2) / 2)  # -log2(0.5), -log2(0.25)
    assert novelty[2] == pytest.approx(0.0)
    diversity = ev.intra_list_diversity(recommended, item_categories=["a", "a", "b", "b"])
    assert diversity.tolist() == [0.0, 1.0, 0.0]
    embeddings = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert ev.intra_list_diversity(recommended, item_embeddings=embeddings)[0] == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 30), st.integers(1, 5), st.integers(0, 1000))
def test_personalisation_matches_the_pairwise_definition(n_users, k, seed):
    rng = np.random.default_rng(seed)
    lists = np.array([rng.choice(12, size=k, replace=False) for _ in range(n_users)])
    overlaps = [len(set(lists[a]) & set(lists[b])) / k for a in range(n_users) for b in range(n_users) if a != b]
    assert ev.personalisation(lists) == pytest.approx(1 - np.mean(overlaps))


@pytest.mark.parametrize(
    "recommended, relevant, message",
    [
        (np.array([1, 2]), _relevant([{1: 1}]), "2-D"),
        (np.array([[1, 2], [3, 4]]), _relevant([{1: 1}]), "one row per user"),
        (np.array([[1, 20]]), _relevant([{1: 1}]), "must lie in 0..9"),
        (np.array([[1.0, 2.0]]), _relevant([{1: 1}]), "integer item ids"),
        (np.array([[1, 2]]), [[1]], "scipy sparse"),
    ],
)
def test_bad_metric_input_is_named(recommended, relevant, message):
    with pytest.raises(ValueError, match=message):
        ev.ndcg_at_k(recommended, relevant)


def _toy_split():
    train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2], "item_id": [0, 1, 0, 2, 3]})
    test = pd.DataFrame({"user_id": [0, 0, 1, 3], "item_id": [2, 0, 1, 0]})  # (0, 0) was seen in train
    return train, test


def test_evaluate_excludes_seen_items_and_counts_cold_users():
    train, test = _toy_split()
    model = Popularity().fit(train)
    per_user = ev.evaluate(model, train, test, k=2, per_user=True)
    assert per_user.index.tolist() == [0, 1, 3]  # user 2 has no test events; user 3 is cold
    # user 0: seen {0, 1}; Popularity ranks 0 (2 users) then 1, 2, 3 (1 each) -> recommends [2, 3]
    assert per_user.loc[0, "precision@2"] == 0.5  # item 2 relevant; item 0 was seen, so not relevant
    summary = ev.evaluate(model, train, test, k=2)
    assert summary["users"] == 3
    assert summary["ndcg@2"] == pytest.approx(per_user["ndcg@2"].mean())
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ev.evaluate(model, train, test, k=0)


def test_expected_top_k_breaks_ties_at_random():
    from recsys_tutorial.evaluation import _expected_top_k

    # No ties, 2 items above: rank 3. Five tied and none above: ranks 1..6 equally likely.
    hit, gain = _expected_top_k(np.array([2, 0, 12]), np.array([0, 5, 0]), k=3)
    assert hit.tolist() == [1.0, pytest.approx(3 / 6), 0.0]
    assert gain[0] == pytest.approx(1 / np.log2(4))
    assert gain[1] == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(4)) / 6)


def test_sampled_evaluate_draws_only_unseen_negatives():
    """A model that scores every item the user touched above the target fails on any seen negative."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"user_id": rng.integers(0, 30, 400), "item_id": rng.integers(0, 60, 400)})
    test = pd.DataFrame({"user_id": rng.integers(0, 30, 100), "item_id": rng.integers(0, 60, 100)})
    touched = ev.relevance_matrix(pd.concat([train, test]), 30, 60).toarray() > 0

    class SeenFirst(Popularity):
        def score_items(self, user_ids):
            # 2 for a training item, 1 for a test item (the targets), 0 for never touched.
            in_train = ev.relevance_matrix(train, 30, 60).toarray()[user_ids] > 0
            return np.where(in_train, 2.0, np.where(touched[user_ids], 1.0, 0.0))

    result = ev.sampled_evaluate(SeenFirst().fit(train), train, test, n_negatives=20, k=1, random_state=1)
    assert result["pairs"] > 0
    assert result["hit_rate@1"] == 1.0  # every negative scored 0: never a touched item

    # A model scoring every item the same: each target's rank is uniform over 21 positions.
    class Flat(Popularity):
        def score_items(self, user_ids):
            return np.zeros((len(user_ids), self.n_items_))

    flat = ev.sampled_evaluate(Flat().fit(train), train, test, n_negatives=20, k=5, random_state=1)
    assert flat["hit_rate@5"] == pytest.approx(5 / 21)


def test_confidence_interval_and_paired_test_match_scipy():
    rng = np.random.default_rng(0)
    a = pd.Series(rng.random(500))
    b = pd.Series(a + rng.normal(0.05, 0.1, 500))
    mean, low, high = ev.confidence_interval(a)
    ref_low, ref_high = scipy.stats.t.interval(0.95, df=499, loc=a.mean(), scale=scipy.stats.sem(a))
    assert (low, high) == (pytest.approx(ref_low), pytest.approx(ref_high))
    result = ev.paired_test(b, a)
    assert result["p-value"] == pytest.approx(scipy.stats.ttest_rel(b, a).pvalue)
    assert result["ci low"] < result["mean difference"] < result["ci high"]
    assert 0.04 < result["mean difference"] < 0.06


def test_zero_grades_are_not_relevant():
    test = pd.DataFrame({"user_id": [0, 0], "item_id": [1, 2], "rating": [0.0, 4.0]})
    relevant = ev.relevance_matrix(test, 1, 5, grade="rating")
    assert relevant.nnz == 1
    assert ev.recall_at_k(np.array([[2]]), relevant)[0] == 1.0


def test_relevance_can_leave_out_pairs_seen_in_training():
    train = pd.DataFrame({"user_id": [0, 1], "item_id": [2, 0]})
    test = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [2, 3, 1]})
    relevant = ev.relevance_matrix(test, 2, 4, seen_in=train)
    assert sorted(zip(*relevant.nonzero(), strict=True)) == [(0, 3), (1, 1)]
    assert ev.relevance_matrix(test, 2, 4).nnz == 3


def test_a_list_with_a_repeated_item_is_rejected_not_counted_twice():
    relevant = sp.csr_matrix(np.array([[0, 0, 0, 1.0]]))
    with pytest.raises(ValueError, match=r"row 0 lists an item more than once \(\[3, 3, 3\]\)"):
        ev.recall_at_k(np.array([[3, 3, 3]]), relevant)
    assert ev.recall_at_k(np.array([[3, -1, -1]]), relevant)[0] == 1.0  # repeated padding is fine


def test_sampled_evaluate_says_when_a_user_has_no_unseen_item_left():
    """A user who touched every item cannot get unseen negatives; never silently keep seen ones."""
    train = pd.DataFrame({"user_id": [0] * 9 + [1], "item_id": list(range(9)) + [9]})
    test = pd.DataFrame({"user_id": [0], "item_id": [9]})
    model = Popularity().fit(train)
    with pytest.raises(ValueError, match="could not draw 5 items that user 0 never interacted with"):
        ev.sampled_evaluate(model, train, test, n_negatives=5)


def test_metrics_at_cutoffs_match_evaluate_at_every_k(small_world):
    from recsys_tutorial import split
    from recsys_tutorial.models import ItemKNN

    train, test = split.temporal_split(small_world.interactions, test_fraction=0.2)
    for model in (Popularity().fit(train), ItemKNN().fit(train)):
        curves = ev.metrics_at_cutoffs(model, train, test, max_k=25)
        assert curves.index.tolist() == list(range(1, 26))
        for k in (1, 2, 7, 10, 25):
            summary = ev.evaluate(model, train, test, k=k)
            for metric in curves.columns:
                assert curves.loc[k, metric] == pytest.approx(summary[f"{metric}@{k}"], abs=1e-12), (metric, k)
        assert curves["recall"].is_monotonic_increasing and curves["hit_rate"].is_monotonic_increasing
    with pytest.raises(ValueError, match="max_k must be a positive integer"):
        ev.metrics_at_cutoffs(model, train, test, max_k=0)


def test_unseen_items_are_drawn_uniformly_and_never_a_touched_one():
    from recsys_tutorial.evaluation import _draw_unseen, _skip_keys

    touched = sp.csr_matrix(np.array([[1, 0, 1, 1, 0, 0, 1, 0],
                                      [0, 0, 0, 0, 0, 0, 0, 0],
                                      [1, 1, 1, 1, 1, 1, 1, 0]], dtype=float))
    free = 8 - np.diff(touched.indptr)
    users = np.array([0, 1, 2])
    draws = _draw_unseen(np.random.default_rng(0), users, 40_000, 8, free, _skip_keys(touched), touched.indptr)
    for user, row in zip(users, draws, strict=True):
        untouched = np.flatnonzero(touched[user].toarray().ravel() == 0)
        counts = np.bincount(row, minlength=8)
        assert set(np.flatnonzero(counts)) == set(untouched)  # every untouched item, and nothing else
        if len(untouched) > 1:  # uniform among them
            assert scipy.stats.chisquare(counts[untouched]).pvalue > 1e-3


class _Scripted(Popularity):
    """Scores set per (user, item) by a function of the user's target item: a model by hand."""

    def __init__(self, targets, scorer):
        super().__init__()
        self.targets, self.scorer = targets, scorer

    def _score(self, users):
        return np.stack([self.scorer(user, self.targets[user], self.n_items_) for user in users])


def test_sampled_metrics_can_reverse_a_full_ranking_comparison():
    """Krichene & Rendle's point, by hand: one model puts half the targets first and half last;
    another puts every target 15th of 1,000. Full ranking prefers the first (NDCG 0.5 against 0);
    against 100 random negatives the 15th place almost always wins, in every draw."""
    n_users, n_items = 200, 1_000
    rng = np.random.default_rng(0)
    targets = rng.integers(500, n_items, n_users)
    train = pd.DataFrame({"user_id": np.arange(n_users), "item_id": rng.integers(0, 500, n_users)})
    test = pd.DataFrame({"user_id": np.arange(n_users), "item_id": targets})
    train = pd.concat([train, pd.DataFrame({"user_id": [0], "item_id": [n_items - 1]})])  # every item known

    def all_or_nothing(user, target, n):
        scores = np.linspace(1, 0, n)
        scores[target] = 2.0 if user % 2 == 0 else -1.0
        return scores

    def always_fifteenth(user, target, n):
        scores = np.linspace(1, 0, n)
        scores[target] = (scores[13] + scores[14]) / 2  # 14 items above it
        return scores

    models = {"all or nothing": _Scripted(targets, all_or_nothing).fit(train),
              "always 15th": _Scripted(targets, always_fifteenth).fit(train)}  # fmt: skip
    full = {name: ev.evaluate(model, train, test)["ndcg@10"] for name, model in models.items()}
    assert full["all or nothing"] == pytest.approx(0.5, abs=0.01) and full["always 15th"] == 0.0
    draws = ev.sampled_comparison(models, train, test, n_negatives=100, n_draws=10, random_state=0)
    sampled = draws.pivot(index="draw", columns="model", values="ndcg@10")
    assert (sampled["all or nothing"] == 0.5).all()  # first for even users, last for odd ones, whatever the draw
    assert (sampled["always 15th"] > 0.6).all()  # reversed in every draw (expected NDCG about 0.65)
    assert (draws["pairs"] == n_users).all()


def test_sampled_evaluate_is_one_draw_of_sampled_comparison_and_models_share_negatives():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"user_id": rng.integers(0, 40, 600), "item_id": rng.integers(0, 80, 600)})
    test = pd.DataFrame({"user_id": rng.integers(0, 40, 150), "item_id": rng.integers(0, 80, 150)})
    model = Popularity().fit(train)
    draws = ev.sampled_comparison({"a": model, "b": Popularity().fit(train)}, train, test, n_negatives=10, k=3,
                                  n_draws=4, random_state=7)  # fmt: skip
    a, b = (draws[draws["model"] == name].reset_index(drop=True) for name in "ab")
    pd.testing.assert_frame_equal(a.drop(columns="model"), b.drop(columns="model"))  # the same negatives
    assert a["ndcg@3"].nunique() > 1  # fresh negatives in each draw
    one = ev.sampled_evaluate(model, train, test, n_negatives=10, k=3, random_state=7)
    assert one["ndcg@3"] == a["ndcg@3"].iloc[0] and one["hit_rate@3"] == a["hit_rate@3"].iloc[0]
    assert one["pairs"] == a["pairs"].iloc[0]
    again = ev.sampled_comparison({"a": model}, train, test, n_negatives=10, k=3, n_draws=4, random_state=7)
    np.testing.assert_array_equal(again["ndcg@3"], a["ndcg@3"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"models": {}}, "non-empty dict"),
        ({"n_draws": 0}, "n_draws must be a positive integer"),
        ({"n_negatives": 2.5}, "n_negatives must be a positive integer"),
        ({"k": True}, "k must be a positive integer"),
    ],
)
def test_sampled_comparison_names_bad_input(change, message):
    train, test = _toy_split()
    arguments = {"models": {"pop": Popularity().fit(train)}, "train": train, "test": test, **change}
    with pytest.raises(ValueError, match=message):
        ev.sampled_comparison(**arguments)


def test_sampled_comparison_needs_models_of_one_catalogue():
    train, test = _toy_split()
    small = Popularity().fit(train[train["item_id"] < train["item_id"].max()])
    with pytest.raises(ValueError, match="same catalogue"):
        ev.sampled_comparison({"all": Popularity().fit(train), "fewer": small}, train, test)


def test_held_out_users_are_the_users_evaluate_scores():
    from recsys_tutorial import split
    from recsys_tutorial.data import make_synthetic

    world = make_synthetic(n_users=300, n_items=200, n_interactions=5_000, random_state=3)
    train, test = split.per_user_temporal_split(world.interactions, test_fraction=0.2)
    users, relevant = ev.held_out_users(test, world.n_users, world.n_items, seen_in=train)
    scored = ev.evaluate(Popularity().fit(train), train, test, per_user=True)
    np.testing.assert_array_equal(users, scored.index.to_numpy())
    full = ev.relevance_matrix(test, world.n_users, world.n_items, seen_in=train)
    assert (relevant != full[users]).nnz == 0 and (np.diff(relevant.indptr) > 0).all()
    assert len(users) == full.getnnz(axis=1).astype(bool).sum() < world.n_users  # some users have no new item
