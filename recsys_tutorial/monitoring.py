"""Monitoring: has the data, or the model's output, drifted away from what the model was trained on?

The population stability index compares the share of a baseline sample and of a current sample
that fall in each bin:

    PSI = Σ_bins (c_b − b_b) · ln(c_b / b_b)

with bins taken from the baseline's quantiles (numeric data) or its categories. Shares are
floored at ``epsilon`` (1e-4) so that an empty bin gives a large but finite term. PSI is
symmetric in the two samples except through the binning, which comes from the baseline. The
usual reading, used by `drift_report`: below 0.1 stable, 0.1–0.2 worth watching, above 0.2 a
shift large enough to act on (retrain).

Statistical tests answer a different question, "could the two samples come from the same
distribution?", and with large samples they say no to shifts too small to matter; the chapter
measures this. We use SciPy's: Kolmogorov–Smirnov for numeric data, chi-square for categories,
and the Jensen–Shannon divergence (base 2, in [0, 1]) as a bounded distance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.spatial.distance
import scipy.stats

__all__ = [
    "PSI_MONITOR",
    "PSI_RETRAIN",
    "psi",
    "ks_test",
    "chi2_test",
    "js_divergence",
    "drift_report",
    "windowed_psi",
    "first_alert",
]

#: PSI thresholds of `drift_report`'s status: "monitor" from 0.1, "retrain" from 0.2.
PSI_MONITOR = 0.1
PSI_RETRAIN = 0.2
_EPSILON = 1e-4


def psi(baseline, current, bins: int = 10, epsilon: float = _EPSILON) -> float:
    """Population stability index of ``current`` against ``baseline``.

    Numeric data is cut at the baseline's quantiles into ``bins`` bins (open at both ends, so
    current values outside the baseline's range still count). Categorical data (strings,
    categories, booleans), and numeric data with at most ``bins`` distinct baseline values, use
    one bin per baseline value plus one for values the baseline never had.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> round(psi(rng.normal(0, 1, 10_000), rng.normal(0, 1, 10_000)), 3)
    0.001
    """
    b_shares, c_shares = _binned_shares(baseline, current, bins)
    b_shares, c_shares = np.maximum(b_shares, epsilon), np.maximum(c_shares, epsilon)
    return float(np.sum((c_shares - b_shares) * np.log(c_shares / b_shares)))


def ks_test(baseline, current) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov test (SciPy): ``(statistic, p_value)``."""
    b, c = _numeric(baseline, "baseline"), _numeric(current, "current")
    result = scipy.stats.ks_2samp(b, c)
    return float(result.statistic), float(result.pvalue)


def chi2_test(baseline, current) -> tuple[float, float]:
    """Chi-square test of homogeneity of two categorical samples (SciPy): ``(statistic, p_value)``."""
    b, c = _values(baseline, "baseline"), _values(current, "current")
    categories = pd.Index(pd.unique(np.concatenate([b.astype(object), c.astype(object)])))
    table = np.vstack(
        [pd.Series(b).value_counts().reindex(categories, fill_value=0), pd.Series(c).value_counts().reindex(categories, fill_value=0)]
    )
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0  # one category on both sides: nothing can differ
    statistic, p_value, _, _ = scipy.stats.chi2_contingency(table)
    return float(statistic), float(p_value)


def js_divergence(baseline, current, bins: int = 10) -> float:
    """Jensen–Shannon divergence (base 2, between 0 and 1) of the binned distributions."""
    b_shares, c_shares = _binned_shares(baseline, current, bins)
    return float(scipy.spatial.distance.jensenshannon(b_shares, c_shares, base=2) ** 2)


def drift_report(baseline_frame: pd.DataFrame, current_frame: pd.DataFrame, features=None, bins: int = 10) -> pd.DataFrame:
    """One row per feature: PSI, the matching test (KS or chi-square), its p-value, JS and a status.

    ``status`` is ``"ok"`` below `PSI_MONITOR`, ``"monitor"`` below `PSI_RETRAIN`, else
    ``"retrain"``. Decisions use PSI, not the p-value, because with large samples every test
    is significant (see the module docstring).
    """
    if not isinstance(baseline_frame, pd.DataFrame) or not isinstance(current_frame, pd.DataFrame):
        raise ValueError("drift_report: both baseline_frame and current_frame must be DataFrames")
    features = list(baseline_frame.columns) if features is None else list(features)
    missing = [f for f in features if f not in baseline_frame.columns or f not in current_frame.columns]
    if missing:
        raise ValueError(f"drift_report: feature(s) {missing} missing from one of the frames")
    rows = []
    for feature in features:
        b, c = baseline_frame[feature], current_frame[feature]
        categorical = _is_categorical(b)
        statistic, p_value = chi2_test(b, c) if categorical else ks_test(b, c)
        value = psi(b, c, bins)
        rows.append(
            {
                "feature": feature,
                "kind": "categorical" if categorical else "numeric",
                "psi": value,
                "test": "chi-square" if categorical else "KS",
                "statistic": statistic,
                "p_value": p_value,
                "js_divergence": js_divergence(b, c, bins),
                "status": _status(value),
            }
        )
    return pd.DataFrame(rows).set_index("feature")


