"""LightGCN: embeddings smoothed over the user–item graph (He et al., SIGIR 2020).

Users and items are the nodes of one bipartite graph, with an edge for every interaction. Its
adjacency matrix, symmetrically normalised by the node degrees, is

    A = [[0, R], [Rᵀ, 0]],      Â = D^(−1/2) A D^(−1/2)        (U + I) × (U + I), sparse

Every node starts from a free embedding E⁽⁰⁾ (the only parameters). Each layer averages the
neighbours' embeddings, with no weight matrix and no non-linearity (the "light" in the name):

    E⁽ˡ⁺¹⁾ = Â E⁽ˡ⁾,        E = (E⁽⁰⁾ + E⁽¹⁾ + … + E⁽ᴸ⁾) / (L + 1)

After one layer a user's vector mixes in the items they touched; after two, the users who touched
the same items; after three, those users' other items: the higher-order neighbourhood that plain
matrix factorisation only learns indirectly. The final vectors are trained with the BPR loss of
`MatrixFactorization` (a positive item i above a negative j the user has not interacted with),
with the L2 penalty on the layer-0 embeddings of the batch:

    L = −Σ log σ(e_u · e_i − e_u · e_j) + λ (‖e⁽⁰⁾_u‖² + ‖e⁽⁰⁾_i‖² + ‖e⁽⁰⁾_j‖²)

Every training step propagates the whole graph (L sparse products), which is what makes LightGCN
slower per epoch than matrix factorisation.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp
import torch

from ._training import DTYPE, bpr_training_pairs, sample_negatives, torch_csr, train_minibatches
from .base import EmbeddingMixin, Recommender, check_positive, torch_seed

__all__ = ["LightGCN"]

log = logging.getLogger(__name__)


class LightGCN(EmbeddingMixin, Recommender):
    """Graph-smoothed embeddings trained with BPR.

    Parameters
    ----------
    n_factors : int
        d, the length of each embedding.
    n_layers : int
        L, the propagation steps; 0 is plain matrix factorisation without biases.
    n_epochs : int
        Passes over the training pairs.
    learning_rate : float
        Adam's step size.
    reg : float
        λ, the L2 penalty on the layer-0 embeddings of each batch.
    batch_size : int
        Training pairs per step (each step propagates the whole graph once).
    random_state : int or None
        Seed of the initial embeddings, the shuffling and the negatives. ``None``: a fresh seed
        on every fit.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray of float64, shape (n_users, d), (n_items, d)
        The propagated (final) embeddings.
    history_ : DataFrame, indexed by epoch (from 1)
        ``loss``: the mean BPR loss (without the penalty) of each epoch.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2],
    ...                       "item_id": [0, 1, 0, 1, 0]})
    >>> model = LightGCN(n_factors=4, n_epochs=50, batch_size=2).fit(train)
    >>> model.recommend([2], k=1)[0].tolist()
    [[1]]
    """

    def __init__(
        self,
        n_factors: int = 64,
        n_layers: int = 3,
        n_epochs: int = 40,
        learning_rate: float = 0.02,
        reg: float = 1e-4,
        batch_size: int = 8192,
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.n_layers = n_layers
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.reg = reg
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "n_epochs", "batch_size", integer=True)
        check_positive(self, "learning_rate")
        if not isinstance(self.n_layers, (int, np.integer)) or isinstance(self.n_layers, bool) or self.n_layers < 0:
            raise ValueError(f"LightGCN: n_layers must be an integer >= 0, got {self.n_layers!r}")
        if not self.reg >= 0:
            raise ValueError(f"LightGCN: reg must be >= 0, got {self.reg!r}")
        n_users, n_items = X.shape
        generator = torch.Generator().manual_seed(torch_seed(self.random_state))

        # 1) The graph: Â = D^(-1/2) A D^(-1/2) over users then items.
        graph = _normalised_adjacency(X)

        # 2) Parameters: the layer-0 embeddings of every node.
        E0 = torch.nn.Parameter(0.1 * torch.randn(n_users + n_items, self.n_factors, generator=generator, dtype=DTYPE))
        optimizer = torch.optim.Adam([E0], lr=self.learning_rate, fused=True)

        def propagate(E: torch.Tensor) -> torch.Tensor:
            layers, layer = [E], E
            for _ in range(self.n_layers):
                layer = _SymmetricSparseProduct.apply(layer, graph)
                layers.append(layer)
            return torch.stack(layers).mean(dim=0)

        # 3) The loss: BPR on (user, positive, negative) triples, the graph propagated every step.
        users, items, positive_keys = bpr_training_pairs(X, "LightGCN")
        log.debug("LightGCN: %d training pairs; a graph of %d nodes", len(users), graph.shape[0])

        def step(idx):
            u, i = users[idx], items[idx]
            j = sample_negatives(u, positive_keys, n_items, generator)
            E = propagate(E0)
            e_u, e_i, e_j = E[u], E[n_users + i], E[n_users + j]  # (B, d) each
            x_uij = (e_u * (e_i - e_j)).sum(dim=1)  # (B,)
            data_loss = -torch.nn.functional.logsigmoid(x_uij).sum()
            penalty = (E0[u] ** 2).sum() + (E0[n_users + i] ** 2).sum() + (E0[n_users + j] ** 2).sum()
            return (data_loss + self.reg * penalty) / len(idx), data_loss, len(idx)

        # 4) Training: shuffled mini-batches of pairs, Adam.
        self.history_, _ = train_minibatches(
            step, optimizer, len(users), n_epochs=self.n_epochs, batch_size=self.batch_size,
            generator=generator, desc="LightGCN", show_progress=self._show_progress,
        )

        with torch.no_grad():
            E = propagate(E0).numpy()
        self.user_factors_, self.item_factors_ = E[:n_users], E[n_users:]

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T


class _SymmetricSparseProduct(torch.autograd.Function):
    """Â E for a symmetric sparse Â, whose gradient with respect to E is Âᵀ G = Â G.

    Speed only: PyTorch's own backward of a sparse product transposes Â on every call; Â is
    symmetric, so the same matrix serves both ways.
    """

    @staticmethod
    def forward(ctx, E: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        ctx.graph = graph
        return torch.sparse.mm(graph, E)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return torch.sparse.mm(ctx.graph, grad), None


def _normalised_adjacency(X: sp.csr_matrix) -> torch.Tensor:
    """D^(-1/2) A D^(-1/2) of the bipartite graph A = [[0, X], [Xᵀ, 0]], as a torch CSR tensor."""
    A = sp.bmat([[None, X], [X.T, None]], format="csr", dtype=np.float64)
    degree = np.asarray(A.sum(axis=1)).ravel()
    inv_sqrt = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)  # isolated nodes: 0
    A = sp.diags(inv_sqrt) @ A @ sp.diags(inv_sqrt)
    A = A.tocsr()
    A.sort_indices()
    return torch_csr(A, A.data.astype(np.float64))
