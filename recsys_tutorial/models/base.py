"""The recommender protocol every retrieval model follows.

    model = SomeModel(**hyperparameters)           # __init__ only stores its arguments
    model.fit(train_interactions)                  # returns self; refitting forgets the last fit
    items, scores = model.recommend(user_ids, k=10, exclude_seen=True)

Every model is a scikit-learn estimator (`sklearn.base.BaseEstimator`): ``get_params``,
``set_params``, ``sklearn.base.clone`` and the ``repr`` come from scikit-learn, and
`sklearn.utils.validation.check_is_fitted` tells a fitted model from an unfitted one.

Ids are the dataset's contiguous integers. ``recommend`` returns two ``(len(user_ids), k)``
arrays, best first. Users the model never saw in training (cold start) get the most popular
items, unless the model can score them from side features (e.g. `TwoTower` given user features
at fit), and never an exception. ``exclude_seen=True`` removes every item the user interacted
with in the training data; when fewer than ``k`` items remain, a row is padded with item ``-1``
and score ``-inf``.

A subclass implements ``_fit(X, interactions)`` (X the binary user × item training matrix,
``interactions`` the checked frame, for models that need more than X) and
``_score(users)`` (dense scores for known users); the base class does the rest. A model that
trains in epochs passes ``self._show_progress`` (``fit``'s ``show_progress``, set for the duration
of ``_fit``) to its training loop. A model that can score some unknown users by other means also
overrides the cold-start hook: ``_can_score_cold(users)`` (which of them) and
``_score_cold(users)`` (their dense scores).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError  # re-exported: what check_is_fitted raises, a ValueError
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted

from ..data.dataset import interaction_matrix

__all__ = [
    "Recommender",
    "EmbeddingMixin",
    "NotFittedError",
    "check_interactions_frame",
    "check_positive",
    "check_layer_widths",
    "item_sequences",
    "recency_weighted_history",
    "history_weights",
    "torch_seed",
    "top_k",
]

#: Users scored at once in ``recommend``; bounds memory at batch × n_items floats. Affects speed, not results.
BATCH_SIZE = 2048


#: The message of `NotFittedError` when a model is used before ``fit``.
_NOT_FITTED = "%(name)s is not fitted yet: call fit(train_interactions) first"


class Recommender(BaseEstimator):
    """Base class: input checks, the training matrix, exclusion of seen items, top-k, cold start.

    A scikit-learn estimator: a subclass's ``__init__`` only stores its arguments, under the
    same names, and ``get_params``, ``set_params``, ``clone`` and ``repr`` work from them.
    """

    # fit's arguments are the data and a display option, not metadata for scikit-learn to route
    # (which would add a set_fit_request method to every model).
    __metadata_request__fit = {"interactions": UNUSED, "show_progress": UNUSED}

    def fit(self, interactions: pd.DataFrame, show_progress: bool = False):
        """Learn from ``interactions`` (columns ``user_id``, ``item_id``); returns ``self``.

        ``show_progress`` shows a progress bar over the training epochs, for the models that
        train in epochs. Affects display only.
        """
        check_interactions_frame(interactions, type(self).__name__)
        # Unfitted until _fit succeeds: a failed (re)fit raises NotFittedError on use, never
        # serves a mix of the old fit and the new one.
        self.__dict__.pop("seen_", None)
        X = interaction_matrix(interactions, shape=self._matrix_shape(interactions))
        self.n_users_, self.n_items_ = X.shape
        self.item_popularity_ = np.asarray(X.sum(axis=0)).ravel()  # users per item
        self._show_progress = show_progress
        try:
            self._fit(X, interactions)
        finally:
            del self._show_progress  # only for this fit, even a failed one
        self.seen_ = X
        return self

    def _fit(self, X: sp.csr_matrix, interactions: pd.DataFrame) -> None:
        """Learn from the binary matrix ``X`` (and, if needed, the checked ``interactions`` frame)."""
        raise NotImplementedError

    def _matrix_shape(self, interactions: pd.DataFrame) -> tuple[int, int] | None:
        """Shape of the training matrix; ``None``: one past the largest ids in ``interactions``."""
        return None

    def _score(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for known ``users``: shape (len(users), n_items_)."""
        raise NotImplementedError

    def _can_score_cold(self, users: np.ndarray) -> np.ndarray:
        """Cold-start hook: which of the unknown ``users`` the model can score without their history.

        The default is none of them: every unknown user gets the popularity fallback. A model
        that knows something else about a user (side features given at fit) returns ``True``
        for those, and `_score_cold` scores them; the rest still get popularity.
        """
        return np.zeros(len(users), dtype=bool)

    def _score_cold(self, users: np.ndarray) -> np.ndarray:
        """Scores of every item for unknown ``users`` that `_can_score_cold` accepts: (len(users), n_items_)."""
        raise NotImplementedError(f"{type(self).__name__} accepts cold users in _can_score_cold but has no _score_cold")

    def _split_users(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two masks over ``users``: known to training, and unknown but scorable by the cold-start hook."""
        known = self._is_known(users)
        cold = ~known
        cold[cold] = self._can_score_cold(users[cold])
        return known, cold

    def _mask_seen(self, scores: np.ndarray, users: np.ndarray) -> None:
        """Set each user's training items to ``-inf`` in ``scores`` (rows aligned with ``users``), in place."""
        inside = np.flatnonzero(users < self.n_users_)  # ids past the matrix have no training items
        rows, cols = self.seen_[users[inside]].nonzero()
        scores[inside[rows], cols] = -np.inf

    def score_items(self, user_ids, exclude_seen: bool = False) -> np.ndarray:
        """Scores of every item for each user: ``(len(user_ids), n_items_)``.

        Unknown users get item popularity, unless the model scores them from side features
        (the cold-start hook, `_can_score_cold`). With ``exclude_seen``, each user's training
        items score ``-inf``, as `recommend` excludes them.
        """
        users = self._check_users(user_ids)
        known, cold = self._split_users(users)
        scores = np.empty((len(users), self.n_items_), dtype=np.float64)
        if known.any():
            scores[known] = self._score(users[known])
        if cold.any():
            scores[cold] = self._score_cold(users[cold])
        scores[~known & ~cold] = self.item_popularity_
        if exclude_seen:
            self._mask_seen(scores, users)
        return scores

    def recommend(self, user_ids, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` items for each user.

        Parameters
        ----------
        user_ids : array-like of int
            Users to recommend for; ids the model did not see in training get the most popular
            items (the cold-start fallback), unless the model can score them from side features
            (e.g. `TwoTower` given user features at fit).
        k : int
            Length of each list; at most the number of items seen in training.
        exclude_seen : bool
            Remove the items each user interacted with in the training data.

        Returns
        -------
        items : ndarray of int64, shape (len(user_ids), k)
            Item ids, best first; ``-1`` pads a row when fewer than ``k`` items are left.
        scores : ndarray of float64, shape (len(user_ids), k)
            The model's scores for those items (``-inf`` for padding).
        """
        check_is_fitted(self, msg=_NOT_FITTED)
        users = self._check_users(user_ids)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= self.n_items_:
            raise ValueError(
                f"recommend: k must be an integer in 1..{self.n_items_} (the items seen in training), got {k!r}"
            )
        items = np.empty((len(users), k), dtype=np.int64)
        scores = np.empty((len(users), k), dtype=np.float64)
        known, cold = self._split_users(users)
        # Known and cold users in separate batches: a known user's batch, and so its numbers, do
        # not depend on whether cold users were asked for too.
        for mask, score in ((known, self._score), (cold, self._score_cold)):
            scored_rows = np.flatnonzero(mask)
            for start in range(0, len(scored_rows), BATCH_SIZE):
                rows = scored_rows[start : start + BATCH_SIZE]
                batch = np.asarray(score(users[rows]), dtype=np.float64)
                if exclude_seen:
                    self._mask_seen(batch, users[rows])
                items[rows], scores[rows] = top_k(batch, k, source=type(self).__name__)
        fallback = ~known & ~cold
        if fallback.any():
            fallback_items, fallback_scores = top_k(self.item_popularity_[None, :].astype(np.float64), k)
            items[fallback], scores[fallback] = fallback_items, fallback_scores
        return items, scores

    def _recommend_loop(self, user_ids, k: int = 10, exclude_seen: bool = True):
        """Slow reference of `recommend`: one user at a time, a full sort. For tests and reading."""
        items, scores = [], []
        for user in self._check_users(user_ids):
            one = np.array([user])
            known, cold = self._split_users(one)
            if known[0] or cold[0]:
                row = np.asarray((self._score if known[0] else self._score_cold)(one), dtype=np.float64)[0]
                if exclude_seen and user < self.n_users_:
                    row[self.seen_[user].indices] = -np.inf
            else:
                row = self.item_popularity_.astype(np.float64)
            order = np.argsort(-row, kind="stable")[:k]
            items.append(np.where(np.isneginf(row[order]), -1, order))
            scores.append(row[order])
        return np.array(items), np.array(scores)

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once ``fit`` has succeeded (`check_is_fitted` asks this)."""
        return hasattr(self, "seen_")

    def _check_fitted(self) -> None:
        """Raise `NotFittedError` unless the model is fitted: the one fitted check of every model."""
        check_is_fitted(self, msg=_NOT_FITTED)

    def _check_users(self, user_ids) -> np.ndarray:
        self._check_fitted()
        users = np.atleast_1d(np.asarray(user_ids))
        if users.ndim != 1 or (len(users) and not np.issubdtype(users.dtype, np.integer)):
            raise ValueError(f"user_ids must be a 1-D array of integers, got dtype {users.dtype}, shape {users.shape}")
        if len(users) and users.min() < 0:
            raise ValueError(f"user_ids must be >= 0, found {users.min()}")
        return users.astype(np.int64)

    def _is_known(self, users: np.ndarray) -> np.ndarray:
        """Users with at least one training interaction."""
        known = users < self.n_users_
        known[known] = np.diff(self.seen_.indptr)[users[known]] > 0
        return known

    def save(self, path) -> None:
        """Write the fitted model to ``path`` (a pickle: load only files you trust)."""
        self._check_fitted()
        with open(Path(path), "wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, path):
        """Read a model written by `save`; it must be an instance of this class."""
        with open(Path(path), "rb") as handle:
            model = pickle.load(handle)
        if not isinstance(model, cls):
            raise ValueError(f"{path}: holds a {type(model).__name__}, not a {cls.__name__}")
        return model


class EmbeddingMixin:
    """For models that score by dot products of learnt vectors: export them (for ANN search)."""

    def user_embeddings(self) -> np.ndarray:
        """One float32 vector per user id seen in training, shape (n_users, d)."""
        self._check_fitted()
        return np.ascontiguousarray(self.user_factors_, dtype=np.float32)

    def item_embeddings(self) -> np.ndarray:
        """One float32 vector per item id, shape (n_items, d)."""
        self._check_fitted()
        return np.ascontiguousarray(self.item_factors_, dtype=np.float32)


def check_positive(model, *names: str, integer: bool = False) -> None:
    """Raise ``ValueError`` naming the first hyperparameter that is not a positive (integer) number."""
    for name in names:
        value = getattr(model, name)
        if integer:
            ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float, np.number))
        if not ok or not value > 0:
            kind = "a positive integer" if integer else "a positive number"
            raise ValueError(f"{type(model).__name__}: {name} must be {kind}, got {value!r}")


def check_layer_widths(model, name: str = "hidden") -> None:
    """Raise ``ValueError`` unless the hyperparameter ``name`` is a tuple (or list) of positive integers."""
    widths = getattr(model, name)
    if not isinstance(widths, (tuple, list)) or not all(
        isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w > 0 for w in widths
    ):
        raise ValueError(
            f"{type(model).__name__}: {name} must be a tuple of positive integers (layer widths), got {widths!r}"
        )


def item_sequences(interactions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each user's distinct items in the order the user first met them, as two aligned arrays.

    Sorted by user, then time (input order breaks ties, and stands in for time when there is no
    ``timestamp`` column). Repeats are dropped: a view, click and purchase of one item are one
    step of the sequence, and sequence models learn to predict *new* items, which is what
    ``recommend(exclude_seen=True)`` asks of them.

    >>> days = ["2024-01-02", "2024-01-03", "2024-01-01", "2024-01-02"]
    >>> frame = pd.DataFrame({"user_id": [1, 0, 0, 0], "item_id": [5, 7, 3, 7],
    ...                       "timestamp": pd.to_datetime(days)})
    >>> users, items = item_sequences(frame)
    >>> users.tolist(), items.tolist()
    ([0, 0, 1], [3, 7, 5])
    """
    order = ["user_id", "timestamp"] if "timestamp" in interactions.columns else ["user_id"]
    events = interactions[["user_id", "item_id"] + order[1:]].reset_index(drop=True).sort_values(order, kind="stable")
    events = events.drop_duplicates(["user_id", "item_id"], keep="first")
    return events["user_id"].to_numpy(np.int64), events["item_id"].to_numpy(np.int64)


def recency_weighted_history(interactions: pd.DataFrame, shape: tuple[int, int], half_life: float) -> sp.csr_matrix:
    """Each user's distinct items weighted by how recently the user met them: 2^(−k / half_life) for the k-th latest.

    The latest item weighs 1, the one before it 2^(−1 / half_life), and so on (order as in
    `item_sequences`). A long half-life gives every item nearly the same weight, the binary history;
    a short one keeps the last few items. Used by models that score a user from their history
    (EASE, item-kNN, item2vec) to answer "what next?" rather than "what else?".

    >>> days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])
    >>> frame = pd.DataFrame({"user_id": [0, 0, 0], "item_id": [2, 0, 1],
    ...                       "timestamp": days})
    >>> weights = recency_weighted_history(frame, (1, 3), half_life=1.0)
    >>> weights.toarray().round(2).tolist()
    [[0.5, 1.0, 0.25]]
    """
    if isinstance(half_life, bool) or not isinstance(half_life, (int, float, np.number)) or not half_life > 0:
        raise ValueError(f"recency_weighted_history: half_life must be a positive number, got {half_life!r}")
    users, items = item_sequences(interactions)
    boundaries = np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
    counts = np.diff(boundaries)
    position = np.arange(len(users)) - np.repeat(boundaries[:-1], counts)  # 0 = the user's first item
    from_latest = np.repeat(counts, counts) - 1 - position  # 0 = the user's latest item
    weights = 0.5 ** (from_latest / half_life)
    return sp.csr_matrix((weights, (users, items)), shape=shape)


def history_weights(model, X: sp.csr_matrix, interactions: pd.DataFrame) -> sp.csr_matrix:
    """The user rows a history-scored model multiplies: ``X`` itself, or its recency weights when
    ``model.half_life`` is set (`recency_weighted_history`)."""
    if model.half_life is None:
        return X
    if isinstance(model.half_life, bool) or not isinstance(model.half_life, (int, float, np.number)) \
            or not model.half_life > 0:
        raise ValueError(f"{type(model).__name__}: half_life must be a positive number or None, "
                         f"got {model.half_life!r}")
    return recency_weighted_history(interactions, X.shape, model.half_life).astype(X.dtype)


def torch_seed(random_state) -> int:
    """The integer seed for PyTorch's generators: ``random_state`` itself, or a fresh one for ``None``.

    ``None`` means "not reproducible" for every model of the package, as it does for NumPy.
    """
    if random_state is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    return int(random_state)


def check_interactions_frame(interactions, caller: str) -> None:
    """Raise ``ValueError`` unless ``interactions`` has non-negative integer ``user_id``/``item_id``."""
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError(f"{caller}.fit: expected a pandas DataFrame, got {type(interactions).__name__}")
    if len(interactions) == 0:
        raise ValueError(f"{caller}.fit: the training interactions are empty")
    for column in ("user_id", "item_id"):
        if column not in interactions.columns:
            raise ValueError(f"{caller}.fit: missing column '{column}'")
        values = interactions[column]
        if not pd.api.types.is_integer_dtype(values) or values.isna().any():
            raise ValueError(f"{caller}.fit: column '{column}' must hold integers without missing values")
        if values.min() < 0:
            raise ValueError(f"{caller}.fit: column '{column}' must be >= 0, found {values.min()}")


def top_k(scores: np.ndarray, k: int, source: str = "top_k") -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest scores of each row, best first; ties go to the lower item id; ``-inf`` → item -1.

    Exactly what a stable descending sort would return, in linear time per row: find the k-th
    largest score, keep everything above it, and fill up with the lowest ids that equal it.
    NaN scores raise a ``ValueError`` that names ``source`` (the model that produced them).
    """
    n_rows, n_items = scores.shape
    if np.isnan(scores).any():
        raise ValueError(f"{source}: scores contain NaN (did training diverge? try a smaller learning_rate)")
    if k < n_items:
        threshold = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (n, 1): the k-th largest
        above = scores > threshold
        tied = scores == threshold
        room = k - above.sum(axis=1, keepdims=True)
        keep = above | (tied & (np.cumsum(tied, axis=1) <= room))
        candidates = np.nonzero(keep)[1].reshape(n_rows, k)  # ascending ids, k per row
        order = np.argsort(-np.take_along_axis(scores, candidates, axis=1), axis=1, kind="stable")
        items = np.take_along_axis(candidates, order, axis=1)
    else:
        items = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top_scores = np.take_along_axis(scores, items, axis=1)
    items = np.where(np.isneginf(top_scores), -1, items)
    return items.astype(np.int64), top_scores
