"""Checks for chapter 11b (off-policy evaluation).

1. The effective sample size of the new policy's importance weights on one log.
2. SNIPS with each position's weights normalised separately, on the same log.
3. The bias of IPS clipped at 3, over 100 logs of the policy that is half the new model.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.stats

from . import CheckResult, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_ROUNDS = 3_000


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's simulator, the new model's scores, the new policy and the logging policies."""
    from .. import simulation
    from ..data import make_synthetic
    from ..models import EASE, Popularity

    world = make_synthetic(n_users=2_000, n_items=80, n_categories=10, n_interactions=30_000, random_state=0)
    simulator = simulation.ClickSimulator(world, slate_size=3, examination_exponent=1.0)
    users = np.arange(world.n_users)
    new = scipy.stats.zscore(EASE(reg=100.0).fit(world.interactions).score_items(users), axis=1)
    old = scipy.stats.zscore(Popularity().fit(world.interactions).score_items(users), axis=1)

    def logging(share_new: float):
        return simulation.PlackettLucePolicy(share_new * new + (1 - share_new) * old)

    return simulator, new, simulation.GreedyPolicy(new), logging


@lru_cache(maxsize=1)
def _one_log():
    """The chapter's log (today's policy, a quarter new, seed 0) and the new policy's propensities."""
    simulator, _, target, logging = _chapter()
    log = simulator.log(logging(0.25), _ROUNDS, random_state=0)
    slates, users = log["item_id"].to_numpy().reshape(-1, 3), log["user_id"].to_numpy()[::3]
    return log, simulator.propensities(target, users, slates).ravel()


@exercise
def check_1(ess) -> CheckResult:
    """Exercise 1: the effective sample size of the new policy's weights on the chapter's log."""
    from .. import offpolicy

    log, target_propensity = _one_log()
    expected = offpolicy.effective_sample_size(log["propensity"], target_propensity)
    verdict = numeric_verdict(ess, expected, "the effective sample size",
                              explain=f"Of {len(log):,} logged rows, the weighted estimate is worth about "
                                      f"{expected:,.0f}: {100 * expected / len(log):.1f} %. Most rows show items "
                                      "the new policy would not, and weigh zero.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(ess, expected / len(log)):
        return wrong("that is the share of the rows; the question asks for the number, (Σ w)² / Σ w².")
    weights = target_propensity / log["propensity"].to_numpy()
    if close(ess, float(np.sum(weights))):
        return wrong("that is Σ w; the effective sample size is (Σ w)² / Σ w².")
    return wrong("w = the new policy's propensity / the logged propensity for each row; then (Σ w)² / Σ w², or "
                 "offpolicy.effective_sample_size(log['propensity'], target_propensity).")


@exercise
def check_2(value) -> CheckResult:
    """Exercise 2: SNIPS with each position normalised on its own, summed over positions."""
    from .. import offpolicy

    log, target_propensity = _one_log()
    expected = offpolicy.snips(log["click"], log["propensity"], target_propensity, rounds=log["round"],
                               positions=log["position"]).value  # fmt: skip
    simulator, _, target, _ = _chapter()
    truth = simulator.value(target)
    verdict = numeric_verdict(value, expected, "SNIPS's estimate of clicks per round",
                              explain=f"The truth is {truth:.4f}; within each position the weights average one "
                                      "in expectation, and dividing by their actual mean trades a small bias for "
                                      "less variance.")  # fmt: skip
    if verdict is not None:
        return verdict
    pooled = offpolicy.snips(log["click"], log["propensity"], target_propensity).value
    if close(value, pooled):
        return wrong("that normalises all rows together, which gives clicks per *row*, a third of a round's; "
                     "normalise each position's weights separately and add the three.")
    if close(value, 3 * pooled):
        return wrong("close, but that normalises all positions together; the top position's weights differ "
                     "from the others': normalise each position separately, then add.")
    return wrong("for each position j: Σ w r / Σ w over the rows at j; then add the three positions.")


@lru_cache(maxsize=4)
def _clipped_bias(clip: float) -> float:
    from .. import offpolicy, simulation

    simulator, new, target, logging = _chapter()
    study = simulation.offpolicy_study(simulator, logging(0.5), target, new, n_logs=100, n_rounds=_ROUNDS, clip=clip)
    return float(offpolicy.error_table(study, simulator.value(target)).loc["clipped IPS", "bias"])


@exercise
def check_3(bias) -> CheckResult:
    """Exercise 3: the mean error of IPS clipped at 3, over 100 logs of the half-new policy."""
    expected = _clipped_bias(3.0)
    verdict = numeric_verdict(bias, expected, "clipped IPS's bias",
                              explain="Capping the weights removes exactly the large ones, those of the items the "
                                      "new policy favours and the old one rarely showed: the estimate falls short "
                                      "of the truth in every log, not by chance.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(bias, -expected):
        return wrong("the sign is reversed: the bias is the mean of (estimate − truth).")
    if close(bias, _clipped_bias(10.0)):
        return wrong("that is the default cap of 10; pass clip=3 to offpolicy_study.")
    return wrong("run simulation.offpolicy_study(simulator, logging(0.5), target, new_scores, n_logs=100, clip=3), "
                 "then offpolicy.error_table(study, truth).loc['clipped IPS', 'bias'].")
