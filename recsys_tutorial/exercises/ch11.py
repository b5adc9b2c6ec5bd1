"""Checks for chapter 11 (A/B testing).

1. Users per arm to detect half the MDE of 20,000 users per arm (5 % baseline, α 0.05, power 0.8).
2. The metrics Holm's procedure declares moved in a five-metric report of conversion counts.
3. Users per arm for a +5 % lift in events per user, on the CUPED-adjusted metric.
4. The width of the delta-method 95 % interval of a relative CTR lift, users randomised.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.stats

from .. import experiments
from ..data import make_synthetic
from . import RTOL, CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3", "check_4"]

_ALPHA, _POWER = 0.05, 0.8
_Z_SUM = scipy.stats.norm.isf(_ALPHA / 2) + scipy.stats.norm.isf(1 - _POWER)  # z_(1-α/2) + z_(1-β)

# Exercise 1
_BASELINE, _BUDGET = 0.05, 20_000

# Exercise 2: metric -> (converted in A, converted in B), 20,000 users per arm
_REPORT = {
    "click-through": (6_000, 6_274),
    "add to cart": (2_000, 2_063),
    "purchase": (800, 894),
    "return visit": (9_000, 9_253),
    "long session": (4_000, 4_162),
}
_REPORT_USERS = 20_000

# Exercise 4
_CLICKS = dict(n_per_arm=4_000, ctr=0.05, lift=0.05, random_state=7)


# ---------------------------------------------------------------------------------------------
# Exercise 1: halving the minimum detectable effect


def _textbook_n(p_a: float, p_b: float) -> float:
    """Users per arm by the textbook normal approximation (unpooled variance)."""
    return _Z_SUM**2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2


def _textbook_pooled_n(p_a: float, p_b: float) -> float:
    """The variant with the pooled variance under the null in the α term."""
    p_bar = (p_a + p_b) / 2
    z_alpha, z_beta = scipy.stats.norm.isf(_ALPHA / 2), scipy.stats.norm.isf(1 - _POWER)
    spread = z_alpha * math.sqrt(2 * p_bar * (1 - p_bar)) + z_beta * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return spread**2 / (p_b - p_a) ** 2


@lru_cache(maxsize=1)
def _half_mde() -> dict[str, float]:
    """Users per arm to detect half the MDE of the budget, by each formula a reader may use."""
    mde = experiments.minimum_detectable_effect(_BASELINE, _BUDGET, alpha=_ALPHA, power=_POWER)
    half = _BASELINE * (1 + mde / 2)
    answers = {
        "cohen_h": experiments.sample_size_proportions(_BASELINE, mde / 2, alpha=_ALPHA, power=_POWER),
        "textbook": _textbook_n(_BASELINE, half),
        "textbook_pooled": _textbook_pooled_n(_BASELINE, half),
    }
    # a reader who solves the MDE with the textbook formula as well
    for name, formula in (("textbook", _textbook_n), ("textbook_pooled", _textbook_pooled_n)):
        def shortfall(r, formula=formula):  # users needed for a lift r, minus the budget
            return formula(_BASELINE, _BASELINE * (1 + r)) - _BUDGET

        mde_t = scipy.optimize.brentq(shortfall, 1e-6, 10.0)
        answers[f"{name}_throughout"] = formula(_BASELINE, _BASELINE * (1 + mde_t / 2))
    answers["mde"] = mde
    return answers


@exercise
def check_1(users_per_arm) -> CheckResult:
    """Exercise 1: users per arm to detect half the MDE of 20,000 users per arm."""
    value = as_number(users_per_arm, "the number of users per arm")
    if isinstance(value, CheckResult):
        return value
    answers = _half_mde()
    formulas = [v for k, v in answers.items() if k != "mde"]
    expected = math.ceil(answers["cohen_h"])
    rtol = max(abs(v - answers["cohen_h"]) for v in formulas) / answers["cohen_h"] + RTOL  # any formula
    verdict = numeric_verdict(
        value, expected, "the number of users per arm",
        explain=(f"That is Cohen's h, rounded up (sample_size_proportions); the textbook normal approximation "
                 f"gives {math.ceil(answers['textbook']):,} and is accepted too. Halving the lift costs "
                 f"{expected / _BUDGET:.2f}× the users, a little under the 4× of the 1/MDE² rule."),
        rtol=rtol,
    )  # fmt: skip
    if verdict is not None and verdict.passed:
        return verdict
    if close(value, 4 * _BUDGET, rtol=1e-6):
        return wrong("the 1/MDE² rule is only approximate: compute the sample size for the halved lift "
                     "with the formula instead of multiplying by four.")
    if any(close(value, 2 * v, rtol=rtol) for v in formulas):
        return wrong("that counts both arms; the question asks for users per arm.")
    full_mde = experiments.sample_size_proportions(_BASELINE, answers["mde"])
    if close(value, _BUDGET, rtol=RTOL) or close(value, full_mde, rtol=RTOL):
        return wrong("that is the sample for the full MDE; the question asks for half that lift.")
    absolute = _BASELINE + answers["mde"] / 2
    if absolute < 1 and close(value, experiments.sample_size_proportions(_BASELINE, answers["mde"] / 2,
                                                                          relative=False), rtol=RTOL):
        return wrong("that treats the halved lift as rate points (absolute); the MDE here is relative, "
                     "so the treatment rate is 0.05 × (1 + MDE / 2).")
    if verdict is not None:
        return verdict
    return wrong("find the MDE with minimum_detectable_effect(0.05, 20_000), halve it, and pass that relative "
                 "lift to sample_size_proportions (or the formula of §11.2).")


# ---------------------------------------------------------------------------------------------
# Exercise 2: Holm over a five-metric report


@lru_cache(maxsize=1)
def _report_decisions() -> dict[str, frozenset[str]]:
    names = list(_REPORT)
    p = np.array([experiments.two_proportion_ztest(a, _REPORT_USERS, b, _REPORT_USERS).p_value
                  for a, b in _REPORT.values()])

    def chosen(mask) -> frozenset[str]:
        return frozenset(name for name, keep in zip(names, mask, strict=True) if keep)

    return {
        "holm": chosen(experiments.holm(p, _ALPHA)[0]),
        "bonferroni": chosen(experiments.bonferroni(p, _ALPHA)[0]),
        "benjamini_hochberg": chosen(experiments.benjamini_hochberg(p, _ALPHA)[0]),
        "uncorrected": chosen(p < _ALPHA),
    }


@exercise
def check_2(metrics) -> CheckResult:
    """Exercise 2: the metrics Holm's procedure rejects at α = 0.05."""
    names = list(_REPORT)
    if isinstance(metrics, (str, bytes)) or not hasattr(metrics, "__iter__"):
        return wrong(f"expected a set of metric names such as {{'purchase'}}, got {metrics!r:.60}")
    answer = set()
    for item in metrics:
        if isinstance(item, str) and item.strip().lower() in names:
            answer.add(item.strip().lower())
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < len(names):
            answer.add(names[item])  # a position in the report's order
        else:
            return wrong(f"{item!r:.40} is not one of the report's metrics: {', '.join(names)}.")
    decisions = _report_decisions()
    if answer == decisions["holm"]:
        return correct(f"Holm declares {', '.join(sorted(answer))}. Sorted, the third p-value (purchase) exceeds "
                       "0.05 / 3 and stops the procedure.")
    if answer == decisions["bonferroni"]:
        return wrong("that is Bonferroni (every p ≤ 0.05 / 5). Holm compares the j-th smallest p-value with "
                     "0.05 / (5 − j + 1) and stops only at the first failure.")
    if answer == decisions["benjamini_hochberg"]:
        return wrong("that is Benjamini–Hochberg, which controls the false discovery rate; the question asks "
                     "for Holm's step-down procedure (family-wise error).")
    if answer == decisions["uncorrected"]:
        return wrong("those are the metrics with p < 0.05 before any correction; with five metrics, apply Holm.")
    return wrong("test each metric with two_proportion_ztest(a, 20_000, b, 20_000), then pass the five "
                 "p-values to experiments.holm and keep the names it rejects.")


