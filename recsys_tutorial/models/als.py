"""Implicit alternating least squares (Hu, Koren & Volinsky, ICDM 2008).

Every cell of the user × item matrix is a target: p_ui = 1 if the user interacted with the item,
else 0, trusted with confidence c_ui = 1 + α · r_ui (r_ui the number of interactions). ALS
minimises

    Σ_(u,i) c_ui (p_ui − x_u · y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)

by fixing the items and solving for every user, then the other way round. Each user's problem
is a weighted least squares whose exact solution is

    x_u = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ Yᵀ C_u p_u

YᵀY is shared by all users; the correction Yᵀ(C_u − I)Y involves only the user's own items, so
each solve costs O(n_u d² + d³) instead of touching the whole catalogue. Like the ``implicit``
library, we solve approximately with a few conjugate-gradient steps started from the previous
factors (Takács, Pilászy & Tikk, RecSys 2011), vectorised over all users at once: one step needs
only sparse matrix products (and a sampled dense product for the dots on the stored cells), never
a per-user Python loop.

Every product runs in PyTorch. One library means one thread pool (mixing NumPy's OpenBLAS
threads with PyTorch's oversubscribes the cores and made two threads three times slower than
one). The default precision, float64, makes the factors the same on every CPU, whichever SIMD
kernels it picks: in float32 they differed by up to 3e-3 between two kernels of one machine.
float32 fits MovieLens-100K about twice as fast (benchmarks/results/bench_als.json: 0.14 s against
0.27 s on two cores).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from tqdm import tqdm

from ._training import torch_csr
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
    dtype : {"float64", "float32"}
        Precision of the computation. float64 gives the same factors on every CPU; float32 is
        about 2.7 times as fast, but its factors (and so its rankings) vary slightly between CPUs.
    random_state : int or None
        Seed of the initial factors. ``None``: a fresh seed on every fit.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray of ``dtype``, shape (n_users, d), (n_items, d)
    history_ : DataFrame, indexed by epoch (from 1)
        ``loss``: the objective after each epoch, divided by the number of cells.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2],
    ...                       "item_id": [0, 1, 0, 1, 0]})
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
        dtype: str = "float64",
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.reg = reg
        self.alpha = alpha
        self.cg_steps = cg_steps
        self.dtype = dtype
        self.random_state = random_state

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "n_epochs", "cg_steps", integer=True)
        check_positive(self, "reg")
        if not self.alpha >= 0:
            raise ValueError(f"ALS: alpha must be >= 0, got {self.alpha!r}")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"ALS: dtype must be 'float64' or 'float32', got {self.dtype!r}")
        dtype = np.dtype(self.dtype)
        # Confidence counts every interaction, which the binary X has dropped.
        counts = interactions.groupby(["user_id", "item_id"]).size()
        confidence = sp.csr_matrix(
            (
                1.0 + self.alpha * counts.to_numpy(dtype=np.float64),
                (counts.index.get_level_values(0), counts.index.get_level_values(1)),
            ),
            shape=X.shape,
        )  # c_ui = 1 + α r_ui on the interacted cells
        by_user, by_item = _SparseConfidence(confidence, dtype), _SparseConfidence(confidence.T.tocsr(), dtype)

        rng = np.random.default_rng(self.random_state)
        n_users, n_items = X.shape
        user_factors = torch.from_numpy((0.01 * rng.standard_normal((n_users, self.n_factors))).astype(dtype))  # (U, d)
        item_factors = torch.from_numpy((0.01 * rng.standard_normal((n_items, self.n_factors))).astype(dtype))  # (I, d)

        # Not the minibatch loop of the SGD models: each half-step solves for every row at once.
        losses = []
        progress = tqdm(range(1, self.n_epochs + 1), desc="ALS", disable=not self._show_progress)
        for epoch in progress:
            started = time.perf_counter()
            user_factors = _conjugate_gradient(by_user, user_factors, item_factors, self.reg, self.cg_steps)
            item_factors = _conjugate_gradient(by_item, item_factors, user_factors, self.reg, self.cg_steps)
            losses.append(_objective(by_user, user_factors, item_factors, self.reg))
            progress.set_postfix({"loss": f"{losses[-1]:.5f}"})
            log.debug("ALS: epoch %d of %d, loss %.5f, %.2f s", epoch, self.n_epochs, losses[-1],
                      time.perf_counter() - started)
        self.history_ = pd.DataFrame({"loss": losses}, index=pd.RangeIndex(1, len(losses) + 1, name="epoch"))
        self.user_factors_ = user_factors.numpy()
        self.item_factors_ = item_factors.numpy()

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T


class _SparseConfidence:
    """The confidence matrix C as PyTorch CSR tensors: c_ui, and c_ui − 1, on the stored cells."""

    def __init__(self, confidence: sp.csr_matrix, dtype: np.dtype):
        confidence.sort_indices()  # the order sampled_addmm returns its values in
        self.shape = confidence.shape
        self.values = torch_csr(confidence, confidence.data.astype(dtype))
        self.extra = torch_csr(confidence, (confidence.data - 1.0).astype(dtype))  # c_ui − 1

    def with_values(self, values: torch.Tensor) -> torch.Tensor:
        """A CSR tensor with C's pattern and the given values."""
        return torch.sparse_csr_tensor(self.extra.crow_indices(), self.extra.col_indices(), values, size=self.shape)


