"""Item2Vec: word2vec's skip-gram over users' item sequences (Barkan & Koenigstein, 2016).

Each user's distinct training items, in the order they first met them, are a sentence and each
item a word. Items that occur near each other in many sequences get similar vectors. For every
item t of a sequence and every item c at most ``window`` positions away (its context), skip-gram
with negative sampling (Mikolov et al., 2013) pushes the pair together and ``n_negatives`` random
items n apart:

    L = −Σ_(t, c) [ log σ(v_t · w_c) + Σ_n log σ(−v_t · w_n) ]

v are the item ("input") vectors, w separate context ("output") vectors. Negatives are drawn in
proportion to item frequency^0.75, word2vec's smoothed unigram distribution: popular items are
negatives more often than under a uniform draw, but less than in proportion to their counts.

Item2Vec learns only items. A user is the recency-weighted mean of the item vectors of what they
interacted with, the latest weighing most (a weight halves every ``half_life`` items back). To
score item c for that user, read the loss backwards. At its optimum, skip-gram with negatives
drawn from P_n learns (Levy & Goldberg, 2014)

    v_t · w_c = log P(c | t) − log P_n(c) − log n_negatives,

a pointwise mutual information: the item's own frequency is divided out, so v · w alone prefers
rare items. Adding log P_n(c) back gives the log-probability that c occurs near the user's items
(up to a constant), the same move as the logQ correction of the two-tower, in reverse:

    score(u, c) = ū · w_c + log P_n(c),        ū = Σ_t a_t v_t / Σ_t a_t

``user_factors_`` and ``item_factors_`` hold this score as one dot product, [ū, 1] · [w_c,
log P_n(c)], so an inner-product index (chapter 5) searches it; ``item_vectors_`` are the unit
v vectors, for item-to-item similarity.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from ._training import DTYPE, train_minibatches
from .base import EmbeddingMixin, Recommender, check_positive, item_sequences, recency_weighted_history, torch_seed

__all__ = ["Item2Vec"]

log = logging.getLogger(__name__)


class Item2Vec(EmbeddingMixin, Recommender):
    """Skip-gram item vectors from time-ordered user histories; users as recency-weighted means.

    Parameters
    ----------
    n_factors : int
        d, the length of each item vector.
    window : int
        Context: items at most this many positions away in the user's sequence.
    n_negatives : int
        K, the negatives drawn from P_n for each (item, context) pair.
    n_epochs : int
        Passes over the (item, context) pairs.
    learning_rate : float
        Adam's step size.
    batch_size : int
        (item, context) pairs per step.
    half_life : float
        A user's k-th most recent item weighs 2^(−k / half_life) in their vector.
    random_state : int or None
        Seed of the initial vectors, the shuffling and the negatives. ``None``: a fresh seed on
        every fit.

    Attributes
    ----------
    item_vectors_ : ndarray of float64, shape (n_items, d)
        Unit-length item vectors v, for item-to-item cosine similarity (items never seen in
        training keep their random start).
    user_factors_ : ndarray of float64, shape (n_users, d + 1)
        [ū, 1]: each user's recency-weighted mean of their items' vectors v, and a 1.
    item_factors_ : ndarray of float64, shape (n_items, d + 1)
        [w_c, log P_n(c)]: context vectors and log-probability as a negative.
    history_ : DataFrame, indexed by epoch (from 1)
        ``loss``: the mean loss per (item, context) pair of each epoch.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2, 3, 3],
    ...                       "item_id": [0, 1, 0, 1, 0, 2, 3],
    ...                       "timestamp": pd.to_datetime(["2024-01-01"] * 7)})
    >>> model = Item2Vec(n_factors=8, window=1, n_epochs=200, batch_size=4)
    >>> model = model.fit(train)
    >>> model.recommend([2], k=1)[0].tolist()
    [[1]]
    """

    def __init__(
        self,
        n_factors: int = 64,
        window: int = 5,
        n_negatives: int = 5,
        n_epochs: int = 5,
        learning_rate: float = 0.01,
        batch_size: int = 4096,
        half_life: float = 10.0,
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.window = window
        self.n_negatives = n_negatives
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.half_life = half_life
        self.random_state = random_state

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "window", "n_negatives", "n_epochs", "batch_size", integer=True)
        check_positive(self, "learning_rate", "half_life")
        n_users, n_items = X.shape
        generator = torch.Generator().manual_seed(torch_seed(self.random_state))

        # 1) Sentences: every user's distinct items in the order they first met them.
        users, items = item_sequences(interactions)

        # 2) (item, context) pairs: both directions of every pair at most `window` apart.
        targets, contexts = _skipgram_pairs(users, items, self.window)
        if len(targets) == 0:
            raise ValueError("Item2Vec: no user has two items within a window; there is nothing to learn from")
        targets, contexts = torch.as_tensor(targets), torch.as_tensor(contexts)
        counts = np.bincount(items, minlength=n_items).astype(np.float64)
        negative_weights = torch.as_tensor(counts**0.75 / (counts**0.75).sum(), dtype=DTYPE)
        log.debug("Item2Vec: %d (item, context) pairs over %d items", len(targets), n_items)

        # 3) Parameters: item vectors v (small random) and context vectors w (zero, as in word2vec).
        V = torch.nn.Parameter(
            (torch.rand(n_items, self.n_factors, generator=generator, dtype=DTYPE) - 0.5) / self.n_factors
        )
        W = torch.nn.Parameter(torch.zeros(n_items, self.n_factors, dtype=DTYPE))
        optimizer = torch.optim.Adam([V, W], lr=self.learning_rate, fused=True)

        # 4) The loss of one batch of pairs (idx), each pair with its own negatives.
        def step(idx):
            t, c = targets[idx], contexts[idx]
            negatives = torch.multinomial(negative_weights, len(idx) * self.n_negatives, replacement=True,
                                          generator=generator).view(len(idx), self.n_negatives)
            v_t = V[t]  # (B, d)
            positive = (v_t * W[c]).sum(dim=1)  # (B,)
            negative = (W[negatives] * v_t.unsqueeze(1)).sum(dim=2)  # (B, n_negatives); faster than bmm here
            loss_sum = -(torch.nn.functional.logsigmoid(positive).sum()
                         + torch.nn.functional.logsigmoid(-negative).sum())
            return loss_sum / len(idx), loss_sum, len(idx)

        # 5) Training: shuffled batches of pairs, Adam; small per-step tensors, so one thread (a
        #    second only adds overhead).
        self.history_, _ = train_minibatches(
            step, optimizer, len(targets), n_epochs=self.n_epochs, batch_size=self.batch_size,
            generator=generator, desc="Item2Vec", show_progress=self._show_progress, threads=1,
        )

        # 6) Users as recency-weighted means of item vectors; scores as one dot product (see above).
        item_vectors, context_vectors = V.detach().numpy(), W.detach().numpy()
        log_negative_probability = np.log(np.maximum(negative_weights.numpy(), 1e-300))  # never-seen items: -690
        weights = recency_weighted_history(interactions, (n_users, n_items), self.half_life)
        totals = np.asarray(weights.sum(axis=1)).ravel()
        user_means = (weights @ item_vectors) / np.maximum(totals, 1e-12)[:, None]
        self.user_factors_ = np.hstack([user_means, np.ones((n_users, 1))])
        self.item_factors_ = np.hstack([context_vectors, log_negative_probability[:, None]])
        self.item_vectors_ = item_vectors / np.maximum(np.linalg.norm(item_vectors, axis=1, keepdims=True), 1e-12)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T


def _skipgram_pairs(users: np.ndarray, items: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(target, context) item pairs at most ``window`` positions apart within one user, both ways.

    ``users`` and ``items`` are sorted by user, then time.
    """
    targets, contexts = [], []
    for offset in range(1, window + 1):
        same_user = users[offset:] == users[:-offset]
        earlier, later = items[:-offset][same_user], items[offset:][same_user]
        targets += [earlier, later]
        contexts += [later, earlier]
    return np.concatenate(targets).astype(np.int64), np.concatenate(contexts).astype(np.int64)
