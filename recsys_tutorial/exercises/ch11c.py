"""Checks for chapter 11c (exploration with bandits).

1. The share of the last 10,000 rounds in which tuned Thompson sampling shows the best item
   (fixed catalogue, seed 0).
2. LinUCB's mean regret without its bonus (α = 0), when new items arrive, over seeds 0–4.
3. The new items' share of impressions after they arrive, for greedy with optimistic initial
   values (ε = 0, initial 1), seed 0.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import CheckResult, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

_ROUNDS, _BATCH = 50_000, 500


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's simulator, its tuned settings, the best item and the new items' arrivals."""
    from .. import simulation, tuning
    from ..data import make_synthetic

    results = tuning.read_results("tune_bandits")
    world = make_synthetic(**results["parameters"]["world"])
    simulator = simulation.ClickSimulator(world, **results["parameters"]["simulator"])
    best_item = int(np.argmax(simulator.arrival @ simulator.attraction))
    arrivals = {item: results["parameters"]["new_item_round"] for item in results["parameters"]["new_items"]}
    return simulator, tuning.bandit_settings(results), best_item, arrivals


def _run(name: str, settings: dict, seed: int, arrivals=None):
    from .. import bandits

    simulator = _chapter()[0]
    policy = bandits.policy_from(name, settings, simulator.n_items, simulator.user_features.shape[1],
                                 random_state=seed)  # fmt: skip
    return bandits.simulate(policy, simulator, _ROUNDS, batch_size=_BATCH, arrivals=arrivals, random_state=seed)


@lru_cache(maxsize=1)
def _thompson_shares() -> tuple[float, float]:
    """The best item's share of tuned Thompson sampling's last 10,000 rounds and of all rounds."""
    _, settings, best_item, _ = _chapter()
    run = _run("Thompson sampling", settings.loc[("fixed catalogue", "Thompson sampling"), "settings"], seed=0)
    shown = run["item_id"].to_numpy() == best_item
    return float(shown[-10_000:].mean()), float(shown.mean())


@exercise
def check_1(share) -> CheckResult:
    """Exercise 1: the best item's share of tuned Thompson sampling's last 10,000 rounds."""
    last, whole = _thompson_shares()
    verdict = numeric_verdict(share, last, "the best item's share of the last 10,000 rounds",
                              explain=f"Over all 50,000 rounds it was {whole:.4f}: Thompson sampling moves its "
                                      "impressions to the best item as the evidence grows, and keeps trying the "
                                      "others as long as their posteriors leave them a chance.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(share, whole):
        return wrong("that is the share over all 50,000 rounds; take the last 10,000 (run.iloc[-10_000:]).")
    if close(share, last * 10_000):
        return wrong("that is a count of rounds; divide by 10,000 for a share.")
    return wrong("simulate tuned Thompson sampling (fixed catalogue) with random_state=0, then the mean of "
                 "item_id == best_item over the last 10,000 rows.")


@lru_cache(maxsize=1)
def _linucb_regrets() -> tuple[float, float]:
    """Mean regret over seeds 0–4 when new items arrive: LinUCB with α = 0, and tuned."""
    _, settings, _, arrivals = _chapter()
    tuned = settings.loc[("new items arrive", "LinUCB"), "settings"]

    def regret(alpha_settings):
        runs = [_run("LinUCB", alpha_settings, seed, arrivals) for seed in range(5)]
        return float(np.mean([(run["best"] - run["expected"]).sum() for run in runs]))

    return regret({"alpha": 0.0}), regret(tuned)


@exercise
def check_2(regret) -> CheckResult:
    """Exercise 2: LinUCB's mean regret without its bonus, when new items arrive, seeds 0–4."""
    greedy, tuned = _linucb_regrets()
    verdict = numeric_verdict(regret, greedy, "LinUCB's mean regret with α = 0",
                              explain=f"The tuned bonus gets {tuned:,.1f}: without it LinUCB ranks by its ridge "
                                      "estimates alone, and an item it knows nothing of scores zero, below every "
                                      "item that has earned a click.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(regret, tuned):
        return wrong("that is the tuned LinUCB; set alpha=0.0.")
    if close(regret, greedy * 5):
        return wrong("that is the total over five seeds; average it.")
    return wrong("for seed in 0..4, simulate LinUCB with {'alpha': 0.0} and arrivals=arrivals, sum best − expected, "
                 "and average the five regrets.")


@lru_cache(maxsize=1)
def _optimistic_shares() -> tuple[float, float]:
    """The new items' share after arrival: greedy with initial 1 and with initial 0 (seed 0)."""
    _, _, _, arrivals = _chapter()
    shares = []
    for initial in (1.0, 0.0):
        run = _run("ε-greedy", {"epsilon": 0.0, "initial": initial}, seed=0, arrivals=arrivals)
        after = run[run["round"] >= min(arrivals.values())]
        shares.append(float(after["item_id"].isin(list(arrivals)).mean()))
    return shares[0], shares[1]


@exercise
def check_3(share) -> CheckResult:
    """Exercise 3: the new items' share after they arrive, for greedy with optimistic initial values."""
    optimistic, pessimistic = _optimistic_shares()
    verdict = numeric_verdict(share, optimistic, "the new items' share after they arrive",
                              explain=f"With a pessimistic start (initial 0) it gets {pessimistic:.4f}. An "
                                      "optimistic initial value is exploration by another name: every item is "
                                      "worth trying until its own clicks say otherwise.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(share, pessimistic):
        return wrong("that is greedy with the pessimistic start; pass initial=1.0.")
    return wrong("simulate EpsilonGreedy(epsilon=0.0, initial=1.0) with arrivals=arrivals and random_state=0, then "
                 "the share of the rounds from their arrival on that showed one of the new items.")
