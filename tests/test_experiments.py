import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from recsys_tutorial import experiments as ex


@pytest.mark.parametrize(
    "c_a, n_a, c_b, n_b", [(500, 10_000, 580, 10_000), (30, 1_000, 21, 1_200), (4_000, 80_000, 4_100, 79_000)]
)
def test_two_proportion_ztest_matches_statsmodels(c_a, n_a, c_b, n_b):
    result = ex.two_proportion_ztest(c_a, n_a, c_b, n_b)
    z, p = proportions_ztest([c_b, c_a], [n_b, n_a])
    assert result.z == pytest.approx(z, rel=1e-10) and result.p_value == pytest.approx(p, rel=1e-8)
    low, high = confint_proportions_2indep(c_b, n_b, c_a, n_a, method="wald", compare="diff")
    assert result.absolute_ci == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert result.significant == (p < 0.05)


def test_relative_lift_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    n, p_a, p_b = 20_000, 0.05, 0.055
    covered = 0
    for _ in range(1_000):
        result = ex.two_proportion_ztest(int(rng.binomial(n, p_a)), n, int(rng.binomial(n, p_b)), n)
        covered += result.relative_ci[0] <= p_b / p_a - 1 <= result.relative_ci[1]
    assert 0.93 <= covered / 1_000 <= 0.97


def test_welch_ttest_matches_scipy_and_statsmodels():
    rng = np.random.default_rng(1)
    a, b = rng.exponential(10, 400), rng.exponential(11, 650)
    result = ex.welch_ttest(a, b)
    reference = scipy.stats.ttest_ind(b, a, equal_var=False)
    assert result.t == pytest.approx(reference.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-8)
    low, high = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(usevar="unequal")
    assert result.ci == (pytest.approx(low, rel=1e-8), pytest.approx(high, rel=1e-8))


@pytest.mark.parametrize(
    "baseline, mde, alpha, power, ratio",
    [(0.05, 0.10, 0.05, 0.8, 1.0), (0.2, 0.02, 0.01, 0.9, 2.0), (0.01, 0.5, 0.1, 0.8, 1.0)],
)
def test_sample_size_and_mde_match_statsmodels(baseline, mde, alpha, power, ratio):
    treatment = baseline * (1 + mde)
    h = proportion_effectsize(treatment, baseline)
    reference = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=ratio)
    n = ex.sample_size_proportions(baseline, mde, alpha=alpha, power=power, ratio=ratio)
    assert n == pytest.approx(reference, rel=1e-8)
    assert ex.power_proportions(baseline, treatment, n, alpha, ratio) == pytest.approx(power, abs=1e-10)
    assert NormalIndPower().power(h, n, alpha, ratio=ratio) == pytest.approx(power, abs=1e-10)
    recovered_mde = ex.minimum_detectable_effect(baseline, n, alpha=alpha, power=power, ratio=ratio)
    assert recovered_mde == pytest.approx(mde, rel=1e-6)
    absolute = ex.sample_size_proportions(
        baseline, treatment - baseline, alpha=alpha, power=power, relative=False, ratio=ratio
    )
    assert absolute == pytest.approx(n, rel=1e-8)


def test_srm_test_matches_scipy_and_flags_a_broken_split():
    fine = ex.srm_test(50_100, 49_900)
    assert fine["p_value"] == pytest.approx(scipy.stats.chisquare([50_100, 49_900]).pvalue, rel=1e-10)
    assert fine["verdict"] == "no mismatch detected"
    broken = ex.srm_test(50_700, 49_300)
    assert broken["p_value"] < 0.001 and "mismatch" in broken["verdict"] and "do not trust" in broken["verdict"]
    planned_90_10 = ex.srm_test(9_000, 1_000, expected_ratio=0.9)
    assert planned_90_10["p_value"] == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from([0.01, 0.05, 0.1]))
