"""Implicit alternating least squares (Hu, Koren & Volinsky, ICDM 2008).

Every cell of the user × item matrix is a target: p_ui = 1 if the user interacted with the item,
else 0, trusted with confidence c_ui = 1 + α · r_ui (r_ui the number of interactions). ALS
minimises

    Σ_(u,i) c_ui (p_ui − x_u · y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)

by fixing the items and solving for every user exactly, then the other way round:

    x_u = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ Yᵀ C_u p_u

YᵀY is shared by all users; the correction Yᵀ(C_u − I)Y involves only the user's own items, so
each solve costs O(n_u d² + d³) instead of touching the whole catalogue. Like the ``implicit``
library, we solve approximately with a few conjugate-gradient steps started from the previous
factors (Takács, Pilászy & Tikk, RecSys 2011), vectorised over all users at once: one step needs
only sparse matrix products (and PyTorch's sampled dense product for the dots on the stored
cells), never a per-user Python loop.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from tqdm import tqdm

from .base import EmbeddingMixin, Recommender, check_positive

__all__ = ["ALS"]

log = logging.getLogger(__name__)


class ALS(EmbeddingMixin, Recommender):
    """Implicit-feedback matrix factorisation by alternating least squares.

    Parameters
    ----------
    n_factors : int
        d, the length of each factor vector.
    n_epochs : int
        Alternations (a user half-step and an item half-step each).
    reg : float
        λ, the L2 penalty.
    alpha : float
        Confidence scaling: c_ui = 1 + alpha · r_ui.
    cg_steps : int
        Conjugate-gradient steps per half-step; 3 is usually enough with warm starts.
    random_state : int
        Seed of the initial factors.
    show_progress : bool
        Show a progress bar over epochs. Affects display only.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray of float32, shape (n_users, d), (n_items, d)
    loss_history_ : list of float
        The objective after each epoch, divided by the number of cells.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2], "item_id": [0, 1, 0, 1, 0]})
    >>> ALS(n_factors=2, alpha=10.0).fit(train).recommend([2], k=1)[0].tolist()
    [[1]]
    """

    def __init__(
        self,
        n_factors: int = 64,
        n_epochs: int = 15,
        reg: float = 0.01,
        alpha: float = 1.0,
        cg_steps: int = 3,
        random_state: int | None = 0,
        show_progress: bool = False,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.reg = reg
        self.alpha = alpha
        self.cg_steps = cg_steps
        self.random_state = random_state
        self.show_progress = show_progress

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "n_epochs", "cg_steps", integer=True)
        check_positive(self, "reg")
        if not self.alpha >= 0:
            raise ValueError(f"ALS: alpha must be >= 0, got {self.alpha!r}")
        # Confidence counts every interaction, which the binary X has dropped.
        counts = interactions.groupby(["user_id", "item_id"]).size()
        R = sp.csr_matrix(
            (counts.to_numpy(dtype=np.float32), (counts.index.get_level_values(0), counts.index.get_level_values(1))),
            shape=X.shape,
        )
        R.sort_indices()
        confidence = R.copy()
        confidence.data = 1.0 + self.alpha * confidence.data  # c_ui on the interacted cells
        confidence_t = confidence.T.tocsr()
        confidence_t.sort_indices()  # CSR order must match the order sampled_addmm returns

        rng = np.random.default_rng(self.random_state)
        n_users, n_items = X.shape
        user_factors = (0.01 * rng.standard_normal((n_users, self.n_factors))).astype(np.float32)
        item_factors = (0.01 * rng.standard_normal((n_items, self.n_factors))).astype(np.float32)

        self.loss_history_ = []
        progress = tqdm(range(self.n_epochs), desc="ALS", disable=not self.show_progress)
        for _ in progress:
            user_factors = _conjugate_gradient(confidence, user_factors, item_factors, self.reg, self.cg_steps)
            item_factors = _conjugate_gradient(confidence_t, item_factors, user_factors, self.reg, self.cg_steps)
            self.loss_history_.append(_objective(confidence, user_factors, item_factors, self.reg))
            progress.set_postfix({"loss": f"{self.loss_history_[-1]:.5f}"})
        self.user_factors_ = user_factors
        self.item_factors_ = item_factors

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T


def _conjugate_gradient(confidence: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, reg: float, steps: int) -> np.ndarray:
    """A few CG steps on every row's system  A_u x_u = b_u  at once, warm-started at ``X``.

    A_u = YᵀY + λI + Σ_(i in u) (c_ui − 1) y_i y_iᵀ,    b_u = Σ_(i in u) c_ui y_i
    """
    pattern = _torch_pattern(confidence)
    weights = confidence.data - 1.0  # c_ui − 1 on the row's own cells
    gram = Y.T @ Y + reg * np.eye(Y.shape[1], dtype=Y.dtype)  # YᵀY + λI, shared by every row

    def apply_A(V):
        # A_u v_u = (YᵀY + λI) v_u + Σ_(i in u) (c_ui − 1)(y_i · v_u) y_i
        dots = _stored_dots(pattern, V, Y)  # (nnz,): v_u · y_i on the stored cells
        S = sp.csr_matrix((weights * dots, confidence.indices, confidence.indptr), shape=confidence.shape)
        return V @ gram + S @ Y

    b = confidence @ Y  # Yᵀ C_u p_u, since p_ui = 1 exactly on the stored cells
    X = X.copy()
    r = b - apply_A(X)
    p = r.copy()
    rs_old = np.einsum("nd,nd->n", r, r)
    for _ in range(steps):
        Ap = apply_A(p)
        step = rs_old / np.maximum(np.einsum("nd,nd->n", p, Ap), 1e-20)
        X += step[:, None] * p
        r -= step[:, None] * Ap
        rs_new = np.einsum("nd,nd->n", r, r)
        p = r + (rs_new / np.maximum(rs_old, 1e-20))[:, None] * p
        rs_old = rs_new
    return X.astype(np.float32)


def _objective(confidence: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, reg: float) -> float:
    """Σ c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²), per cell, without forming the dense matrix.

    Over all cells with weight 1 and target 0 the sum is ‖X Yᵀ‖² = trace((XᵀX)(YᵀY)); the
    interacted cells then swap that term for their own weighted one.
    """
    predicted = _stored_dots(_torch_pattern(confidence), X, Y).astype(np.float64)
    all_zero_targets = float(np.sum((X.T @ X) * (Y.T @ Y)))
    own = confidence.data * (1.0 - predicted) ** 2 - predicted**2
    total = all_zero_targets + own.sum() + reg * (np.sum(X**2) + np.sum(Y**2))
    return float(total / (confidence.shape[0] * confidence.shape[1]))


def _torch_pattern(matrix: sp.csr_matrix) -> torch.Tensor:
    """The sparsity pattern of a SciPy CSR matrix as a PyTorch CSR tensor (values unused)."""
    with warnings.catch_warnings():  # PyTorch flags its sparse CSR support as beta on creation
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(matrix.indptr.astype(np.int64)),
            torch.from_numpy(matrix.indices.astype(np.int64)),
            torch.zeros(matrix.nnz, dtype=torch.float32),
            size=matrix.shape,
        )


def _stored_dots(pattern: torch.Tensor, V: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """v_r · y_c for every stored cell (r, c) of ``pattern``, in CSR order.

    A sampled dense-dense product (SDDMM): only the stored cells of V Yᵀ are computed, by
    PyTorch's ``sampled_addmm``, without gathering a copy of both vectors for every cell.
    """
    product = torch.sparse.sampled_addmm(pattern, torch.from_numpy(V), torch.from_numpy(Y).T, beta=0.0)
    return product.values().numpy()
