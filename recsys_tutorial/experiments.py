"""A/B testing with statistical rigour: tests, power, sample-ratio checks, sequential testing,
multiple testing and CUPED.

The formulas, for conversion rates p̂_a = c_a / n_a and p̂_b = c_b / n_b::

    * z-test (pooled):
          z = (p̂_b − p̂_a) / √(p̂ (1 − p̂)(1/n_a + 1/n_b)),
          p̂ = (c_a + c_b)/(n_a + n_b)
    * absolute lift Δ = p̂_b − p̂_a, Wald interval
          Δ ± z_(1−α/2) √(p̂_a(1−p̂_a)/n_a + p̂_b(1−p̂_b)/n_b)
    * relative lift r = p̂_b / p̂_a − 1, delta-method interval
          r ± z_(1−α/2) √( Var(p̂_b)/p̂_a² + p̂_b² Var(p̂_a)/p̂_a⁴ )
    * power: with Cohen's h = 2 asin √p_b − 2 asin √p_a
      and n_eff = n_a n_b / (n_a + n_b),
          power = Φ(h √n_eff − z_(1−α/2)) + Φ(−h √n_eff − z_(1−α/2))
      (statsmodels' ``NormalIndPower`` with ``proportion_effectsize``;
      the tests check they agree)
    * mSPRT (Johari et al., 2017): with θ̂_n the difference of means after
      n users per arm, σ² the variance of one user-pair difference and a
      N(0, τ²) mixture over the effect,
          Λ_n = √(σ² / (σ² + n τ²))
                · exp( n² τ² θ̂_n² / (2 σ² (σ² + n τ²)) ),
      and the always-valid p-value p_n = min(p_(n−1), 1 / Λ_n) may be
      checked after every batch.
    * ratio metrics (CTR = clicks / impressions, randomised by user;
      Deng, Knoblich and Lu, 2018): with per-user numerators x_i and
      denominators y_i, R = Σx / Σy = x̄ / ȳ and, by the delta method,
          Var(R) ≈ (s_x² − 2 R s_xy + R² s_y²) / (n ȳ²),
      where s are the sample (co)variances over the n users: the user,
      not the impression, is the independent unit.
    * CUPED (Deng et al., 2013):
          Y' = Y − θ (X − mean X),  θ = Cov(X, Y) / Var(X),
          Var(Y') = (1 − ρ²) Var(Y)
      for ρ the correlation of the metric with its pre-period covariate.
    * team-draft interleaving (Radlinski, Kurup and Joachims, 2008): two
      rankers take turns, a coin deciding who picks first in each pair of
      picks, each adding its best item not yet shown; a click credits the
      team that picked the item. Per user, A wins if A's items got more
      clicks, and the sign test over decisive users compares
          wins ~ Binomial(wins + losses, 1/2)   under H₀,
      with Δ_AB = (wins + ties / 2) / n − 1/2 (Chapelle et al., 2012).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.stats

__all__ = [
    "ProportionTest",
    "MeanTest",
    "two_proportion_ztest",
    "welch_ttest",
    "bootstrap_ci",
    "power_proportions",
    "sample_size_proportions",
    "minimum_detectable_effect",
    "srm_test",
    "msprt_pvalues",
    "bonferroni",
    "holm",
    "benjamini_hochberg",
    "cuped",
    "replay_ab_test",
    "RatioTest",
    "delta_method_ratio",
    "ratio_metric_test",
    "ClickLog",
    "simulate_user_clicks",
    "simulate_exposure_clicks",
    "team_draft_interleave",
    "team_draft_interleave_many",
    "InterleavingTest",
    "interleaving_test",
    "resampled_power",
]


@dataclass(frozen=True)
class ProportionTest:
    """Result of a two-proportion test (B against A)."""

    rate_a: float
    rate_b: float
    absolute_lift: float
    absolute_ci: tuple[float, float]
    relative_lift: float
    relative_ci: tuple[float, float]
    z: float
    p_value: float
    alpha: float
    significant: bool

    def to_series(self) -> pd.Series:
        return pd.Series(asdict(self))


@dataclass(frozen=True)
class MeanTest:
    """Result of Welch's t-test (B against A)."""

    mean_a: float
    mean_b: float
    difference: float
    ci: tuple[float, float]
    t: float
    df: float
    p_value: float
    alpha: float
    significant: bool

    def to_series(self) -> pd.Series:
        return pd.Series(asdict(self))


# ---------------------------------------------------------------------------------------------
# Fixed-horizon tests


def two_proportion_ztest(conversions_a, n_a, conversions_b, n_b, alpha: float = 0.05) -> ProportionTest:
    """Two-sided z-test of conversion rates, with intervals for the absolute and relative lift.

    Examples
    --------
    >>> result = two_proportion_ztest(500, 10_000, 580, 10_000)
    >>> round(result.p_value, 4), result.significant
    (0.0123, True)
    """
    _check_alpha(alpha)
    for c, n, arm in ((conversions_a, n_a, "A"), (conversions_b, n_b, "B")):
        _check_counts(c, n, arm)
    p_a, p_b = conversions_a / n_a, conversions_b / n_b
    if p_a == 0:
        raise ValueError("two_proportion_ztest: arm A has no conversions; the relative lift is undefined")
    pooled = (conversions_a + conversions_b) / (n_a + n_b)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (p_b - p_a) / se_pooled if se_pooled > 0 else 0.0
    p_value = float(2 * scipy.stats.norm.sf(abs(z)))
    crit = scipy.stats.norm.isf(alpha / 2)
    var_a, var_b = p_a * (1 - p_a) / n_a, p_b * (1 - p_b) / n_b
    diff = p_b - p_a
    half = crit * np.sqrt(var_a + var_b)
    relative = p_b / p_a - 1
    rel_half = crit * np.sqrt(var_b / p_a**2 + p_b**2 * var_a / p_a**4)  # delta method
    return ProportionTest(
        rate_a=p_a, rate_b=p_b, absolute_lift=diff, absolute_ci=(float(diff - half), float(diff + half)),
        relative_lift=relative, relative_ci=(float(relative - rel_half), float(relative + rel_half)),
        z=float(z), p_value=p_value, alpha=alpha, significant=p_value < alpha,
    )  # fmt: skip


