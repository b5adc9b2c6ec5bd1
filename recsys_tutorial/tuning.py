"""Reading the hyperparameter searches that ``benchmarks/tune_*.py`` commit as results files.

A chapter that uses tuned settings shows where they came from: the search's table, read from the
committed results file, and an assertion that the settings it fits are the ones the search chose.
A results file (``benchmarks/record.py``) holds ``results``, a list of rows: one per configuration
tried (``stage`` "validation", its hyperparameters and its ``validation ndcg@10``), and one per
model searched (``stage`` "test": the settings ``tuned``, the test NDCG@10 of the defaults and of
the tuned settings, and their paired difference).

Examples
--------
>>> tried = [{"model": "EASE", "stage": "validation", "reg": reg,
...           "validation ndcg@10": score}
...          for reg, score in [(100.0, 0.20), (500.0, 0.21)]]
>>> tested = {"model": "EASE", "stage": "test", "tuned": {"reg": 500.0},
...           "default test ndcg@10": 0.19, "tuned test ndcg@10": 0.19,
...           "mean difference": 0.0, "ci low": -0.01, "ci high": 0.01}
>>> rows = tried + [tested]
>>> chosen_settings({"results": rows})
{'EASE': {'reg': 500.0}}
>>> search_summary({"results": rows})[["tried", "best validation ndcg@10"]]
      tried  best validation ndcg@10
EASE      2                     0.21
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["read_results", "chosen_settings", "search_table", "search_summary", "bandit_settings"]


def read_results(path) -> dict:
    """A results file written by a script of ``benchmarks/``: its path, or its name (``"tune_ranking"``).

    A name is looked up as ``benchmarks/results/<name>.json`` in the working directory or the
    nearest folder above it that has one: a chapter finds the repository's file from ``book/``.
    """
    if isinstance(path, str) and "/" not in path and not path.endswith(".json"):
        relative = Path("benchmarks", "results", f"{path}.json")
        here = Path.cwd().resolve()
        found = [folder / relative for folder in [here, *here.parents] if (folder / relative).is_file()]
        path = found[0] if found else relative
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_results: no results file at {path}; run the benchmark that writes it")
    results = json.loads(path.read_text())
    if not isinstance(results, dict) or "results" not in results or "benchmark" not in results:
        raise ValueError(f"read_results: {path} is not a results file of benchmarks/ (no 'benchmark' and 'results')")
    return results


def _rows(results, stage: str) -> list[dict]:
    if isinstance(results, (str, Path)):
        results = read_results(results)
    return [row for row in results["results"] if row.get("stage") == stage]


def chosen_settings(results) -> dict[str, dict]:
    """Model → the hyperparameters the search chose (a results file's path, or its contents)."""
    return {row["model"]: dict(row["tuned"]) for row in _rows(results, "test")}


def search_table(results, model: str) -> pd.DataFrame:
    """Every configuration of ``model`` tried on validation, with its validation NDCG@10, in the order tried.

    Settings keep their values as given (``None`` stays ``None``); a setting a stage of the search
    did not vary yet is NaN. Fit seconds are left out: they depend on the machine that ran the
    search.
    """
    rows = [row for row in _rows(results, "validation") if row["model"] == model]
    if not rows:
        raise ValueError(f"search_table: the search tried no configuration of {model!r}")
    table = pd.DataFrame(rows, dtype=object).drop(columns=["model", "stage", "fit s"], errors="ignore")
    return table.astype({"validation ndcg@10": float})


def search_summary(results) -> pd.DataFrame:
    """One row per model searched: configurations tried, the best validation NDCG@10, the settings chosen,
    and on the test the defaults' and the chosen settings' NDCG@10 with their paired difference."""
    validation = pd.DataFrame(_rows(results, "validation"))
    summary = validation.groupby("model", sort=False).agg(
        **{"tried": ("validation ndcg@10", "size"), "best validation ndcg@10": ("validation ndcg@10", "max")}
    )
    test = {row["model"]: row for row in _rows(results, "test")}
    summary = summary.loc[[model for model in summary.index if model in test]]
    summary["chosen"] = [", ".join(f"{key}={value}" for key, value in test[m]["tuned"].items()) for m in summary.index]
    for column in ["default test ndcg@10", "tuned test ndcg@10", "mean difference", "ci low", "ci high"]:
        summary[column] = [test[model][column] for model in summary.index]
    summary.index.name = None
    return summary


def bandit_settings(results="tune_bandits") -> pd.DataFrame:
    """What ``benchmarks/tune_bandits.py`` chose: per scenario and policy, the settings with the
    least mean regret over the validation seeds, that regret, and the number of settings tried.

    Its index is (``scenario``, ``policy``); ``settings`` holds the keyword arguments.
    """
    if isinstance(results, (str, Path)):
        results = read_results(results)
    rows = pd.DataFrame(results["results"])
    best = rows.loc[rows.groupby(["scenario", "policy"], sort=False)["mean_regret"].idxmin()]
    tried = rows.groupby(["scenario", "policy"], sort=False).size().rename("settings tried")
    return best.set_index(["scenario", "policy"])[["settings", "mean_regret"]].join(tried)