# ---------------------------------------------------------------------------------------------
# Exercise 3: users per arm after CUPED


@lru_cache(maxsize=1)
def _cuped_sample_sizes() -> dict[str, float]:
    world = make_synthetic(random_state=0)
    log = world.interactions
    split_day = log["timestamp"].max().floor("D") - pd.Timedelta(days=27)
    before = np.bincount(log.loc[log["timestamp"] < split_day, "user_id"], minlength=world.n_users)
    during = np.bincount(log.loc[log["timestamp"] >= split_day, "user_id"], minlength=world.n_users)
    adjusted, _, _ = experiments.cuped(during, before)
    effect = 0.05 * during.mean()

    def n(variance: float, z_sum: float = _Z_SUM) -> float:  # 2 (z_(1-α/2) + z_(1-β))² σ² / Δ²
        return 2 * z_sum**2 * variance / effect**2

    d = effect / adjusted.std(ddof=1)  # Cohen's d, for the t-based answer
    t_based = scipy.optimize.brentq(
        lambda m: scipy.stats.nct.sf(scipy.stats.t.isf(_ALPHA / 2, 2 * m - 2), 2 * m - 2, d * math.sqrt(m / 2))
        - _POWER,
        10.0, 1e9,
    )  # fmt: skip
    return {
        "cuped": n(adjusted.var(ddof=1)),
        "cuped_ddof0": n(adjusted.var(ddof=0)),
        "cuped_t": t_based,
        "raw": n(during.var(ddof=1)),
        "one_sided": n(adjusted.var(ddof=1), scipy.stats.norm.isf(_ALPHA) + scipy.stats.norm.isf(1 - _POWER)),
        "std": n(adjusted.std(ddof=1)),
        "absolute_effect": 2 * _Z_SUM**2 * adjusted.var(ddof=1) / 0.05**2,
    }


