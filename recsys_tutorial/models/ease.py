"""EASE: Embarrassingly Shallow Autoencoders (Steck, WWW 2019).

A linear item-to-item model whose weights have a closed form. With X the binary user × item
training matrix and λ the L2 penalty, EASE solves

    min_B ‖X − X B‖²_F + λ ‖B‖²_F   subject to   diag(B) = 0,

whose solution is

    P = (XᵀX + λI)⁻¹,     B_ij = −P_ij / P_jj  (i ≠ j),     B_jj = 0,

and a user's scores are  s_u = x_u B. One matrix inverse of size n_items: seconds for a few
thousand items, the strong simple baseline every learnt model must beat.

With ``half_life`` set, the weights B are the same but a user is scored from a recency-weighted
history, x̃_u with 2^(−k / half_life) for the k-th latest item (`recency_weighted_history`):
"what goes with what this user did last" rather than "what goes with everything they did".
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.linalg

from .base import Recommender, history_weights

__all__ = ["EASE"]

log = logging.getLogger(__name__)


class EASE(Recommender):
    """EASE item-to-item linear autoencoder, fitted in closed form.

    Parameters
    ----------
    reg : float
        λ, the L2 penalty on the item-item weights; larger values shrink them.
    half_life : float, optional
        Score each user from their history weighted 2^(−k / half_life) for the k-th latest item;
        ``None`` (default) weighs every item 1, as the original EASE does. Fitting is unchanged.

    Attributes
    ----------
    item_weights_ : ndarray, shape (n_items, n_items)
        B, with a zero diagonal.
    history_weights_ : scipy.sparse.csr_matrix, shape (n_users, n_items)
        The user rows scores are computed from: the binary history, or its recency weights.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2],
    ...                       "item_id": [0, 1, 0, 1, 0]})
    >>> EASE(reg=1.0).fit(train).recommend([2], k=1)[0].tolist()
    [[1]]
    """

    def __init__(self, reg: float = 500.0, half_life: float | None = None):
        self.reg = reg
        self.half_life = half_life

    def _fit(self, X, interactions) -> None:
        if not self.reg > 0:
            raise ValueError(f"EASE: reg must be > 0, got {self.reg!r}")
        self.history_weights_ = history_weights(self, X, interactions)
        log.debug("EASE: Gram matrix of %d items", X.shape[1])
        gram = (X.T @ X).toarray().astype(np.float64)  # XᵀX
        gram[np.diag_indices_from(gram)] += self.reg  # + λI
        P = _inverse_spd(gram)  # P = (XᵀX + λI)⁻¹
        B = -P / np.diag(P)[None, :]  # B_ij = −P_ij / P_jj
        B[np.diag_indices_from(B)] = 0.0
        # C order: the sparse-dense product in _score reads rows; a Fortran-ordered B is copied on every call.
        self.item_weights_ = np.ascontiguousarray(B, dtype=np.float32)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.history_weights_[users] @ self.item_weights_)


def _inverse_spd(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix from its Cholesky factor (LAPACK potrf + potri).

    Inverting the factor costs a third of solving against the identity, as cho_solve would.
    """
    factor, info = scipy.linalg.lapack.dpotrf(A, lower=True)
    if info != 0:
        raise ValueError(
            f"EASE: the regularised Gram matrix is not positive definite (LAPACK info {info}); increase reg"
        )
    inverse, info = scipy.linalg.lapack.dpotri(factor, lower=True)
    if info != 0:
        raise ValueError(f"EASE: could not invert the Gram matrix (LAPACK info {info})")
    return np.tril(inverse) + np.tril(inverse, -1).T  # potri fills one triangle
