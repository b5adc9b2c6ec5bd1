"""Most-popular recommender: every user gets the items with the most training users.

    score(u, i) = |{v : v interacted with i in training}|

Not personalised, and yet hard to beat on accuracy when popularity is heavy-tailed (chapter 1):
every other model must be compared with it.
"""

from __future__ import annotations

import numpy as np

from .base import Recommender

__all__ = ["Popularity"]


class Popularity(Recommender):
    """Recommend the items with the most distinct users in the training data.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 1, 1, 2],
    ...                       "item_id": [0, 0, 1, 2]})
    >>> items, scores = Popularity().fit(train).recommend([0, 5], k=2)
    >>> # user 0 has seen item 0; user 5 is unknown and gets the fallback
    >>> items.tolist()
    [[1, 2], [0, 1]]
    """

    def __init__(self):
        pass

    def _fit(self, X, interactions) -> None:
        pass  # the base class already counted item popularity

    def _score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_popularity_.astype(np.float64), (len(users), self.n_items_)).copy()
