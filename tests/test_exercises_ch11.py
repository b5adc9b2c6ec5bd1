"""Exercise checks of chapter 11: right answers pass, typical slips get their hint.

The expected answers are recomputed here from statsmodels, scipy and numpy, not from the
checker's helpers or from `recsys_tutorial.experiments` (only its data simulator is reused).
"""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from recsys_tutorial.data import make_synthetic
from recsys_tutorial.experiments import simulate_user_clicks
from recsys_tutorial.exercises import ch11

Z_SUM = scipy.stats.norm.isf(0.025) + scipy.stats.norm.isf(0.2)


def textbook_n(p_a, p_b):
    """The textbook normal approximation: (z_(1-α/2) + z_(1-β))² [p_a(1-p_a) + p_b(1-p_b)] / (p_b - p_a)²."""
    return Z_SUM**2 * (p_a * (1 - p_a) + p_b * (1 - p_b)) / (p_b - p_a) ** 2


# ---------------------------------------------------------------------------------------------
# Exercise 1: users per arm to detect half the MDE of 20,000 users per arm


def arcsine_power(p_a, p_b, n):
    """Power of the two-sided test with n users per arm, on Cohen's h = 2 asin √p_b − 2 asin √p_a."""
    h = 2 * math.asin(math.sqrt(p_b)) - 2 * math.asin(math.sqrt(p_a))
    z = scipy.stats.norm.isf(0.025)
    return scipy.stats.norm.sf(z - h * math.sqrt(n / 2)) + scipy.stats.norm.cdf(-z - h * math.sqrt(n / 2))


@pytest.fixture(scope="module")
def half_mde():
    solve = dict(xtol=1e-14, rtol=1e-14)
    mde = scipy.optimize.brentq(lambda r: arcsine_power(0.05, 0.05 * (1 + r), 20_000) - 0.8, 1e-4, 5, **solve)
    half = 0.05 * (1 + mde / 2)
    cohen = scipy.optimize.brentq(lambda n: arcsine_power(0.05, half, n) - 0.8, 10, 1e9, **solve)
    statsmodels = NormalIndPower().solve_power(effect_size=proportion_effectsize(half, 0.05), alpha=0.05, power=0.8)
    assert cohen == pytest.approx(statsmodels, rel=1e-6)
    mde_textbook = scipy.optimize.brentq(lambda r: textbook_n(0.05, 0.05 * (1 + r)) - 20_000, 1e-4, 5, **solve)
    return {
        "cohen": cohen,
        "textbook": textbook_n(0.05, half),
        "textbook_throughout": textbook_n(0.05, 0.05 * (1 + mde_textbook / 2)),
        "mde": mde,
    }


def test_check_1_accepts_cohens_h_and_the_textbook_formula(half_mde):
    assert 77_000 < half_mde["cohen"] < 78_500  # a little under 4 × 20,000
    for answer in (half_mde["cohen"], math.ceil(half_mde["cohen"]), half_mde["textbook"],
                   math.ceil(half_mde["textbook"]), half_mde["textbook_throughout"]):  # fmt: skip
        verdict = ch11.check_1(answer)
        assert verdict.passed, (answer, verdict.message)
    message = ch11.check_1(math.ceil(half_mde["textbook"])).message
    assert "Cohen's h" in message and "textbook" in message
    assert f"{math.ceil(half_mde['cohen']):,}" in message


def test_check_1_explains_the_slips(half_mde):
    assert "1/MDE² rule" in ch11.check_1(80_000).message
    assert "per arm" in ch11.check_1(2 * half_mde["cohen"]).message
    assert "full MDE" in ch11.check_1(20_000).message
    absolute = scipy.optimize.brentq(lambda n: arcsine_power(0.05, 0.05 + half_mde["mde"] / 2, n) - 0.8, 1, 1e9)
    assert "absolute" in ch11.check_1(absolute).message
    assert not ch11.check_1(1.01 * half_mde["cohen"]).passed


# ---------------------------------------------------------------------------------------------
# Exercise 2: Holm over a five-metric report

REPORT = {
    "click-through": (6_000, 6_274),
    "add to cart": (2_000, 2_063),
    "purchase": (800, 894),
    "return visit": (9_000, 9_253),
    "long session": (4_000, 4_162),
}


@pytest.fixture(scope="module")
def decisions():
    p = np.array([proportions_ztest([b, a], [20_000, 20_000])[1] for a, b in REPORT.values()])
    names = np.array(list(REPORT))
    chosen = {method: set(names[multipletests(p, alpha=0.05, method=method)[0]])
              for method in ("holm", "bonferroni", "fdr_bh")}  # fmt: skip
    chosen["uncorrected"] = set(names[p < 0.05])
    return chosen


def test_check_2_accepts_holm_and_the_four_procedures_differ(decisions):
    assert decisions["holm"] == {"click-through", "return visit"}
    assert len({frozenset(s) for s in decisions.values()}) == 4  # each slip is told apart
    assert ch11.check_2(decisions["holm"]).passed
    assert ch11.check_2(["Click-through", "return visit"]).passed  # any iterable, any case
    assert ch11.check_2({0, 3}).passed  # positions in the report's order


