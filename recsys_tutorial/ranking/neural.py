"""Neural rankers: DCN-v2 and DeepFM, pointwise models of P(label > 0) over a ranking frame.

References: Wang et al., "DCN V2: Improved Deep & Cross Network and Practical Lessons for
Web-scale Learning to Rank Systems" (WWW 2021); Guo et al., "DeepFM: A Factorization-Machine
based Neural Network for CTR Prediction" (IJCAI 2017).

A ranking frame has one row per (user, candidate item) pair, a graded ``label`` and feature
columns named ``"<group>__<name>"``, each numeric or a pandas ``category``. Both models read
the features the same way:

    z_j = clip((x_j − μ_j) / σ_j, −5, 5)       numeric feature j; μ_j, σ_j from the training frame
    e_c = E_c[code_c]                (d)        categorical feature c; code 0 = unseen in training

(σ_j = 1 for a column that is constant in training; the clip keeps an outlier from dominating
a product of features.)

DCN-v2, parallel structure. Each cross layer multiplies the input, element by element, by a
learnt linear map of the layer before: layer l holds feature crosses up to degree l + 1. A deep
network reads the same input beside it, and one linear layer reads both:

    x_0 = [z ; e_1 ; … ; e_C]                         (D = n_numeric + C·d)
    x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l             W_l ∈ ℝ^{D×D} (full rank), l = 0 … L−1
    h = MLP(x_0)                                      ReLU layers of widths ``hidden``
    logit = wᵀ [x_L ; h] + b

DeepFM. Every feature is a field with a vector of size d: v_c = e_c for a categorical field and
v_j = z_j · u_j for a numeric one (a learnt u_j scaled by the standardised value). Three parts
share the vectors and add up:

    y_1   = b + Σ_j w_j z_j + Σ_c w_c[code_c]                            first order
    y_FM  = Σ_{i<k} ⟨v_i, v_k⟩ = ½ Σ_f ((Σ_i v_{i,f})² − Σ_i v_{i,f}²)    second order, O(m·d), m fields
    y_DNN = MLP([v_1 ; … ; v_m])                                         deep part, then a linear output
    logit = y_1 + y_FM + y_DNN

Training, both models. Minimise the binary cross-entropy between σ(logit) and y = [label > 0]
with Adam (``reg`` is weight decay) over shuffled minibatches, in the training loop every
PyTorch model of the package shares. Given a validation frame, stop after ``patience`` epochs
without a lower validation log loss and keep the best epoch's weights. Everything is float64
(``DTYPE``), as in `TwoTower`, so the predictions come out the same on every CPU.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..models._training import DTYPE, train_minibatches
from ..models.base import check_layer_widths, check_positive, torch_seed
from .frame import feature_columns

__all__ = ["CrossNetwork", "DCNNetwork", "DeepFMNetwork", "DCN", "DeepFM"]

log = logging.getLogger(__name__)

#: Standardised numeric features are clipped to [−CLIP, CLIP].
CLIP = 5.0

#: Standard deviation of the initial embeddings (small, so the FM term starts near 0).
EMBEDDING_INIT_STD = 0.01

#: Rows scored at once by ``predict`` and the validation loss; bounds memory. Affects speed, not results.
PREDICT_BATCH = 65_536


# ----------------------------------------------------------------------------------------------
# The networks


def _mlp(width: int, hidden: tuple[int, ...]) -> tuple[nn.Sequential, int]:
    """ReLU layers of widths ``hidden`` on inputs of width ``width``; the stack and its output width."""
    layers = []
    for size in hidden:
        layers += [nn.Linear(width, size, dtype=DTYPE), nn.ReLU()]
        width = size
    return nn.Sequential(*layers), width


def _embeddings(cardinalities: list[int], dim: int) -> nn.ModuleList:
    """One table per categorical feature, rows drawn from N(0, EMBEDDING_INIT_STD²)."""
    tables = nn.ModuleList(nn.Embedding(n, dim, dtype=DTYPE) for n in cardinalities)
    for table in tables:
        nn.init.normal_(table.weight, std=EMBEDDING_INIT_STD)
    return tables


class CrossNetwork(nn.Module):
    """The DCN-v2 cross network: ``n_layers`` layers x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l.

    ``layers[l]`` is the ``nn.Linear(width, width)`` holding W_l (full rank) and b_l.
    """

    def __init__(self, width: int, n_layers: int):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width, dtype=DTYPE) for _ in range(n_layers))

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0  # (B, D)
        for layer in self.layers:
            # x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l
            x = x0 * layer(x) + x  # (B, D)
        return x


class DCNNetwork(nn.Module):
    """DCN-v2, parallel: a cross network and an MLP on x_0 = [z ; e_1 ; … ; e_C], then one linear logit.

    ``cardinalities[c]`` is the size of categorical feature c's table (its categories + 1 for unseen).
    """

    def __init__(self, n_numeric: int, cardinalities: list[int], n_factors: int, n_cross_layers: int, hidden):
        super().__init__()
        self.embeddings = _embeddings(cardinalities, n_factors)
        width = n_numeric + len(cardinalities) * n_factors  # D
        self.cross = CrossNetwork(width, n_cross_layers)
        self.deep, deep_width = _mlp(width, tuple(hidden))
        self.head = nn.Linear(width + deep_width, 1, dtype=DTYPE)

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Logits (B,) from standardised numeric features z (B, n_numeric) and category codes (B, C)."""
        embedded = [table(codes[:, c]) for c, table in enumerate(self.embeddings)]  # C × (B, d)
        x0 = torch.cat([numeric, *embedded], dim=1)  # (B, D)
        # logit = wᵀ [x_L ; MLP(x_0)] + b
        both = torch.cat([self.cross(x0), self.deep(x0)], dim=1)  # (B, D + hidden[-1])
        return self.head(both).squeeze(1)  # (B,)


