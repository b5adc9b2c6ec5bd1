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

Alerts and what they cost: `first_alert` applies a rule ("above the threshold for ``consecutive``
points in a row", optionally raised only once a label delay has passed), and `quiet_threshold`
measures, on a period without drift, the strictest threshold at which a rule stays silent: any
stricter one false-alarms there.

Quality over time: `ndcg_on_new_items` scores any scoring function (a model's ``score_items``, or
a synthetic world's oracle) on one period's new items, with every item the user already had
removed at serving time, so that models trained on different windows are judged on the same
users and targets; `replay_retraining` replays a retraining policy period by period; and
`drop_decomposition` splits a model's drop in quality into the part the world's ceiling lost
and the part the model lost against that ceiling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.spatial.distance
import scipy.stats

from .data import interaction_matrix
from .evaluation import held_out_users, ndcg_at_k

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
    "quiet_threshold",
    "ndcg_on_new_items",
    "replay_retraining",
    "drop_decomposition",
]

#: PSI threshold of `drift_report`'s status "monitor": from 0.1, a shift worth watching.
PSI_MONITOR = 0.1
#: PSI threshold of `drift_report`'s status "retrain": from 0.2, a shift worth retraining for.
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
        [
            pd.Series(b).value_counts().reindex(categories, fill_value=0),
            pd.Series(c).value_counts().reindex(categories, fill_value=0),
        ]
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


def drift_report(
    baseline_frame: pd.DataFrame, current_frame: pd.DataFrame, features=None, bins: int = 10
) -> pd.DataFrame:
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


def windowed_psi(
    values: pd.Series,
    timestamps: pd.Series,
    baseline_end,
    freq: str = "7D",
    bins: int = 10,
    *,
    baseline_start=None,
    start=None,
) -> pd.Series:
    """PSI of each time window against a baseline period.

    Parameters
    ----------
    values, timestamps : Series of equal length
        One value of the monitored feature per event, and the event's time.
    baseline_end : timestamp
        End (exclusive) of the baseline period.
    freq : str or Timedelta
        Length of each window.
    bins : int
        Bins of `psi`.
    baseline_start : timestamp, optional
        Start (inclusive) of the baseline period; ``None``: the first event.
    start : timestamp, optional
        Start of the first window; ``None``: ``baseline_end``. It may lie after ``baseline_end``
        (for example after a training window that sits between the baseline and the monitored
        period) but not before it: a window must not overlap the baseline.

    Returns
    -------
    Series
        PSI of every window with at least 20 values (fewer would make the PSI noise), indexed by
        the window's start.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> hours = pd.date_range("2024-01-01", periods=40 * 24, freq="h")
    >>> times = pd.Series(hours)
    >>> values = pd.Series(np.random.default_rng(0).normal(0, 1, len(times)))
    >>> # the feature moves by one sd on 31 January
    >>> values[times >= "2024-01-31"] += 1.0
    >>> weekly = windowed_psi(values, times, "2024-01-15",
    ...                       baseline_start="2024-01-01", start="2024-01-24")
    >>> # windows from 24 January, 31 January and 7 February
    >>> (weekly > 0.2).tolist()
    [False, True, True]
    """
    values, timestamps = pd.Series(values).reset_index(drop=True), pd.Series(timestamps).reset_index(drop=True)
    if len(values) != len(timestamps):
        raise ValueError("windowed_psi: values and timestamps must have the same length")
    if not pd.api.types.is_datetime64_any_dtype(timestamps):
        raise ValueError(f"windowed_psi: timestamps must be datetimes, got dtype {timestamps.dtype}")
    width = pd.Timedelta(freq)
    if width <= pd.Timedelta(0):
        raise ValueError(f"windowed_psi: freq must be a positive duration, got {freq!r}")
    baseline_end = pd.Timestamp(baseline_end)
    start = baseline_end if start is None else pd.Timestamp(start)
    if start < baseline_end:
        raise ValueError(
            f"windowed_psi: start ({start}) lies before baseline_end ({baseline_end}): "
            "windows would overlap the baseline"
        )
    in_baseline = timestamps < baseline_end
    if baseline_start is not None:
        in_baseline &= timestamps >= pd.Timestamp(baseline_start)
    if not in_baseline.any():
        raise ValueError(f"windowed_psi: no values in the baseline period (from {baseline_start} to {baseline_end})")
    baseline = values[in_baseline]
    after = timestamps >= start
    window = ((timestamps[after] - start) // width).astype(int)
    out = {}
    for w, group in values[after].groupby(window):
        if len(group) >= 20:
            out[start + w * width] = psi(baseline, group, bins)
    return pd.Series(out, name="psi", dtype=float)


def first_alert(series: pd.Series, threshold: float, consecutive: int = 1, above: bool = True, delay=None):
    """The index of the first point where ``series`` has crossed ``threshold`` for ``consecutive``
    points in a row (above it by default, below it with ``above=False``); ``None`` if never.

    Requiring two or more consecutive breaches trades detection delay for fewer false alarms.

    ``delay`` (a duration, for a time-indexed series) is how long after its index a point's value
    becomes known: a quality metric computed from labels that arrive late (a purchase within a
    seven-day attribution window) is known seven days after the day it describes. The alert is
    then raised at the breaching point's index plus ``delay``.

    Examples
    --------
    >>> days = pd.date_range("2024-05-01", periods=5)
    >>> s = pd.Series([0.1, 0.3, 0.1, 0.3, 0.3], index=days)
    >>> first_alert(s, 0.2), first_alert(s, 0.2, consecutive=2)
    (Timestamp('2024-05-02 00:00:00'), Timestamp('2024-05-05 00:00:00'))
    >>> first_alert(s, 0.2, delay="7D")  # the value of 2 May is known on 9 May
    Timestamp('2024-05-09 00:00:00')
    """
    if not isinstance(consecutive, (int, np.integer)) or isinstance(consecutive, bool) or consecutive < 1:
        raise ValueError(f"first_alert: consecutive must be an integer >= 1, got {consecutive!r}")
    if not isinstance(series, pd.Series):
        raise ValueError(f"first_alert: series must be a pandas Series, got {type(series).__name__}")
    if series.isna().any():
        raise ValueError(f"first_alert: series has {int(series.isna().sum())} missing values")
    if delay is not None:
        delay = pd.Timedelta(delay)
        if delay < pd.Timedelta(0):
            raise ValueError(f"first_alert: delay must not be negative, got {delay}")
        if not isinstance(series.index, pd.DatetimeIndex):
            raise ValueError("first_alert: a delay needs a series indexed by time")
    breach = (series > threshold) if above else (series < threshold)
    run = breach.astype(int).groupby((~breach).cumsum()).cumsum()
    hits = run[run >= consecutive]
    if hits.empty:
        return None
    return hits.index[0] if delay is None else hits.index[0] + delay


def quiet_threshold(series: pd.Series, consecutive: int = 1, above: bool = True) -> float:
    """The strictest threshold at which ``first_alert(series, threshold, consecutive, above)`` stays silent.

    For a rule on values above the threshold, it is the largest, over every run of
    ``consecutive`` points, of the run's smallest value: the rule fires for any threshold below
    it and stays silent from it up. (For ``above=False``: the smallest of the runs' largest
    values.) Measured on a period without drift, any stricter threshold would have raised a
    false alarm there; a rule with more consecutive points tolerates a stricter threshold.

    Examples
    --------
    >>> s = pd.Series([0.05, 0.12, 0.04, 0.09, 0.08])
    >>> quiet_threshold(s), quiet_threshold(s, consecutive=2)
    (0.12, 0.08)
    >>> first_alert(s, 0.119) is not None, first_alert(s, 0.12) is None
    (True, True)
    """
    if not isinstance(consecutive, (int, np.integer)) or isinstance(consecutive, bool) or consecutive < 1:
        raise ValueError(f"quiet_threshold: consecutive must be an integer >= 1, got {consecutive!r}")
    values = pd.Series(series, dtype=float).reset_index(drop=True)
    if values.isna().any():
        raise ValueError(f"quiet_threshold: series has {int(values.isna().sum())} missing values")
    if len(values) < consecutive:
        raise ValueError(f"quiet_threshold: series has {len(values)} points, fewer than consecutive={consecutive}")
    if above:
        return float(values.rolling(consecutive).min().max())
    return float(values.rolling(consecutive).max().min())


def ndcg_on_new_items(score, history: pd.DataFrame, period: pd.DataFrame, n_items: int, k: int = 10) -> pd.Series:
    """Per-user NDCG@k on the items each user engaged with in ``period`` and never before.

    Every user with such an item is scored: ``score(user_ids)`` gives an ``(n_users, m)`` array of
    scores (a fitted model's ``score_items``, or a synthetic world's ``truth.scores``); items
    beyond ``m`` (released after a model's training data) get ``-inf``. The items the user has in
    ``history`` are removed from the ranking, as a serving system would, and from the targets:
    the task is to find new items. Ties go to the lower item id. Because the targets depend only
    on ``history`` and ``period``, models trained on different windows are compared on the same
    users and the same targets, and their per-user values can be paired.

    Parameters
    ----------
    score : callable
        Maps an int64 array of user ids to an array of scores, one row per user.
    history, period : DataFrame
        Interactions (``user_id``, ``item_id``) before and during the period.
    n_items : int
        Size of the catalogue.
    k : int
        Length of the lists.

    Returns
    -------
    Series
        NDCG@k per user, indexed by ``user_id`` (ascending).

    Examples
    --------
    >>> history = pd.DataFrame({"user_id": [0, 1], "item_id": [0, 0]})
    >>> period = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [0, 2, 1]})
    >>> # everyone ranks 0 > 1 > 2
    >>> scores = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    >>> ndcg_on_new_items(lambda users: scores[users], history, period,
    ...                   n_items=3, k=1).tolist()
    [0.0, 1.0]
    """
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n_items:
        raise ValueError(f"ndcg_on_new_items: k must be an integer in 1..n_items ({n_items}), got {k!r}")
    for name, frame in (("history", history), ("period", period)):
        if not isinstance(frame, pd.DataFrame) or not {"user_id", "item_id"} <= set(frame.columns):
            raise ValueError(f"ndcg_on_new_items: {name} must be a DataFrame with columns user_id and item_id")
    if len(history) and history["item_id"].max() >= n_items or len(period) and period["item_id"].max() >= n_items:
        raise ValueError(f"ndcg_on_new_items: item ids must be below n_items ({n_items})")
    last_user = max(
        history["user_id"].max() if len(history) else -1,
        period["user_id"].max() if len(period) else -1,
    )
    n_users = int(last_user) + 1
    users, relevant = held_out_users(period, n_users, n_items, seen_in=history)
    if len(users) == 0:
        raise ValueError("ndcg_on_new_items: no user engaged with a new item in the period")
    scores = np.asarray(score(users), dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] != len(users) or scores.shape[1] > n_items:
        raise ValueError(
            f"ndcg_on_new_items: score must return ({len(users)}, <= {n_items}) scores, got shape {scores.shape}"
        )
    if np.isnan(scores).any():
        raise ValueError("ndcg_on_new_items: score returned NaN")
    if scores.shape[1] < n_items:  # items the model never saw cannot be recommended
        scores = np.hstack([scores, np.full((len(users), n_items - scores.shape[1]), -np.inf)])
    seen = interaction_matrix(history, shape=(n_users, n_items))[users]
    scores[seen.nonzero()] = -np.inf
    recommended = _top_k(scores, k)
    return pd.Series(ndcg_at_k(recommended, relevant), index=pd.Index(users, name="user_id"), name="ndcg")


def replay_retraining(
    interactions: pd.DataFrame,
    start,
    n_periods: int,
    retrain,
    fit,
    n_items: int,
    period: str = "7D",
    train_window: str = "28D",
    k: int = 10,
    models: dict | None = None,
) -> pd.DataFrame:
    """Replay a retraining policy on a log, scoring every period on each user's new items.

    At ``start`` a model is fitted (``fit(train)``) on the ``train_window`` before it. Period i
    runs from ``start + i · period`` for one ``period``; at the start of every later period,
    ``retrain(date)`` decides whether to refit on the ``train_window`` before that date. Each
    period is scored with `ndcg_on_new_items` against everything logged before it, so every
    policy replayed on the same log is judged on the same users and targets.

    Parameters
    ----------
    interactions : DataFrame
        The log: ``user_id``, ``item_id``, ``timestamp``.
    start : timestamp
        Start of the first period, and end of the first training window.
    n_periods : int
        Number of periods.
    retrain : callable
        ``retrain(date) -> bool`` at the start of every period but the first.
    fit : callable
        ``fit(train_interactions)`` returns a fitted model with ``score_items(user_ids)``.
    n_items : int
        Size of the catalogue.
    period, train_window : str or Timedelta
        Length of a period, and of the window a model is trained on.
    k : int
        Length of the lists.
    models : dict, optional
        A cache of fitted models keyed by training window ``(start, end)``: pass one dict to
        several replays with the same ``fit`` and each window is trained once. Affects speed, not
        results.

    Returns
    -------
    DataFrame
        One row per (period, user_id) with ``ndcg`` and ``trained_until``, the end of the
        training window of the model in service (a new value marks a retrain).

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> from recsys_tutorial.models import Popularity
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=6_000,
    ...                        random_state=0)
    >>> log = world.interactions
    >>> weekly = replay_retraining(log, "2024-06-03", 4,
    ...                            retrain=lambda date: False,
    ...                            fit=lambda train: Popularity().fit(train),
    ...                            n_items=100)
    >>> trained_until = weekly.groupby("period")["trained_until"].first()
    >>> trained_until.nunique()  # never retrained
    1
    """
    if not isinstance(n_periods, (int, np.integer)) or isinstance(n_periods, bool) or n_periods < 1:
        raise ValueError(f"replay_retraining: n_periods must be an integer >= 1, got {n_periods!r}")
    missing = {"user_id", "item_id", "timestamp"} - set(getattr(interactions, "columns", []))
    if missing:
        raise ValueError(f"replay_retraining: interactions lack column(s) {sorted(missing)}")
    if not callable(retrain) or not callable(fit):
        raise ValueError("replay_retraining: retrain and fit must be callables")
    if models is not None and not isinstance(models, dict):
        raise ValueError(
            f"replay_retraining: models must be a dict (a cache of fitted models), got {type(models).__name__}"
        )
    start, step, window = pd.Timestamp(start), pd.Timedelta(period), pd.Timedelta(train_window)
    if step <= pd.Timedelta(0) or window <= pd.Timedelta(0):
        raise ValueError(
            f"replay_retraining: period and train_window must be positive durations, got {period!r}, {train_window!r}"
        )
    times = interactions["timestamp"]
    models = {} if models is None else models

    def between(a, b):
        return interactions[(times >= a) & (times < b)]

    trained_until, model, frames = start, None, {}
    for i in range(n_periods):
        begin = start + i * step
        if model is None or retrain(begin):
            key = (begin - window, begin)
            if key not in models:
                train = between(*key)
                if len(train) == 0:
                    raise ValueError(f"replay_retraining: no interactions to train on before {begin}")
                models[key] = fit(train)
            trained_until, model = begin, models[key]
        ndcg = ndcg_on_new_items(
            model.score_items, interactions[times < begin], between(begin, begin + step), n_items, k
        )
        frames[begin] = pd.DataFrame({"ndcg": ndcg, "trained_until": trained_until})
    return pd.concat(frames, names=["period"])


def drop_decomposition(before: float, after: float, ceiling_before: float, ceiling_after: float) -> pd.Series:
    """Split a model's drop in quality into "the world got harder" and "the model got worse".

    The ratio of the model's quality after and before a change factors exactly into the
    ceiling's ratio (the best achievable, e.g. the oracle's NDCG) and the ratio of the model's
    share of the ceiling:

        after / before = (ceiling_after / ceiling_before) · (share_after / share_before),
        share = model / ceiling.

    On a log scale the two factors add up; ``harder world`` is the part of ``log(after / before)``
    that the ceiling's fall accounts for, ``model`` the rest (staleness, for a model that was not
    retrained). Both are shares of the drop and sum to 1.

    Examples
    --------
    >>> drop_decomposition(0.10, 0.025, 0.30, 0.15).round(3).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'ratio': 0.25, 'ceiling ratio': 0.5, 'share before': 0.333,
     'share after': 0.167, 'harder world': 0.5, 'model': 0.5}
    """
    values = {"before": before, "after": after, "ceiling_before": ceiling_before, "ceiling_after": ceiling_after}
    for name, value in values.items():
        if (
            isinstance(value, bool) or not isinstance(value, (int, float, np.number))
            or not np.isfinite(value) or value <= 0
        ):
            raise ValueError(f"drop_decomposition: {name} must be a positive number, got {value!r}")
    if before > ceiling_before or after > ceiling_after:
        raise ValueError("drop_decomposition: the model is above its ceiling; is the ceiling the best achievable?")
    if not after < before:
        raise ValueError(
            f"drop_decomposition: after ({after}) is not below before ({before}): there is no drop to split"
        )
    harder = np.log(ceiling_after / ceiling_before) / np.log(after / before)
    return pd.Series(
        {
            "ratio": after / before,
            "ceiling ratio": ceiling_after / ceiling_before,
            "share before": before / ceiling_before,
            "share after": after / ceiling_after,
            "harder world": harder,
            "model": 1.0 - harder,
        }
    )


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


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best items of each row, best first, ties to the lower id, ``-inf`` → item -1.

    The rule of `recsys_tutorial.models.base.top_k`, which this module does not import (that
    would load every model, and PyTorch with them): keep the scores above the k-th largest, and
    fill up with the lowest ids that equal it.
    """
    threshold = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (n, 1): the k-th largest
    above, tied = scores > threshold, scores == threshold
    room = k - above.sum(axis=1, keepdims=True)
    keep = above | (tied & (np.cumsum(tied, axis=1) <= room))
    candidates = np.nonzero(keep)[1].reshape(len(scores), k)  # ascending ids, k per row
    order = np.argsort(-np.take_along_axis(scores, candidates, axis=1), axis=1, kind="stable")
    items = np.take_along_axis(candidates, order, axis=1)
    return np.where(np.isneginf(np.take_along_axis(scores, items, axis=1)), -1, items)
