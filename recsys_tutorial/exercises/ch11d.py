"""Checks for chapter 11d (position bias, unbiased learning to rank and interleaving).

1. Position 10's examination estimated from today's log without randomisation: confounded.
2. The A/B test's power at the number of users interleaving needs for 80 % power.
3. Inverse-propensity weights capped at 5: the ranker's true NDCG@10.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.stats

from . import CheckResult, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_K = 20  # candidates per user, all shown
_ROUNDS = 20_000
_POOL = 200_000  # simulated visits per design, section 11d.5
_SIZES = np.unique(np.geomspace(300, 300_000, 41).astype(int))  # users, for the power curves


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's simulator, candidates, features and today's (popularity-ordered) lists."""
    from .. import simulation
    from ..data import make_synthetic
    from ..models import EASE, Popularity

    world = make_synthetic(n_users=2_000, n_items=80, n_categories=10, n_interactions=30_000, random_state=0)
    simulator = simulation.ClickSimulator(world, slate_size=_K, examination_exponent=1.0)
    users = np.arange(world.n_users)
    ease = scipy.stats.zscore(EASE(reg=100.0).fit(world.interactions).score_items(users), axis=1)
    popularity = scipy.stats.zscore(Popularity().fit(world.interactions).score_items(users), axis=1)
    candidates = np.argsort(-ease, axis=1, kind="stable")[:, :_K]
    categories = world.items.set_index("item_id")["category"].reindex(np.arange(world.n_items))
    shares = pd.crosstab(world.interactions["user_id"], world.interactions["item_id"].map(categories),
                         normalize="index").reindex(index=users, fill_value=0.0)  # fmt: skip
    counts = world.interactions["item_id"].value_counts().reindex(np.arange(world.n_items), fill_value=0)
    features = {
        "model__ease": ease,
        "user_item__category_share": shares[categories].to_numpy(),
        "item__popularity": np.broadcast_to(np.log1p(counts).to_numpy(), ease.shape),
    }
    order = np.argsort(-np.take_along_axis(popularity, candidates, axis=1), axis=1, kind="stable")
    production = np.take_along_axis(candidates, order, axis=1)
    return simulator, candidates, features, production


def _log(shown, n_rounds: int, random_state: int) -> pd.DataFrame:
    """The chapter's ``click_log``: ``n_rounds`` visits to lists ``shown``, one row per shown item."""
    simulator, *_ = _chapter()
    rng = np.random.default_rng(random_state)
    visitors = simulator.sample_users(n_rounds, rng)
    clicks = simulator.clicks(visitors, shown[visitors], rng)
    return pd.DataFrame({
        "round": np.repeat(np.arange(n_rounds), _K),
        "user_id": np.repeat(visitors, _K),
        "item_id": shown[visitors].ravel(),
        "position": np.tile(np.arange(1, _K + 1), n_rounds),
        "click": clicks.ravel().astype(np.int64),
    })  # fmt: skip


@lru_cache(maxsize=1)
def _unrandomised_ratio() -> tuple[float, float]:
    """Click rate at 10 over click rate at 1 in today's log (seed 2), and the inverse."""
    _, _, _, production = _chapter()
    log = _log(production, _ROUNDS, random_state=2)
    rate = log.groupby("position")["click"].mean()
    return float(rate[10] / rate[1]), float(rate[1] / rate[10])