class DeepFMNetwork(nn.Module):
    """DeepFM: first-order weights, the FM second-order term and an MLP over shared field vectors.

    Fields are the numeric features first (v_j = z_j · u_j), then the categorical ones (v_c = e_c).
    """

    def __init__(self, n_numeric: int, cardinalities: list[int], n_factors: int, hidden):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros((), dtype=DTYPE))  # b
        self.numeric_weights = nn.Parameter(torch.zeros(n_numeric, dtype=DTYPE))  # w_j, (n_numeric,)
        self.categorical_weights = _embeddings(cardinalities, 1)  # w_c[code], C × (n_c, 1)
        self.numeric_vectors = nn.Parameter(torch.empty(n_numeric, n_factors, dtype=DTYPE))  # u_j, (n_numeric, d)
        nn.init.normal_(self.numeric_vectors, std=EMBEDDING_INIT_STD)
        self.embeddings = _embeddings(cardinalities, n_factors)  # E_c, C × (n_c, d)
        n_fields = n_numeric + len(cardinalities)  # m
        mlp, width = _mlp(n_fields * n_factors, tuple(hidden))
        self.deep = nn.Sequential(mlp, nn.Linear(width, 1, dtype=DTYPE))

    def fields(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """The field vectors v (B, m, d): z_j · u_j for each numeric feature, then e_c for each categorical one."""
        numeric_fields = numeric[:, :, None] * self.numeric_vectors[None, :, :]  # (B, n_numeric, d)
        embedded = [table(codes[:, c])[:, None, :] for c, table in enumerate(self.embeddings)]  # C × (B, 1, d)
        return torch.cat([numeric_fields, *embedded], dim=1)  # (B, m, d)

    @staticmethod
    def second_order(v: torch.Tensor) -> torch.Tensor:
        """y_FM of each row of v (B, m, d): Σ_{i<k} ⟨v_i, v_k⟩, computed in O(m·d)."""
        # y_FM = ½ Σ_f ((Σ_i v_{i,f})² − Σ_i v_{i,f}²)
        square_of_sum = v.sum(dim=1) ** 2  # (B, d)
        sum_of_squares = (v**2).sum(dim=1)  # (B, d)
        return 0.5 * (square_of_sum - sum_of_squares).sum(dim=1)  # (B,)

    def forward(self, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Logits (B,) from standardised numeric features z (B, n_numeric) and category codes (B, C)."""
        v = self.fields(numeric, codes)  # (B, m, d)
        # y_1 = b + Σ_j w_j z_j + Σ_c w_c[code_c]
        first = self.bias + numeric @ self.numeric_weights  # (B,)
        for c, weights in enumerate(self.categorical_weights):
            first = first + weights(codes[:, c]).squeeze(1)  # (B,)
        # y_DNN = MLP([v_1 ; … ; v_m])
        deep = self.deep(v.flatten(start_dim=1)).squeeze(1)  # (B,)
        # logit = y_1 + y_FM + y_DNN
        return first + self.second_order(v) + deep  # (B,)


# ----------------------------------------------------------------------------------------------
# The estimators


class _NeuralRanker(BaseEstimator):
    """Shared by `DCN` and `DeepFM`: input checks, feature encoding, training, ``predict``.

    A scikit-learn estimator: a subclass's ``__init__`` only stores its hyperparameters (so
    ``get_params``, ``set_params``, ``clone`` and ``repr`` work), and it builds its network in
    ``_network``.
    """

    # fit's and predict's arguments are data and options, not metadata for scikit-learn to route
    # (which would add set_fit_request and set_predict_request methods).
    __metadata_request__fit = {"train_frame": UNUSED, "validation_frame": UNUSED, "features": UNUSED,
                               "show_progress": UNUSED}
    __metadata_request__predict = {"frame": UNUSED}

    def fit(self, train_frame: pd.DataFrame, validation_frame=None, features=None, show_progress: bool = False):
        """Learn P(label > 0) from ``train_frame``; returns ``self``. Refitting forgets the last fit.

        Parameters
        ----------
        train_frame : DataFrame
            A ranking frame: one row per (user, candidate item), a ``label`` column (int >= 0;
            the model learns ``label > 0``, so it needs positive and zero labels) and the features.
        validation_frame : DataFrame, optional
            Rows to stop on: after each epoch the validation log loss is measured, training stops
            after ``patience`` epochs without a new best, and the best epoch's weights are kept.
        features : list of str, optional
            Feature columns, each numeric or a pandas ``category``. ``None``: every column whose
            name contains ``"__"`` (``"<group>__<name>"``).
        show_progress : bool
            Show a progress bar over epochs. Affects display only.
        """
        name = type(self).__name__
        for key in [key for key in vars(self) if key.endswith("_")]:  # unfitted until this fit succeeds
            del self.__dict__[key]
        # 1) check everything before any work
        self._check_params()
        labels = _check_frame(train_frame, f"{name}.fit", "train_frame", need_label=True)
        features = _resolve_features(train_frame, features, f"{name}.fit")
        positives = int(labels.sum())
        if positives in (0, len(labels)):
            kind = "positive (label > 0)" if positives else "zero (label == 0)"
            raise ValueError(
                f"{name}.fit: every row of train_frame has a {kind} label: a single class. "
                "A pointwise ranker learns P(label > 0) and needs rows of both classes"
            )
        if validation_frame is not None:
            validation_labels = _check_frame(validation_frame, f"{name}.fit", "validation_frame", need_label=True)

        # 2) feature encoding learnt on the training frame
        categorical = [c for c in features if isinstance(train_frame[c].dtype, pd.CategoricalDtype)]
        numeric = [c for c in features if c not in categorical]
        raw = _numeric_values(train_frame, numeric, f"{name}.fit", "train_frame")  # (n, n_numeric)
        std = raw.std(axis=0)
        std[raw.max(axis=0) == raw.min(axis=0)] = 1.0  # constant column: σ = 1
        self.features_ = list(features)
        self.numeric_features_, self.categorical_features_ = numeric, categorical
        self.numeric_mean_, self.numeric_std_ = raw.mean(axis=0), std
        self.categories_ = {c: train_frame[c].cat.categories for c in categorical}
        train = (*self._encode(train_frame, f"{name}.fit", "train_frame"), torch.as_tensor(labels))
        validation = None
        if validation_frame is not None:
            encoded = self._encode(validation_frame, f"{name}.fit", "validation_frame")
            validation = (*encoded, torch.as_tensor(validation_labels))

        # 3) the network, seeded weights and batch order
        seed = torch_seed(self.random_state)
        with torch.random.fork_rng():  # seeded init that leaves the global RNG untouched
            torch.manual_seed(seed)
            network = self._network(len(numeric), [len(self.categories_[c]) + 1 for c in categorical])
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam(network.parameters(), lr=self.learning_rate, weight_decay=self.reg, fused=True)
        log.debug("%s: %d training rows, %d numeric and %d categorical features", name, len(labels), len(numeric),
                  len(categorical))

        # 4) the loss of one minibatch (idx: row indices): binary cross-entropy of the logits
        numeric_x, codes, target = train

        def step(idx):
            logits = network(numeric_x[idx], codes[idx])  # (B,)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, target[idx])
            return loss, float(loss.detach()) * len(idx), len(idx)

        # 5) minibatch Adam, early stopping on the validation log loss
        self.history_, self.best_epoch_ = train_minibatches(
            step, optimizer, len(target), n_epochs=self.n_epochs, batch_size=self.batch_size, generator=generator,
            desc=name, show_progress=show_progress, module=network, patience=self.patience,
            validation_loss=(lambda: _log_loss(network, *validation)) if validation is not None else None,
        )
        network.eval()
        self.network_ = network
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once ``fit`` has succeeded (`check_is_fitted` asks this)."""
        return hasattr(self, "network_")

    def _check_params(self) -> None:
        """Raise ``ValueError`` naming the first bad hyperparameter."""
        name = type(self).__name__
        check_positive(self, "n_factors", "n_epochs", "batch_size", "patience", integer=True)
        check_positive(self, "learning_rate")
        if isinstance(self.reg, bool) or not isinstance(self.reg, (int, float, np.number)) or not self.reg >= 0:
            raise ValueError(f"{name}: reg (weight decay) must be a number >= 0, got {self.reg!r}")
        check_layer_widths(self, "hidden")
        random_state = self.random_state
        integer = isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
        if random_state is not None and not integer:
            raise ValueError(f"{name}: random_state must be an integer or None, got {random_state!r}")

    def _network(self, n_numeric: int, cardinalities: list[int]) -> nn.Module:
        """The untrained network for ``n_numeric`` numeric features and tables of these sizes."""
        raise NotImplementedError

    def _encode(self, frame: pd.DataFrame, where: str, what: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Standardised, clipped numeric features (n, n_numeric) and category codes (n, C), 0 = unseen."""
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{where}: feature column(s) {missing} missing from {what}; "
                f"the model was fit on these {len(self.features_)} features: {self.features_}"
            )
        for c in self.numeric_features_:
            if isinstance(frame[c].dtype, pd.CategoricalDtype):
                raise ValueError(f"{where}: feature '{c}' of {what} is categorical, but it was numeric in training")
        raw = _numeric_values(frame, self.numeric_features_, where, what)  # (n, n_numeric)
        # z_j = clip((x_j − μ_j) / σ_j, −5, 5)
        z = np.clip((raw - self.numeric_mean_) / self.numeric_std_, -CLIP, CLIP)  # (n, n_numeric)
        # Codes 1 … n_c for the training categories; 0 for a category unseen in training (or missing).
        codes = np.zeros((len(frame), len(self.categorical_features_)), dtype=np.int64)  # (n, C)
        for k, c in enumerate(self.categorical_features_):
            codes[:, k] = self.categories_[c].get_indexer(frame[c].to_numpy()) + 1  # get_indexer: −1 if unseen
        return torch.as_tensor(z, dtype=DTYPE), torch.as_tensor(codes)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """P(label > 0) of each row of ``frame``: float64 array of shape (len(frame),).

        ``frame`` needs the feature columns of training (``features_``); ``label`` is not used.
        Categories unseen in training share one embedding (code 0), which no training row updates
        (only weight decay, pulling it towards 0). Rows are scored independently: the other rows
        of ``frame`` change a row's probability by floating-point rounding at most (matrix kernels
        sum in an order that depends on the batch).
        """
        name = type(self).__name__
        check_is_fitted(self, msg="%(name)s is not fitted yet: call fit(train_frame) first")
        _check_frame(frame, f"{name}.predict", "frame", need_label=False)
        numeric, codes = self._encode(frame, f"{name}.predict", "frame")
        if len(frame) == 0:
            return np.zeros(0, dtype=np.float64)
        return torch.sigmoid(_logits(self.network_, numeric, codes)).numpy()


_PARAMETERS = """
    n_factors : int
        d, the size of each categorical feature's embedding{deepfm}.
    learning_rate : float
        Adam's step size.
    reg : float
        Adam's weight decay (L2 penalty on every weight), >= 0.
    n_epochs : int
        Passes over the training frame (fewer if early stopping ends training first).
    batch_size : int
        Rows per Adam step.
    patience : int
        With a validation frame, stop after this many epochs without a lower validation log loss.
    random_state : int or None
        Seed of the initial weights and of the batch order. ``None``: a fresh seed on every fit.

    Attributes
    ----------
    features_ : list of str
        The feature columns, in the order of the training frame (or of ``features``).
    numeric_features_, categorical_features_ : list of str
        The numeric and the categorical (pandas ``category``) ones.
    numeric_mean_, numeric_std_ : ndarray of float64, shape (n_numeric,)
        μ_j and σ_j of each numeric feature on the training frame (σ_j = 1 for a constant column).
    categories_ : dict of str to Index
        The training categories of each categorical feature; category k has code k + 1, and 0 is
        the code of every category unseen in training.
    network_ : torch.nn.Module
        The trained {network} (float64), in eval mode.
    history_ : DataFrame, indexed by epoch (from 1)
        ``loss`` (the mean minibatch loss of the epoch) and, with a validation frame,
        ``validation_loss`` (the validation log loss after the epoch).
    best_epoch_ : int
        The epoch whose weights were kept: the lowest validation log loss, or the last epoch.
"""


class DCN(_NeuralRanker):
    """Deep & Cross Network v2 (Wang et al., WWW 2021), parallel structure, as a pointwise ranker.

    A stack of full-rank cross layers x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l learns explicit feature
    crosses; an MLP on the same input x_0 learns the rest; a linear layer on both gives the logit
    of P(label > 0). See the module docstring for the inputs and the training.

    Parameters
    ----------
    n_cross_layers : int
        L, the number of cross layers (crosses up to degree L + 1).
    hidden : tuple of int
        Widths of the MLP's ReLU layers; ``()``: no deep part (x_0 goes to the output layer as is).
    {parameters}
    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> kinds = ["book", "game"]
    >>> frame = pd.DataFrame({
    ...     "user_id": rng.integers(0, 20, 300),
    ...     "item_id": rng.integers(0, 50, 300),
    ...     "item__price": rng.normal(size=300),
    ...     "item__category": pd.Categorical(rng.choice(kinds, size=300)),
    ... })
    >>> frame["label"] = (frame["item__price"] > 0).astype(int)
    >>> model = DCN(n_epochs=3, batch_size=64).fit(frame)
    >>> model.features_
    ['item__price', 'item__category']
    >>> model.predict(frame).shape
    (300,)
    """

    def __init__(
        self,
        n_cross_layers: int = 2,
        hidden: tuple[int, ...] = (64, 32),
        n_factors: int = 8,
        learning_rate: float = 1e-3,
        reg: float = 1e-5,
        n_epochs: int = 10,
        batch_size: int = 1024,
        patience: int = 2,
        random_state: int | None = 0,
    ):
        self.n_cross_layers = n_cross_layers
        self.hidden = hidden
        self.n_factors = n_factors
        self.learning_rate = learning_rate
        self.reg = reg
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.patience = patience
        self.random_state = random_state

    def _check_params(self) -> None:
        check_positive(self, "n_cross_layers", integer=True)
        super()._check_params()

    def _network(self, n_numeric: int, cardinalities: list[int]) -> nn.Module:
        return DCNNetwork(n_numeric, cardinalities, self.n_factors, self.n_cross_layers, self.hidden)


class DeepFM(_NeuralRanker):
    """DeepFM (Guo et al., IJCAI 2017) as a pointwise ranker.

    Each feature is a field with a vector (a categorical feature's embedding, or a numeric
    feature's learnt vector times its standardised value). The logit of P(label > 0) adds a
    first-order term, the factorisation machine's pairwise term Σ_{i<k} ⟨v_i, v_k⟩ and an MLP on
    the concatenated vectors. See the module docstring for the inputs and the training.

    Parameters
    ----------
    hidden : tuple of int
        Widths of the deep part's ReLU layers, before its linear output; ``()``: a linear deep part.
    {parameters}
    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> kinds = ["book", "game"]
    >>> frame = pd.DataFrame({
    ...     "user_id": rng.integers(0, 20, 300),
    ...     "item_id": rng.integers(0, 50, 300),
    ...     "item__price": rng.normal(size=300),
    ...     "item__category": pd.Categorical(rng.choice(kinds, size=300)),
    ... })
    >>> frame["label"] = (frame["item__price"] > 0).astype(int)
    >>> model = DeepFM(n_epochs=3, batch_size=64).fit(frame)
    >>> probabilities = model.predict(frame)
    >>> probabilities.shape
    (300,)
    >>> bool(((probabilities > 0) & (probabilities < 1)).all())
    True
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 32),
        n_factors: int = 8,
        learning_rate: float = 1e-3,
        reg: float = 1e-5,
        n_epochs: int = 10,
        batch_size: int = 1024,
        patience: int = 2,
        random_state: int | None = 0,
    ):
        self.hidden = hidden
        self.n_factors = n_factors
        self.learning_rate = learning_rate
        self.reg = reg
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.patience = patience
        self.random_state = random_state

    def _network(self, n_numeric: int, cardinalities: list[int]) -> nn.Module:
        return DeepFMNetwork(n_numeric, cardinalities, self.n_factors, self.hidden)