def test_check_2_explains_the_slips(decisions):
    assert "Bonferroni" in ch11.check_2(decisions["bonferroni"]).message
    assert "Benjamini" in ch11.check_2(decisions["fdr_bh"]).message
    assert "before any correction" in ch11.check_2(decisions["uncorrected"]).message
    assert not ch11.check_2({"click-through"} | {"add to cart"}).passed
    assert "not one of the report's metrics" in ch11.check_2({"revenue"}).message


# ---------------------------------------------------------------------------------------------
# Exercise 3: users per arm on the CUPED-adjusted metric


@pytest.fixture(scope="module")
def cuped_sizes():
    world = make_synthetic(random_state=0)
    log = world.interactions
    split_day = log["timestamp"].max().floor("D") - pd.Timedelta(days=27)
    early = (log["timestamp"] < split_day).to_numpy()
    before = np.bincount(log["user_id"][early], minlength=world.n_users).astype(float)
    during = np.bincount(log["user_id"][~early], minlength=world.n_users).astype(float)
    theta = np.cov(before, during)[0, 1] / before.var(ddof=1)  # CUPED by hand
    adjusted = during - theta * (before - before.mean())
    effect = 0.05 * during.mean()
    return {
        "cuped": 2 * Z_SUM**2 * adjusted.var(ddof=1) / effect**2,
        "statsmodels_t": TTestIndPower().solve_power(effect / adjusted.std(ddof=1), alpha=0.05, power=0.8),
        "statsmodels_z": NormalIndPower().solve_power(effect / adjusted.std(ddof=1), alpha=0.05, power=0.8),
        "raw": 2 * Z_SUM**2 * during.var(ddof=1) / effect**2,
        "one_sided": 2 * (scipy.stats.norm.isf(0.05) + scipy.stats.norm.isf(0.2)) ** 2 * adjusted.var(ddof=1) / effect**2,
    }


def test_check_3_accepts_the_normal_and_t_answers(cuped_sizes):
    assert cuped_sizes["cuped"] < 0.4 * cuped_sizes["raw"]
    for name in ("cuped", "statsmodels_t", "statsmodels_z"):
        assert ch11.check_3(cuped_sizes[name]).passed, name
    assert ch11.check_3(math.ceil(cuped_sizes["cuped"])).passed


def test_check_3_explains_the_slips(cuped_sizes):
    assert "raw metric" in ch11.check_3(cuped_sizes["raw"]).message
    assert "factor 2" in ch11.check_3(cuped_sizes["cuped"] / 2).message
    assert "per arm" in ch11.check_3(2 * cuped_sizes["cuped"]).message
    assert "one-sided" in ch11.check_3(cuped_sizes["one_sided"]).message


# ---------------------------------------------------------------------------------------------
# Exercise 4: the delta-method interval of a relative CTR lift


@pytest.fixture(scope="module")
def ctr_widths():
    log = simulate_user_clicks(4_000, ctr=0.05, lift=0.05, random_state=7)
    z = scipy.stats.norm.isf(0.025)

    def ratio_and_variance(x, y):  # the linearised per-user metric (x_i − R y_i) / ȳ
        r = x.sum() / y.sum()
        return r, np.var((x - r * y) / y.mean(), ddof=1) / len(x)

    (r_a, v_a), (r_b, v_b) = ratio_and_variance(log.clicks_a, log.impressions_a), ratio_and_variance(log.clicks_b, log.impressions_b)
    relative_width = 2 * z * np.sqrt(v_b / r_a**2 + r_b**2 * v_a / r_a**4)
    n_a, n_b = log.impressions_a.sum(), log.impressions_b.sum()
    nv_a, nv_b = r_a * (1 - r_a) / n_a, r_b * (1 - r_b) / n_b  # binomial, impressions independent
    return {
        "delta": relative_width,
        "naive": 2 * z * np.sqrt(nv_b / r_a**2 + r_b**2 * nv_a / r_a**4),
        "absolute": 2 * z * np.sqrt(v_a + v_b),
    }


def test_check_4_accepts_the_delta_method_width(ctr_widths):
    assert ctr_widths["delta"] > 1.3 * ctr_widths["naive"]
    assert ch11.check_4(ctr_widths["delta"]).passed
    assert ch11.check_4(round(ctr_widths["delta"], 4)).passed


def test_check_4_explains_the_slips(ctr_widths):
    assert "independent" in ch11.check_4(ctr_widths["naive"]).message
    assert "half-width" in ch11.check_4(ctr_widths["delta"] / 2).message
    assert "absolute lift" in ch11.check_4(ctr_widths["absolute"]).message


# ---------------------------------------------------------------------------------------------
# Every check: a blank answer is neutral, garbage gets a "not yet" instead of an exception


@pytest.mark.parametrize("check", [ch11.check_1, ch11.check_2, ch11.check_3, ch11.check_4])
def test_blank_and_garbage_answers(check):
    assert check(None).passed is None and "No answer yet" in repr(check(None))
    for garbage in ("abc", float("nan"), [1, 2], {"a": 1}, 3.5, object()):
        verdict = check(garbage)
        assert verdict.passed is False, (check.__name__, garbage)
