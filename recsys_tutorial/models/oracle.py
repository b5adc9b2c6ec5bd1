"""The oracle of a synthetic world: ranks by the planted preferences (`SyntheticTruth.scores`).

It follows the recommender protocol, so it sits in a leaderboard as the ceiling that models
learning from data can approach but not be expected to pass.
"""

from __future__ import annotations

import numpy as np

from .base import Recommender

__all__ = ["Oracle"]


class Oracle(Recommender):
    """Recommend by the true choice probabilities of a synthetic world.

    Parameters
    ----------
    truth : SyntheticTruth
        ``world.truth`` of a dataset from `make_synthetic`.
    at : timestamp, optional
        Use the item popularity of the week holding this moment (for example the start of the
        test period); ``None`` uses the long-run popularity.
    """

    def __init__(self, truth, at=None):
        self.truth = truth
        self.at = at

    def _matrix_shape(self, interactions):
        if self.truth is None:
            raise ValueError("Oracle: truth is None; only synthetic worlds have one")
        n_users, n_items = len(self.truth.category_taste), len(self.truth.item_popularity)
        if interactions["item_id"].max() >= n_items or interactions["user_id"].max() >= n_users:
            raise ValueError(f"Oracle: ids must be below the world's size ({n_users} users, {n_items} items)")
        return n_users, n_items  # the oracle knows every user and item, seen in training or not

    def _fit(self, X, interactions) -> None:
        pass  # nothing to learn: the truth is given

    def _is_known(self, users: np.ndarray) -> np.ndarray:
        return users < self.n_users_  # no cold start for the oracle: it knows every user's tastes

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.truth.scores(users, at=self.at).astype(np.float64)
