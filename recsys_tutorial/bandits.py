"""Exploration: bandits that choose which item to show, learning from the clicks they cause.

Each round a user arrives with a context x (their features), the policy shows one item (an
*arm*) and observes a click or not. A policy that always shows its current best guess never
learns about the items it does not show; the three policies here explore in different ways::

    ε-greedy         with probability ε a uniformly random arm, else argmax_a μ̂_a
    Thompson (Beta)  θ_a ∼ Beta(1 + clicks_a, 1 + misses_a), show argmax_a θ_a
                     (Thompson, 1933; Chapelle and Li, 2011)
    LinUCB           A_a = λI + Σ x xᵀ,  b_a = Σ r x,  θ̂_a = A_a⁻¹ b_a,
                     show argmax_a  xᵀθ̂_a + α √(xᵀ A_a⁻¹ x)
                     (Li, Chu, Langford and Schapire, 2010; disjoint models)

ε-greedy and Thompson sampling learn one click rate per item, the same for every user; LinUCB
learns one per item *and context*. All three share ``select(contexts, available)`` (a batch of
rounds) and ``update(arms, contexts, rewards)``: production bandits update in batches too, from
the logs of the last few minutes. `simulate` runs a policy against a `simulation.ClickSimulator`
and returns, per round, what it showed, the click, and the expected click rate of its choice and
of the best available item for that user (the oracle's), whose difference is the regret.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

__all__ = ["EpsilonGreedy", "ThompsonSampling", "LinUCB", "simulate", "policy_from", "POLICIES", "regret_study"]


class _Bandit:
    """What every policy shares: its state starts empty at ``reset`` and grows with ``update``."""

    def reset(self) -> _Bandit:
        self.rng_ = np.random.default_rng(self.random_state)
        self.impressions_ = np.zeros(self.n_arms)
        self.clicks_ = np.zeros(self.n_arms)
        self._reset_model()
        return self

    def _reset_model(self) -> None:
        """Extra state of a policy beyond the click and impression counts."""

    def select(self, contexts, available=None) -> np.ndarray:
        """One arm for each row of ``contexts`` ``(n, n_features)``, among the ``available`` arms
        (a boolean mask over arms; every arm when None)."""
        if not hasattr(self, "rng_"):
            self.reset()
        contexts = np.atleast_2d(np.asarray(contexts, dtype=np.float64))
        mask = np.ones(self.n_arms, dtype=bool) if available is None else np.asarray(available, dtype=bool)
        if mask.shape != (self.n_arms,) or not mask.any():
            raise ValueError(f"available: expected a boolean mask over the {self.n_arms} arms with at least one True")
        scores = self._scores(contexts)  # (n, n_arms)
        # Random tie-breaking: untried arms score alike, and argmax would always take the first.
        scores = np.where(mask, scores, -np.inf) + 1e-9 * self.rng_.random(scores.shape)
        return np.argmax(scores, axis=1)

    def update(self, arms, contexts, rewards) -> _Bandit:
        """Learn from a batch of shown arms, their contexts and the rewards (clicks) they got."""
        if not hasattr(self, "rng_"):
            self.reset()
        arms = np.asarray(arms)
        rewards = np.asarray(rewards, dtype=np.float64)
        if arms.shape != rewards.shape or arms.ndim != 1:
            raise ValueError("update: expected one arm and one reward per round")
        if arms.size and (arms.min() < 0 or arms.max() >= self.n_arms):
            raise ValueError(f"update: arms must be in 0..{self.n_arms - 1}")
        np.add.at(self.impressions_, arms, 1.0)
        np.add.at(self.clicks_, arms, rewards)
        self._update_model(arms, np.atleast_2d(np.asarray(contexts, dtype=np.float64)), rewards)
        return self

    def _update_model(self, arms, contexts, rewards) -> None:
        """Extra learning beyond the counts."""


class EpsilonGreedy(_Bandit):
    """Show the arm with the best observed click rate; with probability ``epsilon`` a random one.

    An arm never shown has an estimated rate of ``initial`` (0: pessimistic, as a fresh counter
    is; only exploration ever shows a new item).

    Examples
    --------
    >>> policy = EpsilonGreedy(n_arms=3, epsilon=0.0, random_state=0)
    >>> _ = policy.update([0, 1, 2], None, [0, 1, 0])
    >>> policy.select(np.zeros((2, 1))).tolist()
    [1, 1]
    """

    def __init__(self, n_arms: int, epsilon: float = 0.1, initial: float = 0.0, random_state=None):
        self.n_arms = n_arms
        self.epsilon = epsilon
        self.initial = initial
        self.random_state = random_state

    def reset(self) -> EpsilonGreedy:
        if not 0 <= self.epsilon <= 1:
            raise ValueError(f"EpsilonGreedy: epsilon must be in [0, 1], got {self.epsilon!r}")
        return super().reset()

    def _scores(self, contexts) -> np.ndarray:
        shown = self.impressions_ > 0
        rates = np.where(shown, self.clicks_ / np.maximum(self.impressions_, 1), self.initial)
        scores = np.tile(rates, (len(contexts), 1))
        explore = self.rng_.random(len(contexts)) < self.epsilon
        scores[explore] = self.rng_.random((int(explore.sum()), self.n_arms))  # a uniformly random arm
        return scores


class ThompsonSampling(_Bandit):
    """Beta–Bernoulli Thompson sampling: draw each arm's click rate from its posterior and show
    the best draw. Arms with few impressions have wide posteriors, so they are drawn high often
    enough to be tried, and less often as the evidence against them grows.

    Examples
    --------
    >>> policy = ThompsonSampling(n_arms=2, random_state=0)
    >>> policy.update([0] * 50 + [1] * 50, None, [0] * 75 + [1] * 25)
    ... # doctest: +ELLIPSIS
    <...ThompsonSampling object at ...>
    >>> (policy.select(np.zeros((100, 1))) == 1).mean() > 0.9
    np.True_
    """

    def __init__(self, n_arms: int, prior_clicks: float = 1.0, prior_misses: float = 1.0, random_state=None):
        self.n_arms = n_arms
        self.prior_clicks = prior_clicks
        self.prior_misses = prior_misses
        self.random_state = random_state

    def reset(self) -> ThompsonSampling:
        if not (self.prior_clicks > 0 and self.prior_misses > 0):
            raise ValueError("ThompsonSampling: the Beta prior's parameters must be > 0")
        return super().reset()

    def _scores(self, contexts) -> np.ndarray:
        # θ_a ∼ Beta(α₀ + clicks_a, β₀ + misses_a), one draw per round and arm
        alpha = self.prior_clicks + self.clicks_
        beta = self.prior_misses + self.impressions_ - self.clicks_
        return self.rng_.beta(alpha, beta, size=(len(contexts), self.n_arms))


class LinUCB(_Bandit):
    """Disjoint LinUCB: a ridge regression of the click on the context per arm, shown by its
    upper confidence bound, so that arms whose estimate is uncertain *for this context* are tried.

    Parameters
    ----------
    n_arms, n_features : int
    alpha : float
        Width of the confidence bonus; 0 is greedy on the ridge estimates.
    reg : float
        λ, the ridge penalty (the prior precision of each arm's coefficients).

    Examples
    --------
    Arm 0 is clicked in context A, arm 1 in context B:

    >>> policy = LinUCB(n_arms=2, n_features=2, alpha=0.0, random_state=0)
    >>> a, b = [1.0, 0.0], [0.0, 1.0]
    >>> _ = policy.update([0, 0, 1, 1] * 10, [a, b, a, b] * 10,
    ...                   [1, 0, 0, 1] * 10)
    >>> policy.select([a, b]).tolist()
    [0, 1]
    """

    def __init__(self, n_arms: int, n_features: int, alpha: float = 1.0, reg: float = 1.0, random_state=None):
        self.n_arms = n_arms
        self.n_features = n_features
        self.alpha = alpha
        self.reg = reg
        self.random_state = random_state

    def _reset_model(self) -> None:
        if not (self.alpha >= 0 and self.reg > 0):
            raise ValueError("LinUCB: alpha must be ≥ 0 and reg > 0")
        d = self.n_features
        self.precision_ = np.tile(self.reg * np.eye(d), (self.n_arms, 1, 1))  # A_a, (n_arms, d, d)
        self.covariance_ = np.linalg.inv(self.precision_)  # A_a⁻¹
        self.moment_ = np.zeros((self.n_arms, d))  # b_a
        self.coef_ = np.zeros((self.n_arms, d))  # θ̂_a = A_a⁻¹ b_a

    def _scores(self, contexts) -> np.ndarray:
        self._check_features(contexts)
        estimate = contexts @ self.coef_.T  # xᵀθ̂_a, (n, n_arms)
        # xᵀ A_a⁻¹ x for every round and arm
        spread = np.einsum("nd,ade,ne->na", contexts, self.covariance_, contexts)
        return estimate + self.alpha * np.sqrt(np.maximum(spread, 0.0))

    def _update_model(self, arms, contexts, rewards) -> None:
        self._check_features(contexts)
        np.add.at(self.precision_, arms, np.einsum("nd,ne->nde", contexts, contexts))  # A_a += x xᵀ
        np.add.at(self.moment_, arms, rewards[:, None] * contexts)  # b_a += r x
        touched = np.unique(arms)
        self.covariance_[touched] = np.linalg.inv(self.precision_[touched])
        self.coef_[touched] = np.einsum("ade,ae->ad", self.covariance_[touched], self.moment_[touched])

    def _check_features(self, contexts) -> None:
        if contexts.shape[1] != self.n_features:
            raise ValueError(f"LinUCB: expected contexts with {self.n_features} features, got {contexts.shape[1]}")


#: The policies by the names `benchmarks/tune_bandits.py` and chapter 11c use.
POLICIES = {"ε-greedy": EpsilonGreedy, "Thompson sampling": ThompsonSampling, "LinUCB": LinUCB}


def policy_from(name: str, settings: dict, n_arms: int, n_features: int, random_state=None):
    """A policy of `POLICIES` by name, with its hyperparameters (LinUCB also takes the context size).

    >>> policy_from("LinUCB", {"alpha": 0.1}, n_arms=40, n_features=16).alpha
    0.1
    """
    if name not in POLICIES:
        raise ValueError(f"policy_from: unknown policy {name!r}, expected one of {sorted(POLICIES)}")
    if name == "LinUCB":
        return LinUCB(n_arms, n_features, random_state=random_state, **settings)
    return POLICIES[name](n_arms, random_state=random_state, **settings)


def simulate(policy, simulator, n_rounds: int, batch_size: int = 100, arrivals: dict | None = None,
             random_state=0, show_progress: bool = False) -> pd.DataFrame:  # fmt: skip
    """Run ``policy`` for ``n_rounds`` single-item rounds against a `simulation.ClickSimulator`.

    Users arrive by activity; the policy picks one item per round from the items available then,
    sees the clicks, and updates after each batch of ``batch_size`` rounds. ``arrivals`` maps an
    item id to the round from which it can be shown (new items); every other item is available
    from the start. The shown item sits at the top, which every user examines.

    Returns one row per round: ``round``, ``user_id``, ``item_id``, ``click``, ``expected`` (the
    shown item's true click rate for that user) and ``best`` (the highest true click rate among
    the items available that round: the oracle's). ``(best − expected).cumsum()`` is the regret.
    """
    if int(n_rounds) != n_rounds or n_rounds < 1 or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError("simulate: n_rounds and batch_size must be positive integers")
    if policy.n_arms != simulator.n_items:
        raise ValueError(f"simulate: the policy has {policy.n_arms} arms but the simulator {simulator.n_items} items")
    arrivals = dict(arrivals or {})
    arrival_round = np.zeros(simulator.n_items, dtype=np.int64)
    for item, first_round in arrivals.items():
        arrival_round[int(item)] = int(first_round)
    policy.reset()
    rng = np.random.default_rng(random_state)
    users = simulator.sample_users(n_rounds, rng)
    shown = np.empty(n_rounds, dtype=np.int64)
    clicks = np.empty(n_rounds, dtype=np.int64)
    best = np.empty(n_rounds)
    starts = range(0, n_rounds, batch_size)
    for start in tqdm(starts, disable=not show_progress, desc=type(policy).__name__):
        rows = slice(start, min(start + batch_size, n_rounds))
        batch_users = users[rows]
        available = arrival_round <= start
        contexts = simulator.user_features[batch_users]
        arms = policy.select(contexts, available)
        rewards = simulator.clicks(batch_users, arms[:, None], rng)[:, 0].astype(np.int64)
        policy.update(arms, contexts, rewards)
        shown[rows], clicks[rows] = arms, rewards
        best[rows] = np.where(available, simulator.attraction[batch_users], -np.inf).max(axis=1)
    return pd.DataFrame({
        "round": np.arange(n_rounds),
        "user_id": users,
        "item_id": shown,
        "click": clicks,
        "expected": simulator.attraction[users, shown],
        "best": best,
    })  # fmt: skip


def regret_study(policies: dict, simulator, n_rounds: int, seeds, batch_size: int = 500, arrivals: dict | None = None,
                 checkpoints: int = 50, track=None,
                 show_progress: bool = False) -> pd.DataFrame:  # fmt: skip
    """Each policy run once per seed, the cumulative regret recorded at ``checkpoints`` rounds.

    ``policies`` maps a label to a `POLICIES` name and its settings, ``(name, settings)``; every
    policy meets the same users in the same order for a given seed, so the runs pair by seed.
    Returns one row per label, seed and checkpoint: ``policy``, ``seed``, ``round`` (rounds
    played) and ``regret`` (cumulative, against the oracle), plus ``clicks`` (cumulative) and, if
    ``track`` names an item or a list of items, ``impressions`` (cumulative) of those items.
    """
    checkpoint_rounds = np.unique(np.linspace(n_rounds / checkpoints, n_rounds, checkpoints).astype(np.int64))
    rows = []
    runs = [(label, seed) for label in policies for seed in seeds]
    for label, seed in tqdm(runs, disable=not show_progress, desc="runs"):
        name, settings = policies[label]
        policy = policy_from(name, settings, simulator.n_items, simulator.user_features.shape[1], random_state=seed)
        run = simulate(policy, simulator, n_rounds, batch_size=batch_size, arrivals=arrivals, random_state=seed)
        regret = np.cumsum(run["best"].to_numpy() - run["expected"].to_numpy())[checkpoint_rounds - 1]
        clicks = np.cumsum(run["click"].to_numpy())[checkpoint_rounds - 1]
        table = pd.DataFrame({"policy": label, "seed": seed, "round": checkpoint_rounds, "regret": regret,
                              "clicks": clicks})  # fmt: skip
        if track is not None:
            shown = np.isin(run["item_id"].to_numpy(), np.atleast_1d(track))
            table["impressions"] = np.cumsum(shown)[checkpoint_rounds - 1]
        rows.append(table)
    return pd.concat(rows, ignore_index=True)