@exercise
def check_3(users_per_arm) -> CheckResult:
    """Exercise 3: users per arm for +5 % in events per user, on the CUPED-adjusted metric."""
    value = as_number(users_per_arm, "the number of users per arm")
    if isinstance(value, CheckResult):
        return value
    sizes = _cuped_sample_sizes()
    accepted = [sizes["cuped"], sizes["cuped_ddof0"], sizes["cuped_t"]]
    expected = math.ceil(sizes["cuped"])
    rtol = max(abs(v - sizes["cuped"]) for v in accepted) / sizes["cuped"] + RTOL
    verdict = numeric_verdict(
        value, expected, "the number of users per arm",
        explain=(f"That is the normal approximation 2 (z_(1−α/2) + z_(1−β))² Var(Y′) / Δ², rounded up (a t-based "
                 f"or ddof-0 answer is accepted too). On the raw metric the same formula asks for "
                 f"{math.ceil(sizes['raw']):,}: CUPED cuts the traffic by its variance ratio."),
        rtol=rtol,
    )  # fmt: skip
    if verdict is not None and verdict.passed:
        return verdict
    if close(value, sizes["raw"], rtol=rtol):
        return wrong("that is the sample for the raw metric; use the variance of the CUPED-adjusted metric.")
    if any(close(value, v / 2, rtol=rtol) for v in accepted):
        return wrong("the formula has a factor 2: each arm's mean carries σ² / n of variance, so their "
                     "difference carries 2σ² / n.")
    if any(close(value, 2 * v, rtol=rtol) for v in accepted):
        return wrong("that counts both arms; the question asks for users per arm.")
    if close(value, sizes["one_sided"], rtol=rtol):
        return wrong("that uses a one-sided z (1.645); the test is two-sided, so z_(1−α/2) = 1.96.")
    if close(value, sizes["std"], rtol=rtol):
        return wrong("σ² in the formula is the variance, not the standard deviation.")
    if close(value, sizes["absolute_effect"], rtol=rtol):
        return wrong("Δ is 5 % of the mean events per user (0.05 × during.mean()), not 0.05 events.")
    if verdict is not None:
        return verdict
    return wrong("put Var(adjusted) and Δ = 0.05 × during.mean() into n = 2 (z_(1−α/2) + z_(1−β))² σ² / Δ², "
                 "with z from scipy.stats.norm.isf.")


# ---------------------------------------------------------------------------------------------
# Exercise 4: delta-method interval of a CTR lift


@lru_cache(maxsize=1)
def _ctr_widths() -> dict[str, float]:
    log = experiments.simulate_user_clicks(**_CLICKS)
    delta = experiments.ratio_metric_test(log.clicks_a, log.impressions_a, log.clicks_b, log.impressions_b)
    naive = experiments.two_proportion_ztest(
        int(log.clicks_a.sum()), int(log.impressions_a.sum()), int(log.clicks_b.sum()), int(log.impressions_b.sum())
    )
    return {
        "delta": delta.relative_ci[1] - delta.relative_ci[0],
        "naive": naive.relative_ci[1] - naive.relative_ci[0],
        "absolute": delta.absolute_ci[1] - delta.absolute_ci[0],
    }


@exercise
def check_4(width) -> CheckResult:
    """Exercise 4: width of the 95 % delta-method interval of the relative CTR lift."""
    value = as_number(width, "the width of the interval")
    if isinstance(value, CheckResult):
        return value
    widths = _ctr_widths()
    verdict = numeric_verdict(
        value, widths["delta"], "the width of the interval",
        explain=(f"The per-impression binomial interval is only {widths['naive']:.3f} wide: it counts "
                 "impressions as independent trials and claims a precision the data do not have."),
    )  # fmt: skip
    if verdict is not None and verdict.passed:
        return verdict
    if close(value, widths["naive"]):
        return wrong("that is the binomial interval on total clicks and impressions, which treats every "
                     "impression as independent; the users are the randomised unit (ratio_metric_test).")
    if close(value, widths["delta"] / 2):
        return wrong("that is the half-width; give the full width, high − low.")
    if close(value, widths["absolute"]):
        return wrong("that is the interval of the absolute lift in CTR; the question asks for the relative lift.")
    if verdict is not None:
        return verdict
    return wrong("pass each arm's per-user clicks and impressions to experiments.ratio_metric_test and take "
                 "relative_ci[1] − relative_ci[0].")
