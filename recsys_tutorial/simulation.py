"""A user simulator with ground truth, for learning from logged feedback.

The users of a synthetic world arrive in proportion to their activity. A policy shows each a
*slate* of k items, one per position. The user examines position j with probability (the
position-based model; Craswell et al., 2008)::

    e_j = 1 / j^η

and clicks an examined item i with its attraction::

    ρ_ui = σ(logit(c₀) + β z_ui + q_i + u_u),    z_ui = (a_ui − mean a) / sd a,

where a_ui is the world's true affinity (`SyntheticTruth.affinity`), c₀ the click rate at average
affinity, β the slope, q_i an appeal the item has for everyone and u_u a propensity to click that
the user brings to every item (heavy and light users); q_i and u_u are zero unless asked for.
Examination and attraction are independent, so::

    P(click at j | u, slate) = e_j ρ_{u, slate_j},

and a policy π's value, its expected clicks per round, is exact::

    V(π) = Σ_u p_u Σ_j e_j Σ_i P_π(i at j | u) ρ_ui.

The simulator logs what a real system logs: the round, the user, the slate's items and positions,
each shown item's **propensity** under the logging policy (its probability of being at that
position for that user) and the click; never the examination or the attraction, which only the
simulator knows. Policies over the catalogue are small classes with ``sample`` (slates) and
``marginals`` (each item's probability at each position): `UniformPolicy`, `GreedyPolicy` (top k
of a score, with ε-uniform exploration) and `PlackettLucePolicy` (items drawn one at a time with
probability ∝ exp(score / temperature)), whose propensities are known exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ClickSimulator", "UniformPolicy", "GreedyPolicy", "PlackettLucePolicy", "plackett_luce_marginals",
           "estimate_log", "offpolicy_study"]


class ClickSimulator:
    """Users of a synthetic world clicking on slates under the position-based model.

    Parameters
    ----------
    world : Dataset
        A synthetic world (`data.make_synthetic`): its ``truth`` gives the affinities and the
        users' activity; its interactions give each user's context features.
    slate_size : int
        Positions per slate, k.
    examination_exponent : float
        η: position j is examined with probability 1 / j^η (0: every position is examined).
    base_click_rate : float
        c₀, the click probability of an examined item of average affinity.
    click_slope : float
        β, how fast the click probability rises with standardised affinity.
    item_quality : float
        σ_q, the spread of an appeal each item has for every user (its photo, its price), added
        on the logit scale: q_i ∼ N(0, σ_q²), drawn with ``random_state``. 0 (the default): items
        differ only through the users' tastes.
    user_propensity : float
        σ_u, the spread of how much each user clicks whatever is shown (heavy and light users),
        added on the logit scale: u_u ∼ N(0, σ_u²), drawn with ``random_state`` from a generator
        of its own, so the item appeals do not change with it. 0 (the default): users differ only
        through their tastes.
    random_state : int
        Seeds the item appeals and the user propensities (nothing else is random at
        construction).

    Attributes
    ----------
    attraction : ndarray, shape (n_users, n_items)
        ρ_ui, the click probability of an examined item.
    examination : ndarray, shape (slate_size,)
        e_j per position.
    arrival : ndarray, shape (n_users,)
        p_u, the probability that a round is user u's.
    user_features : ndarray, shape (n_users, 1 + n_age_groups + n_categories)
        A context per user, as a logging system would know it: an intercept, the age group
        (one-hot) and the share of each category in the user's events of the world's log.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> world = make_synthetic(n_users=300, n_items=40,
    ...                        n_interactions=3_000, random_state=0)
    >>> simulator = ClickSimulator(world, slate_size=3)
    >>> log = simulator.log(UniformPolicy(), n_rounds=100, random_state=0)
    >>> log.columns.tolist()
    ['round', 'user_id', 'position', 'item_id', 'propensity', 'click']
    >>> round(simulator.value(UniformPolicy()), 4) > 0
    True
    """

    def __init__(self, world, slate_size: int = 3, examination_exponent: float = 1.0,
                 base_click_rate: float = 0.05, click_slope: float = 1.0, item_quality: float = 0.0,
                 user_propensity: float = 0.0, random_state: int = 0):  # fmt: skip
        truth = getattr(world, "truth", None)
        if truth is None or getattr(truth, "user_activity", None) is None:
            raise ValueError("ClickSimulator: expected a synthetic world (data.make_synthetic) with its truth")
        if int(slate_size) != slate_size or not 1 <= slate_size <= truth.item_factors.shape[0]:
            raise ValueError(f"slate_size: expected an integer from 1 to the number of items, got {slate_size!r}")
        if not 0 < base_click_rate < 1:
            raise ValueError(f"base_click_rate: expected a probability in (0, 1), got {base_click_rate!r}")
        if not examination_exponent >= 0 or not click_slope >= 0 or not item_quality >= 0:
            raise ValueError("examination_exponent, click_slope and item_quality: expected numbers ≥ 0")
        if not user_propensity >= 0:
            raise ValueError(f"user_propensity: expected a number ≥ 0, got {user_propensity!r}")
        self.world = world
        self.slate_size = int(slate_size)
        self.examination_exponent = examination_exponent
        self.base_click_rate = base_click_rate
        self.click_slope = click_slope
        self.item_quality = item_quality
        self.user_propensity = user_propensity
        self.random_state = random_state
        n_users = truth.user_factors.shape[0]
        affinity = truth.affinity(np.arange(n_users)).astype(np.float64)  # (n_users, n_items)
        z = (affinity - affinity.mean()) / affinity.std()
        appeal = np.random.default_rng(random_state).normal(0.0, 1.0, z.shape[1]) * item_quality  # q_i
        logit = np.log(base_click_rate / (1 - base_click_rate)) + click_slope * z + appeal
        if user_propensity > 0:  # u_u, from a generator of its own: the appeals stay as they were
            seed = None if random_state is None else [random_state, 1]
            logit += np.random.default_rng(seed).normal(0.0, user_propensity, (n_users, 1))
        self.attraction = _sigmoid(logit)
        self.examination = 1.0 / np.arange(1, self.slate_size + 1) ** examination_exponent
        self.arrival = np.asarray(truth.user_activity, dtype=np.float64)
        self.user_features = _user_features(world, n_users)

    @property
    def n_users(self) -> int:
        return self.attraction.shape[0]

    @property
    def n_items(self) -> int:
        return self.attraction.shape[1]

    def sample_users(self, n_rounds: int, rng) -> np.ndarray:
        """``n_rounds`` arriving users, each drawn with probability p_u."""
        return np.random.default_rng(rng).choice(self.n_users, size=n_rounds, p=self.arrival)

    def clicks(self, users, slates, rng) -> np.ndarray:
        """Simulated clicks, ``(n_rounds, k)`` booleans, for slates ``(n_rounds, k)`` of item ids."""
        users, slates = np.asarray(users), np.asarray(slates)
        rng = np.random.default_rng(rng)
        examination = self.examination[: slates.shape[1]]
        examined = rng.random(slates.shape) < examination
        attracted = rng.random(slates.shape) < self.attraction[users[:, None], slates]
        return examined & attracted

    def log(self, policy, n_rounds: int, random_state=0) -> pd.DataFrame:
        """A log of ``n_rounds`` rounds of ``policy``: one row per shown item.

        Columns: ``round``, ``user_id``, ``position`` (1 = top), ``item_id``, ``propensity``
        (the probability of that item at that position for that user under ``policy``) and ``click`` (0 or 1).
        """
        rng = np.random.default_rng(random_state)
        users = self.sample_users(n_rounds, rng)
        slates = policy.sample(users, self.slate_size, self.n_items, rng)
        clicks = self.clicks(users, slates, rng)
        propensity = self.propensities(policy, users, slates)
        return pd.DataFrame({
            "round": np.repeat(np.arange(n_rounds), self.slate_size),
            "user_id": np.repeat(users, self.slate_size),
            "position": np.tile(np.arange(1, self.slate_size + 1), n_rounds),
            "item_id": slates.ravel(),
            "propensity": propensity.ravel(),
            "click": clicks.ravel().astype(np.int64),
        })  # fmt: skip

    def propensities(self, policy, users, slates) -> np.ndarray:
        """``P(slate_j at position j | user)`` under ``policy``, ``(n, k)``: each shown item's
        marginal propensity, computed once per distinct user."""
        users, slates = np.asarray(users), np.asarray(slates)
        distinct, row = np.unique(users, return_inverse=True)
        marginals = policy.marginals(distinct, slates.shape[1], self.n_items)  # (n_distinct, k, n_items)
        positions = np.arange(slates.shape[1])
        return marginals[row[:, None], positions[None, :], slates]

    def value(self, policy, by_position: bool = False):
        """V(π), the policy's exact expected clicks per round (per position if ``by_position``)."""
        users = np.arange(self.n_users)
        per_position = np.zeros(self.slate_size)
        for chunk in np.array_split(users, max(1, self.n_users // 512)):
            marginals = policy.marginals(chunk, self.slate_size, self.n_items)  # (n, k, n_items)
            expected = np.einsum("nki,ni->nk", marginals, self.attraction[chunk])  # P(attracted) per position
            per_position += self.arrival[chunk] @ expected
        per_position *= self.examination
        return per_position if by_position else float(per_position.sum())

    def expected_clicks(self, users, slates) -> np.ndarray:
        """E[click] per shown item, ``(n, k)``: e_j ρ_{u, slate_j}. The truth an estimator aims at."""
        users, slates = np.asarray(users), np.asarray(slates)
        return self.examination[: slates.shape[1]] * self.attraction[users[:, None], slates]


class UniformPolicy:
    """Every slate of distinct items equally likely: each item is at each position with
    probability 1 / n_items."""

    def sample(self, users, slate_size: int, n_items: int, rng) -> np.ndarray:
        rng = np.random.default_rng(rng)
        return np.argsort(rng.random((len(users), n_items)), axis=1)[:, :slate_size]

    def marginals(self, users, slate_size: int, n_items: int) -> np.ndarray:
        return np.full((len(users), slate_size, n_items), 1.0 / n_items)


class GreedyPolicy:
    """The top k items by ``scores`` (ties to the lower id); with probability ``epsilon`` a
    uniformly random slate instead.

    Parameters
    ----------
    scores : ndarray, shape (n_users, n_items)
        Any model's scores: higher is shown first.
    epsilon : float
        The share of rounds that explore.
    """

    def __init__(self, scores, epsilon: float = 0.0):
        self.scores = np.asarray(scores, dtype=np.float64)
        self.epsilon = epsilon
        if self.scores.ndim != 2:
            raise ValueError(f"GreedyPolicy: expected scores of shape (n_users, n_items), got {self.scores.shape}")
        if not 0 <= epsilon <= 1:
            raise ValueError(f"GreedyPolicy: epsilon must be in [0, 1], got {epsilon!r}")
        self._top = {}

    def top(self, users, slate_size: int) -> np.ndarray:
        """Each user's top ``slate_size`` items, best first."""
        # Sorted once for every user (the scores are fixed), then looked up.
        if slate_size not in self._top:
            self._top[slate_size] = np.argsort(-self.scores, axis=1, kind="stable")[:, :slate_size]
        return self._top[slate_size][np.asarray(users)].copy()

    def sample(self, users, slate_size: int, n_items: int, rng) -> np.ndarray:
        rng = np.random.default_rng(rng)
        _check_items(self.scores, n_items)
        slates = self.top(users, slate_size)
        explore = rng.random(len(users)) < self.epsilon
        slates[explore] = UniformPolicy().sample(np.flatnonzero(explore), slate_size, n_items, rng)
        return slates

    def marginals(self, users, slate_size: int, n_items: int) -> np.ndarray:
        _check_items(self.scores, n_items)
        greedy = np.zeros((len(users), slate_size, n_items))
        top = self.top(users, slate_size)
        greedy[np.arange(len(users))[:, None], np.arange(slate_size)[None, :], top] = 1.0
        return (1 - self.epsilon) * greedy + self.epsilon / n_items


class PlackettLucePolicy:
    """Items drawn one position at a time, without replacement, each with probability
    ∝ exp(score / temperature) among those left (Plackett, 1975; Luce, 1959).

    A ranker's scores made stochastic: a low temperature approaches the top k, a high one the
    uniform slate, and every item keeps a known, positive propensity at every position.

    Parameters
    ----------
    scores : ndarray, shape (n_users, n_items)
    temperature : float
        > 0.
    """

    def __init__(self, scores, temperature: float = 1.0):
        self.scores = np.asarray(scores, dtype=np.float64)
        self.temperature = temperature
        if self.scores.ndim != 2:
            raise ValueError(
                f"PlackettLucePolicy: expected scores of shape (n_users, n_items), got {self.scores.shape}"
            )
        if not temperature > 0:
            raise ValueError(f"PlackettLucePolicy: temperature must be > 0, got {temperature!r}")
        self._marginals = {}

    def probabilities(self, users) -> np.ndarray:
        """The first position's probabilities, softmax(score / temperature), ``(n, n_items)``."""
        logits = self.scores[np.asarray(users)] / self.temperature
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        return weights / weights.sum(axis=1, keepdims=True)

    def sample(self, users, slate_size: int, n_items: int, rng) -> np.ndarray:
        # Gumbel-top-k: adding Gumbel noise to the log-probabilities and sorting draws a
        # Plackett–Luce ranking (Yellott, 1977).
        _check_items(self.scores, n_items)
        rng = np.random.default_rng(rng)
        logits = self.scores[np.asarray(users)] / self.temperature
        perturbed = logits + rng.gumbel(size=logits.shape)
        # The k largest, then sorted: the same as a full sort's first k, at a fraction of its cost.
        best = np.argpartition(-perturbed, slate_size - 1, axis=1)[:, :slate_size]
        order = np.argsort(-np.take_along_axis(perturbed, best, axis=1), axis=1, kind="stable")
        return np.take_along_axis(best, order, axis=1)

    def marginals(self, users, slate_size: int, n_items: int) -> np.ndarray:
        _check_items(self.scores, n_items)
        # Computed once for every user (the scores are fixed), then looked up.
        if slate_size not in self._marginals:
            every_user = np.arange(len(self.scores))
            self._marginals[slate_size] = plackett_luce_marginals(self.probabilities(every_user), slate_size)
        return self._marginals[slate_size][np.asarray(users)]


def plackett_luce_marginals(probabilities, slate_size: int) -> np.ndarray:
    """P(item i at position j) under Plackett–Luce with first-draw probabilities p, for j ≤ 3.

    ``probabilities`` is ``(n, n_items)``, rows summing to 1. Exact, by summing over the items
    that fill the positions above::

        P₁(i) = p_i
        P₂(i) = p_i Σ_{a≠i} p_a / (1 − p_a)
        P₃(i) = p_i Σ_{a≠b; a,b≠i} p_a p_b / ((1 − p_a)(1 − p_a − p_b))

    The sums cost O(n_items²) per user; deeper positions would cost a power more, so slates are
    limited to three positions (the Open Bandit Dataset's).

    >>> m = plackett_luce_marginals(np.array([[0.5, 0.3, 0.2]]), 3)
    >>> np.round(m[0], 4).tolist()
    [[0.5, 0.3, 0.2], [0.3393, 0.375, 0.2857], [0.1607, 0.325, 0.5143]]
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or not np.allclose(p.sum(axis=1), 1.0):
        raise ValueError("plackett_luce_marginals: expected (n, n_items) probabilities, each row summing to 1")
    if not 1 <= slate_size <= min(3, p.shape[1]):
        raise ValueError(
            f"plackett_luce_marginals: exact marginals are computed for slates of 1 to 3 positions "
            f"(and no more than the items), got {slate_size!r}"
        )
    marginals = np.empty((len(p), slate_size, p.shape[1]))
    marginals[:, 0] = p
    if slate_size >= 2:
        after_first = p / (1 - p)  # p_a / (1 − p_a)
        marginals[:, 1] = p * (after_first.sum(axis=1, keepdims=True) - after_first)
    if slate_size >= 3:
        for rows in np.array_split(np.arange(len(p)), max(1, len(p) // 256)):
            q = p[rows]
            remaining = 1 - q[:, :, None] - q[:, None, :]  # 1 − p_a − p_b, (n, a, b)
            pairs = (q / (1 - q))[:, :, None] * q[:, None, :] / np.where(remaining > 0, remaining, np.inf)
            idx = np.arange(q.shape[1])
            pairs[:, idx, idx] = 0.0  # a ≠ b
            total = pairs.sum(axis=(1, 2))[:, None]
            # Remove the pairs in which i is a or b.
            marginals[rows, 2] = q * (total - pairs.sum(axis=2) - pairs.sum(axis=1))
    return marginals


def estimate_log(simulator: ClickSimulator, log: pd.DataFrame, target, target_scores, clip: float = 10.0,
                 lam: float = 10.0, propensities_from=None) -> pd.DataFrame:  # fmt: skip
    """Every estimator of `recsys_tutorial.offpolicy` on one log of ``simulator``, each estimating
    the value of ``target``: the table of `~recsys_tutorial.offpolicy.estimate_all`.

    The reward model of DM and DR is a `~recsys_tutorial.offpolicy.BinnedRewardModel` over
    ``target_scores`` (the target's ranking model, ``(n_users, n_items)``), fitted on the log;
    its expectation under the target sums over the target's marginal propensities.
    ``propensities_from`` replaces the logged propensities by another policy's (the mistake of
    recomputing them from a model other than the one that chose what was shown); by default the
    logged ones are used.
    """
    from . import offpolicy

    target_scores = np.asarray(target_scores, dtype=np.float64)
    _check_items(target_scores, simulator.n_items)
    k = simulator.slate_size
    slates = log["item_id"].to_numpy().reshape(-1, k)
    users = log["user_id"].to_numpy()[::k]
    target_propensity = simulator.propensities(target, users, slates).ravel()
    if propensities_from is not None:
        log = log.assign(propensity=simulator.propensities(propensities_from, users, slates).ravel())
    scores = target_scores[log["user_id"].to_numpy(), log["item_id"].to_numpy()]
    reward_model = offpolicy.BinnedRewardModel().fit(scores, log["position"], log["click"])
    # q̂(x, π) at position j: Σ_i P_π(i at j | x) q̂(x, i, j), with q̂ for every user and item
    q_every = np.stack([reward_model.predict(target_scores, np.full(target_scores.shape, j)) for j in range(1, k + 1)],
                       axis=1)  # (n_users, k, n_items)  # fmt: skip
    q_target = np.einsum("nki,nki->nk", target.marginals(users, k, simulator.n_items), q_every[users]).ravel()
    q_logged = reward_model.predict(scores, log["position"])
    return offpolicy.estimate_all(log["click"], log["propensity"], target_propensity, q_logged, q_target,
                                  rounds=log["round"], positions=log["position"], clip=clip, lam=lam)  # fmt: skip


def offpolicy_study(simulator: ClickSimulator, logging, target, target_scores, n_logs: int = 200,
                    n_rounds: int = 3_000, clip: float = 10.0, lam: float = 10.0, propensities_from=None,
                    random_state: int = 0, show_progress: bool = False) -> pd.DataFrame:  # fmt: skip
    """`estimate_log` on ``n_logs`` independent logs of ``logging``, each of ``n_rounds`` rounds
    drawn with its own seed (``random_state`` + log number).

    Returns one row per log and estimator: ``log``, ``estimator`` and the columns of
    `~recsys_tutorial.offpolicy.estimate_all`. Compare with ``simulator.value(target)`` through
    `~recsys_tutorial.offpolicy.error_table`.
    """
    from tqdm import tqdm

    tables = []
    for log_number in tqdm(range(n_logs), disable=not show_progress, desc="logs"):
        log = simulator.log(logging, n_rounds, random_state=random_state + log_number)
        table = estimate_log(simulator, log, target, target_scores, clip=clip, lam=lam,
                             propensities_from=propensities_from)  # fmt: skip
        tables.append(table.reset_index().assign(log=log_number))
    return pd.concat(tables, ignore_index=True)[["log", "estimator", *table.columns]]


# ---------------------------------------------------------------------------------------------
# private helpers


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _check_items(scores: np.ndarray, n_items: int) -> None:
    if scores.shape[1] != n_items:
        raise ValueError(f"the policy scores {scores.shape[1]} items but the simulator has {n_items}")


def _user_features(world, n_users: int) -> np.ndarray:
    """[1, age group one-hot, category shares of the user's events], joined by id."""
    from .data.synthetic import AGE_GROUPS

    users = world.users.set_index("user_id").reindex(np.arange(n_users))
    if users["age_group"].isna().any():
        raise ValueError("ClickSimulator: the world's users table lacks some user ids")
    age = pd.get_dummies(pd.Categorical(users["age_group"], categories=AGE_GROUPS)).to_numpy(np.float64)
    categories = world.items.set_index("item_id")["category"]
    events = world.interactions[["user_id", "item_id"]].join(categories, on="item_id")
    counts = pd.crosstab(events["user_id"], events["category"]).reindex(
        index=np.arange(n_users), columns=sorted(categories.unique()), fill_value=0
    )
    counts = counts.to_numpy(np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    return np.hstack([np.ones((n_users, 1)), age, shares])