def test_multiple_testing_matches_statsmodels(p_values, alpha):
    for ours, method in ((ex.bonferroni, "bonferroni"), (ex.holm, "holm"), (ex.benjamini_hochberg, "fdr_bh")):
        reject, adjusted = ours(p_values, alpha)
        ref_reject, ref_adjusted, _, _ = multipletests(p_values, alpha=alpha, method=method)
        np.testing.assert_allclose(adjusted, ref_adjusted, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(reject, ref_reject)


def test_msprt_holds_the_false_positive_rate_under_continuous_peeking():
    rng = np.random.default_rng(2)
    n_sims, looks, per_look, rate = 2_000, 30, 500, 0.05
    n = np.cumsum(np.full((n_sims, looks), per_look), axis=1)
    c_a = np.cumsum(rng.binomial(per_look, rate, (n_sims, looks)), axis=1)
    c_b = np.cumsum(rng.binomial(per_look, rate, (n_sims, looks)), axis=1)
    p = ex.msprt_pvalues(c_a, n, c_b, n, tau=0.01)
    assert (np.diff(p, axis=1) <= 0).all()  # always-valid p-values never go back up
    false_positive_rate = (p[:, -1] < 0.05).mean()
    assert false_positive_rate <= 0.05
    # ... while a real effect is still found
    c_b_better = np.cumsum(rng.binomial(per_look, rate * 1.2, (n_sims, looks)), axis=1)
    assert (ex.msprt_pvalues(c_a, n, c_b_better, n, tau=0.01)[:, -1] < 0.05).mean() > 0.5


def test_cuped_keeps_the_mean_and_cuts_variance_by_rho_squared():
    rng = np.random.default_rng(3)
    x = rng.normal(10, 2, 50_000)
    y = 0.8 * x + rng.normal(0, 1, 50_000)
    adjusted, theta, ratio = ex.cuped(y, x)
    rho = np.corrcoef(x, y)[0, 1]
    assert adjusted.mean() == pytest.approx(y.mean())
    assert theta == pytest.approx(0.8, abs=0.01)
    assert ratio == pytest.approx(1 - rho**2, rel=1e-3)


def test_bootstrap_interval_covers_the_difference():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0, 1, 2_000), rng.normal(0.2, 1, 2_000)
    estimate, low, high = ex.bootstrap_ci(a, b, n_bootstrap=500)
    assert low < estimate < high and low < 0.2 < high
    welch = ex.welch_ttest(a, b)
    assert low == pytest.approx(welch.ci[0], abs=0.02) and high == pytest.approx(welch.ci[1], abs=0.02)


