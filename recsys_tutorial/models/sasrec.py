"""SASRec: self-attentive sequential recommendation (Kang & McAuley, ICDM 2018).

A user is the sequence of items they interacted with, in time order. SASRec reads the last
``max_len`` of them and predicts, at every position, the *next* item:

    x_t = e_(item_t) · √d + p_t                      item embedding plus a learnt position
    h   = Block_B( … Block_1(x) … )                   causal self-attention: position t sees 1..t
    Block(x) = x' + FFN(LN(x')),  x' = x + Attention(LN(x))    (pre-norm transformer blocks)
    score(t, i) = LN(h)_t · e_i                       the same item embeddings score the output

The causal mask is what makes it sequential: the state at position t summarises items 1..t and
is trained to put the item at t + 1 first. Trained with the softmax cross-entropy over the whole
catalogue (``n_negatives=None``), or over the target and ``n_negatives`` sampled items; Klenitskiy
& Vasilev (RecSys 2023) found the cross-entropy loss, rather than the original paper's binary
loss with one negative, is what makes SASRec strong. To recommend, the model reads the user's
latest ``max_len`` training items and scores every item from the state at the last position:
score(u, i) = h_u · e_i, a dot product, so the user states and item embeddings can be exported
(``user_embeddings``, ``item_embeddings``) and searched like any other embedding model's.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from ._training import DTYPE, train_minibatches
from .base import EmbeddingMixin, Recommender, check_positive, item_sequences, torch_seed

__all__ = ["SASRec"]

log = logging.getLogger(__name__)


class SASRecNetwork(nn.Module):
    """Embeddings, causal transformer blocks and the final layer norm; item 0 is padding."""

    def __init__(self, n_items: int, max_len: int, n_factors: int, n_blocks: int, n_heads: int, dropout: float):
        super().__init__()
        self.item_embedding = nn.Embedding(n_items + 1, n_factors, padding_idx=0, dtype=DTYPE)
        self.position_embedding = nn.Embedding(max_len, n_factors, dtype=DTYPE)
        # Item vectors of length about 1 (N(0, 1/d) entries; torch's default N(0, 1) gives length
        # √d): they are the output layer too, and logits of order d saturate the softmax at once.
        nn.init.normal_(self.item_embedding.weight, std=n_factors**-0.5)
        nn.init.normal_(self.position_embedding.weight, std=n_factors**-0.5)
        with torch.no_grad():
            self.item_embedding.weight[0] = 0.0
        self.dropout = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(n_factors, n_heads, dim_feedforward=n_factors, dropout=dropout,
                                           batch_first=True, norm_first=True, dtype=DTYPE)
        self.blocks = nn.TransformerEncoder(block, n_blocks, enable_nested_tensor=False)
        self.final_norm = nn.LayerNorm(n_factors, dtype=DTYPE)
        self.n_heads = n_heads
        causal = torch.triu(torch.ones(max_len, max_len, dtype=torch.bool), diagonal=1)  # True: may not attend
        self.register_buffer("causal_mask", causal)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        """States of shape (B, L, d) for item sequences of shape (B, L ≤ max_len), left-padded with 0.

        A sequence is right-aligned: its latest item sits at position max_len − 1 whatever L is,
        and no position attends to padding, so a batch may drop the columns that are padding in
        every row without changing any state.
        """
        length = sequences.shape[1]
        max_len = self.position_embedding.num_embeddings
        positions = torch.arange(max_len - length, max_len)
        x = self.item_embedding(sequences) * self.item_embedding.embedding_dim**0.5 + self.position_embedding(positions)
        padding = sequences == 0
        x = self.dropout(x) * ~padding.unsqueeze(2)  # padding stays zero
        # A position attends to earlier positions that hold an item, and to itself (so that a
        # padding position, whose state is never used, still has something to attend to).
        blocked = self.causal_mask[:length, :length] | padding[:, None, :]  # (B, L, L)
        blocked &= ~torch.eye(length, dtype=torch.bool)
        h = self.blocks(x, mask=blocked.repeat_interleave(self.n_heads, dim=0))
        return self.final_norm(h)

    def item_vectors(self) -> torch.Tensor:
        """(n_items, d): the output side shares the input embeddings (padding row dropped)."""
        return self.item_embedding.weight[1:]


class SASRec(EmbeddingMixin, Recommender):
    """Next-item prediction with causal self-attention over each user's latest items.

    Parameters
    ----------
    n_factors : int
        d, the width of embeddings and attention.
    max_len : int
        How many of a user's latest items the model reads.
    n_blocks, n_heads : int
        Transformer blocks, and attention heads per block (``n_factors`` divisible by it).
    dropout : float
        Dropout rate in [0, 1).
    n_negatives : int or None
        ``None``: softmax over the whole catalogue; else over the target and this many items
        drawn uniformly (shared by the batch).
    n_epochs : int
        Passes over the users' sequences.
    learning_rate : float
        Adam's step size.
    batch_size : int
        Sequences per step.
    random_state : int or None
        Seed of the initial weights, dropout, shuffling and negatives. ``None``: a fresh seed on
        every fit.

    Attributes
    ----------
    user_factors_ : ndarray of float64, shape (n_users, d)
        Each user's state h_u after reading their latest training items.
    item_factors_ : ndarray of float64, shape (n_items, d)
        The item embeddings e_i (input and output side share them).
    history_ : DataFrame, indexed by epoch (from 1)
        ``loss``: the mean cross-entropy per predicted position of each epoch.

    Examples
    --------
    >>> import pandas as pd
    >>> # every user walks 0 -> 1 -> 2 -> 3;
    >>> # user 3 has seen 0 and 1, so 2 comes next
    >>> start = pd.to_datetime("2024-01-01")
    >>> days = pd.to_timedelta(list(range(4)) * 3 + [0, 1], "D")
    >>> train = pd.DataFrame({"user_id": [0] * 4 + [1] * 4 + [2] * 4 + [3] * 2,
    ...                       "item_id": [0, 1, 2, 3] * 3 + [0, 1],
    ...                       "timestamp": start + days})
    >>> model = SASRec(n_factors=16, n_heads=1, max_len=4, n_epochs=100,
    ...                batch_size=4, dropout=0.0).fit(train)
    >>> model.recommend([3], k=1)[0].tolist()
    [[2]]
    """

    def __init__(
        self,
        n_factors: int = 32,
        max_len: int = 50,
        n_blocks: int = 2,
        n_heads: int = 1,
        dropout: float = 0.5,
        n_negatives: int | None = None,
        n_epochs: int = 7,
        learning_rate: float = 0.01,
        batch_size: int = 256,
        random_state: int | None = 0,
    ):
        self.n_factors = n_factors
        self.max_len = max_len
        self.n_blocks = n_blocks
        self.n_heads = n_heads
        self.dropout = dropout
        self.n_negatives = n_negatives
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit(self, X, interactions) -> None:
        check_positive(self, "n_factors", "max_len", "n_blocks", "n_heads", "n_epochs", "batch_size", integer=True)
        check_positive(self, "learning_rate")
        if self.n_factors % self.n_heads:
            raise ValueError(f"SASRec: n_factors ({self.n_factors}) must be divisible by n_heads ({self.n_heads})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"SASRec: dropout must be in [0, 1), got {self.dropout!r}")
        if self.n_negatives is not None:
            check_positive(self, "n_negatives", integer=True)
        n_users, n_items = X.shape
        seed = torch_seed(self.random_state)

        # 1) Each user's latest max_len + 1 distinct items in the order they first met them,
        #    left-padded with 0 (ids shift by 1).
        users, items = item_sequences(interactions)
        sequences = _latest_sequences(users, items + 1, n_users, self.max_len + 1)
        lengths = (sequences != 0).sum(axis=1)
        trainable = np.flatnonzero(lengths >= 2)  # at least one (input, next item) pair
        if len(trainable) == 0:
            raise ValueError("SASRec: no user has two or more training items; there is no next item to learn")
        sequences = torch.as_tensor(sequences)
        inputs, targets = sequences[:, :-1], sequences[:, 1:]  # predict item t+1 from items up to t
        log.debug("SASRec: %d users with a next item to learn, %d items", len(trainable), n_items)

        # 2) The network; dropout and initial weights drawn from a private, seeded RNG state.
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            network = SASRecNetwork(n_items, self.max_len, self.n_factors, self.n_blocks, self.n_heads, self.dropout)
            optimizer = torch.optim.Adam(network.parameters(), lr=self.learning_rate, betas=(0.9, 0.98), fused=True)
            generator = torch.Generator().manual_seed(seed)

            # 3) The loss of one batch of users (rows): cross-entropy of the next item at every
            #    non-padded position.
            def step(rows):
                batch_inputs, batch_targets = _drop_padding_columns(inputs[rows], targets[rows])
                states = network(batch_inputs)  # (B, L, d)
                valid = batch_targets != 0
                h, target = states[valid], batch_targets[valid] - 1  # (N, d), (N,) item ids
                item_vectors = network.item_vectors()
                if self.n_negatives is None:
                    logits = h @ item_vectors.T  # (N, n_items)
                else:  # the target in column 0, then the negatives the batch shares
                    negatives = torch.randint(0, n_items, (self.n_negatives,), generator=generator)
                    positive = (h * item_vectors[target]).sum(dim=1, keepdim=True)  # (N, 1)
                    negative = h @ item_vectors[negatives].T  # (N, n_negatives)
                    negative.masked_fill_(negatives[None, :] == target[:, None], float("-inf"))  # not itself
                    logits = torch.cat([positive, negative], dim=1)
                    target = torch.zeros(len(target), dtype=torch.long)
                loss = nn.functional.cross_entropy(logits, target, reduction="sum")
                return loss / len(target), loss, len(target)

            # 4) Training: batches of users with similar history lengths, Adam.
            self.history_, _ = train_minibatches(
                step, optimizer, len(trainable), n_epochs=self.n_epochs, batch_size=self.batch_size,
                generator=generator, desc="SASRec", show_progress=self._show_progress, module=network,
                batches=lambda: _length_bucketed_batches(trainable, lengths, self.batch_size, generator),
            )

            # 5) Each user's state after their latest max_len items: the last position of the sequence.
            network.eval()
            with torch.no_grad():
                latest = sequences[:, 1:]  # the last max_len items, next item unknown
                self.user_factors_ = np.concatenate(
                    [network(_drop_padding_columns(latest[start : start + 1024])[0])[:, -1].numpy()
                     for start in range(0, n_users, 1024)]
                )
                self.item_factors_ = network.item_vectors().numpy().copy()

    def _score(self, users: np.ndarray) -> np.ndarray:
        # score(u, i) = h_u · e_i
        return self.user_factors_[users] @ self.item_factors_.T


def _latest_sequences(users: np.ndarray, items: np.ndarray, n_users: int, length: int) -> np.ndarray:
    """(n_users, length) array of each user's latest ``length`` items, right-aligned, 0-padded.

    ``users`` and ``items`` are sorted by user, then time.
    """
    out = np.zeros((n_users, length), dtype=np.int64)
    boundaries = np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
    ends = np.repeat(boundaries[1:], np.diff(boundaries))
    from_end = ends - 1 - np.arange(len(users))  # 0 = the user's latest item
    keep = from_end < length
    out[users[keep], length - 1 - from_end[keep]] = items[keep]
    return out


def _length_bucketed_batches(rows: np.ndarray, lengths: np.ndarray, batch_size: int, generator) -> list[torch.Tensor]:
    """Shuffled batches of ``rows`` in which sequences have similar lengths.

    Speed only: a batch is cut to its longest sequence, so mixing one long history with many
    short ones would compute mostly padding. Shuffle, sort by length within pools of 32 batches,
    cut into batches, and shuffle the batches.
    """
    shuffled = rows[torch.randperm(len(rows), generator=generator).numpy()]
    pool = 32 * batch_size
    batches = []
    for start in range(0, len(shuffled), pool):
        chunk = shuffled[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [torch.as_tensor(chunk[i : i + batch_size]) for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _drop_padding_columns(*sequences: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The same left-padded batches without the leading columns that are padding in every row.

    Speed only: no position attends to padding (see `SASRecNetwork.forward`), so the states of
    the positions that hold an item do not change.
    """
    filled = (sequences[0] != 0).any(dim=0)
    first = int(filled.nonzero()[0]) if filled.any() else sequences[0].shape[1] - 1
    return tuple(s[:, first:] for s in sequences)
