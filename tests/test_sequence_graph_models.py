"""Item2Vec, LightGCN and SASRec, each checked against an independent computation."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recsys_tutorial.data import interaction_matrix
from recsys_tutorial.models import Item2Vec, LightGCN, SASRec
from recsys_tutorial.models.base import item_sequences, recency_weighted_history
from recsys_tutorial.models.item2vec import _skipgram_pairs
from recsys_tutorial.models.lightgcn import _normalised_adjacency, _SymmetricSparseProduct
from recsys_tutorial.models.sasrec import SASRecNetwork, _drop_padding_columns, _latest_sequences


def walks(n_users=30, n_items=12, length=6, seed=0):
    """Every user walks forward through the items in a circle from a random start, one per day."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        start = rng.integers(n_items)
        rows += [(user, (start + step) % n_items, pd.Timestamp("2024-01-01") + pd.Timedelta(days=step))
                 for step in range(length)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_item_sequences_keep_first_occurrences_in_time_order():
    frame = pd.DataFrame({"user_id": [0, 0, 0, 1, 0], "item_id": [4, 2, 4, 9, 7],
                          "timestamp": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-03", "2024-01-01",
                                                       "2024-01-02"])})
    users, items = item_sequences(frame)
    # user 0: 2 (1 Jan), then 4 and 7 on 2 Jan in input order; the repeat of 4 on 3 Jan is dropped
    assert users.tolist() == [0, 0, 0, 1] and items.tolist() == [2, 4, 7, 9]


def test_skipgram_pairs_by_hand():
    users = np.array([0, 0, 0, 1, 1])
    items = np.array([5, 6, 7, 8, 9])
    targets, contexts = _skipgram_pairs(users, items, window=2)
    pairs = sorted(zip(targets.tolist(), contexts.tolist(), strict=True))
    expected = sorted([(5, 6), (6, 5), (6, 7), (7, 6), (5, 7), (7, 5), (8, 9), (9, 8)])  # never across users
    assert pairs == expected


def test_recency_weighted_history_by_hand():
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01"])
    frame = pd.DataFrame({"user_id": [0, 0, 0, 0, 1], "item_id": [0, 1, 0, 2, 1], "timestamp": days})
    weights = recency_weighted_history(frame, (2, 3), half_life=1.0).toarray()
    # user 0 met items 0, 1, 2 in that order (the repeat of 0 is not a new step): latest weighs 1, then 1/2, 1/4
    np.testing.assert_allclose(weights[0], [0.25, 0.5, 1.0])
    np.testing.assert_allclose(weights[1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(recency_weighted_history(frame, (2, 3), half_life=2.0).toarray()[0],
                               [0.5, 0.5**0.5, 1.0])
    with pytest.raises(ValueError, match="half_life must be a positive number"):
        recency_weighted_history(frame, (2, 3), half_life=0)


def test_item2vec_scores_are_pmi_plus_log_noise_probability():
    train = walks()
    model = Item2Vec(n_factors=8, window=2, n_epochs=5, batch_size=32).fit(train)
    d = model.n_factors
    user_mean, context = model.user_factors_[:, :d], model.item_factors_[:, :d]
    counts = np.bincount(item_sequences(train)[1], minlength=model.n_items_).astype(float)
    log_noise = np.log(counts**0.75 / (counts**0.75).sum())
    np.testing.assert_allclose(model.score_items(np.arange(5)), user_mean[:5] @ context.T + log_noise, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(model.item_vectors_, axis=1), 1.0)


def test_item2vec_learns_first_and_second_order_neighbours_of_the_walks():
    """v · w is high for items that occur next to each other (the context); v · v for items that
    share contexts: with a window of 1, i and i + 2 share i + 1, so they are the nearest v vectors."""
    model = Item2Vec(n_factors=16, window=1, n_epochs=150, batch_size=64, learning_rate=0.05).fit(walks(n_users=60))
    n = model.n_items_

    def circle_distance(nearest):
        return np.minimum((nearest - np.arange(n)) % n, (np.arange(n) - nearest) % n)

    d = model.n_factors
    context_score = model.item_vectors_ @ model.item_factors_[:, :d].T
    np.fill_diagonal(context_score, -np.inf)
    assert (circle_distance(context_score.argmax(axis=1)) == 1).mean() >= 0.75
    similarity = model.item_vectors_ @ model.item_vectors_.T
    np.fill_diagonal(similarity, -np.inf)
    assert (circle_distance(similarity.argmax(axis=1)) == 2).mean() >= 0.75


def test_normalised_adjacency_matches_a_dense_computation():
    X = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 0]], dtype=float))  # user 2 has no items
    dense = np.zeros((6, 6))
    dense[:3, 3:], dense[3:, :3] = X.toarray(), X.toarray().T
    degree = dense.sum(axis=1)
    inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0.0)
    expected = inv_sqrt[:, None] * dense * inv_sqrt[None, :]
    np.testing.assert_allclose(_normalised_adjacency(X).to_dense().numpy(), expected)


