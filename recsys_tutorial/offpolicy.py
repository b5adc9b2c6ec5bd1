"""Off-policy evaluation: a new policy's value estimated from the logs of another.

A log holds rows (x_t, a_t, r_t): a context, the action the *logging* policy π₀ took, with its
logged propensity ``π₀(a_t | x_t)``, and the reward. The value of a *target* policy π is
``V(π) = E_x E_{a∼π(·|x)} [r]``. With the importance weight ``w_t = π(a_t | x_t) / π₀(a_t | x_t)``
and a reward model q̂(x, a), with q̂(x, π) = Σ_a π(a|x) q̂(x, a)::

    DM       V̂ = 1/n Σ_t q̂(x_t, π)
    IPS      V̂ = 1/n Σ_t w_t r_t
    clipped  V̂ = 1/n Σ_t min(w_t, M) r_t
    SNIPS    V̂ = Σ_t w_t r_t / Σ_t w_t
    DR       V̂ = 1/n Σ_t [q̂(x_t, π) + w_t (r_t − q̂(x_t, a_t))]
    DR-OS    DR with w_t shrunk to λ w_t / (w_t² + λ)

(IPS: Horvitz and Thompson, 1952; SNIPS: Swaminathan and Joachims, 2015; DR: Dudík, Langford and
Li, 2011; DR-OS: Su et al., 2020.) Clipping biases the estimate down and lowers its variance.

IPS and DR are unbiased when π₀ gives every action π takes a positive propensity and the logged
propensities are the ones the actions were drawn with; DR stays unbiased if either the weights or
the reward model are right. The **effective sample size** (Σ w)² / Σ w² says how many rounds the
weighted estimate is worth (Kong, 1992): far fewer than n when π and π₀ disagree.

**Slates.** A round may show several items, one per position. When a click at a position depends
only on the item there and the position (the position-based model), the value of a slate policy,
expected clicks per round, is the sum over positions of each position's value, and each
estimator applies per row with the *marginal* propensities ``π(a at position j | x)`` (Li et al.,
2018). Pass ``rounds`` (one id per row) to sum a round's rows before averaging, so that the
interval treats the round, not the row, as the independent unit, and ``positions`` to SNIPS to
normalise each position's weights separately.

Every estimator returns an `Estimate`: the value, a normal-approximation interval from the
per-round terms (for SNIPS, their linearisation), the standard error, the number of rounds and,
where weights are used, the effective sample size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.stats

__all__ = ["Estimate", "dm", "ips", "snips", "dr", "dr_shrinkage", "effective_sample_size", "importance_weights",
           "BinnedRewardModel", "estimate_all", "ESTIMATORS", "error_table"]


@dataclass(frozen=True)
class Estimate:
    """An off-policy estimate of a policy's value, with its interval.

    Attributes
    ----------
    value : float
        The estimated value (mean reward per round).
    ci_low, ci_high : float
        The ``1 − alpha`` normal-approximation interval.
    std_error : float
        The standard error of ``value``.
    n_rounds : int
        Rounds in the log.
    effective_sample_size : float
        (Σ w)² / Σ w² of the weights used (NaN for the direct method).
    """

    value: float
    ci_low: float
    ci_high: float
    std_error: float
    n_rounds: int
    effective_sample_size: float

    def covers(self, truth: float) -> bool:
        """Whether the interval holds ``truth``."""
        return bool(self.ci_low <= truth <= self.ci_high)

    def to_dict(self) -> dict:
        return asdict(self)


def importance_weights(logging_propensity, target_propensity, clip: float | None = None) -> np.ndarray:
    """``w = π(a|x) / π₀(a|x)`` per logged row, capped at ``clip`` if given.

    >>> importance_weights([0.5, 0.25], [0.25, 1.0], clip=2.0).tolist()
    [0.5, 2.0]
    """
    logging = _as_column(logging_propensity, "logging_propensity")
    target = _as_column(target_propensity, "target_propensity", length=len(logging))
    if np.any(logging <= 0) or np.any(logging > 1):
        raise ValueError(
            "logging_propensity: every logged action needs a propensity in (0, 1]; a zero means the "
            "logging policy could not have taken it (log the propensity it was drawn with)"
        )
    if np.any(target < 0) or np.any(target > 1):
        raise ValueError("target_propensity: expected probabilities in [0, 1]")
    weights = target / logging
    if clip is not None:
        if not clip > 0:
            raise ValueError(f"clip: expected a positive cap on the weights, got {clip!r}")
        weights = np.minimum(weights, clip)
    return weights


def effective_sample_size(logging_propensity, target_propensity, clip: float | None = None) -> float:
    """(Σ w)² / Σ w²: how many rounds a weighted estimate is worth.

    Equals n when every weight is equal, and falls as they spread.

    >>> effective_sample_size([0.5] * 4, [0.5, 0.5, 0.5, 0.0])
    3.0
    """
    weights = importance_weights(logging_propensity, target_propensity, clip)
    total = float(np.sum(weights**2))
    return float(np.sum(weights) ** 2 / total) if total > 0 else 0.0


def dm(q_target, rounds=None, alpha: float = 0.05) -> Estimate:
    """The direct method: the reward model's expected reward under the target policy, averaged.

    ``q_target`` is q̂(x_t, π) per logged row. Its interval covers the model's sampling noise
    only, not the model's bias.

    >>> round(dm([0.2, 0.4, 0.6]).value, 4)
    0.4
    """
    terms = _as_column(q_target, "q_target")
    return _estimate(terms, rounds, alpha, effective_size=np.nan)


def ips(reward, logging_propensity, target_propensity, clip: float | None = None, rounds=None,
        alpha: float = 0.05) -> Estimate:  # fmt: skip
    """Inverse propensity scoring: 1/n Σ w_t r_t, with weights capped at ``clip`` if given.

    >>> round(ips([1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5]).value, 4)
    1.3333
    """
    rewards = _as_column(reward, "reward")
    weights = importance_weights(logging_propensity, target_propensity, clip)
    _same_length(rewards, weights)
    return _estimate(weights * rewards, rounds, alpha, effective_size=_ess(weights))


def snips(reward, logging_propensity, target_propensity, rounds=None, positions=None,
          alpha: float = 0.05) -> Estimate:  # fmt: skip
    """Self-normalised IPS: Σ w_t r_t / Σ w_t, per position when ``positions`` is given (summed).

    Biased for small n, but bounded by the rewards and often far less variable than IPS. The
    interval linearises the ratio: each row's term is w_t (r_t − V̂_j) / mean(w over position j).

    >>> round(snips([1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5]).value, 4)
    1.0
    """
    rewards = _as_column(reward, "reward")
    weights = importance_weights(logging_propensity, target_propensity)
    _same_length(rewards, weights)
    groups = np.zeros(len(rewards), dtype=np.int64) if positions is None else _group_codes(positions, len(rewards))
    value, influence = 0.0, np.zeros(len(rewards))
    n_rounds = _n_rounds(rounds, len(rewards))
    for group in np.unique(groups):
        rows = groups == group
        mean_weight = weights[rows].sum() / n_rounds
        if mean_weight == 0:
            raise ValueError("snips: the target policy gives weight zero to every logged row of a position")
        position_value = float(np.sum(weights[rows] * rewards[rows]) / np.sum(weights[rows]))
        value += position_value
        influence[rows] = weights[rows] * (rewards[rows] - position_value) / mean_weight
    per_round = _per_round(influence, rounds)
    return _interval(value, per_round, alpha, _ess(weights))


def dr(reward, logging_propensity, target_propensity, q_logged, q_target, clip: float | None = None,
       rounds=None, alpha: float = 0.05) -> Estimate:  # fmt: skip
    """Doubly robust: 1/n Σ [q̂(x_t, π) + w_t (r_t − q̂(x_t, a_t))].

    ``q_logged`` is the reward model's prediction for the logged action, ``q_target`` its expected
    reward under the target policy, both per row. The model corrects IPS where it is right, and
    the weights correct the model where it is wrong.

    >>> half = [0.5, 0.5]
    >>> round(dr([1, 0], half, [1.0, 0.0], half, half).value, 4)
    1.0
    """
    rewards = _as_column(reward, "reward")
    weights = importance_weights(logging_propensity, target_propensity, clip)
    return _doubly_robust(rewards, weights, q_logged, q_target, rounds, alpha)


def dr_shrinkage(reward, logging_propensity, target_propensity, q_logged, q_target, lam: float,
                 rounds=None, alpha: float = 0.05) -> Estimate:  # fmt: skip
    """Doubly robust with optimistic shrinkage (Su et al., 2020): each weight w becomes
    λ w / (w² + λ), which is close to w where w² ≪ λ and pulls large weights towards zero.

    λ → ∞ gives DR; λ = 0 gives the direct method.

    >>> half = [0.5, 0.5]
    >>> round(dr_shrinkage([1, 0], half, [1, 0], half, half, lam=4).value, 4)
    0.75
    """
    if not lam >= 0:
        raise ValueError(f"dr_shrinkage: lam must be ≥ 0, got {lam!r}")
    rewards = _as_column(reward, "reward")
    weights = importance_weights(logging_propensity, target_propensity)
    shrunk = lam * weights / (weights**2 + lam) if lam > 0 else np.zeros_like(weights)
    return _doubly_robust(rewards, shrunk, q_logged, q_target, rounds, alpha)


#: The estimators `estimate_all` runs, in the order of its table.
ESTIMATORS = ("DM", "IPS", "clipped IPS", "SNIPS", "DR", "DR-OS")


def estimate_all(reward, logging_propensity, target_propensity, q_logged, q_target, rounds=None, positions=None,
                 clip: float = 10.0, lam: float = 10.0, alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """Every estimator of this module on one log: a table indexed by `ESTIMATORS`, with the columns
    of `Estimate` (``value``, ``ci_low``, ``ci_high``, ``std_error``, ``n_rounds``,
    ``effective_sample_size``). ``clip`` caps the clipped IPS weights, ``lam`` is DR-OS's λ.

    >>> half = [0.5, 0.5]
    >>> table = estimate_all([1, 0], half, [1, 0], half, half)
    >>> table["value"].round(4).tolist()
    [0.5, 1.0, 1.0, 1.0, 1.0, 0.8571]
    """
    estimates = {
        "DM": dm(q_target, rounds, alpha),
        "IPS": ips(reward, logging_propensity, target_propensity, rounds=rounds, alpha=alpha),
        "clipped IPS": ips(reward, logging_propensity, target_propensity, clip=clip, rounds=rounds, alpha=alpha),
        "SNIPS": snips(reward, logging_propensity, target_propensity, rounds=rounds, positions=positions, alpha=alpha),
        "DR": dr(reward, logging_propensity, target_propensity, q_logged, q_target, rounds=rounds, alpha=alpha),
        "DR-OS": dr_shrinkage(reward, logging_propensity, target_propensity, q_logged, q_target, lam=lam,
                              rounds=rounds, alpha=alpha),
    }  # fmt: skip
    rows = [estimate.to_dict() for estimate in estimates.values()]
    return pd.DataFrame(rows, index=pd.Index(list(estimates), name="estimator"))


def error_table(estimates: pd.DataFrame, truth: float) -> pd.DataFrame:
    """How each estimator did over many logs, against the true value.

    ``estimates`` has one row per log and estimator (columns ``estimator``, ``value``,
    ``ci_low``, ``ci_high``). Returns, per estimator: ``bias`` (mean error), its standard error,
    ``sd``, ``rmse`` and ``coverage`` (the share of intervals holding ``truth``).

    >>> logs = pd.DataFrame({"estimator": ["IPS"] * 2, "value": [0.9, 1.3],
    ...                      "ci_low": [0.5, 1.1], "ci_high": [1.2, 1.5]})
    >>> errors = error_table(logs, truth=1.0).loc["IPS"]
    >>> errors[["bias", "rmse", "coverage"]].round(4).tolist()
    [0.1, 0.2236, 0.5]
    """
    errors = estimates.assign(error=estimates["value"] - truth,
                              covered=(estimates["ci_low"] <= truth) & (truth <= estimates["ci_high"]))  # fmt: skip
    grouped = errors.groupby("estimator", sort=False)
    table = pd.DataFrame({
        "bias": grouped["error"].mean(),
        "bias_se": grouped["error"].std(ddof=1) / np.sqrt(grouped.size()),
        "sd": grouped["value"].std(ddof=1),
        "rmse": np.sqrt(grouped["error"].apply(lambda error: float(np.mean(error**2)))),
        "coverage": grouped["covered"].mean(),
    })  # fmt: skip
    return table


class BinnedRewardModel:
    """A reward model for DM and DR: the click rate of each (score bin, position) cell.

    The scores of a ranking model are cut at their deciles (``n_bins`` bins), and each cell's rate
    is its clicks over its impressions, shrunk towards the log's overall rate by
    ``prior_strength`` pseudo-impressions, so that empty cells predict the overall rate. With
    ``n_bins=None`` every distinct score is its own bin (for a key such as an item id), and a
    score never seen in fitting predicts the overall rate.

    >>> model = BinnedRewardModel(n_bins=2, prior_strength=0.0)
    >>> _ = model.fit([0.1, 0.2, 0.8, 0.9], [1, 1, 1, 1], [0, 0, 1, 1])
    >>> model.predict([0.15, 0.85], [1, 1]).tolist()
    [0.0, 1.0]
    """

    def __init__(self, n_bins: int = 10, prior_strength: float = 10.0):
        self.n_bins = n_bins
        self.prior_strength = prior_strength

    def fit(self, score, position, reward) -> BinnedRewardModel:
        score = _as_column(score, "score")
        position = _as_column(position, "position", length=len(score)).astype(np.int64)
        reward = _as_column(reward, "reward", length=len(score))
        if position.min() < 1:
            raise ValueError("BinnedRewardModel: positions are counted from 1")
        if self.n_bins is None:
            self.edges_ = np.unique(score)  # one bin per distinct value
        else:
            self.edges_ = np.quantile(score, np.linspace(0, 1, self.n_bins + 1)[1:-1])
        self.n_positions_ = int(position.max())
        cell = self._cell(score, position)
        size = self._n_cells * self.n_positions_
        clicks = np.bincount(cell, weights=reward, minlength=size)
        shown = np.bincount(cell, minlength=size)
        overall = reward.mean()
        rates = (clicks + self.prior_strength * overall) / np.maximum(shown + self.prior_strength, 1e-12)
        self.table_ = rates.reshape(self._n_cells, self.n_positions_)  # (score bin, position)
        self.overall_ = float(overall)
        return self

    def predict(self, score, position) -> np.ndarray:
        """q̂ for each (score, position); positions beyond those fitted use the last one's rates."""
        score = np.asarray(score, dtype=np.float64)
        position = np.minimum(np.asarray(position, dtype=np.int64), self.n_positions_)
        predicted = self.table_.ravel()[self._cell(score, position)]
        if self.n_bins is None:
            seen = np.isin(score, self.edges_)
            predicted = np.where(seen, predicted, self.overall_)
        return predicted

    @property
    def _n_cells(self) -> int:
        return len(self.edges_) if self.n_bins is None else self.n_bins

    def _cell(self, score, position) -> np.ndarray:
        if self.n_bins is None:
            bins = np.minimum(np.searchsorted(self.edges_, score, side="left"), len(self.edges_) - 1)
        else:
            bins = np.searchsorted(self.edges_, score, side="right")
        return bins * self.n_positions_ + (position - 1)