# The shared parameters and attributes, written once.
DCN.__doc__ = DCN.__doc__.replace("{parameters}", _PARAMETERS.format(deepfm="", network="`DCNNetwork`").strip() + "\n")
DeepFM.__doc__ = DeepFM.__doc__.replace(
    "{parameters}", _PARAMETERS.format(deepfm=" and of each numeric u_j", network="`DeepFMNetwork`").strip() + "\n"
)


# ----------------------------------------------------------------------------------------------
# Input checks and kernels


def _check_frame(frame, where: str, what: str, need_label: bool) -> np.ndarray | None:
    """Raise ``ValueError`` unless ``frame`` is a DataFrame; to train on, non-empty with valid labels.

    Returns y = [label > 0] as float64 when ``need_label``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{where}: {what} must be a pandas DataFrame (a ranking frame), got {type(frame).__name__}")
    if not need_label:
        return None
    if len(frame) == 0:
        raise ValueError(f"{where}: {what} has no rows")
    if "label" not in frame.columns:
        raise ValueError(f"{where}: {what} has no 'label' column (expected graded labels: integers >= 0)")
    label = frame["label"]
    if not pd.api.types.is_numeric_dtype(label) or label.isna().any() or (label < 0).any():
        raise ValueError(f"{where}: {what}'s 'label' column must hold numbers >= 0 without missing values")
    return (label.to_numpy() > 0).astype(np.float64)


def _resolve_features(frame: pd.DataFrame, features, where: str) -> list[str]:
    """The feature columns (``None``: every column named ``"<group>__<name>"``), checked."""
    if features is None:
        features = feature_columns(frame)
    elif isinstance(features, str) or not hasattr(features, "__iter__"):
        raise ValueError(f"{where}: features must be a list of column names, got {features!r}")
    features = list(features)
    if not features:
        raise ValueError(
            f"{where}: no feature columns: expected columns named '<group>__<name>' (two underscores), "
            "e.g. 'item__n_events_7d', or a non-empty features list"
        )
    duplicated = sorted({c for c in features if features.count(c) > 1})
    if duplicated:
        raise ValueError(f"{where}: features lists {duplicated} more than once")
    if "label" in features:
        raise ValueError(f"{where}: 'label' cannot be a feature (it is the target)")
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: feature column(s) {missing} missing from train_frame")
    for c in features:
        dtype = frame[c].dtype
        if not isinstance(dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(dtype):
            raise ValueError(
                f"{where}: feature '{c}' has dtype {dtype}: expected a number or a pandas category "
                f"(for labels such as strings, use frame['{c}'].astype('category'))"
            )
    return features


def _numeric_values(frame: pd.DataFrame, columns: list[str], where: str, what: str) -> np.ndarray:
    """The numeric ``columns`` as a float64 array (n, len(columns)); ``ValueError`` on NaN or infinity."""
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c].dtype):
            raise ValueError(f"{where}: feature '{c}' of {what} has dtype {frame[c].dtype}, expected a number")
    values = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan).reshape(len(frame), len(columns))
    bad = ~np.isfinite(values)
    if bad.any():
        column = columns[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise ValueError(
            f"{where}: numeric feature '{column}' of {what} has NaN or infinite values "
            f"({int(bad.any(axis=1).sum())} rows); fill them first (e.g. 0 plus a missing-indicator column)"
        )
    return values


def _logits(network: nn.Module, numeric: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """The network's logits (n,), in batches of PREDICT_BATCH rows, without gradients."""
    network.eval()
    with torch.no_grad():
        starts = range(0, len(numeric), PREDICT_BATCH)
        parts = [network(numeric[s : s + PREDICT_BATCH], codes[s : s + PREDICT_BATCH]) for s in starts]
    return torch.cat(parts)  # (n,)


def _log_loss(network: nn.Module, numeric: torch.Tensor, codes: torch.Tensor, target: torch.Tensor) -> float:
    """Mean binary cross-entropy of σ(logits) against ``target``: the log loss."""
    logits = _logits(network, numeric, codes)  # (n,)
    return float(nn.functional.binary_cross_entropy_with_logits(logits, target))
