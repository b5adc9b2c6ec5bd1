"""Exercise checks of chapter 11: each answer, the verdict it gets, the feedback it reads.

Exercises 1, 2 and 4 are small computations on fixed inputs; their answers are recomputed here
with statsmodels, scipy and numpy, not with the checker's helpers or `recsys_tutorial.experiments`
(only its click simulator is reused). Exercise 3 needs the synthetic world; its cached helper
returns the made-up sample sizes below instead. That the worked solutions pass is tested by
tests/test_exercise_solutions.py.
"""

import math

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
from exercise_verdicts import BLANK, assert_verdict
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from recsys_tutorial.exercises import ch11
from recsys_tutorial.experiments import simulate_user_clicks

Z_SUM = scipy.stats.norm.isf(0.025) + scipy.stats.norm.isf(0.2)  # z_(1−α/2) + z_(1−β)


# ---------------------------------------------------------------------------------------------
# 1) Users per arm to detect half the MDE of 20,000 users per arm (5 % baseline, α 0.05, power 0.8)


def textbook_n(p_a, p_b):
    """The textbook normal approximation: (z_(1-α/2) + z_(1-β))² [p_a(1-p_a) + p_b(1-p_b)] / (p_b - p_a)²."""
    return Z_SUM**2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2


def cohen_n(p_a, p_b):
    """Users per arm on Cohen's h = 2 asin √p_b − 2 asin √p_a, by statsmodels."""
    return NormalIndPower().solve_power(effect_size=proportion_effectsize(p_b, p_a), alpha=0.05, power=0.8)


def solve_relative_lift(n_of) -> float:
    """The relative lift that ``n_of(0.05, 0.05 (1 + lift))`` users per arm detect at 20,000 per arm."""
    return scipy.optimize.brentq(lambda r: n_of(0.05, 0.05 * (1 + r)) - 20_000, 1e-4, 5, xtol=1e-14, rtol=1e-14)


MDE = solve_relative_lift(cohen_n)
HALF_MDE = {
    "cohen": cohen_n(0.05, 0.05 * (1 + MDE / 2)),
    "textbook": textbook_n(0.05, 0.05 * (1 + MDE / 2)),
    "textbook throughout": textbook_n(0.05, 0.05 * (1 + solve_relative_lift(textbook_n) / 2)),
}


