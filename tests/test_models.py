"""One contract over every retrieval model, then each model against an independent computation."""

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy import stats
from sklearn.metrics.pairwise import cosine_similarity

from recsys_tutorial.data import interaction_matrix, make_synthetic
from recsys_tutorial.models import (
    ALS,
    EASE,
    Item2Vec,
    ItemKNN,
    LightGCN,
    MatrixFactorization,
    NotFittedError,
    Oracle,
    Popularity,
    SASRec,
    TwoTower,
)
from recsys_tutorial.models.base import recency_weighted_history, top_k


def checkerboard(n_users=40, n_items=20, holdout=True):
    """Even users have the even items, odd users the odd items; each user misses one of them."""
    rows = []
    for user in range(n_users):
        mine = [i for i in range(n_items) if i % 2 == user % 2]
        missing = mine[user // 2 % len(mine)] if holdout else None
        rows += [(user, item) for item in mine if item != missing]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id"])
    return frame.assign(rating=np.where(frame["item_id"] % 4 < 2, 5.0, 1.0))  # for the MSE model


_ORACLE_WORLD = make_synthetic(n_users=60, n_items=30, n_interactions=600, n_categories=3, random_state=3)

MODELS = {
    "Popularity": lambda: Popularity(),
    "ItemKNN": lambda: ItemKNN(n_neighbors=10, shrink=0.0),
    "EASE": lambda: EASE(reg=10.0),
    "MF-BPR": lambda: MatrixFactorization(
        loss="bpr", n_factors=8, n_epochs=60, batch_size=64, learning_rate=0.05, reg=1e-3
    ),
    "MF-MSE": lambda: MatrixFactorization(loss="mse", n_factors=8, n_epochs=20, batch_size=64),
    "ALS": lambda: ALS(n_factors=8, n_epochs=10, alpha=5.0),
    "TwoTower": lambda: TwoTower(n_factors=8, hidden=(16,), n_epochs=40, batch_size=64, learning_rate=0.02),
    "LightGCN": lambda: LightGCN(n_factors=8, n_layers=2, n_epochs=60, batch_size=64, learning_rate=0.05, reg=1e-4),
    "Item2Vec": lambda: Item2Vec(n_factors=8, window=3, n_epochs=60, batch_size=64, learning_rate=0.05),
    "SASRec": lambda: SASRec(n_factors=16, max_len=10, n_epochs=60, batch_size=16, dropout=0.1, learning_rate=0.01),
}
ALL_MODELS = {**MODELS, "Oracle": lambda: Oracle(_ORACLE_WORLD.truth)}
# SASRec is left out: it predicts what follows a user's latest item, not which item is missing from the
# middle of an ordered block (tests/test_sequence_graph_models.py checks what it does learn).
PERSONALISED = ["ItemKNN", "EASE", "MF-BPR", "ALS", "TwoTower", "LightGCN", "Item2Vec"]
EMBEDDING_MODELS = ["MF-BPR", "MF-MSE", "ALS", "TwoTower", "LightGCN", "Item2Vec"]


def _train_for(name):
    return _ORACLE_WORLD.interactions if name == "Oracle" else checkerboard()


@pytest.mark.parametrize("name", ALL_MODELS)
def test_contract_shapes_exclusion_and_fallback(name):
    train = _train_for(name)
    model = ALL_MODELS[name]()
    assert model.fit(train) is model
    users = np.array([0, 1, 2, 3, 10_000])  # the last one is unknown: popularity fallback
    items, scores = model.recommend(users, k=5)
    assert items.shape == scores.shape == (5, 5)
    assert items.dtype == np.int64
    assert np.all(np.diff(scores, axis=1) <= 0), "best first"
    seen = interaction_matrix(train)
    for row, user in enumerate(users[:-1]):
        assert not set(items[row]) & set(seen[user].indices), "exclude_seen=True must drop training items"
    popular = np.argsort(-np.asarray(seen.sum(axis=0)).ravel(), kind="stable")[:5]
    assert items[-1].tolist() == popular.tolist()
    with_seen, _ = model.recommend(users[:-1], k=5, exclude_seen=False)
    assert with_seen.tolist() == top_k(model.score_items(users[:-1]), 5)[0].tolist(), "no exclusion: the plain top-k"
    assert any(set(with_seen[row]) & set(seen[user].indices) for row, user in enumerate(users[:-1]))


@pytest.mark.parametrize("name", ALL_MODELS)
def test_vectorised_recommend_matches_the_slow_reference(name):
    model = ALL_MODELS[name]().fit(_train_for(name))
    users = np.r_[np.arange(0, 30), [5_000, 70]]  # with unknown users (the fallback path)
    for exclude in (True, False):
        fast_items, fast_scores = model.recommend(users, k=7, exclude_seen=exclude)
        slow_items, slow_scores = model._recommend_loop(users, k=7, exclude_seen=exclude)
        np.testing.assert_array_equal(fast_items, slow_items)
        np.testing.assert_allclose(fast_scores, slow_scores, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PERSONALISED)
def test_personalised_models_find_the_missing_item_of_the_users_block(name):
    model = MODELS[name]().fit(checkerboard())
    items, _ = model.recommend(np.arange(40), k=1)
    for user in range(40):
        mine = [i for i in range(20) if i % 2 == user % 2]
        assert items[user, 0] == mine[user // 2 % len(mine)]


@pytest.mark.parametrize("name", MODELS)
def test_bad_input_names_the_problem(name):
    model = MODELS[name]()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.recommend([0])
    with pytest.raises(ValueError, match="empty"):
        model.fit(checkerboard().iloc[:0])
    with pytest.raises(ValueError, match="missing column 'item_id'"):
        model.fit(checkerboard().drop(columns="item_id"))
    with pytest.raises(ValueError, match="must be >= 0"):
        model.fit(checkerboard().assign(user_id=-1))
    with pytest.raises(ValueError, match="must hold integers"):
        model.fit(checkerboard().assign(item_id=0.5))
    model.fit(checkerboard())
    for bad_k in (0, -3, 21, 2.5):
        with pytest.raises(ValueError, match="k must be an integer"):
            model.recommend([0], k=bad_k)
    with pytest.raises(ValueError, match="user_ids must be >= 0"):
        model.recommend([-1])
    with pytest.raises(ValueError, match="1-D array of integers"):
        model.recommend([0.5])


def test_short_lists_are_padded_with_minus_one():
    train = pd.DataFrame({"user_id": [0, 0, 0, 1], "item_id": [0, 1, 2, 3]})
    items, scores = EASE(reg=1.0).fit(train).recommend([0], k=4)
    assert items[0, 1:].tolist() == [-1, -1, -1] and np.isneginf(scores[0, 1:]).all()


def test_refitting_forgets_the_previous_fit():
    model = Popularity().fit(pd.DataFrame({"user_id": [0, 1], "item_id": [5, 5]}))
    model.fit(pd.DataFrame({"user_id": [0, 1], "item_id": [0, 1]}))
    assert model.n_items_ == 2


def test_ease_matches_independent_ridge_regressions():
    """EASE's closed form equals, column by column, a ridge regression of x_j on the other items."""
    world = make_synthetic(n_users=300, n_items=40, n_interactions=3_000, n_categories=4, random_state=2)
    reg = 7.0
    model = EASE(reg=reg).fit(world.interactions)
    X = interaction_matrix(world.interactions).toarray().astype(float)
    for j in [0, 5, 17, 39]:
        others = np.delete(np.arange(X.shape[1]), j)
        A = X[:, others]
        b = np.linalg.solve(A.T @ A + reg * np.eye(len(others)), A.T @ X[:, j])
        np.testing.assert_allclose(model.item_weights_[others, j], b, rtol=1e-4, atol=1e-6)
        assert model.item_weights_[j, j] == 0


def test_item_knn_matches_sklearn_cosine_without_shrink_or_truncation():
    world = make_synthetic(n_users=200, n_items=30, n_interactions=1_500, n_categories=3, random_state=4)
    model = ItemKNN(n_neighbors=29, shrink=0.0).fit(world.interactions)
    X = interaction_matrix(world.interactions)
    reference = cosine_similarity(X.T.toarray().astype(np.float64))
    np.fill_diagonal(reference, 0.0)
    np.testing.assert_allclose(model.similarity_.toarray(), reference, atol=1e-9)
    np.testing.assert_allclose(model.score_items([0, 1]), X[[0, 1]].toarray() @ reference, atol=1e-9)


def test_recency_weighted_scoring_weighs_the_history_and_leaves_the_fit_alone():
    """EASE and item-kNN with a half-life: the same weights, the user's row replaced by its recency weights."""
    world = make_synthetic(n_users=200, n_items=30, n_interactions=1_500, n_categories=3, random_state=4)
    X = interaction_matrix(world.interactions)
    recent = recency_weighted_history(world.interactions, X.shape, half_life=2.0).toarray()
    assert recent.max() == 1.0 and ((recent > 0) == (X.toarray() > 0)).all()
    users = np.sort(world.interactions["user_id"].unique())[[0, 1, -1]]  # users with a history
    for model_class in (EASE, ItemKNN):
        plain = model_class().fit(world.interactions)
        weighted = model_class(half_life=2.0).fit(world.interactions)
        weights = plain.item_weights_ if model_class is EASE else plain.similarity_.toarray()
        np.testing.assert_allclose(weighted.item_weights_ if model_class is EASE else weighted.similarity_.toarray(),
                                   weights)
        np.testing.assert_allclose(weighted.score_items(users), recent[users] @ weights, rtol=1e-5, atol=1e-6)
        # A half-life far beyond any history weighs every item (nearly) 1: the original model.
        np.testing.assert_allclose(model_class(half_life=1e9).fit(world.interactions).score_items(users),
                                   plain.score_items(users), rtol=1e-5, atol=1e-6)


def test_item_knn_keeps_n_neighbors_per_item_and_shrink_damps_rare_pairs():
    world = make_synthetic(n_users=300, n_items=60, n_interactions=3_000, n_categories=3, random_state=5)
    model = ItemKNN(n_neighbors=5, shrink=0.0, batch_size=7).fit(world.interactions)
    assert (np.diff(model.similarity_.indptr) <= 5).all()
    full = ItemKNN(n_neighbors=59, shrink=0.0).fit(world.interactions).similarity_.toarray()
    kept = model.similarity_.toarray()
    for item in range(60):  # the kept neighbours are the most similar ones
        if kept[item].any():
            assert kept[item][kept[item] > 0].min() >= np.sort(full[item])[-5] - 1e-12
    shrunk = ItemKNN(n_neighbors=59, shrink=20.0).fit(world.interactions).similarity_.toarray()
    plain = ItemKNN(n_neighbors=59, shrink=0.0).fit(world.interactions).similarity_.toarray()
    assert (shrunk <= plain + 1e-12).all() and (shrunk < plain).any()


def test_short_lists_pad_in_the_slow_reference_too():
    train = pd.DataFrame({"user_id": [0, 0, 0, 1], "item_id": [0, 1, 2, 3]})
    model = EASE(reg=1.0).fit(train)
    np.testing.assert_array_equal(model.recommend([0], k=4)[0], model._recommend_loop([0], k=4)[0])


def test_oracle_knows_users_without_training_history():
    world = _ORACLE_WORLD
    train = world.interactions[world.interactions["user_id"] < 30]
    model = Oracle(world.truth).fit(train)
    items, _ = model.recommend([45], k=3)  # no training events, but the oracle knows the tastes
    expected = np.argsort(-world.truth.scores([45])[0], kind="stable")[:3]
    np.testing.assert_array_equal(items[0], expected)


def test_oracle_recommends_by_the_truth():
    world = _ORACLE_WORLD
    model = Oracle(world.truth).fit(world.interactions)
    assert model.n_items_ == world.n_items
    scores = world.truth.scores([0, 1]).astype(float)
    np.testing.assert_allclose(model.score_items([0, 1]), scores, rtol=1e-6)
    with pytest.raises(ValueError, match="only synthetic worlds"):
        Oracle(None).fit(world.interactions)


@pytest.mark.parametrize("name", EMBEDDING_MODELS)
def test_embedding_models_are_reproducible_and_export_float32(name, tmp_path):
    train = checkerboard()
    a = MODELS[name]().fit(train)
    b = MODELS[name]().fit(train)
    np.testing.assert_array_equal(a.item_embeddings(), b.item_embeddings())
    assert a.user_embeddings().dtype == a.item_embeddings().dtype == np.float32
    assert a.user_embeddings().shape[0] == 40 and a.item_embeddings().shape[0] == 20
    assert list(a.history_.columns) == ["loss"] and a.history_.index.tolist() == list(range(1, a.n_epochs + 1))


@pytest.mark.parametrize("name", list(MODELS))
def test_save_and_load_round_trip_to_identical_recommendations(name, tmp_path):
    model = MODELS[name]().fit(checkerboard())
    path = tmp_path / f"{name}.model"
    model.save(path)
    loaded = type(model).load(path)
    users = np.arange(0, 45)
    for a, b in zip(model.recommend(users, k=5), loaded.recommend(users, k=5), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="not a"):
        (EASE if name != "EASE" else Popularity).load(path)


@pytest.mark.parametrize(
    "model, message",
    [
        (MatrixFactorization(n_factors=0), "n_factors must be a positive integer"),
        (MatrixFactorization(loss="hinge"), "loss must be 'bpr' or 'mse'"),
        (MatrixFactorization(learning_rate=-1.0), "learning_rate must be a positive number"),
        (ALS(n_factors=-4), "n_factors must be a positive integer"),
        (ALS(alpha=-1.0), "alpha must be >= 0"),
        (ALS(dtype="float16"), "dtype must be 'float64' or 'float32'"),
        (TwoTower(n_factors=0), "n_factors must be a positive integer"),
        (TwoTower(temperature=0.0), "temperature must be a positive number"),
        (ItemKNN(n_neighbors=0), "n_neighbors must be a positive integer"),
        (EASE(reg=0.0), "reg must be > 0"),
        (EASE(half_life=-1.0), "EASE: half_life must be a positive number or None"),
        (ItemKNN(half_life="3"), "ItemKNN: half_life must be a positive number or None"),
        (LightGCN(n_layers=-1), "n_layers must be an integer >= 0"),
        (Item2Vec(window=0), "window must be a positive integer"),
        (Item2Vec(half_life=0.0), "half_life must be a positive number"),
        (SASRec(n_factors=30, n_heads=4), "n_factors \\(30\\) must be divisible by n_heads \\(4\\)"),
        (SASRec(dropout=1.0), "dropout must be in \\[0, 1\\)"),
        (SASRec(n_negatives=0), "n_negatives must be a positive integer"),
    ],
)
def test_bad_hyperparameters_are_named(model, message):
    with pytest.raises(ValueError, match=message):
        model.fit(checkerboard())


def test_mse_needs_ratings_and_two_tower_checks_its_side_features():
    with pytest.raises(ValueError, match="needs a 'rating' column"):
        MatrixFactorization(loss="mse").fit(checkerboard().drop(columns="rating"))
    with pytest.raises(ValueError, match="item_features must be indexed by id and cover ids 0..19; 17 ids are missing"):
        TwoTower().fit(checkerboard(), item_features=pd.DataFrame({"category": ["a", "b", "c"]}))
    items = pd.DataFrame({"category": [None] + ["a"] * 19})
    with pytest.raises(ValueError, match="missing values"):
        TwoTower().fit(checkerboard(), item_features=items)


def test_two_tower_uses_side_features_and_stays_unit_norm():
    items = pd.DataFrame({"parity": [i % 2 for i in range(20)]})
    model = TwoTower(n_factors=8, hidden=(16,), n_epochs=30, batch_size=64, learn_temperature=True).fit(
        checkerboard(), item_features=items
    )
    np.testing.assert_allclose(np.linalg.norm(model.item_embeddings(), axis=1), 1.0, rtol=1e-5)
    assert model.temperature_ > 0 and model.temperature_ != 0.1  # learnt, still positive


def test_mse_model_learns_ratings():
    model = MODELS["MF-MSE"]().fit(checkerboard())
    train = checkerboard()
    predicted = model.predict_rating(train["user_id"], train["item_id"])
    assert np.sqrt(np.mean((predicted - train["rating"]) ** 2)) < 0.5  # ratings are 1 or 5


def test_als_objective_decreases_and_matches_a_dense_computation():
    from recsys_tutorial.models.als import _objective, _SparseConfidence

    model = ALS(n_factors=4, n_epochs=8, alpha=3.0).fit(checkerboard())
    assert all(b <= a + 1e-9 for a, b in pairwise(model.history_["loss"]))
    X = interaction_matrix(checkerboard())
    C = X.copy()
    C.data = 1 + 3.0 * C.data
    dense_c = 1 + 3.0 * X.toarray()
    prediction = model.user_factors_ @ model.item_factors_.T
    reference = (dense_c * (X.toarray() - prediction) ** 2).sum() + 0.01 * (
        (model.user_factors_**2).sum() + (model.item_factors_**2).sum()
    )
    ours = _objective(
        _SparseConfidence(sp.csr_matrix(C, dtype=np.float64), np.dtype("float64")),
        torch.from_numpy(model.user_factors_),
        torch.from_numpy(model.item_factors_),
        0.01,
    )
    assert ours == pytest.approx(reference / X.shape[0] / X.shape[1], rel=1e-10)


def test_als_conjugate_gradient_converges_to_the_exact_solve():
    """With enough CG steps, one half-step equals the closed-form per-user solve."""
    from recsys_tutorial.models.als import _conjugate_gradient, _SparseConfidence

    rng = np.random.default_rng(0)
    X = interaction_matrix(checkerboard())
    C = X.copy()
    C.data = 1 + 4.0 * C.data
    Y = rng.standard_normal((20, 5))
    start = torch.zeros((40, 5), dtype=torch.float64)
    confidence = _SparseConfidence(sp.csr_matrix(C, dtype=np.float64), np.dtype("float64"))
    solved = _conjugate_gradient(confidence, start, torch.from_numpy(Y), reg=0.1, steps=25).numpy()
    for user in (0, 7, 39):
        c = C[user].toarray().ravel()
        c_full = np.where(c > 0, c, 1.0)
        p = (c > 0).astype(float)
        A = Y.T @ (c_full[:, None] * Y) + 0.1 * np.eye(5)
        exact = np.linalg.solve(A, Y.T @ (c_full * p))
        np.testing.assert_allclose(solved[user], exact, rtol=1e-8, atol=1e-10)


def test_als_float32_is_the_same_model_at_lower_precision():
    """float32 only trades the last digits (and cross-CPU sameness) for speed: same factors, nearly."""
    train = checkerboard()
    precise = ALS(n_factors=4, n_epochs=5, alpha=3.0).fit(train)
    fast = ALS(n_factors=4, n_epochs=5, alpha=3.0, dtype="float32").fit(train)
    assert precise.user_factors_.dtype == np.float64 and fast.user_factors_.dtype == np.float32
    np.testing.assert_allclose(fast.item_factors_, precise.item_factors_, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["MF-BPR", "TwoTower", "LightGCN", "Item2Vec"])
def test_sgd_models_train_in_float64(name):
    """float64 is what makes SGD-trained vectors the same on every CPU (see the model modules)."""
    model = MODELS[name]().fit(_train_for(name))
    assert model.user_factors_.dtype == model.item_factors_.dtype == np.float64


def test_matrix_factorization_restores_the_thread_setting_even_when_fit_fails(monkeypatch):
    threads = torch.get_num_threads()
    MatrixFactorization(n_epochs=2).fit(checkerboard())
    assert torch.get_num_threads() == threads

    def diverge(*args, **kwargs):
        raise FloatingPointError("diverged")

    monkeypatch.setattr(torch.nn.functional, "logsigmoid", diverge)  # fails inside the training loop
    with pytest.raises(FloatingPointError):
        MatrixFactorization(n_epochs=2).fit(checkerboard())
    assert torch.get_num_threads() == threads


def test_two_tower_aligns_side_features_by_id_not_by_position():
    """A side table in another row order is the same table: the model must learn the same thing."""
    items = pd.DataFrame({"parity": [i % 2 for i in range(20)]})
    shuffled = items.sample(frac=1.0, random_state=0)  # same rows, index order scrambled
    settings = dict(n_factors=8, hidden=(16,), n_epochs=5, batch_size=64)
    ordered_model = TwoTower(**settings).fit(checkerboard(), item_features=items)
    shuffled_model = TwoTower(**settings).fit(checkerboard(), item_features=shuffled)
    np.testing.assert_array_equal(ordered_model.item_embeddings(), shuffled_model.item_embeddings())


def test_a_failed_fit_leaves_the_model_unfitted_and_no_side_tables_behind():
    model = TwoTower(n_factors=4, hidden=(8,), n_epochs=1)
    with pytest.raises(ValueError, match="missing column"):
        model.fit(checkerboard().drop(columns="item_id"), item_features=pd.DataFrame({"c": ["a"] * 20}))
    assert not hasattr(model, "_item_features") and not hasattr(model, "_user_features")
    with pytest.raises(NotFittedError):
        model.recommend([0])


@pytest.mark.parametrize("name", ["EASE", "ItemKNN", "ALS", "MF-BPR"])
def test_a_failed_refit_does_not_serve_the_previous_fit(name):
    model = MODELS[name]().fit(checkerboard())
    broken = {"EASE": "reg", "ItemKNN": "n_neighbors", "ALS": "n_factors", "MF-BPR": "n_factors"}[name]
    setattr(model, broken, -1)
    with pytest.raises(ValueError, match=broken):
        model.fit(checkerboard())
    with pytest.raises(NotFittedError):
        model.recommend([0])


def test_nan_scores_are_reported_with_the_model_name():
    model = ALS(n_factors=2, n_epochs=1).fit(checkerboard())
    model.item_factors_[3] = np.nan  # what a diverged fit leaves behind
    with pytest.raises(ValueError, match="ALS: scores contain NaN"):
        model.recommend([0, 1])


def test_top_k_rejects_nan_instead_of_failing_to_reshape():
    from recsys_tutorial.models.base import top_k

    with pytest.raises(ValueError, match="top_k: scores contain NaN"):
        top_k(np.array([[0.3, np.nan, 0.1]]), 2)


@pytest.mark.parametrize("name", ["ALS", "MF-BPR", "TwoTower", "LightGCN", "Item2Vec"])
def test_random_state_none_means_not_reproducible_for_every_model(name):
    def fitted_vectors():
        model = MODELS[name]()
        model.random_state = None
        return model.fit(checkerboard()).item_embeddings()

    assert not np.array_equal(fitted_vectors(), fitted_vectors())


def test_bpr_negatives_are_never_positives_and_uniform_over_the_rest():
    from recsys_tutorial.models._training import sample_negatives

    rng = np.random.default_rng(0)
    n_users, n_items = 5, 8
    positives = rng.random((n_users, n_items)) < 0.6
    positives[:, 0] = False  # every user keeps a negative
    rows, cols = np.nonzero(positives)
    keys = torch.as_tensor(np.sort(rows * n_items + cols))
    users = torch.as_tensor(np.repeat(np.arange(n_users), 4000))
    negatives = sample_negatives(users, keys, n_items, torch.Generator().manual_seed(0)).numpy()
    assert not positives[users.numpy(), negatives].any()
    for user in range(n_users):
        counts = np.bincount(negatives[users.numpy() == user], minlength=n_items)[~positives[user]]
        assert stats.chisquare(counts).pvalue > 1e-3  # uniform over the user's non-positives


def test_bpr_uniform_negatives_are_an_option_that_changes_training():
    train = pd.DataFrame({"user_id": np.repeat(np.arange(20), 6), "item_id": np.arange(120) % 9})
    redrawn = MatrixFactorization(n_factors=4, n_epochs=3, random_state=0).fit(train)
    uniform = MatrixFactorization(n_factors=4, n_epochs=3, exclude_positives=False, random_state=0).fit(train)
    assert not np.allclose(redrawn.item_factors_, uniform.item_factors_)
    again = MatrixFactorization(n_factors=4, n_epochs=3, exclude_positives=False, random_state=0).fit(train)
    np.testing.assert_array_equal(uniform.item_factors_, again.item_factors_)


@pytest.mark.parametrize("model", [MatrixFactorization(loss="bpr"), LightGCN()], ids=["MF-BPR", "LightGCN"])
def test_bpr_rejects_a_log_without_negatives(model):
    train = pd.DataFrame({"user_id": [0, 0, 1, 1], "item_id": [0, 1, 0, 1]})
    with pytest.raises(ValueError, match="no negatives"):
        model.fit(train)


def test_ease_weights_are_row_major_so_scoring_does_not_copy_them():
    model = EASE(reg=10.0).fit(checkerboard())
    assert model.item_weights_.flags["C_CONTIGUOUS"]


def test_ease_inverse_matches_numpy():
    from recsys_tutorial.models.ease import _inverse_spd

    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 30))
    A = A @ A.T + 30 * np.eye(30)
    np.testing.assert_allclose(_inverse_spd(A), np.linalg.inv(A), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="not positive definite"):
        _inverse_spd(-np.eye(3))
