"""What the exercise-check tables of tests/test_exercises*.py share.

A table row is an answer, the verdict it gets (True right, False "not yet", None blank) and a phrase
its feedback must contain. Checks that compare two models with a paired test read per-user NDCG@10
from cached helpers; the tables serve them `per_user_scores` instead, so they test which models a
check compares, in which order, and what it says, without fitting anything.
"""

import numpy as np
import pandas as pd

BLANK = "write yours in the cell above"  # what a blank answer (None) reads


def assert_verdict(verdict, passed, feedback):
    """The check's verdict is ``passed`` and its feedback contains ``feedback``."""
    # Explicit messages: pytest rewrites the asserts of test modules only, not of this helper.
    assert verdict.passed is passed, f"passed is {verdict.passed}, expected {passed}: {verdict.message}"
    assert feedback in verdict.message, f"{feedback!r} is not in the feedback {verdict.message!r}"


def per_user_scores(mean: float, seed: int, users: int = 40) -> pd.Series:
    """Per-user NDCG@10 of ``users`` users averaging ``mean``, with noise of its own (sd 0.02, mean exactly zero).

    Two models whose means differ by 0.02 differ clearly under a paired test; by 0, not at all.
    """
    noise = np.random.default_rng(seed).normal(0, 0.02, users)
    return pd.Series(np.linspace(0.05, 0.6, users) - 0.325 + mean + noise - noise.mean())


def mean_difference(models: dict, a, b) -> float:
    """The answer a paired-test exercise asks for: the mean per-user difference of model ``a`` minus ``b``."""
    return float((models[a] - models[b]).mean())


def serve_per_user(monkeypatch, module, helper: str, models: dict) -> dict:
    """Make ``module.helper(name)`` return ``models[name]``; returns the served copy, which a test may change."""
    served = dict(models)
    monkeypatch.setattr(module, helper, served.__getitem__)
    return served
