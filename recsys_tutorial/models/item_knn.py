"""Item-based k-nearest-neighbour collaborative filtering (Sarwar et al., WWW 2001).

Items are similar when the same users interacted with both. With X the binary user × item
training matrix and x_i its column for item i:

    sim(i, j) = x_i · x_j / (‖x_i‖ ‖x_j‖ + shrink)        (shrunk cosine)

Each item keeps its ``n_neighbors`` most similar items (the rest set to 0), and a user's score
for item j sums the similarities of j to the items the user has:

    score(u, j) = Σ_{i in items of u} sim_k(i, j)

The shrink term damps similarities computed from few co-occurrences, which otherwise let rare
items dominate the lists. With ``half_life`` set, the sum weighs the user's k-th latest item
2^(−k / half_life): the neighbours of the most recent items count most.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from .base import Recommender, history_weights

__all__ = ["ItemKNN"]

log = logging.getLogger(__name__)


class ItemKNN(Recommender):
    """Item-to-item collaborative filtering with a shrunk cosine similarity.

    Parameters
    ----------
    n_neighbors : int
        Neighbours kept per item.
    shrink : float
        Added to the cosine's denominator; 0 gives the plain cosine.
    half_life : float, optional
        Weigh the user's k-th latest item 2^(−k / half_life) in the score; ``None`` (default)
        weighs every item 1. The similarities are unchanged.
    batch_size : int
        Items whose neighbours are found at once. Affects speed and memory, not results.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix, shape (n_items, n_items)
        Row i holds the ``n_neighbors`` neighbours of item i; score = ``X_u · similarity_``.
    history_weights_ : scipy.sparse.csr_matrix, shape (n_users, n_items)
        X_u of every user: the binary history, or its recency weights.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2],
    ...                       "item_id": [0, 1, 0, 1, 0]})
    >>> model = ItemKNN(n_neighbors=5).fit(train)
    >>> model.recommend([2], k=1)[0].tolist()  # item 1 goes with item 0
    [[1]]
    """

    def __init__(self, n_neighbors: int = 100, shrink: float = 10.0, half_life: float | None = None,
                 batch_size: int = 1024):
        self.n_neighbors = n_neighbors
        self.shrink = shrink
        self.half_life = half_life
        self.batch_size = batch_size

    def _fit(self, X: sp.csr_matrix, interactions) -> None:
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise ValueError(f"ItemKNN: n_neighbors must be a positive integer, got {self.n_neighbors!r}")
        if not self.shrink >= 0:
            raise ValueError(f"ItemKNN: shrink must be >= 0, got {self.shrink!r}")
        self.history_weights_ = history_weights(self, X, interactions)
        Xc = X.tocsc().astype(np.float64)
        norms = np.sqrt(np.asarray(Xc.multiply(Xc).sum(axis=0)).ravel())  # ‖x_i‖
        co_counts = (Xc.T @ Xc).tocsr()  # x_i · x_j
        n_items = X.shape[1]
        k = min(self.n_neighbors, n_items - 1) if n_items > 1 else 0
        rows, cols, vals = [], [], []
        for start in range(0, n_items, self.batch_size):
            stop = min(start + self.batch_size, n_items)
            block = co_counts[start:stop].toarray()  # (b, n_items)
            block /= norms[start:stop, None] * norms[None, :] + self.shrink + 1e-12
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0  # an item is not its own neighbour
            if k == 0:
                continue
            top = np.argpartition(-block, k - 1, axis=1)[:, :k]
            top_vals = np.take_along_axis(block, top, axis=1)
            keep = top_vals > 0
            rows.append(np.repeat(np.arange(start, stop), k)[keep.ravel()])
            cols.append(top[keep])
            vals.append(top_vals[keep])
        if rows:
            rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        self.similarity_ = sp.csr_matrix((vals, (rows, cols)), shape=(n_items, n_items))
        log.debug("ItemKNN: %d non-zero similarities", self.similarity_.nnz)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return (self.history_weights_[users] @ self.similarity_).toarray()
