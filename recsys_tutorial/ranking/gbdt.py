"""A gradient-boosted ranker: LightGBM's LambdaMART over a ranking frame.

References: Burges, "From RankNet to LambdaRank to LambdaMART: An Overview" (Microsoft Research
TR-2010-82); Ke et al., "LightGBM: A Highly Efficient Gradient Boosting Decision Tree" (NeurIPS
2017).

LambdaRank trains on the rows of one request at a time. For every pair (i, j) of candidates with
label_i > label_j, the pairwise logistic loss log(1 + exp(−σ(s_i − s_j))) is weighted by how much
NDCG would change if i and j swapped places:

    λ_ij = −σ / (1 + exp(σ(s_i − s_j))) · |ΔNDCG_ij|

so the trees spend their capacity on the top of the list, where NDCG@k is decided. The gain of a
grade g is 2^g − 1: a purchase (grade 4) outweighs a view (grade 1) fifteen times.

``objective="binary"`` trains the same trees on the same rows with a pointwise loss instead:
the log loss of P(label > 0), every row on its own, grades and lists ignored. Early stopping
still watches validation NDCG, so the two differ in their loss alone: the comparison chapters
7 and 7b make.

``sample_weight`` multiplies each row's gradient and hessian (LightGBM's weights). For clicks
logged under position bias, one query per click with every row weighted 1 / e_j, the inverse of
the clicked position's examination probability, makes the pairwise loss an unbiased estimate of
the loss on true relevance (Joachims, Swaminathan and Schnabel, WSDM 2017; chapter 11d):
`~recsys_tutorial.ranking.click_queries` builds such a frame.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted

from .frame import feature_columns

__all__ = ["GBDTRanker"]


class GBDTRanker(BaseEstimator):
    """LightGBM ``lambdarank`` with early stopping on validation NDCG@``eval_at``.

    Parameters
    ----------
    objective : {"lambdarank", "binary"}
        The loss: listwise LambdaRank over each request's candidates and their grades, or the
        pointwise log loss of ``label > 0`` (see the module's docstring).
    n_estimators : int
        Most boosting rounds; early stopping on the validation frame picks fewer.
    learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree, reg_lambda
        LightGBM's tree and sampling parameters.
    eval_at : int
        The k of the validation NDCG@k that early stopping watches.
    early_stopping_rounds : int
        Rounds without improvement before stopping. NDCG@10 over a few hundred validation
        requests is noisy: a short patience stops at a lucky early peak.

    The defaults were chosen on a validation split of MovieLens-100K carved from chapter 7's
    training data (``benchmarks/tune_ranking.py``).
    random_state : int
        Seeds LightGBM's row and column sampling.

    Attributes
    ----------
    features_ : list of str
        Feature columns the ranker was trained on.
    best_iteration_ : int
        Boosting rounds kept.
    booster_ : lightgbm.Booster

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"user_id": np.repeat(np.arange(40), 10),
    ...                       "item__x": rng.normal(size=400)})
    >>> frame["label"] = (frame["item__x"] > 1).astype(int)
    >>> ranker = GBDTRanker(n_estimators=20).fit(frame)
    >>> bool(np.corrcoef(ranker.predict(frame), frame["item__x"])[0, 1] > 0.5)
    True
    """

    def __init__(
        self,
        objective: str = "lambdarank",
        n_estimators: int = 600,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        eval_at: int = 10,
        early_stopping_rounds: int = 60,
        random_state: int = 0,
    ):
        self.objective = objective
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.eval_at = eval_at
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state

    __metadata_request__fit = {"frame": UNUSED, "validation": UNUSED, "features": UNUSED, "sample_weight": UNUSED}
    __metadata_request__predict = {"frame": UNUSED}

    def fit(self, frame: pd.DataFrame, validation: pd.DataFrame | None = None, features=None,
            sample_weight=None) -> GBDTRanker:  # fmt: skip
        """Train on ``frame``, one LambdaMART query per request, stopping early on ``validation``.

        A request is a ``request_id`` (a frame without one holds one request per ``user_id``):
        frames built at several cutoffs and concatenated give each user one query per cutoff,
        each with its own labels. ``features`` defaults to every ``<group>__<name>`` column.
        Without a validation frame, all ``n_estimators`` rounds are kept. ``sample_weight``, one
        finite non-negative number per row of ``frame`` (in its order), scales each row's share
        of the loss; None weighs every row 1.
        """
        self.__dict__.pop("booster_", None)
        if self.objective not in ("lambdarank", "binary"):
            raise ValueError(f"GBDTRanker: objective must be 'lambdarank' or 'binary', got {self.objective!r}")
        features = feature_columns(frame) if features is None else list(features)
        _check_frame(frame, features, "GBDTRanker.fit", need_label=True)
        model = lgb.LGBMRanker(
            objective=self.objective,
            metric="ndcg",  # early stopping watches the top of each list, whatever the loss
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
            # One thread and LightGBM's deterministic mode: the same trees on every machine.
            n_jobs=1,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )
        X, y, groups = _grouped(frame, features)
        if sample_weight is not None:
            sample_weight = _check_weights(sample_weight, len(frame))[_query_order(frame)]
            kwargs_weight = {"sample_weight": sample_weight}
        else:
            kwargs_weight = {}
        if self.objective == "binary":
            y = (y > 0).astype(int)
        kwargs = {}
        if validation is not None:
            _check_frame(validation, features, "GBDTRanker.fit (validation)", need_label=True)
            X_val, y_val, groups_val = _grouped(validation, features)
            kwargs = {
                "eval_X": (X_val,),
                "eval_y": (y_val,),
                "eval_group": [groups_val],
                "eval_at": [self.eval_at],
                "callbacks": [lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            }
        model.fit(X, y, group=groups, **kwargs_weight, **kwargs)
        self.features_ = features
        self.best_iteration_ = int(model.best_iteration_) if validation is not None else self.n_estimators
        self.booster_ = model.booster_
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Ranking scores, one per row (higher = rank first).

        With ``objective="lambdarank"`` only their order within a request means anything; with
        ``"binary"`` they are P(label > 0).
        """
        check_is_fitted(self, msg=_NOT_FITTED)
        _check_frame(frame, self.features_, "GBDTRanker.predict", need_label=False)
        return self.booster_.predict(frame[self.features_], num_iteration=self.best_iteration_).astype(np.float64)

    def feature_importance(self, kind: str = "gain") -> pd.Series:
        """Total ``"gain"`` (or ``"split"`` count) of each feature, as a share summing to 1, largest first."""
        check_is_fitted(self, msg=_NOT_FITTED)
        if kind not in ("gain", "split"):
            raise ValueError(f"feature_importance: kind must be 'gain' or 'split', got {kind!r}")
        values = self.booster_.feature_importance(kind, iteration=self.best_iteration_)
        shares = pd.Series(values / max(values.sum(), 1e-12), index=self.features_, name=f"{kind} share")
        return shares.sort_values(ascending=False, kind="stable")

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once ``fit`` has succeeded (`check_is_fitted` asks this)."""
        return hasattr(self, "booster_")


_NOT_FITTED = "%(name)s is not fitted yet: call fit(frame) first"


def _grouped(frame: pd.DataFrame, features: list[str]):
    """Features, labels and query sizes, with each request's rows contiguous (LightGBM's layout).

    Requests are ordered by user, then request time (a user's requests in the order they were
    made), each request's candidates in frame order.
    """
    order = _query_order(frame)
    ordered = frame.iloc[order]
    key = "request_id" if "request_id" in frame.columns else "user_id"
    query = pd.factorize(frame[key])[0][order]
    boundaries = np.flatnonzero(np.diff(query)) + 1
    sizes = np.diff(np.concatenate([[0], boundaries, [len(ordered)]]))
    return ordered[features], ordered["label"].to_numpy(), sizes


def _query_order(frame: pd.DataFrame) -> np.ndarray:
    """The row positions of ``frame`` in `_grouped`'s order (each request's rows contiguous)."""
    key = "request_id" if "request_id" in frame.columns else "user_id"
    query = pd.factorize(frame[key])[0]
    order_by = ["user_id", *(["request_time"] if "request_time" in frame.columns else []), "_query"]
    ordered = frame[order_by[:-1]].assign(_query=query, _row=np.arange(len(frame)))
    return ordered.sort_values(order_by, kind="stable")["_row"].to_numpy()


def _check_weights(sample_weight, n_rows: int) -> np.ndarray:
    weight = np.asarray(sample_weight, dtype=np.float64)
    if weight.shape != (n_rows,):
        raise ValueError(f"GBDTRanker.fit: sample_weight must hold one weight per row ({n_rows}), got shape "
                         f"{weight.shape}")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("GBDTRanker.fit: sample_weight must be finite and non-negative")
    return weight


def _check_frame(frame: pd.DataFrame, features: list[str], caller: str, need_label: bool) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{caller}: expected a ranking frame (DataFrame), got {type(frame).__name__}")
    if not features:
        raise ValueError(f"{caller}: no feature columns (named '<group>__<name>') to learn from")
    missing = [c for c in ["user_id", *features, *(["label"] if need_label else [])] if c not in frame.columns]
    if missing:
        raise ValueError(f"{caller}: the frame is missing column(s) {missing}")
    if "request_id" in frame.columns:
        # One user and one moment per request: ids that collide (frames concatenated with
        # their own numbering, say) would silently merge two queries into one.
        per_request = frame.groupby("request_id", sort=False)[
            ["user_id", *(["request_time"] if "request_time" in frame.columns else [])]].nunique()
        merged = per_request.index[(per_request > 1).any(axis=1).to_numpy()]
        if len(merged):
            raise ValueError(f"{caller}: request id(s) {merged[:5].tolist()} span several users or request times; "
                             "give every request its own request_id")  # fmt: skip
    if need_label:
        labels = frame["label"]
        if not pd.api.types.is_integer_dtype(labels) or (labels < 0).any():
            raise ValueError(f"{caller}: 'label' must hold non-negative integer grades")
        if labels.max() <= 0:
            raise ValueError(f"{caller}: no positive label: nothing to learn to rank first")
