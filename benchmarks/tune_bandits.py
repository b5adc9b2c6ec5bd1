"""Tune the bandits of chapter 11c on validation runs, so that its verdicts compare tuned policies.

    python benchmarks/tune_bandits.py [--smoke] [--out PATH]

The chapter's world: a synthetic world of 2,000 users and 40 items in 10 categories, one item
shown per round (`simulation.ClickSimulator`, items differing in appeal with σ_q = 1), 50,000
rounds, updates every 500. Two scenarios: a **fixed catalogue**, and **new items arrive**: the
two items of the highest mean click rate are held back until round 25,000. For each scenario, each
policy's hyperparameter grid (ε of ε-greedy, the Beta prior of Thompson sampling, α of LinUCB)
is run on ten validation seeds (100–109), which the chapter's test seeds (0–19) never use; the
setting with the least mean regret is the one chapter 11c runs. Writes
``benchmarks/results/tune_bandits.json``; a smoke run uses 2,000 rounds and two seeds.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from recsys_tutorial import bandits, simulation
from recsys_tutorial.data import make_synthetic

import record

WORLD = {"n_users": 2_000, "n_items": 40, "n_categories": 10, "n_interactions": 30_000, "random_state": 0}
SIMULATOR = {"slate_size": 1, "item_quality": 1.0}
GRIDS = {
    "ε-greedy": [{"epsilon": value} for value in [0.0, 0.01, 0.02, 0.05, 0.1, 0.2]],
    "Thompson sampling": [
        {"prior_clicks": 1.0, "prior_misses": value} for value in [1.0, 4.0, 12.0, 30.0, 100.0, 300.0]
    ],
    "LinUCB": [{"alpha": value} for value in [0.05, 0.1, 0.2, 0.5, 1.0]],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    record.add_arguments(parser)
    args = parser.parse_args()
    out = record.results_path("tune_bandits", args)
    n_rounds, seeds = (2_000, [100, 101]) if args.smoke else (50_000, list(range(100, 110)))
    batch_size = 500

    world = make_synthetic(**WORLD)
    simulator = simulation.ClickSimulator(world, **SIMULATOR)
    new_items = [int(item) for item in np.argsort(-(simulator.arrival @ simulator.attraction))[:2]]
    scenarios = {"fixed catalogue": {}, "new items arrive": {item: n_rounds // 2 for item in new_items}}
    rows = []
    for scenario, arrivals in scenarios.items():
        for name, grid in GRIDS.items():
            for settings in grid:
                began = time.perf_counter()
                study = bandits.regret_study({name: (name, settings)}, simulator, n_rounds, seeds,
                                             batch_size=batch_size, arrivals=arrivals, checkpoints=1)  # fmt: skip
                regrets = study["regret"].to_numpy()
                rows.append({"scenario": scenario, "policy": name, "settings": settings,
                             "mean_regret": float(np.mean(regrets)), "sd_regret": float(np.std(regrets, ddof=1)),
                             "seconds": time.perf_counter() - began})  # fmt: skip
                print(f"{scenario:>18} | {name:>17} {settings}: regret {rows[-1]['mean_regret']:8.1f}", flush=True)
    parameters = {"world": WORLD, "simulator": SIMULATOR, "n_rounds": n_rounds, "batch_size": batch_size,
                  "validation_seeds": seeds, "new_items": new_items, "new_item_round": n_rounds // 2}  # fmt: skip
    record.write(out, "tune_bandits", args, parameters=parameters, results=rows, checks={})
    return record.exit_status(args, {})


if __name__ == "__main__":
    sys.exit(main())