# ---------------------------------------------------------------------------------------------
# private helpers


def _doubly_robust(rewards, weights, q_logged, q_target, rounds, alpha) -> Estimate:
    logged = _as_column(q_logged, "q_logged", length=len(rewards))
    target = _as_column(q_target, "q_target", length=len(rewards))
    _same_length(rewards, weights)
    terms = target + weights * (rewards - logged)
    return _estimate(terms, rounds, alpha, effective_size=_ess(weights))


def _estimate(terms: np.ndarray, rounds, alpha: float, effective_size: float) -> Estimate:
    per_round = _per_round(terms, rounds)
    return _interval(float(per_round.mean()), per_round - per_round.mean(), alpha, effective_size)


def _interval(value: float, centred_terms: np.ndarray, alpha: float, effective_size: float) -> Estimate:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a level in (0, 1), got {alpha!r}")
    n = len(centred_terms)
    std_error = float(np.std(centred_terms, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    z = scipy.stats.norm.isf(alpha / 2)
    low, high = value - z * std_error, value + z * std_error
    return Estimate(float(value), float(low), float(high), std_error, n, float(effective_size))


def _per_round(terms: np.ndarray, rounds) -> np.ndarray:
    """Each round's sum of its rows' terms (each row its own round when ``rounds`` is None)."""
    if rounds is None:
        return terms
    codes = _group_codes(rounds, len(terms))
    return np.bincount(codes, weights=terms)


def _n_rounds(rounds, n_rows: int) -> int:
    return n_rows if rounds is None else int(_group_codes(rounds, n_rows).max()) + 1


def _group_codes(groups, length: int) -> np.ndarray:
    values = np.asarray(groups)
    if values.shape != (length,):
        raise ValueError(f"expected one round or position id per logged row ({length}), got shape {values.shape}")
    return pd.factorize(values, sort=True)[0]


def _ess(weights: np.ndarray) -> float:
    total = float(np.sum(weights**2))
    return float(np.sum(weights) ** 2 / total) if total > 0 else 0.0


def _as_column(values, name: str, length: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"{name}: expected a non-empty 1-d array, one value per logged row, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite numbers, found NaN or infinity")
    if length is not None and len(array) != length:
        raise ValueError(f"{name}: expected {length} values, one per logged row, got {len(array)}")
    return array


def _same_length(rewards: np.ndarray, weights: np.ndarray) -> None:
    if len(rewards) != len(weights):
        raise ValueError(f"reward has {len(rewards)} rows but the propensities have {len(weights)}")
