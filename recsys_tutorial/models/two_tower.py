"""Two-tower retrieval model trained with in-batch sampled softmax and the logQ correction.

References: Covington, Adams & Sargin, "Deep Neural Networks for YouTube Recommendations"
(RecSys 2016); Yi et al., "Sampling-Bias-Corrected Neural Modeling for Large Corpus Item
Recommendations" (RecSys 2019).

Each tower maps an id and its side features to a unit vector:

    u = normalize(MLP_user([e_user ; e_age_group ; ...]))        (d)
    v = normalize(MLP_item([e_item ; e_category ; ...]))         (d)
    s(u, i) = u · v / τ                                           τ > 0, the temperature

A batch holds B (user, item) pairs that happened. For the b-th pair, the other B − 1 items of
the batch serve as negatives, and the loss is a softmax cross-entropy over the batch:

    L_b = −log  exp(s_bb − log q_b) / Σ_j exp(s_bj − log q_j)

q_j is the probability that item j lands in a batch (its share of the training pairs). Popular
items are negatives far more often than a uniform sample would make them; subtracting log q_j
(the logQ correction) undoes that bias, so the model learns user preference rather than
"not popular". Item vectors do not depend on the user: they can be computed once and searched
with an approximate nearest-neighbour index (chapter 5).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from .base import EmbeddingMixin, Recommender, check_positive, torch_seed

__all__ = ["TwoTower"]

log = logging.getLogger(__name__)

#: Training precision. In float32 the learnt vectors differ from CPU to CPU (SIMD kernels round
#: differently and SGD amplifies it); in float64 they come out the same on every CPU tried.
DTYPE = torch.float64


class Tower(nn.Module):
    """An id embedding plus one embedding per categorical feature, an MLP, and L2 normalisation."""

    def __init__(self, n_ids: int, feature_cardinalities: list[int], n_factors: int, hidden: int):
        super().__init__()
        self.id_embedding = nn.Embedding(n_ids, n_factors, dtype=DTYPE)
        self.feature_embeddings = nn.ModuleList(nn.Embedding(n, n_factors, dtype=DTYPE) for n in feature_cardinalities)
        width = n_factors * (1 + len(feature_cardinalities))
        self.mlp = nn.Sequential(nn.Linear(width, hidden, dtype=DTYPE), nn.ReLU(), nn.Linear(hidden, n_factors, dtype=DTYPE))

    def forward(self, ids: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        parts = [self.id_embedding(ids)]  # (B, d)
        parts += [emb(features[:, k]) for k, emb in enumerate(self.feature_embeddings)]  # each (B, d)
        h = self.mlp(torch.cat(parts, dim=1))  # (B, d)
        return nn.functional.normalize(h, dim=1)  # unit vectors


class TwoTower(EmbeddingMixin, Recommender):
    """User and item towers over ids and categorical side features, trained with in-batch softmax.

    Parameters
    ----------
    n_factors : int
        d, the output (and embedding) dimension.
    hidden : int
        Width of each tower's hidden layer.
    temperature : float
        τ; with ``learn_temperature`` its starting value, learnt as log τ so it stays positive.
    learn_temperature : bool
        Learn τ instead of fixing it.
    logq_correction : bool
        Subtract log q_j from the in-batch logits (see the module docstring).
    n_epochs, batch_size, learning_rate, reg : training settings (Adam; ``reg`` is weight decay).
        The defaults (with ``hidden=64``) were picked on a validation split carved from
        MovieLens-100K training data: within 2 % of the best validation NDCG@10 of the wider,
        longer and larger-batch settings tried, in a third of the earlier defaults' time.
    random_state : int or None
        Seed of the initial weights and the batch order. ``None``: a fresh seed on every fit.
    show_progress : bool
        Show a progress bar over epochs. Affects display only.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray of float64, unit rows, shape (n_users, d), (n_items, d)
    temperature_ : float
    loss_history_ : list of float

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user_id": [0, 0, 1, 1, 2], "item_id": [0, 1, 0, 1, 0]})
    >>> model = TwoTower(n_factors=8, hidden=16, n_epochs=60, batch_size=4).fit(train)
    >>> model.item_embeddings().shape
    (2, 8)
    """

    def __init__(
        self,
        n_factors: int = 64,
        hidden: int = 64,
        temperature: float = 0.1,
        learn_temperature: bool = False,
        logq_correction: bool = True,
        n_epochs: int = 8,
        batch_size: int = 256,
        learning_rate: float = 0.01,
        reg: float = 1e-6,
        random_state: int | None = 0,
        show_progress: bool = False,
    ):
        self.n_factors = n_factors
        self.hidden = hidden
        self.temperature = temperature
        self.learn_temperature = learn_temperature
        self.logq_correction = logq_correction
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.reg = reg
        self.random_state = random_state
        self.show_progress = show_progress

    def fit(self, interactions: pd.DataFrame, user_features: pd.DataFrame | None = None, item_features: pd.DataFrame | None = None):
        """Train on ``interactions``; side features are categorical columns indexed by id.

        ``user_features`` (e.g. ``users[["age_group"]]``) has one row per user id ``0..n-1``,
        ``item_features`` (e.g. ``items[["category"]]``) one row per item id, covering at least
        the ids in ``interactions``.
        """
        self._user_features, self._item_features = user_features, item_features
        try:
            return super().fit(interactions)
        finally:
            del self._user_features, self._item_features  # only for this fit, even a failed one

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "hidden", "n_epochs", "batch_size", integer=True)
        check_positive(self, "temperature", "learning_rate")
        if not self.reg >= 0:
            raise ValueError(f"TwoTower: reg must be >= 0, got {self.reg!r}")
        n_users, n_items = X.shape
        user_codes, user_cards = _encode(self._user_features, n_users, "user_features")
        item_codes, item_cards = _encode(self._item_features, n_items, "item_features")

        seed = torch_seed(self.random_state)
        with torch.random.fork_rng():  # seeded weight init that leaves torch's global RNG untouched
            torch.manual_seed(seed)
            user_tower = Tower(n_users, user_cards, self.n_factors, self.hidden)
            item_tower = Tower(n_items, item_cards, self.n_factors, self.hidden)
        generator = torch.Generator().manual_seed(seed)  # batch order
        log_tau = nn.Parameter(torch.tensor(float(np.log(self.temperature)), dtype=DTYPE), requires_grad=self.learn_temperature)
        params = list(user_tower.parameters()) + list(item_tower.parameters())
        params += [log_tau] if self.learn_temperature else []
        optimizer = torch.optim.Adam(params, lr=self.learning_rate, weight_decay=self.reg, fused=True)

        coo = X.tocoo()
        users = torch.as_tensor(coo.row.astype(np.int64))
        items = torch.as_tensor(coo.col.astype(np.int64))
        user_feats, item_feats = torch.as_tensor(user_codes), torch.as_tensor(item_codes)
        # q_j: the chance that item j is in a batch, proportional to its number of training pairs.
        log_q = torch.as_tensor(np.log(np.bincount(coo.col, minlength=n_items) / len(coo.col) + 1e-12), dtype=DTYPE)

        self.loss_history_ = []
        n = len(users)
        progress = tqdm(range(self.n_epochs), desc="TwoTower", disable=not self.show_progress)
        for _ in progress:
            order = torch.randperm(n, generator=generator)
            total = 0.0
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                u, i = users[idx], items[idx]
                user_vec = user_tower(u, user_feats[u])  # (B, d)
                item_vec = item_tower(i, item_feats[i])  # (B, d)
                logits = (user_vec / log_tau.exp()) @ item_vec.T  # (B, B): every user against every item, over τ
                # In place below: a float64 (B, B) copy costs more than the product that made it.
                if self.logq_correction:
                    logits.sub_(log_q[i][None, :])
                # The same item twice in a batch is not a negative for itself.
                repeat = (i[None, :] == i[:, None]).fill_diagonal_(False)  # (B, B)
                logits.masked_fill_(repeat, float("-inf"))
                loss = nn.functional.cross_entropy(logits, torch.arange(len(idx)))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(idx)
            self.loss_history_.append(total / n)
            progress.set_postfix({"loss": f"{self.loss_history_[-1]:.4f}", "tau": f"{float(log_tau.detach().exp()):.3f}"})

        with torch.no_grad():
            self.user_factors_ = user_tower(torch.arange(n_users), user_feats).numpy()
            self.item_factors_ = item_tower(torch.arange(n_items), item_feats).numpy()
        self.temperature_ = float(log_tau.detach().exp())

    def _score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T / self.temperature_


def _encode(features: pd.DataFrame | None, n_rows: int, name: str) -> tuple[np.ndarray, list[int]]:
    """Integer codes of each categorical column (one row per id) and each column's cardinality."""
    if features is None or features.shape[1] == 0:
        return np.zeros((n_rows, 0), dtype=np.int64), []
    if not isinstance(features, pd.DataFrame):
        raise ValueError(f"TwoTower: {name} must be a DataFrame indexed by id, got {type(features).__name__}")
    missing = pd.RangeIndex(n_rows).difference(features.index)
    if len(missing):
        raise ValueError(
            f"TwoTower: {name} must be indexed by id and cover ids 0..{n_rows - 1}; "
            f"{len(missing)} ids are missing, e.g. {missing[:5].tolist()}"
        )
    features = features.loc[np.arange(n_rows)]  # aligned by id, not by position
    codes, cards = [], []
    for column in features.columns:
        values = features[column]
        if values.isna().any():
            raise ValueError(f"TwoTower: {name} column '{column}' has missing values")
        code, uniques = pd.factorize(values, sort=True)
        codes.append(code)
        cards.append(len(uniques))
    return np.stack(codes, axis=1).astype(np.int64), cards