def test_symmetric_sparse_product_has_the_dense_gradient():
    X = interaction_matrix(walks(n_users=8, n_items=6, length=3))
    graph = _normalised_adjacency(X)
    dense = graph.to_dense()
    E = torch.randn(dense.shape[0], 4, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(dense.shape[0], 4, dtype=torch.float64)
    (_SymmetricSparseProduct.apply(E, graph) * weights).sum().backward()
    fast = E.grad.clone()
    E.grad = None
    ((dense @ E) * weights).sum().backward()
    torch.testing.assert_close(fast, E.grad)


def test_lightgcn_with_zero_layers_scores_by_its_free_embeddings():
    model = LightGCN(n_factors=4, n_layers=0, n_epochs=3, batch_size=16).fit(walks())
    assert model.user_factors_.shape == (30, 4) and model.item_factors_.shape == (12, 4)
    np.testing.assert_allclose(model.score_items(np.arange(3)), model.user_factors_[:3] @ model.item_factors_.T)


def test_latest_sequences_are_right_aligned_and_truncated():
    users = np.array([0, 0, 0, 2])
    items = np.array([1, 2, 3, 4])
    np.testing.assert_array_equal(_latest_sequences(users, items, n_users=3, length=2),
                                  [[2, 3], [0, 0], [0, 4]])


def test_sasrec_is_causal_and_ignores_padding():
    torch.manual_seed(0)
    network = SASRecNetwork(n_items=10, max_len=6, n_factors=8, n_blocks=2, n_heads=2, dropout=0.0).eval()
    sequences = torch.tensor([[0, 0, 3, 4, 5, 1], [0, 0, 0, 2, 3, 9]])
    with torch.no_grad():
        states = network(sequences)
        changed = sequences.clone()
        changed[:, -1] = 7  # a later item cannot change an earlier state
        torch.testing.assert_close(network(changed)[:, :-1], states[:, :-1], rtol=0, atol=0)
        trimmed = _drop_padding_columns(sequences)[0]
        assert trimmed.shape[1] == 4
        torch.testing.assert_close(network(trimmed), states[:, 2:], rtol=1e-12, atol=1e-12)


def test_sasrec_learns_what_comes_next():
    model = SASRec(n_factors=16, max_len=5, n_epochs=80, batch_size=16, dropout=0.0).fit(walks(n_users=60))
    train = walks(n_users=60)
    last = train.sort_values("timestamp").groupby("user_id")["item_id"].last()
    top = model.recommend(last.index.to_numpy(), k=1)[0][:, 0]
    assert (top == (last.to_numpy() + 1) % 12).mean() >= 0.9  # the next item of the walk


@pytest.mark.parametrize("n_negatives", [None, 5])
def test_sasrec_trains_with_full_or_sampled_softmax(n_negatives):
    model = SASRec(n_factors=8, max_len=5, n_epochs=3, batch_size=8, n_negatives=n_negatives).fit(walks())
    loss = model.history_["loss"]
    assert len(loss) == 3 and loss.iloc[-1] < loss.iloc[0]
    assert model.user_factors_.dtype == np.float64 and np.isfinite(model.user_factors_).all()


def test_sasrec_needs_a_next_item_to_learn():
    with pytest.raises(ValueError, match="no user has two or more training items"):
        SASRec().fit(pd.DataFrame({"user_id": [0, 1], "item_id": [0, 1]}))
