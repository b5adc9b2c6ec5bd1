"""Checks for chapter 11 (A/B testing)."""

from __future__ import annotations

import math

import numpy as np

from .. import experiments
from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]

_P_VALUES = [0.004, 0.012, 0.03, 0.04, 0.20]


def check_1(users_per_arm) -> CheckResult:
    """Exercise 1: users per arm for +10 % relative on a 10 % baseline (α 0.05, power 0.8)."""
    value = as_number(users_per_arm, "the number of users per arm")
    if isinstance(value, CheckResult):
        return value
    exact = experiments.sample_size_proportions(0.10, 0.10)
    expected = math.ceil(exact)
    if value == expected:
        return correct(f"{expected:,} users per arm ({2 * expected:,} in all).")
    if value == math.floor(exact) or value == round(exact):
        return wrong(f"round *up* ({exact:.2f} → {expected}): fewer users than that fall short of 80 % power.")
    if close(value, 2 * expected, rtol=1e-3):
        return wrong("that is the total over both arms; the question asks per arm.")
    if close(value, math.ceil(experiments.sample_size_proportions(0.10, 0.10, relative=False)), rtol=1e-6):
        return wrong("that is for an absolute lift of 10 points (10 % → 20 %); +10 % relative means 10 % → 11 %.")
    return wrong("use sample_size_proportions(baseline_rate=0.10, mde=0.10) (relative by default) and round up.")


def check_2(rejected_positions) -> CheckResult:
    """Exercise 2: which of five p-values Holm rejects at 0.05."""
    try:
        answer = {int(x) for x in rejected_positions}
    except (TypeError, ValueError):
        return wrong("expected a set of positions such as {0, 1}.")
    expected = set(np.flatnonzero(experiments.holm(_P_VALUES)[0]).tolist())
    bonferroni = set(np.flatnonzero(experiments.bonferroni(_P_VALUES)[0]).tolist())
    uncorrected = {i for i, p in enumerate(_P_VALUES) if p < 0.05}
    if answer == expected:
        return correct(f"Holm rejects {sorted(expected)}: 0.004·5 = 0.02 ≤ 0.05, then 0.012·4 = 0.048 ≤ 0.05, "
                       "then 0.03·3 = 0.09 > 0.05 stops the procedure.")
    if answer == bonferroni:
        return wrong("that is Bonferroni (every p·5 ≤ 0.05). Holm multiplies the j-th smallest p-value by "
                     "m − j + 1 and stops at the first failure.")
    if answer == uncorrected:
        return wrong("those are the uncorrected p < 0.05; with five metrics, correct for multiplicity.")
    return wrong("sort the p-values; compare the j-th smallest, times (5 − j + 1), with 0.05; stop at the first that fails.")


def check_3(p_value) -> CheckResult:
    """Exercise 3: the SRM p-value for 50,700 vs 49,300 users."""
    value = as_number(p_value, "a p-value")
    if isinstance(value, CheckResult):
        return value
    expected = experiments.srm_test(50_700, 49_300)["p_value"]
    if close(value, expected, rtol=1e-6, atol=1e-15):
        return correct(f"p = {expected:.2e}: far below 0.001. A 1.4-point imbalance in 100,000 users is a "
                       "broken assignment, not chance.")
    if close(value, expected / 2, rtol=1e-6, atol=1e-15):
        return wrong("that is a one-sided p-value; the chi-square check is two-sided.")
    return wrong("compare the observed counts with 50,000 each in a chi-square goodness-of-fit test "
                 "(srm_test or scipy.stats.chisquare).")