def test_halving_the_mde_costs_a_little_under_four_times_the_users():
    assert 3.85 * 20_000 < HALF_MDE["cohen"] < 4 * 20_000


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(math.ceil(HALF_MDE["cohen"]), True, "users per arm is 77,813. That is Cohen's h, rounded up",
                     id="Cohen's h, rounded up"),
        pytest.param(HALF_MDE["cohen"], True, "the textbook normal approximation gives 77,827 and is accepted too",
                     id="Cohen's h"),
        pytest.param(HALF_MDE["textbook"], True, "a little under the 4× of the 1/MDE² rule", id="textbook"),
        pytest.param(HALF_MDE["textbook throughout"], True, "users per arm is 77,813", id="textbook throughout"),
        pytest.param(80_000, False, "the 1/MDE² rule is only approximate", id="four times the budget"),
        pytest.param(2 * HALF_MDE["cohen"], False, "that counts both arms", id="both arms"),
        pytest.param(20_000, False, "that is the sample for the full MDE", id="full MDE"),
        pytest.param(cohen_n(0.05, 0.05 + MDE / 2), False, "treats the halved lift as rate points (absolute)",
                     id="absolute lift"),
        pytest.param(78_000, False, "rounded to too few figures", id="rounded"),
        pytest.param(1.01 * HALF_MDE["cohen"], False, "pass that relative lift to sample_size_proportions",
                     id="anything else"),
        pytest.param("abc", False, "expected the number of users per arm as a number", id="text"),
        pytest.param([1, 2], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_users_per_arm_for_half_the_mde(answer, passed, feedback):
    assert_verdict(ch11.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) Holm over a five-metric report: converted users in A and B, 20,000 per arm

REPORT = {
    "click-through": (6_000, 6_274),
    "add to cart": (2_000, 2_063),
    "purchase": (800, 894),
    "return visit": (9_000, 9_253),
    "long session": (4_000, 4_162),
}
DECISIONS = {
    "holm": {"click-through", "return visit"},
    "bonferroni": {"click-through"},
    "fdr_bh": {"click-through", "purchase", "return visit"},
    "uncorrected": {"click-through", "purchase", "return visit", "long session"},
}


def test_statsmodels_takes_the_decisions_the_table_below_relies_on():
    p = np.array([proportions_ztest([b, a], [20_000, 20_000])[1] for a, b in REPORT.values()])
    names = np.array(list(REPORT))
    for method in ("holm", "bonferroni", "fdr_bh"):
        assert set(names[multipletests(p, alpha=0.05, method=method)[0]]) == DECISIONS[method], method
    assert set(names[p < 0.05]) == DECISIONS["uncorrected"]


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param({"click-through", "return visit"}, True, "Holm declares click-through, return visit",
                     id="right"),
        pytest.param(["Click-through", " return visit"], True, "the third p-value (purchase) exceeds 0.05 / 3",
                     id="list, any case"),
        pytest.param((0, 3), True, "Holm declares", id="positions in the report's order"),
        pytest.param({"click-through"}, False, "that is Bonferroni", id="Bonferroni"),
        pytest.param({"click-through", "purchase", "return visit"}, False, "that is Benjamini–Hochberg",
                     id="Benjamini-Hochberg"),
        pytest.param({"click-through", "purchase", "return visit", "long session"}, False,
                     "with p < 0.05 before any correction", id="uncorrected"),
        pytest.param({"click-through", "add to cart"}, False, "pass the five p-values to experiments.holm",
                     id="anything else"),
        pytest.param(set(), False, "pass the five p-values to experiments.holm", id="nothing"),
        pytest.param({"revenue"}, False, "'revenue' is not one of the report's metrics", id="unknown metric"),
        pytest.param({7}, False, "7 is not one of the report's metrics", id="position out of range"),
        pytest.param([True], False, "True is not one of the report's metrics", id="a boolean is no position"),
        pytest.param("click-through", False, "expected a set of metric names such as {'purchase'}", id="text"),
        pytest.param(3.5, False, "expected a set of metric names", id="number"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_holm_over_five_metrics(answer, passed, feedback):
    assert_verdict(ch11.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Users per arm for +5 % events per user on the CUPED-adjusted metric

# 2 (z_(1−α/2) + z_(1−β))² σ² / Δ² with σ² the adjusted metric's variance (ddof 1), and the slips'
# versions of it; the t-based and ddof-0 answers are accepted too.
CUPED_SAMPLE_SIZES = {
    "cuped": 25_473.7,
    "cuped_ddof0": 25_471.2,
    "cuped_t": 25_474.7,
    "raw": 80_406.4,
    "one_sided": 20_065.6,
    "std": 3_734.4,
    "absolute_effect": 292_177.0,
}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(25_474, True, "users per arm is 25,474. That is the normal approximation", id="rounded up"),
        pytest.param(25_473.7, True, "the same formula asks for 80,407", id="normal approximation"),
        pytest.param(25_471.2, True, "a t-based or ddof-0 answer is accepted too", id="ddof 0"),
        pytest.param(25_474.7, True, "users per arm is 25,474", id="t-based"),
        pytest.param(80_406.4, False, "that is the sample for the raw metric", id="raw metric"),
        pytest.param(25_473.7 / 2, False, "the formula has a factor 2", id="without the factor 2"),
        pytest.param(2 * 25_471.2, False, "that counts both arms", id="both arms"),
        pytest.param(20_065.6, False, "that uses a one-sided z (1.645)", id="one-sided"),
        pytest.param(3_734.4, False, "σ² in the formula is the variance, not the standard deviation",
                     id="standard deviation"),
        pytest.param(292_177, False, "Δ is 5 % of the mean events per user", id="absolute effect"),
        pytest.param(25_000, False, "rounded to too few figures", id="rounded"),
        pytest.param(40_000, False, "put Var(adjusted) and Δ = 0.05 × during.mean()", id="anything else"),
        pytest.param(float("nan"), False, "as a finite number", id="nan"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_users_per_arm_after_cuped(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch11, "_cuped_sample_sizes", lambda: CUPED_SAMPLE_SIZES)
    assert_verdict(ch11.check_3(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 4) The width of the 95 % delta-method interval of the relative CTR lift, users randomised


def ctr_interval_widths() -> dict:
    """The widths by hand: the delta method on per-user ratios, and the binomial interval of the slip."""
    log = simulate_user_clicks(4_000, ctr=0.05, lift=0.05, random_state=7)
    z = scipy.stats.norm.isf(0.025)

    def ratio_and_variance(x, y):  # the linearised per-user metric (x_i − R y_i) / ȳ
        r = x.sum() / y.sum()
        return r, np.var((x - r * y) / y.mean(), ddof=1) / len(x)

    (r_a, v_a) = ratio_and_variance(log.clicks_a, log.impressions_a)
    (r_b, v_b) = ratio_and_variance(log.clicks_b, log.impressions_b)
    n_a, n_b = log.impressions_a.sum(), log.impressions_b.sum()
    nv_a, nv_b = r_a * (1 - r_a) / n_a, r_b * (1 - r_b) / n_b  # binomial, impressions independent
    return {
        "delta": 2 * z * np.sqrt(v_b / r_a**2 + r_b**2 * v_a / r_a**4),
        "naive": 2 * z * np.sqrt(nv_b / r_a**2 + r_b**2 * nv_a / r_a**4),
        "absolute": 2 * z * np.sqrt(v_a + v_b),
    }


WIDTHS = ctr_interval_widths()


def test_clustered_clicks_make_the_delta_method_interval_wider_than_the_binomial_one():
    assert WIDTHS["delta"] > 1.3 * WIDTHS["naive"]


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(WIDTHS["delta"], True, "the width of the interval is 0.1996. The per-impression binomial "
                     "interval is only 0.123 wide", id="right"),
        pytest.param(round(WIDTHS["delta"], 4), True, "the width of the interval is 0.1996.", id="four figures"),
        pytest.param(WIDTHS["naive"], False, "treats every impression as independent", id="binomial"),
        pytest.param(WIDTHS["delta"] / 2, False, "that is the half-width", id="half-width"),
        pytest.param(WIDTHS["absolute"], False, "the interval of the absolute lift in CTR", id="absolute lift"),
        pytest.param(0.2, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.5, False, "pass each arm's per-user clicks and impressions", id="anything else"),
        pytest.param({"a": 1}, False, "expected the width of the interval as a single number", id="dict"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_4_the_delta_method_width(answer, passed, feedback):
    assert_verdict(ch11.check_4(answer), passed, feedback)
