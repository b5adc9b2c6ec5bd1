"""The minibatch training loop every PyTorch model of the package shares.

    for epoch = 1 … n_epochs:
        shuffle the training examples (a permutation drawn from the model's generator)
        for each batch of ``batch_size`` examples:
            objective, loss_sum, count = step(batch)      # the model's forward pass and loss
            zero the gradients; objective.backward(); optimizer.step()
        loss of the epoch = Σ loss_sum / Σ count           (one row of ``history``)
        with a validation loss: keep the best epoch's weights; stop after ``patience`` epochs
        without a lower one

A model file keeps only what is its own: the parameters, the forward pass and the loss (its
``step``). Everything here is bookkeeping that does not touch the numbers: the same generator
draws the same permutations in the same order as a hand-written loop would.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import time
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from tqdm import tqdm

__all__ = ["DTYPE", "torch_threads", "train_minibatches", "torch_csr", "bpr_training_pairs", "sample_negatives"]

log = logging.getLogger(__name__)

#: Training precision of every PyTorch model. In float32 the learnt vectors differ from CPU to
#: CPU (SIMD kernels round differently and SGD amplifies it); in float64 they come out the same
#: on every CPU tried, and the small per-batch operations cost little more.
DTYPE = torch.float64

#: What a model's ``step(batch)`` returns: the objective to minimise (a scalar tensor), the
#: batch's summed loss for the history (tensor or float), and how many examples that sum covers.
Step = Callable[[torch.Tensor], tuple[torch.Tensor, "torch.Tensor | float", int]]


def train_minibatches(
    step: Step,
    optimizer: torch.optim.Optimizer,
    n_examples: int,
    *,
    n_epochs: int,
    batch_size: int,
    generator: torch.Generator,
    desc: str,
    show_progress: bool = False,
    batches: Callable[[], Iterable[torch.Tensor]] | None = None,
    module: torch.nn.Module | None = None,
    validation_loss: Callable[[], float] | None = None,
    patience: int | None = None,
    postfix: Callable[[], dict] | None = None,
    threads: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """Run minibatch training; return the history and the epoch whose weights were kept.

    Parameters
    ----------
    step : callable
        ``step(batch) -> (objective, loss_sum, count)`` for one batch of example indices: the
        model's forward pass and loss. The loop calls ``objective.backward()`` and steps the
        optimizer; the epoch's loss is ``Σ loss_sum / Σ count``.
    optimizer : torch.optim.Optimizer
        Over the model's parameters.
    n_examples : int
        Examples ``0 … n_examples − 1``, shuffled afresh each epoch with ``generator``.
    n_epochs, batch_size : int
        Passes over the examples, and examples per step.
    generator : torch.Generator
        The model's seeded generator (it may draw from it in ``step`` too, e.g. negatives).
    desc : str
        Name on the progress bar and in the log.
    show_progress : bool
        A progress bar over epochs with the loss in its postfix. Affects display only.
    batches : callable, optional
        ``batches()`` returns the batches of one epoch, replacing the plain shuffle (e.g. batches
        of similar lengths). Called once per epoch, where the shuffle would draw its permutation.
    module : torch.nn.Module, optional
        Put in training mode at the start of every epoch (a validation loss may switch it to
        evaluation); with ``validation_loss``, its best weights are kept.
    validation_loss : callable, optional
        ``validation_loss()`` after every epoch: training stops after ``patience`` epochs without
        a new lowest value, and ``module`` gets back the weights of the best epoch.
    patience : int, optional
        Epochs without improvement before stopping; needed with ``validation_loss``.
    postfix : callable, optional
        ``postfix()`` returns more entries for the progress bar (e.g. a learnt temperature).
    threads : int, optional
        Run with PyTorch limited to this many intra-op threads, restored afterwards. Affects speed
        (and the order of some floating-point sums, so keep a model's setting fixed).

    Returns
    -------
    history : DataFrame, indexed by epoch (from 1)
        ``loss`` (the mean training loss of the epoch) and, with ``validation_loss``,
        ``validation_loss``.
    best_epoch : int
        The epoch whose weights the model holds: the lowest validation loss, or the last epoch.
    """
    if validation_loss is not None and (module is None or patience is None):
        raise ValueError("train_minibatches: early stopping needs the module and the patience")
    losses, validation_losses = [], []
    best_epoch, best_loss, best_state, waited = 0, np.inf, None, 0
    with torch_threads(threads) if threads else contextlib.nullcontext():
        progress = tqdm(range(1, n_epochs + 1), desc=desc, disable=not show_progress)
        for epoch in progress:
            started = time.perf_counter()
            if module is not None:
                module.train()
            if batches is None:
                order = torch.randperm(n_examples, generator=generator)
                epoch_batches = (order[start : start + batch_size] for start in range(0, n_examples, batch_size))
            else:
                epoch_batches = batches()
            total, count = 0.0, 0
            for batch in epoch_batches:
                objective, loss_sum, n = step(batch)
                optimizer.zero_grad()
                objective.backward()
                optimizer.step()
                total += float(loss_sum.detach()) if isinstance(loss_sum, torch.Tensor) else float(loss_sum)
                count += n
            if not np.isfinite(total):
                raise ValueError(f"{desc}: the training loss is not finite at epoch {epoch}; lower learning_rate")
            losses.append(total / count)
            shown = {"loss": f"{losses[-1]:.4f}"}
            if validation_loss is not None:
                validation_losses.append(validation_loss())
                shown["validation_loss"] = f"{validation_losses[-1]:.4f}"
                if validation_losses[-1] < best_loss:
                    best_epoch, best_loss, waited = epoch, validation_losses[-1], 0
                    best_state = copy.deepcopy(module.state_dict())
                else:
                    waited += 1
            progress.set_postfix({**shown, **(postfix() if postfix is not None else {})})
            log.debug("%s: epoch %d of %d, %s, %.2f s", desc, epoch, n_epochs,
                      ", ".join(f"{k} {v}" for k, v in shown.items()), time.perf_counter() - started)
            if validation_loss is not None and waited >= patience:
                log.debug("%s: stopped after epoch %d, best epoch %d", desc, epoch, best_epoch)
                break
        progress.close()
    history = pd.DataFrame({"loss": losses}, index=pd.RangeIndex(1, len(losses) + 1, name="epoch"))
    if validation_loss is not None:
        history["validation_loss"] = validation_losses
        module.load_state_dict(best_state)
    else:
        best_epoch = len(losses)
    return history, best_epoch


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with PyTorch limited to ``n`` intra-op threads, then restore the setting.

    The setting is process-wide: it is restored in ``finally``, even when the block fails.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# ---------------------------------------------------------------------------------------------
# Kernels shared by several models


def torch_csr(pattern: sp.csr_matrix, values: np.ndarray) -> torch.Tensor:
    """A PyTorch CSR tensor with the pattern of a SciPy CSR matrix and the given values."""
    with warnings.catch_warnings():  # PyTorch flags its sparse CSR support as beta, once, on first creation
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(pattern.indptr.astype(np.int64)),
            torch.from_numpy(pattern.indices.astype(np.int64)),
            torch.from_numpy(values),
            size=pattern.shape,
        )


def bpr_training_pairs(X, caller: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The (user, positive item) pairs BPR trains on, and the sorted keys `sample_negatives` avoids.

    A user who has interacted with every item has no negative to rank below a positive: their
    pairs are left out, and a log where that holds for every user raises ``ValueError``.
    """
    n_items = X.shape[1]
    coo = X.tocoo()
    keep = (np.diff(X.indptr) < n_items)[coo.row]
    if not keep.any():
        raise ValueError(f"{caller}: every user has interacted with every item; there are no negatives to learn from")
    users = torch.as_tensor(coo.row[keep], dtype=torch.long)
    items = torch.as_tensor(coo.col[keep], dtype=torch.long)
    positive_keys = torch.as_tensor(np.sort(coo.row.astype(np.int64) * n_items + coo.col))
    return users, items, positive_keys


def sample_negatives(users: torch.Tensor, positive_keys: torch.Tensor, n_items: int, generator) -> torch.Tensor:
    """One item per user, uniform over the items that user has *not* interacted with.

    Draws uniformly over the catalogue and redraws the hits on a positive (rejection sampling).
    ``positive_keys`` holds user * n_items + item of every positive pair, sorted. Without the
    redraw, about 9 % of the negatives on a 75 % split of MovieLens-100K are positives: pairs the
    loss then pushes down.
    """
    negatives = torch.randint(0, n_items, (len(users),), generator=generator)
    todo = torch.arange(len(users))
    while len(todo):
        keys = users[todo] * n_items + negatives[todo]
        slot = torch.searchsorted(positive_keys, keys).clamp_(max=len(positive_keys) - 1)
        todo = todo[positive_keys[slot] == keys]
        negatives[todo] = torch.randint(0, n_items, (len(todo),), generator=generator)
    return negatives