def welch_ttest(values_a, values_b, alpha: float = 0.05) -> MeanTest:
    """Welch's t-test for a continuous metric (revenue per user, say), unequal variances allowed."""
    _check_alpha(alpha)
    a, b = _as_sample(values_a, "A"), _as_sample(values_b, "B")
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if var_a + var_b == 0:
        raise ValueError(
            f"welch_ttest: both samples are constant (A = {a[0]!r}, B = {b[0]!r}), so the t statistic is "
            "undefined; check the metric column, or compare the constants directly"
        )
    se = np.sqrt(var_a + var_b)
    df = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))  # Welch–Satterthwaite
    diff = b.mean() - a.mean()
    t = diff / se
    p_value = float(2 * scipy.stats.t.sf(abs(t), df))
    half = scipy.stats.t.isf(alpha / 2, df) * se
    return MeanTest(
        mean_a=float(a.mean()), mean_b=float(b.mean()), difference=float(diff),
        ci=(float(diff - half), float(diff + half)),
        t=float(t), df=float(df), p_value=p_value, alpha=alpha, significant=p_value < alpha,
    )  # fmt: skip


def bootstrap_ci(
    values_a, values_b=None, statistic=np.mean, n_bootstrap: int = 2000, alpha: float = 0.05, random_state=0
):
    """Percentile bootstrap interval of ``statistic(a)``, or of ``statistic(b) − statistic(a)``.

    Resamples each arm independently (users are the unit of randomisation). Returns
    ``(estimate, low, high)``. Use it for metrics without a formula (medians, ratios).
    """
    _check_alpha(alpha)
    rng = np.random.default_rng(random_state)
    a = _as_sample(values_a, "A")

    def draw(x):
        return np.array([statistic(x[rng.integers(0, len(x), len(x))]) for _ in range(n_bootstrap)])

    if values_b is None:
        estimate, boots = statistic(a), draw(a)
    else:
        b = _as_sample(values_b, "B")
        estimate = statistic(b) - statistic(a)
        boots_a = draw(a)
        boots = draw(b) - boots_a
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return float(estimate), float(low), float(high)


# ---------------------------------------------------------------------------------------------
# Power