def _conjugate_gradient(C: _SparseConfidence, X: torch.Tensor, Y: torch.Tensor, reg: float, steps: int) -> torch.Tensor:
    """A few CG steps on every row's system  A_u x_u = b_u  at once, warm-started at ``X``.

    A_u = YᵀY + λI + Σ_(i in u) (c_ui − 1) y_i y_iᵀ,    b_u = Σ_(i in u) c_ui y_i
    """
    gram = Y.T @ Y + reg * torch.eye(Y.shape[1], dtype=Y.dtype)  # (d, d): YᵀY + λI, shared by every row

    def apply_A(V):
        # A_u v_u = (YᵀY + λI) v_u + Σ_(i in u) (c_ui − 1)(y_i · v_u) y_i
        dots = torch.sparse.sampled_addmm(C.extra, V, Y.T, beta=0.0).values()  # (nnz,): v_u · y_i, stored cells
        return V @ gram + C.with_values(C.extra.values() * dots) @ Y

    b = C.values @ Y  # (n, d): Yᵀ C_u p_u, since p_ui = 1 exactly on the stored cells
    X = X.clone()
    r = b - apply_A(X)
    p = r.clone()
    rs_old = (r * r).sum(dim=1)  # (n,)
    for _ in range(steps):
        Ap = apply_A(p)
        step = rs_old / (p * Ap).sum(dim=1).clamp(min=1e-30)
        X += step[:, None] * p
        r -= step[:, None] * Ap
        rs_new = (r * r).sum(dim=1)
        p = r + (rs_new / rs_old.clamp(min=1e-30))[:, None] * p
        rs_old = rs_new
    return X


def _objective(C: _SparseConfidence, X: torch.Tensor, Y: torch.Tensor, reg: float) -> float:
    """Σ c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²), per cell, without forming the dense matrix.

    Over all cells with weight 1 and target 0 the sum is ‖X Yᵀ‖² = trace((XᵀX)(YᵀY)); the
    interacted cells then swap that term for their own weighted one.
    """
    predicted = torch.sparse.sampled_addmm(C.values, X, Y.T, beta=0.0).values()  # x_u · y_i, stored cells
    all_zero_targets = ((X.T @ X) * (Y.T @ Y)).sum()
    own = C.values.values() * (1.0 - predicted) ** 2 - predicted**2
    total = all_zero_targets + own.sum() + reg * ((X**2).sum() + (Y**2).sum())
    return float(total) / (C.shape[0] * C.shape[1])