def windowed_psi(values: pd.Series, timestamps: pd.Series, baseline_end, freq: str = "7D", bins: int = 10) -> pd.Series:
    """PSI of each time window after ``baseline_end`` against everything before it.

    Windows of length ``freq`` start at ``baseline_end``; the result is indexed by window start.
    Windows with fewer than 20 values are skipped (their PSI would be noise).
    """
    values, timestamps = pd.Series(values).reset_index(drop=True), pd.Series(timestamps).reset_index(drop=True)
    if len(values) != len(timestamps):
        raise ValueError("windowed_psi: values and timestamps must have the same length")
    baseline_end = pd.Timestamp(baseline_end)
    baseline = values[timestamps < baseline_end]
    after = timestamps >= baseline_end
    window = ((timestamps[after] - baseline_end) // pd.Timedelta(freq)).astype(int)
    out = {}
    for w, group in values[after].groupby(window):
        if len(group) >= 20:
            out[baseline_end + w * pd.Timedelta(freq)] = psi(baseline, group, bins)
    return pd.Series(out, name="psi", dtype=float)


def first_alert(series: pd.Series, threshold: float, consecutive: int = 1, above: bool = True):
    """The index of the first point where ``series`` has crossed ``threshold`` for ``consecutive``
    points in a row (above it by default, below it with ``above=False``); ``None`` if never.

    Requiring two or more consecutive breaches trades detection delay for fewer false alarms.
    """
    if consecutive < 1:
        raise ValueError(f"first_alert: consecutive must be >= 1, got {consecutive}")
    breach = (series > threshold) if above else (series < threshold)
    run = breach.astype(int).groupby((~breach).cumsum()).cumsum()
    hits = run[run >= consecutive]
    return None if hits.empty else hits.index[0]


# ---------------------------------------------------------------------------------------------


def _status(value: float) -> str:
    if value >= PSI_RETRAIN:
        return "retrain"
    if value >= PSI_MONITOR:
        return "monitor"
    return "ok"


def _values(sample, name) -> np.ndarray:
    values = pd.Series(sample)
    if len(values) == 0:
        raise ValueError(f"{name}: the sample is empty")
    if values.isna().any():
        raise ValueError(f"{name}: the sample has {int(values.isna().sum())} missing values; drop or impute them first")
    return values.to_numpy()


def _numeric(sample, name) -> np.ndarray:
    values = _values(sample, name)
    if not np.issubdtype(values.dtype, np.number) or values.dtype == bool:
        raise ValueError(f"{name}: expected numeric values, got dtype {values.dtype}")
    return values.astype(float)


def _is_categorical(sample) -> bool:
    series = pd.Series(sample)
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _binned_shares(baseline, current, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Shares of each sample per bin, bins defined by the baseline (see `psi`)."""
    if not (isinstance(bins, (int, np.integer)) and bins >= 2):
        raise ValueError(f"bins must be an integer >= 2, got {bins!r}")
    b, c = _values(baseline, "baseline"), _values(current, "current")
    if _is_categorical(b) or len(np.unique(b)) <= bins:
        categories = pd.Index(pd.unique(b))
        b_counts = pd.Series(b).value_counts().reindex(categories, fill_value=0).to_numpy()
        c_series = pd.Series(c)
        c_counts = c_series.value_counts().reindex(categories, fill_value=0).to_numpy()
        unseen = int((~c_series.isin(categories)).sum())  # values the baseline never had
        b_counts, c_counts = np.append(b_counts, 0), np.append(c_counts, unseen)
    else:
        b, c = _numeric(b, "baseline"), _numeric(c, "current")
        edges = np.unique(np.quantile(b, np.linspace(0, 1, bins + 1)[1:-1]))  # inner cut points
        b_counts = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
        c_counts = np.bincount(np.searchsorted(edges, c, side="right"), minlength=len(edges) + 1)
    return b_counts / b_counts.sum(), c_counts / c_counts.sum()