@exercise
def check_1(ratio) -> CheckResult:
    """Exercise 1: e_10 / e_1 read off today's log, with no randomisation."""
    expected, inverse = _unrandomised_ratio()
    verdict = numeric_verdict(ratio, expected, "the click rate at position 10 over position 1",
                              explain=f"The true e₁₀ / e₁ is 0.1. Today's ranker puts different items at "
                                      f"each position, so the ratio mixes the position's effect with the "
                                      f"items': {expected / 0.1:.2f} times the truth.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(ratio, inverse):
        return wrong("that is position 1 over position 10; the question asks for 10 over 1.")
    return wrong("on today's log (`click_log(production, 20_000, random_state=2)`): the mean click at "
                 "position 10 divided by the mean click at position 1.")


@lru_cache(maxsize=1)
def _pools():
    """The chapter's section 11d.5: per-visit clicks under A (IPW) and B (naive), and the users
    interleaving needs for 80 % power."""
    from .. import experiments

    simulator, *_ = _chapter()
    a, b = _lists(np.inf), _lists(None)
    rng = np.random.default_rng(3)
    visitors = simulator.sample_users(_POOL, rng)
    merged, from_a = experiments.team_draft_interleave_many(a[visitors], b[visitors], rng)
    clicks = simulator.clicks(visitors, merged, rng)
    credit = (clicks & from_a).sum(axis=1) - (clicks & ~from_a).sum(axis=1)
    pools = []
    for lists in (a, b):
        visitors = simulator.sample_users(_POOL, rng)
        pools.append(simulator.clicks(visitors, lists[visitors], rng).sum(axis=1))
    power = experiments.resampled_power(credit, _SIZES, "interleaving")
    return pools[0], pools[1], users_for_power(power)


def users_for_power(power: pd.Series, target: float = 0.8) -> float:
    """The chapter's interpolation: users at ``target`` power, linear in log users."""
    return float(np.exp(np.interp(target, power.to_numpy(), np.log(power.index.to_numpy()))))


@exercise
def check_2(power) -> CheckResult:
    """Exercise 2: the A/B test's power at interleaving's 80 % sample size."""
    from .. import experiments

    clicks_a, clicks_b, n_users = _pools()
    expected = float(experiments.resampled_power((clicks_b, clicks_a), [round(n_users)], "ab").iloc[0])
    verdict = numeric_verdict(power, expected, "the A/B test's power at interleaving's sample size",
                              explain="The users that give interleaving 80 % power leave the A/B test far "
                                      "short of it: each of its users sees one ranker, and whether a visit "
                                      "clicks at all varies far more than which of two lists' items it "
                                      "clicks.")  # fmt: skip
    if verdict is not None:
        return verdict
    doubled = float(experiments.resampled_power((clicks_b, clicks_a), [2 * round(n_users)], "ab").iloc[0])
    if close(power, doubled):
        return wrong("that gives each arm as many users as interleaving has in all; n_users is the total, "
                     "split in two arms.")
    return wrong("experiments.resampled_power((clicks_b, clicks_a), [round(interleaving_users)], 'ab'), with "
                 "the default n_experiments and random_state; its one value is the power.")


@lru_cache(maxsize=4)
def _lists(cap):
    """Each user's candidates as ranked by LambdaMART on today's log (seed 2): naive (``cap``
    None) or weighted by min(1 / ê_j, ``cap``)."""
    from .. import ranking

    _, candidates, features, production = _chapter()
    frame = ranking.click_queries(_log(production, _ROUNDS, random_state=2),
                                  None if cap is None else _shuffle_estimate())  # fmt: skip
    for name, values in features.items():
        frame[name] = values[frame["user_id"], frame["item_id"]]
    ranker = ranking.GBDTRanker(n_estimators=100, learning_rate=0.1, min_child_samples=200, random_state=0)
    ranker.fit(frame, features=list(features), sample_weight=np.minimum(frame["weight"], np.inf if cap is None
                                                                         else cap))  # fmt: skip
    serving = pd.DataFrame({name: np.take_along_axis(values, candidates, axis=1).ravel()
                            for name, values in features.items()})  # fmt: skip
    serving["user_id"] = np.repeat(np.arange(len(candidates)), _K)
    order = np.argsort(-ranker.predict(serving).reshape(-1, _K), axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1)


def _capped_ndcg(cap: float) -> float:
    """Mean true NDCG@10 of LambdaMART trained with weights min(1 / ê_j, cap)."""
    from .. import evaluation

    return float(evaluation.ndcg_at_k(_lists(cap)[:, :10], _true_relevance()).mean())


@lru_cache(maxsize=1)
def _shuffle_estimate() -> pd.Series:
    """The chapter's examination estimate from 20,000 shuffled visits (seed 1)."""
    from .. import ranking

    simulator, _, _, production = _chapter()
    rng = np.random.default_rng(1)
    visitors = simulator.sample_users(_ROUNDS, rng)
    shuffled = ranking.shuffle_intervention(production[visitors], rng)
    clicks = simulator.clicks(visitors, shuffled, rng)
    positions = np.tile(np.arange(1, _K + 1), len(visitors))
    return ranking.examination_by_position(positions, clicks.ravel())["examination"]


def _true_relevance():
    import scipy.sparse

    simulator, candidates, _, _ = _chapter()
    gains = np.take_along_axis(simulator.attraction, candidates, axis=1).ravel()
    indptr = np.arange(0, candidates.size + 1, _K)
    return scipy.sparse.csr_matrix((gains, candidates.ravel(), indptr), shape=simulator.attraction.shape)


@exercise
def check_3(ndcg) -> CheckResult:
    """Exercise 3: true NDCG@10 of the IPW ranker with its weights capped at 5."""
    expected = _capped_ndcg(5.0)
    verdict = numeric_verdict(ndcg, expected, "the capped ranker's mean NDCG@10",
                              explain="A cap trades the variance of the rare clicks far down the list "
                                      "for some of the bias the weights were there to remove.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(ndcg, _capped_ndcg(np.inf)):
        return wrong("that is the uncapped ranker's; pass sample_weight=np.minimum(frame['weight'], 5).")
    return wrong("click_queries(click_log(production, 20_000, random_state=2), shuffle_estimate['examination']), "
                 "the features added, GBDTRanker(...).fit(frame, features=..., sample_weight=np.minimum("
                 "frame['weight'], 5)), then true_ndcg of its lists.")