def test_simulated_clicks_follow_the_probability_mass_of_the_list():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(50), size=20_000)
    lists = np.argsort(rng.random((20_000, 50)), axis=1)[:, :5]
    clicks = ex.simulate_exposure_clicks(probs, lists, n_choices=3, random_state=0)
    expected = 1 - (1 - np.take_along_axis(probs, lists, axis=1)) ** 3
    assert clicks.mean() == pytest.approx(expected.mean(), rel=0.03)
    best_lists = np.argsort(-probs, axis=1)[:, :5]
    best = ex.simulate_exposure_clicks(probs, best_lists, n_choices=3, random_state=0)
    assert best.mean() > 2 * clicks.mean()
    with pytest.raises(ValueError, match="must be a distribution"):
        ex.simulate_exposure_clicks(probs * 2, lists)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ex.two_proportion_ztest(11, 10, 5, 10), "conversions must be an integer in 0..n"),
        (lambda: ex.two_proportion_ztest(1, 0, 5, 10), "n must be a positive integer"),
        (lambda: ex.two_proportion_ztest(1, 10, 5, 10, alpha=1.5), "alpha must lie in"),
        (lambda: ex.sample_size_proportions(1.2, 0.1), "baseline_rate must lie in"),
        (lambda: ex.sample_size_proportions(0.5, -0.1), "mde must be > 0"),
        (lambda: ex.sample_size_proportions(0.5, 0.1, power=1.0), "power must lie in"),
        (lambda: ex.minimum_detectable_effect(0.05, 1), "no lift reaches that power"),
        (lambda: ex.srm_test(-1, 5), "non-negative integer"),
        (lambda: ex.holm([0.5, 1.2]), "lie in \\[0, 1\\]"),
        (lambda: ex.cuped([1, 2, 3], [1, 1, 1]), "constant"),
        (lambda: ex.msprt_pvalues([1], [0], [1], [10]), "n > 0"),
        (lambda: ex.welch_ttest([1.0], [1.0, 2.0]), "at least two values"),
        (lambda: ex.delta_method_ratio([1, 2], [1, 2, 3]), "differ in shape"),
        (lambda: ex.delta_method_ratio([1], [2]), "at least two users"),
        (lambda: ex.delta_method_ratio([1, np.nan], [2, 3]), "finite"),
        (lambda: ex.delta_method_ratio([1, 2], [2, -3]), "denominators must be >= 0"),
        (lambda: ex.delta_method_ratio([0, 0], [0, 0]), "every denominator is zero"),
        (lambda: ex.ratio_metric_test([0, 0], [3, 4], [1, 2], [3, 4]), "arm A's ratio is 0"),
        (lambda: ex.ratio_metric_test([[1, 2]], [[3, 4]], [1, 2], [3, 4]), "arm A needs 1-D"),
        (lambda: ex.ratio_metric_test([1, 2], [3, 4], [1, 2], [3, -4]), "arm B: .*>= 0"),
        (lambda: ex.ratio_metric_test([1, 2], [1, 2], [3, 6], [1, 2]), "standard error is 0"),
        (lambda: ex.simulate_user_clicks(1), "n_per_arm must be an integer >= 2"),
        (lambda: ex.simulate_user_clicks(10, n_experiments=0), "n_experiments must be a positive"),
        (lambda: ex.simulate_user_clicks(10, ctr=0.6, lift=1.0), "ctr · \\(1 \\+ lift\\) must lie in"),
        (lambda: ex.simulate_user_clicks(10, mean_impressions=0.5), "mean_impressions must be >= 1"),
        (lambda: ex.simulate_user_clicks(10, concentration=0), "concentration must be > 0"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_padding_is_never_clicked_and_bad_ids_are_rejected():
    probs = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    clicks = ex.simulate_exposure_clicks(probs, np.array([[-1, 2], [0, -1]]), n_choices=50)
    assert clicks.tolist() == [[False, True], [True, False]]  # -1 used to read the last item
    with pytest.raises(ValueError, match="item ids must lie in 0..2"):
        ex.simulate_exposure_clicks(probs, np.array([[3, 0], [0, 1]]))


def test_welch_on_constant_samples_explains_instead_of_returning_nan():
    with pytest.raises(ValueError, match="both samples are constant"):
        ex.welch_ttest([1.0, 1.0, 1.0], [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Ratio metrics: the delta method


def test_delta_method_ratio_on_a_hand_worked_example():
    # x = clicks, y = impressions of three users: R = 3 / 6 = 0.5, x̄ = 1, ȳ = 2,
    # s_x² = (0 + 1 + 1) / 2 = 1, s_y² = (0 + 1 + 1) / 2 = 1, s_xy = (0 + 1 + 1) / 2 = 1,
    # Var(R) = (1 − 2 · 0.5 · 1 + 0.25 · 1) / (3 · 2²) = 0.25 / 12 = 1 / 48
    ratio, se = ex.delta_method_ratio([1, 0, 2], [2, 1, 3])
    assert ratio == pytest.approx(0.5, rel=1e-15)
    assert se == pytest.approx(np.sqrt(1 / 48), rel=1e-12)


def test_delta_method_ratio_is_the_standard_error_of_the_linearised_metric():
    # an independent route: R's influence per user is (x_i − R y_i) / ȳ, whose mean's standard
    # error (statsmodels) is the delta-method standard error
    log = ex.simulate_user_clicks(3_000, random_state=7)
    x, y = log.clicks_a.astype(float), log.impressions_a.astype(float)
    ratio, se = ex.delta_method_ratio(x, y)
    assert ratio == pytest.approx(x.sum() / y.sum(), rel=1e-12)
    linearised = (x - ratio * y) / y.mean()
    assert se == pytest.approx(DescrStatsW(linearised).std_mean, rel=1e-10)


def test_with_unit_denominators_the_ratio_test_is_statsmodels_z_test_of_means():
    rng = np.random.default_rng(8)
    a, b = rng.exponential(1.0, 800), rng.exponential(1.15, 900)
    result = ex.ratio_metric_test(a, np.ones_like(a), b, np.ones_like(b))
    ratio, se = ex.delta_method_ratio(a, np.ones_like(a))
    assert ratio == pytest.approx(a.mean()) and se == pytest.approx(DescrStatsW(a).std_mean, rel=1e-10)
    compare = CompareMeans(DescrStatsW(b), DescrStatsW(a))
    z, p = compare.ztest_ind(usevar="unequal")
    assert result.z == pytest.approx(z, rel=1e-10) and result.p_value == pytest.approx(p, rel=1e-8)
    low, high = compare.zconfint_diff(usevar="unequal")
    assert result.absolute_ci == (pytest.approx(low, rel=1e-10), pytest.approx(high, rel=1e-10))


def test_delta_method_matches_a_user_level_bootstrap():
    log = ex.simulate_user_clicks(2_000, ctr=0.05, random_state=9)
    x, y = log.clicks_a, log.impressions_a
    _, se = ex.delta_method_ratio(x, y)
    rng = np.random.default_rng(10)
    resampled = rng.integers(0, len(x), (2_000, len(x)))  # resample users, keeping their impressions together
    boot = x[resampled].sum(axis=1) / y[resampled].sum(axis=1)
    assert se == pytest.approx(boot.std(ddof=1), rel=0.05)
    # ... while treating impressions as independent trials understates it
    r = x.sum() / y.sum()
    assert np.sqrt(r * (1 - r) / y.sum()) < 0.8 * boot.std(ddof=1)


def test_delta_method_ratio_vectorises_over_experiments():
    log = ex.simulate_user_clicks(50, n_experiments=4, random_state=11)
    ratios, ses = ex.delta_method_ratio(log.clicks_b, log.impressions_b)
    assert ratios.shape == ses.shape == (4,)
    for row in range(4):
        ratio, se = ex.delta_method_ratio(log.clicks_b[row], log.impressions_b[row])
        assert ratios[row] == pytest.approx(ratio, rel=1e-14) and ses[row] == pytest.approx(se, rel=1e-12)
    by_column = ex.delta_method_ratio(log.clicks_b.T, log.impressions_b.T, axis=0)
    np.testing.assert_allclose(by_column[1], ses, rtol=1e-12)


def test_ratio_test_holds_its_false_positive_rate_where_the_binomial_test_does_not():
    log = ex.simulate_user_clicks(1_000, ctr=0.05, lift=0.0, n_experiments=1_000, random_state=12)
    p_delta = np.array([
        ex.ratio_metric_test(log.clicks_a[i], log.impressions_a[i], log.clicks_b[i], log.impressions_b[i]).p_value
        for i in range(1_000)
    ])  # fmt: skip
    p_naive = np.array([  # every impression an independent Bernoulli trial
        proportions_ztest([log.clicks_b[i].sum(), log.clicks_a[i].sum()],
                          [log.impressions_b[i].sum(), log.impressions_a[i].sum()])[1]
        for i in range(1_000)
    ])  # fmt: skip
    assert 0.03 <= (p_delta < 0.05).mean() <= 0.07
    assert (p_naive < 0.05).mean() > 0.12


def test_relative_ctr_interval_covers_the_true_lift_about_95_percent_of_the_time():
    log = ex.simulate_user_clicks(2_000, ctr=0.05, lift=0.10, n_experiments=600, random_state=13)
    covered = [
        (lambda r: r.relative_ci[0] <= 0.10 <= r.relative_ci[1])(
            ex.ratio_metric_test(log.clicks_a[i], log.impressions_a[i], log.clicks_b[i], log.impressions_b[i])
        )
        for i in range(600)
    ]
    assert 0.92 <= np.mean(covered) <= 0.98


def test_simulated_clicks_have_the_planned_ctr_and_are_reproducible():
    log = ex.simulate_user_clicks(200_000, ctr=0.04, lift=0.25, mean_impressions=6.0, random_state=14)
    assert log.impressions_a.min() >= 1 and log.impressions_a.mean() == pytest.approx(6.0, rel=0.01)
    assert log.clicks_a.sum() / log.impressions_a.sum() == pytest.approx(0.04, rel=0.02)
    assert log.clicks_b.sum() / log.impressions_b.sum() == pytest.approx(0.05, rel=0.02)
    assert (log.clicks_b <= log.impressions_b).all()
    again = ex.simulate_user_clicks(200_000, ctr=0.04, lift=0.25, mean_impressions=6.0, random_state=14)
    np.testing.assert_array_equal(again.clicks_b, log.clicks_b)
    frame = ex.simulate_user_clicks(3, random_state=0).to_frame()
    assert frame.columns.tolist() == ["arm", "impressions", "clicks"] and frame["arm"].tolist() == list("AAABBB")
    with pytest.raises(ValueError, match="several experiments"):
        ex.simulate_user_clicks(3, n_experiments=2).to_frame()


# --- replay_ab_test -------------------------------------------------------------------------


def test_replay_of_one_assignment_is_welch_on_the_two_halves():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=101), rng.normal(0.3, 1.5, size=101)
    run = ex.replay_ab_test(a, b, n_assignments=1, random_state=7).iloc[0]
    in_b = np.zeros(101, dtype=bool)
    in_b[np.random.default_rng(7).permutation(101)[:50]] = True
    reference = scipy.stats.ttest_ind(b[in_b], a[~in_b], equal_var=False)
    assert run["p_value"] == pytest.approx(reference.pvalue, rel=1e-10)
    assert run["difference"] == pytest.approx(b[in_b].mean() - a[~in_b].mean(), rel=1e-12)


def test_replay_rejects_at_about_alpha_without_an_effect_and_always_with_a_large_one():
    rng = np.random.default_rng(0)
    outcome = rng.poisson(2.0, size=800).astype(float)
    null = ex.replay_ab_test(outcome, outcome, n_assignments=1000)
    # 1,000 draws: the binomial sd of the share at α = 0.05 is 0.007, so ±0.02 is about 3 sd.
    assert abs(null["significant"].mean() - 0.05) < 0.02
    shifted = ex.replay_ab_test(outcome, outcome + 1.0, n_assignments=200)
    assert shifted["significant"].all() and shifted["difference"].mean() == pytest.approx(1.0, abs=0.05)


def test_replay_with_a_correlated_covariate_is_more_precise_and_unbiased():
    rng = np.random.default_rng(1)
    activity = rng.normal(size=1_000)
    a = activity + rng.normal(size=1_000)  # ρ² = 0.5 between the outcome and its covariate
    b = a + 0.1
    plain = ex.replay_ab_test(a, b, n_assignments=400)
    adjusted = ex.replay_ab_test(a, b, covariate=activity, n_assignments=400)
    ratio = adjusted["difference"].var() / plain["difference"].var()
    assert 0.35 < ratio < 0.65  # about 1 − ρ² = 0.5
    assert adjusted["difference"].mean() == pytest.approx(0.1, abs=0.01)
    assert adjusted["significant"].mean() > plain["significant"].mean()


@pytest.mark.parametrize("kwargs, message", [
    ({"outcome_a": [1.0, 2.0, 3.0, 4.0], "outcome_b": [1.0, 2.0, 3.0]}, "equal length"),
    ({"outcome_a": [1.0, np.nan, 3.0, 4.0], "outcome_b": [1.0, 2.0, 3.0, 4.0]}, "NaN"),
    ({"outcome_a": [1.0, 2.0, 3.0, 4.0], "outcome_b": [1.0, 2.0, 3.0, 4.0], "covariate": [1.0]}, "covariate"),
    ({"outcome_a": [1.0, 2.0, 3.0, 4.0], "outcome_b": [1.0, 2.0, 3.0, 4.0], "n_assignments": 0}, "n_assignments"),
])
def test_replay_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ex.replay_ab_test(**kwargs)