def power_proportions(baseline_rate, treatment_rate, n_per_group, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sided two-proportion test (arcsine effect size; see the module docstring).

    ``n_per_group`` is the size of arm A; arm B has ``ratio`` times as many users.
    """
    _check_alpha(alpha)
    _check_rate(baseline_rate, "baseline_rate")
    _check_rate(treatment_rate, "treatment_rate")
    h = 2 * np.arcsin(np.sqrt(treatment_rate)) - 2 * np.arcsin(np.sqrt(baseline_rate))  # Cohen's h
    n_eff = n_per_group * ratio / (1 + ratio)  # 1 / (1/n_a + 1/n_b)
    crit = scipy.stats.norm.isf(alpha / 2)
    return float(scipy.stats.norm.sf(crit - h * np.sqrt(n_eff)) + scipy.stats.norm.cdf(-crit - h * np.sqrt(n_eff)))


def sample_size_proportions(
    baseline_rate, mde, alpha: float = 0.05, power: float = 0.8, relative: bool = True, ratio: float = 1.0
) -> float:
    """Users needed in arm A to detect a lift of ``mde`` with the given power (arm B: ``ratio`` × that).

    ``mde`` is relative (0.05 = +5 % of the baseline) unless ``relative=False`` (then in rate
    points). Returns the exact solution; round it up to plan (``math.ceil``).

    Examples
    --------
    >>> # a 5 % baseline rate, a lift of +10 % relative
    >>> round(sample_size_proportions(0.05, 0.10))
    31217
    """
    _check_alpha(alpha)
    _check_rate(baseline_rate, "baseline_rate")
    if not 0 < power < 1:
        raise ValueError(f"sample_size_proportions: power must lie in (0, 1), got {power!r}")
    treatment = baseline_rate * (1 + mde) if relative else baseline_rate + mde
    if not mde > 0 or not 0 < treatment < 1:
        raise ValueError(f"sample_size_proportions: mde must be > 0 and keep the treatment rate in (0, 1), got {mde!r}")
    return float(
        scipy.optimize.brentq(
            lambda n: power_proportions(baseline_rate, treatment, n, alpha, ratio) - power,
            1e-6,
            1e12,
            xtol=1e-10,
            rtol=1e-14,
        )
    )


def minimum_detectable_effect(
    baseline_rate, n_per_group, alpha: float = 0.05, power: float = 0.8, relative: bool = True, ratio: float = 1.0
) -> float:
    """The smallest lift (relative by default) that ``n_per_group`` users detect with the given power."""
    _check_alpha(alpha)
    _check_rate(baseline_rate, "baseline_rate")
    if not n_per_group > 0:
        raise ValueError(f"minimum_detectable_effect: n_per_group must be > 0, got {n_per_group!r}")
    top = 1 - 1e-12
    if power_proportions(baseline_rate, top, n_per_group, alpha, ratio) < power:
        raise ValueError("minimum_detectable_effect: no lift reaches that power with so few users")
    treatment = scipy.optimize.brentq(
        lambda p: power_proportions(baseline_rate, p, n_per_group, alpha, ratio) - power, baseline_rate, top, xtol=1e-14
    )
    return float(treatment / baseline_rate - 1 if relative else treatment - baseline_rate)


# ---------------------------------------------------------------------------------------------
# Checks and sequential testing


def srm_test(n_a, n_b, expected_ratio: float = 0.5, threshold: float = 0.001) -> pd.Series:
    """Sample-ratio mismatch: do the arm sizes fit the planned split? (chi-square goodness of fit)

    ``expected_ratio`` is arm A's planned share. A p-value below ``threshold`` (0.001 by
    convention, since the check runs on every experiment) means the assignment is broken: do not
    trust the experiment's results until the cause is found.
    """
    for n, arm in ((n_a, "A"), (n_b, "B")):
        if not (isinstance(n, (int, np.integer)) and n >= 0):
            raise ValueError(f"srm_test: n_{arm.lower()} must be a non-negative integer, got {n!r}")
    if n_a + n_b == 0:
        raise ValueError("srm_test: both arms are empty")
    _check_rate(expected_ratio, "expected_ratio")
    total = n_a + n_b
    statistic, p_value = scipy.stats.chisquare([n_a, n_b], [total * expected_ratio, total * (1 - expected_ratio)])
    verdict = "sample ratio mismatch: do not trust this experiment" if p_value < threshold else "no mismatch detected"
    return pd.Series(
        {"share_a": n_a / total, "expected_share_a": expected_ratio, "chi2": float(statistic),
         "p_value": float(p_value), "verdict": verdict}  # fmt: skip
    )


def msprt_pvalues(conversions_a, n_a, conversions_b, n_b, tau: float = 0.01) -> np.ndarray:
    """Always-valid p-values of the mixture SPRT after each look, for conversion rates.

    The arguments are cumulative counts at each look (arrays of equal length, or 2-D arrays with
    one row per experiment). Arms should be of equal size at each look, as in a 50/50 test.
    ``tau`` is the standard deviation of the N(0, τ²) mixture over the true difference in rates:
    set it near the effect sizes you expect. Stopping when p < α keeps the false-positive rate
    at most α however often you look.
    """
    c_a, c_b = np.asarray(conversions_a, dtype=float), np.asarray(conversions_b, dtype=float)
    n_a, n_b = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    if not (c_a.shape == c_b.shape == n_a.shape == n_b.shape):
        raise ValueError("msprt_pvalues: all four arguments must have the same shape (one entry per look)")
    if (
        np.any(n_a <= 0) or np.any(n_b <= 0) or np.any(c_a > n_a) or np.any(c_b > n_b)
        or np.any(c_a < 0) or np.any(c_b < 0)
    ):
        raise ValueError("msprt_pvalues: need 0 <= conversions <= n and n > 0 at every look")
    if not tau > 0:
        raise ValueError(f"msprt_pvalues: tau must be > 0, got {tau!r}")
    n = np.minimum(n_a, n_b)  # users per arm
    p_a, p_b = c_a / n_a, c_b / n_b
    theta = p_b - p_a
    # σ²: variance of one (B user − A user) difference, estimated with the pooled rate (null variance)
    pooled = (c_a + c_b) / (n_a + n_b)
    sigma2 = np.maximum(2 * pooled * (1 - pooled), 1e-12)
    log_lambda = (
        0.5 * np.log(sigma2 / (sigma2 + n * tau**2))
        + n**2 * tau**2 * theta**2 / (2 * sigma2 * (sigma2 + n * tau**2))
    )
    p = np.minimum(1.0, np.exp(-log_lambda))
    return np.minimum.accumulate(p, axis=-1)


# ---------------------------------------------------------------------------------------------
# Multiple testing


def bonferroni(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Reject H_i when m · p_i ≤ α (controls the family-wise error rate). Returns (reject, adjusted p)."""
    p = _as_pvalues(p_values, alpha)
    adjusted = np.minimum(1.0, p * len(p))
    return p <= alpha / len(p), adjusted  # compare p itself: no rounding in p·m at the boundary


def holm(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down procedure: as strict as Bonferroni on the smallest p-value, less on the rest.

    Sorted ascending, the j-th p-value (j = 1..m) is multiplied by m − j + 1, and adjusted values
    are made non-decreasing. Controls the family-wise error rate; rejects whatever Bonferroni does.
    """
    p = _as_pvalues(p_values, alpha)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, stepped)
    passes = p[order] <= alpha / (m - np.arange(m))  # step down until the first failure
    n_rejected = m if passes.all() else int(np.argmin(passes))
    reject = np.zeros(m, dtype=bool)
    reject[order[:n_rejected]] = True
    return reject, adjusted


def benjamini_hochberg(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg: controls the false discovery rate (the expected share of false winners).

    Sorted ascending, the j-th p-value becomes p · m / j, made non-increasing from the largest down.
    """
    p = _as_pvalues(p_values, alpha)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, stepped)
    below = np.flatnonzero(p[order] <= alpha * np.arange(1, m + 1) / m)  # the largest j with p_(j) <= jα/m
    reject = np.zeros(m, dtype=bool)
    if len(below):
        reject[order[: below[-1] + 1]] = True
    return reject, adjusted


# ---------------------------------------------------------------------------------------------
# Ratio metrics


@dataclass(frozen=True)
class RatioTest:
    """Result of a ratio-metric test (B against A), e.g. click-through rate = clicks / impressions."""

    ratio_a: float
    ratio_b: float
    absolute_lift: float
    absolute_ci: tuple[float, float]
    relative_lift: float
    relative_ci: tuple[float, float]
    z: float
    p_value: float
    alpha: float
    significant: bool

    def to_series(self) -> pd.Series:
        return pd.Series(asdict(self))


