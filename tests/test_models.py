"""One contract over every retrieval model, then each model against an independent computation."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

from recsys_tutorial.data import make_synthetic
from recsys_tutorial.models import EASE, ItemKNN, NotFittedError, Oracle, Popularity
from recsys_tutorial.models.base import interaction_matrix


def checkerboard(n_users=40, n_items=20, holdout=True):
    """Even users have the even items, odd users the odd items; each user misses one of them."""
    rows = []
    for user in range(n_users):
        mine = [i for i in range(n_items) if i % 2 == user % 2]
        missing = mine[user // 2 % len(mine)] if holdout else None
        rows += [(user, item) for item in mine if item != missing]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


_ORACLE_WORLD = make_synthetic(n_users=60, n_items=30, n_interactions=600, n_categories=3, random_state=3)

MODELS = {
    "Popularity": lambda: Popularity(),
    "ItemKNN": lambda: ItemKNN(n_neighbors=10, shrink=0.0),
    "EASE": lambda: EASE(reg=10.0),
}
ALL_MODELS = {**MODELS, "Oracle": lambda: Oracle(_ORACLE_WORLD.truth)}
PERSONALISED = ["ItemKNN", "EASE"]


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
    assert with_seen.shape == (4, 5)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_vectorised_recommend_matches_the_slow_reference(name):
    model = ALL_MODELS[name]().fit(_train_for(name))
    users = np.arange(0, 30)
    for exclude in (True, False):
        fast_items, fast_scores = model.recommend(users, k=7, exclude_seen=exclude)
        slow_items, slow_scores = model._recommend_loop(users, k=7, exclude_seen=exclude)
        np.testing.assert_array_equal(fast_items, slow_items)
        np.testing.assert_allclose(fast_scores, slow_scores, rtol=1e-6)


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


def test_item_knn_keeps_n_neighbors_per_item_and_shrink_damps_rare_pairs():
    world = make_synthetic(n_users=300, n_items=60, n_interactions=3_000, n_categories=3, random_state=5)
    model = ItemKNN(n_neighbors=5, shrink=0.0).fit(world.interactions)
    assert (np.diff(model.similarity_.indptr) <= 5).all()
    shrunk = ItemKNN(n_neighbors=59, shrink=20.0).fit(world.interactions).similarity_.toarray()
    plain = ItemKNN(n_neighbors=59, shrink=0.0).fit(world.interactions).similarity_.toarray()
    assert (shrunk <= plain + 1e-12).all() and (shrunk < plain).any()


def test_oracle_recommends_by_the_truth():
    world = _ORACLE_WORLD
    model = Oracle(world.truth).fit(world.interactions)
    assert model.n_items_ == world.n_items
    scores = world.truth.scores([0, 1]).astype(float)
    np.testing.assert_allclose(model.score_items([0, 1]), scores, rtol=1e-6)
    with pytest.raises(ValueError, match="only synthetic worlds"):
        Oracle(None).fit(world.interactions)