def delta_method_ratio(numerator, denominator, axis: int = -1):
    """A ratio of sums over users, Σx / Σy, and its standard error by the delta method.

    Use it for metrics such as click-through rate (clicks / impressions) when the unit of
    randomisation is the user: a user's impressions are not independent trials (some users click
    far more than others), so the binomial standard error √(R(1 − R) / Σy) is too small. The
    delta method linearises R = x̄ / ȳ around the means and treats the user as the independent
    unit::

        Var(R) ≈ (s_x² − 2 R s_xy + R² s_y²) / (n ȳ²)

    with s_x², s_y², s_xy the sample variances and covariance (ddof 1) over the n users.

    Parameters
    ----------
    numerator, denominator : array_like
        Per-user numerator (clicks) and denominator (impressions), of equal shape. Along ``axis``
        run the users; other axes are independent experiments (vectorised Monte Carlo).
    axis : int
        The axis of users.

    Returns
    -------
    ratio, standard_error : float or ndarray
        Floats for 1-D input, else arrays of the other axes' shape.

    Raises
    ------
    ValueError
        If the shapes differ, fewer than two users, a value is NaN or infinite, a denominator is
        negative, or all denominators of an experiment are zero.

    Examples
    --------
    >>> clicks, impressions = [0, 1, 5], [10, 10, 10]
    >>> ratio, se = delta_method_ratio(clicks, impressions)
    >>> round(ratio, 4), round(se, 4)
    (0.2, 0.1528)
    """
    x, y = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"delta_method_ratio: numerator and denominator differ in shape, {x.shape} and {y.shape}")
    if x.ndim == 0 or x.shape[axis] < 2:
        raise ValueError(f"delta_method_ratio: need at least two users along axis {axis}, got shape {x.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("delta_method_ratio: numerator and denominator must be finite (no NaN or inf)")
    if (y < 0).any():
        raise ValueError("delta_method_ratio: denominators must be >= 0 (impressions, sessions...)")
    n = x.shape[axis]
    x_bar, y_bar = x.mean(axis=axis, keepdims=True), y.mean(axis=axis, keepdims=True)
    if (y_bar == 0).any():
        raise ValueError("delta_method_ratio: every denominator is zero, so the ratio is undefined")
    ratio = x_bar / y_bar
    # (co)variances over users, ddof 1
    s_xx = ((x - x_bar) ** 2).sum(axis=axis, keepdims=True) / (n - 1)
    s_yy = ((y - y_bar) ** 2).sum(axis=axis, keepdims=True) / (n - 1)
    s_xy = ((x - x_bar) * (y - y_bar)).sum(axis=axis, keepdims=True) / (n - 1)
    # Var(R) ≈ (s_x² − 2 R s_xy + R² s_y²) / (n ȳ²); clipped at 0 against rounding
    variance = np.maximum(s_xx - 2 * ratio * s_xy + ratio**2 * s_yy, 0.0) / (n * y_bar**2)
    ratio, se = np.squeeze(ratio, axis=axis), np.squeeze(np.sqrt(variance), axis=axis)
    if ratio.ndim == 0:
        return float(ratio), float(se)
    return ratio, se


def ratio_metric_test(numerator_a, denominator_a, numerator_b, denominator_b, alpha: float = 0.05) -> RatioTest:
    """Two-sided z-test of a ratio metric (B against A), with delta-method intervals.

    The arguments are per-user numerators and denominators of each arm (1-D arrays), e.g. each
    user's clicks and impressions. The arms are independent, so the variance of R_b − R_a is the
    sum of the arms' delta-method variances (`delta_method_ratio`); the relative lift
    r = R_b / R_a − 1 gets the same second-order interval as `two_proportion_ztest`:
    Var(r) ≈ Var(R_b) / R_a² + R_b² Var(R_a) / R_a⁴.

    Raises
    ------
    ValueError
        On the input errors of `delta_method_ratio`, a 1-D array expected per arm, a zero ratio in
        arm A (the relative lift is undefined) or a zero standard error.

    Examples
    --------
    >>> clicks_a, impressions_a = [0, 1, 2, 0, 3, 1], [5, 10, 10, 4, 20, 8]
    >>> clicks_b, impressions_b = [1, 2, 2, 4, 0, 3], [6, 9, 12, 15, 3, 11]
    >>> result = ratio_metric_test(clicks_a, impressions_a,
    ...                            clicks_b, impressions_b)
    >>> round(result.ratio_a, 4), round(result.ratio_b, 4)
    (0.1228, 0.2143)
    >>> round(result.p_value, 4)
    0.0108
    """
    _check_alpha(alpha)
    arms = {}
    for arm, x, y in (("A", numerator_a, denominator_a), ("B", numerator_b, denominator_b)):
        if np.ndim(x) != 1 or np.ndim(y) != 1:
            raise ValueError(
                f"ratio_metric_test: arm {arm} needs 1-D per-user arrays, got shapes {np.shape(x)} and {np.shape(y)}"
            )
        try:
            arms[arm] = delta_method_ratio(x, y)
        except ValueError as error:
            raise ValueError(f"ratio_metric_test: arm {arm}: {error}") from None
    (r_a, se_a), (r_b, se_b) = arms["A"], arms["B"]
    if r_a == 0:
        raise ValueError("ratio_metric_test: arm A's ratio is 0, so the relative lift is undefined")
    se = np.hypot(se_a, se_b)
    if se == 0:
        raise ValueError("ratio_metric_test: the standard error is 0 (every user has the same ratio); nothing to test")
    diff = r_b - r_a
    z = diff / se
    p_value = float(2 * scipy.stats.norm.sf(abs(z)))
    crit = scipy.stats.norm.isf(alpha / 2)
    relative = r_b / r_a - 1
    rel_half = crit * np.sqrt(se_b**2 / r_a**2 + r_b**2 * se_a**2 / r_a**4)  # delta method, again
    return RatioTest(
        ratio_a=r_a, ratio_b=r_b, absolute_lift=diff, absolute_ci=(float(diff - crit * se), float(diff + crit * se)),
        relative_lift=relative, relative_ci=(float(relative - rel_half), float(relative + rel_half)),
        z=float(z), p_value=p_value, alpha=alpha, significant=p_value < alpha,
    )  # fmt: skip


@dataclass(frozen=True)
class ClickLog:
    """Per-user impressions and clicks of a simulated two-arm experiment (see `simulate_user_clicks`)."""

    impressions_a: np.ndarray
    clicks_a: np.ndarray
    impressions_b: np.ndarray
    clicks_b: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per user: ``arm``, ``impressions``, ``clicks`` (one experiment only)."""
        if self.clicks_a.ndim != 1:
            raise ValueError("ClickLog.to_frame: holds several experiments; index one row of the arrays first")
        return pd.DataFrame(
            {
                "arm": np.repeat(["A", "B"], [len(self.clicks_a), len(self.clicks_b)]),
                "impressions": np.concatenate([self.impressions_a, self.impressions_b]),
                "clicks": np.concatenate([self.clicks_a, self.clicks_b]),
            }
        )


def simulate_user_clicks(
    n_per_arm: int,
    ctr: float = 0.05,
    lift: float = 0.0,
    mean_impressions: float = 10.0,
    concentration: float = 10.0,
    n_experiments: int | None = None,
    random_state=0,
) -> ClickLog:
    """Simulate a user-randomised experiment on click-through rate.

    Each user sees a Geometric number of impressions (at least 1, mean ``mean_impressions``) and
    has their own click probability, drawn from a Beta distribution with mean ``ctr`` in arm A and
    ``ctr · (1 + lift)`` in arm B and ``concentration`` α + β (smaller: users differ more); their
    clicks are Binomial(impressions, click probability). Impressions and click probabilities are
    independent, so each arm's true CTR, E[clicks] / E[impressions], is its Beta mean and the true
    relative lift is ``lift``. The users of an arm are i.i.d., so splitting them into two arms of
    ``n_per_arm`` is a random assignment.

    Returns a `ClickLog` of integer arrays shaped ``(n_per_arm,)``, or ``(n_experiments,
    n_per_arm)`` for that many independent experiments.

    Examples
    --------
    >>> log = simulate_user_clicks(1_000, ctr=0.05, lift=0.10, random_state=0)
    >>> log.clicks_a.shape, int(log.impressions_a.min()) >= 1
    ((1000,), True)
    """
    if not (isinstance(n_per_arm, (int, np.integer)) and n_per_arm >= 2):
        raise ValueError(f"simulate_user_clicks: n_per_arm must be an integer >= 2, got {n_per_arm!r}")
    if n_experiments is not None and not (isinstance(n_experiments, (int, np.integer)) and n_experiments >= 1):
        raise ValueError(
            f"simulate_user_clicks: n_experiments must be a positive integer or None, got {n_experiments!r}"
        )
    _check_rate(ctr, "ctr")
    _check_rate(ctr * (1 + lift), "ctr · (1 + lift)")
    if not mean_impressions >= 1:
        raise ValueError(f"simulate_user_clicks: mean_impressions must be >= 1, got {mean_impressions!r}")
    if not concentration > 0:
        raise ValueError(f"simulate_user_clicks: concentration must be > 0, got {concentration!r}")
    rng = np.random.default_rng(random_state)
    shape = (n_per_arm,) if n_experiments is None else (n_experiments, n_per_arm)
    arms = []
    for mean_ctr in (ctr, ctr * (1 + lift)):
        impressions = rng.geometric(1 / mean_impressions, shape)  # 1, 2, ...; mean mean_impressions
        user_ctr = rng.beta(concentration * mean_ctr, concentration * (1 - mean_ctr), shape)
        arms += [impressions, rng.binomial(impressions, user_ctr)]
    return ClickLog(*arms)


# ---------------------------------------------------------------------------------------------
# Variance reduction and simulation


def cuped(metric, covariate) -> tuple[np.ndarray, float, float]:
    """CUPED-adjusted metric Y − θ (X − mean X), with θ = Cov(X, Y) / Var(X) fitted on all users.

    Fit θ on both arms together (the covariate is measured before assignment, so it is
    independent of the treatment and the adjustment cannot bias the lift). Returns
    ``(adjusted, theta, variance_ratio)``, the last being Var(Y') / Var(Y) = 1 − ρ².
    """
    y, x = np.asarray(metric, dtype=float), np.asarray(covariate, dtype=float)
    if y.shape != x.shape or y.ndim != 1:
        raise ValueError(f"cuped: metric and covariate must be 1-D and of equal length, got {y.shape} and {x.shape}")
    if len(y) < 2 or np.isnan(y).any() or np.isnan(x).any():
        raise ValueError("cuped: need at least two users and no NaN")
    if x.var() == 0:
        raise ValueError("cuped: the covariate is constant, so it cannot explain any variance")
    theta = np.cov(x, y, ddof=1)[0, 1] / x.var(ddof=1)
    adjusted = y - theta * (x - x.mean())
    return adjusted, float(theta), float(adjusted.var(ddof=1) / y.var(ddof=1))


def replay_ab_test(outcome_a, outcome_b, covariate=None, n_assignments: int = 2000, alpha: float = 0.05,
                   random_state=0) -> pd.DataFrame:
    """Replay a user-randomised A/B test many times from outcomes measured offline under both arms.

    ``outcome_a[i]`` and ``outcome_b[i]`` are what user ``i`` would do under each arm (hits of a
    held-out future in each system's list, say). Each assignment splits the users at random into
    two halves; the first half is observed under A only, the second under B only, and Welch's
    t-test compares them, on CUPED-adjusted outcomes when a pre-period ``covariate`` is given (θ
    fitted on the observed outcomes of both halves, as in `cuped`). One draw is one experiment
    that could have happened; the share of draws that reject is the test's power at this size
    (or its false-positive rate, when the arms are the same).

    Returns one row per assignment: ``difference`` (mean B − mean A), ``p_value``,
    ``significant``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> same = rng.normal(size=400)
    >>> runs = replay_ab_test(same, same, n_assignments=200)
    >>> # the same system in both arms: about a share α of runs reject
    >>> bool(runs["significant"].mean() < 0.1)
    True
    """
    a, b = np.asarray(outcome_a, dtype=float), np.asarray(outcome_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or len(a) < 4:
        raise ValueError(f"replay_ab_test: outcome_a and outcome_b must be 1-D, of equal length ≥ 4; got {a.shape} "
                         f"and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("replay_ab_test: the outcomes hold NaN")
    x = None if covariate is None else np.asarray(covariate, dtype=float)
    if x is not None and x.shape != a.shape:
        raise ValueError(f"replay_ab_test: covariate must have one value per user ({a.shape}), got {x.shape}")
    if not (isinstance(n_assignments, (int, np.integer)) and n_assignments >= 1):
        raise ValueError(f"replay_ab_test: n_assignments must be a positive integer, got {n_assignments!r}")
    _check_alpha(alpha)
    rng = np.random.default_rng(random_state)
    half = len(a) // 2
    rows = []
    for _ in range(n_assignments):
        in_b = np.zeros(len(a), dtype=bool)
        in_b[rng.permutation(len(a))[:half]] = True
        observed = np.where(in_b, b, a)
        if x is not None:
            observed = cuped(observed, x)[0]
        test = welch_ttest(observed[~in_b], observed[in_b], alpha=alpha)
        rows.append((test.difference, test.p_value, test.significant))
    return pd.DataFrame(rows, columns=["difference", "p_value", "significant"])


def simulate_exposure_clicks(choice_probabilities, recommended, n_choices: int = 1, random_state=0) -> np.ndarray:
    """Simulate which shown items users click, from their true choice probabilities.

    ``choice_probabilities`` is ``(n_users, n_items)``, each row a user's true distribution over
    the catalogue (e.g. the softmax of ``SyntheticTruth.scores``); ``recommended`` is
    ``(n_users, k)``. The user is about to make ``n_choices`` choices; a shown item is clicked if
    one of them lands on it, independently per item: P(click item i) = 1 − (1 − P(i | user))^n.
    A list's click-through therefore grows with the true probability mass it holds. Padding
    (item ``-1``) is never clicked. Returns a boolean ``(n_users, k)`` array.
    """
    probs = np.asarray(choice_probabilities, dtype=float)
    recommended = np.asarray(recommended)
    if probs.ndim != 2 or recommended.ndim != 2 or len(probs) != len(recommended):
        raise ValueError("simulate_exposure_clicks: need (n_users, n_items) probabilities and (n_users, k) lists")
    if not (isinstance(n_choices, (int, np.integer)) and n_choices >= 1):
        raise ValueError(f"simulate_exposure_clicks: n_choices must be a positive integer, got {n_choices!r}")
    if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("simulate_exposure_clicks: each row of choice_probabilities must be a distribution")
    if recommended.size and (recommended.min() < -1 or recommended.max() >= probs.shape[1]):
        raise ValueError(
            f"simulate_exposure_clicks: item ids must lie in 0..{probs.shape[1] - 1} (or -1 for padding), "
            f"found {recommended.min()}..{recommended.max()}"
        )
    padding = recommended < 0  # an empty slot: nothing shown, nothing clicked
    shown_probability = np.where(padding, 0.0, np.take_along_axis(probs, np.where(padding, 0, recommended), axis=1))
    click_probability = 1.0 - (1.0 - shown_probability) ** n_choices
    rng = np.random.default_rng(random_state)
    return rng.random(click_probability.shape) < click_probability


# ---------------------------------------------------------------------------------------------
# Interleaving


def team_draft_interleave(list_a, list_b, rng, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Team-draft interleaving of two rankings (Radlinski, Kurup and Joachims, CIKM 2008).

    The rankers are two captains picking teams: whichever has picked fewer items picks next, a
    coin (``rng.random() < 0.5``: A) deciding when they have picked as many; each adds its
    highest-ranked item not yet in the list. It stops at ``length`` items, or when either
    ranking has no item left that is not yet shown (the paper's rule). A click on an item is
    credited to the team that picked it. ``rng`` is a seed or a NumPy generator.

    Returns the merged list and, per position, whether A picked it (``from_a``).

    Examples
    --------
    >>> merged, from_a = team_draft_interleave([1, 2, 3, 4], [2, 1, 4, 3],
    ...                                        np.random.default_rng(0))
    >>> merged.tolist(), from_a.tolist()
    ([2, 1, 3, 4], [False, True, True, False])
    """
    a, b = _as_ranking(list_a, "list_a"), _as_ranking(list_b, "list_b")
    rng = _as_generator(rng)
    length = len(set(a) | set(b)) if length is None else _check_length(length)
    merged, from_a = [], []
    shown = set()
    picked_a = picked_b = 0
    while len(merged) < length:
        left_a = [item for item in a if item not in shown]
        left_b = [item for item in b if item not in shown]
        if not left_a or not left_b:
            break
        a_picks = picked_a < picked_b or (picked_a == picked_b and rng.random() < 0.5)
        item = left_a[0] if a_picks else left_b[0]
        merged.append(item)
        from_a.append(a_picks)
        shown.add(item)
        picked_a, picked_b = picked_a + a_picks, picked_b + (not a_picks)
    return np.array(merged, dtype=a.dtype), np.array(from_a, dtype=bool)


def team_draft_interleave_many(lists_a, lists_b, rng, length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`team_draft_interleave` for many users at once: ``(n, m_a)`` and ``(n, m_b)`` rankings.

    The same draw as the one-user function, row by row: user ``u``'s coins are the ``u``-th row
    of ``rng.random((n, length))``, so one user interleaved here equals
    ``team_draft_interleave`` with the same ``rng``. ``length`` defaults to ``min(m_a, m_b)``.
    Rows that stop early are padded with −1 (``from_a`` False). Returns ``(merged, from_a)``,
    each ``(n, length)``.

    Examples
    --------
    >>> merged, from_a = team_draft_interleave_many(
    ...     [[1, 2, 3, 4]], [[2, 1, 4, 3]], np.random.default_rng(0))
    >>> merged.tolist(), from_a.tolist()
    ([[2, 1, 3, 4]], [[False, True, True, False]])
    """
    a, b = np.asarray(lists_a), np.asarray(lists_b)
    if a.ndim != 2 or b.ndim != 2 or len(a) != len(b):
        raise ValueError(f"team_draft_interleave_many: expected (n, m) rankings with as many rows, got {a.shape} "
                         f"and {b.shape}")
    length = min(a.shape[1], b.shape[1]) if length is None else _check_length(length)
    rng = _as_generator(rng)
    n, rows = len(a), np.arange(len(a))
    coins = rng.random((n, length))  # row u: user u's coins, in the order the one-user loop draws them
    merged = np.full((n, length), -1, dtype=np.result_type(a, b, np.int64))
    from_a = np.zeros((n, length), dtype=bool)
    next_a, next_b = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)  # first candidate pointers
    picked_a, picked_b, flips = (np.zeros(n, dtype=np.int64) for _ in range(3))
    live = np.ones(n, dtype=bool)
    for t in range(length):
        # move each pointer past the items already shown (or to the end of its ranking)
        for ranking, pointer in ((a, next_a), (b, next_b)):
            while True:
                item = ranking[rows, np.minimum(pointer, ranking.shape[1] - 1)]
                taken = (pointer < ranking.shape[1]) & (merged[:, :t] == item[:, None]).any(axis=1)
                if not taken.any():
                    break
                pointer += taken
        live &= (next_a < a.shape[1]) & (next_b < b.shape[1])
        tie = picked_a == picked_b
        a_picks = (picked_a < picked_b) | (tie & (coins[rows, np.minimum(flips, length - 1)] < 0.5))
        flips += tie & live
        item = np.where(a_picks, a[rows, np.minimum(next_a, a.shape[1] - 1)],
                        b[rows, np.minimum(next_b, b.shape[1] - 1)])  # fmt: skip
        merged[live, t] = item[live]
        from_a[live, t] = a_picks[live]
        picked_a += live & a_picks
        picked_b += live & ~a_picks
    return merged, from_a


@dataclass(frozen=True)
class InterleavingTest:
    """Result of an interleaving preference test (A against B), one query per user."""

    queries: int
    wins: int
    losses: int
    ties: int
    delta: float
    win_share: float
    win_share_ci: tuple[float, float]
    p_value: float
    alpha: float
    significant: bool

    def to_series(self) -> pd.Series:
        return pd.Series(asdict(self))


def interleaving_test(credit_a, credit_b, alpha: float = 0.05) -> InterleavingTest:
    """Which ranker do users prefer? Wins, losses and the sign test over interleaved queries.

    ``credit_a`` and ``credit_b`` are, per query (one user's visit), the clicks on the items each
    team picked. A wins a query with more clicks than B; ties (most often no click at all) say
    nothing. Under H₀ (no preference) each decisive query is a fair coin, so the two-sided
    binomial test of wins out of wins + losses (`scipy.stats.binomtest`) gives the p-value, and
    its Clopper–Pearson interval bounds the win share. ``delta`` is Δ_AB = (wins + ties / 2) / n
    − 1/2 (Chapelle, Joachims, Radlinski and Yue, 2012): > 0 when A is preferred.

    Examples
    --------
    >>> test = interleaving_test([1, 1, 0, 2, 0, 1], [0, 0, 0, 1, 1, 1])
    >>> test.wins, test.losses, test.ties, round(test.delta, 4)
    (3, 1, 2, 0.1667)
    """
    a, b = np.asarray(credit_a, dtype=float), np.asarray(credit_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"interleaving_test: credit_a and credit_b must be 1-D, non-empty, of equal length; got "
                         f"{a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()) or (a < 0).any() or (b < 0).any():
        raise ValueError("interleaving_test: credits must be finite click counts >= 0")
    _check_alpha(alpha)
    wins, losses = int((a > b).sum()), int((a < b).sum())
    ties = len(a) - wins - losses
    if wins + losses == 0:
        share, ci, p_value = float("nan"), (float("nan"), float("nan")), 1.0
    else:
        binomial = scipy.stats.binomtest(wins, wins + losses, 0.5)
        interval = binomial.proportion_ci(confidence_level=1 - alpha)
        share, ci, p_value = wins / (wins + losses), (float(interval.low), float(interval.high)), binomial.pvalue
    return InterleavingTest(
        queries=len(a), wins=wins, losses=losses, ties=ties, delta=(wins + ties / 2) / len(a) - 0.5,
        win_share=share, win_share_ci=ci, p_value=float(p_value), alpha=alpha, significant=p_value < alpha,
    )  # fmt: skip


def resampled_power(outcomes, n_users, design: str, n_experiments: int = 2000, alpha: float = 0.05,
                    random_state=0) -> pd.Series:  # fmt: skip
    """Power at each size in ``n_users``, by drawing experiments from simulated per-user outcomes.

    Each experiment draws its users with replacement from a large simulated pool, which is
    sampling from the pool's distribution of outcomes; as the outcomes are small integers
    (clicks), the draw is a multinomial over their distinct values, so an experiment of a million
    users costs as little as one of a hundred. An experiment has power when it rejects H₀ at
    ``alpha`` in the direction of the pools' difference (either way if they do not differ: then
    the share is the false-positive rate).

    ``design="ab"``: ``outcomes`` is ``(clicks_a, clicks_b)``, per-user clicks under each arm;
    ``n`` users split into two arms of ``n // 2``, compared by Welch's t-test (`welch_ttest`).
    ``design="interleaving"``: ``outcomes`` is per-user ``credit_a − credit_b``; ``n`` users, each
    seeing the interleaved list, compared by the sign test (`interleaving_test`).

    Returns a Series of power indexed by ``n_users``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pool = rng.choice([-1, 0, 1], p=[0.2, 0.5, 0.3], size=10_000)
    >>> power = resampled_power(pool, [50, 2_000], "interleaving")
    >>> bool(power.iloc[0] < 0.5 < 0.99 < power.iloc[1])
    True
    """
    sizes = np.atleast_1d(np.asarray(n_users))
    if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer) or (sizes < 4).any():
        raise ValueError(f"resampled_power: n_users must be integers >= 4, got {n_users!r}")
    if not (isinstance(n_experiments, (int, np.integer)) and n_experiments >= 1):
        raise ValueError(f"resampled_power: n_experiments must be a positive integer, got {n_experiments!r}")
    _check_alpha(alpha)
    rng = np.random.default_rng(random_state)
    power = {}
    if design == "ab":
        if len(outcomes) != 2:
            raise ValueError("resampled_power: design='ab' expects outcomes = (clicks_a, clicks_b)")
        pools = [_as_sample(pool, arm) for pool, arm in zip(outcomes, "AB", strict=True)]
        direction = np.sign(pools[1].mean() - pools[0].mean())
        for n in sizes:
            moments = [_resampled_moments(pool, int(n) // 2, n_experiments, rng) for pool in pools]
            (mean_a, var_a), (mean_b, var_b) = moments
            # Welch's t-test, B − A, from each experiment's means and variances
            se2_a, se2_b = var_a / (n // 2), var_b / (n // 2)
            se = np.sqrt(se2_a + se2_b)
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (mean_b - mean_a) / se
                df = (se2_a + se2_b) ** 2 / (se2_a**2 / (n // 2 - 1) + se2_b**2 / (n // 2 - 1))
            p_value = np.where(se > 0, 2 * scipy.stats.t.sf(np.abs(t), np.where(se > 0, df, 1.0)), 1.0)
            right_way = (np.sign(t) == direction) | (direction == 0)
            power[int(n)] = float(np.mean((p_value < alpha) & right_way))
    elif design == "interleaving":
        difference = _as_sample(outcomes, "interleaving")
        shares = np.array([(difference > 0).mean(), (difference < 0).mean(), (difference == 0).mean()])
        direction = np.sign(shares[0] - shares[1])
        for n in sizes:
            wins, losses, _ = rng.multinomial(int(n), shares, size=n_experiments).T
            decisive = wins + losses
            # the two-sided sign test: 2 P(X ≤ min(wins, losses)), X ~ Binomial(decisive, 1/2), at most 1
            p_value = np.minimum(1.0, 2 * scipy.stats.binom.cdf(np.minimum(wins, losses), decisive, 0.5))
            right_way = (np.sign(wins - losses) == direction) | (direction == 0)
            power[int(n)] = float(np.mean((p_value < alpha) & right_way))
    else:
        raise ValueError(f"resampled_power: design must be 'ab' or 'interleaving', got {design!r}")
    return pd.Series(power, name="power").rename_axis("users")


# ---------------------------------------------------------------------------------------------


def _check_alpha(alpha) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")


def _check_rate(rate, name) -> None:
    if not 0 < rate < 1:
        raise ValueError(f"{name} must lie in (0, 1), got {rate!r}")


def _check_counts(conversions, n, arm) -> None:
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise ValueError(f"arm {arm}: n must be a positive integer, got {n!r}")
    if not (isinstance(conversions, (int, np.integer)) and 0 <= conversions <= n):
        raise ValueError(f"arm {arm}: conversions must be an integer in 0..n ({n}), got {conversions!r}")


def _as_sample(values, arm) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"arm {arm}: need a 1-D sample of at least two values, got shape {x.shape}")
    if np.isnan(x).any():
        raise ValueError(f"arm {arm}: the sample has NaN values")
    return x


def _as_ranking(ranking, name) -> np.ndarray:
    items = np.asarray(ranking)
    if items.ndim != 1 or len(np.unique(items)) != len(items):
        raise ValueError(f"team_draft_interleave: {name} must be a 1-D ranking of distinct items")
    return items


def _as_generator(rng):
    """A NumPy generator from a seed, or ``rng`` itself if it draws (anything with ``random``)."""
    return rng if hasattr(rng, "random") else np.random.default_rng(rng)


def _check_length(length) -> int:
    if not (isinstance(length, (int, np.integer)) and length >= 1):
        raise ValueError(f"team_draft_interleave: length must be a positive integer, got {length!r}")
    return int(length)


def _resampled_moments(pool: np.ndarray, n: int, n_experiments: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Means and variances (ddof 1) of ``n_experiments`` samples of ``n`` draws from ``pool``."""
    values, counts = np.unique(pool, return_counts=True)
    drawn = rng.multinomial(n, counts / counts.sum(), size=n_experiments)  # (n_experiments, n_values)
    mean = drawn @ values / n
    variance = (drawn @ values**2 - n * mean**2) / (n - 1)
    return mean, np.maximum(variance, 0.0)


def _as_pvalues(p_values, alpha) -> np.ndarray:
    _check_alpha(alpha)
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or len(p) == 0:
        raise ValueError("p_values must be a non-empty 1-D array")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must lie in [0, 1]")
    return p
