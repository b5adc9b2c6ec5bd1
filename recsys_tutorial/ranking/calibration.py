"""Calibration of predicted probabilities: log loss, Brier score, AUC, ECE and the reliability table.

References: Naeini, Cooper & Hauskrecht, "Obtaining Well Calibrated Probabilities Using Bayesian
Binning" (AAAI 2015); Guo et al., "On Calibration of Modern Neural Networks" (ICML 2017).

A model is calibrated when, among the rows it gives a probability near p, a share p is positive.
Sorting needs only the order of the scores (AUC, NDCG); calibration matters when the score is
used as a probability: a threshold, an expected value, a blend with another model's scores.
Cut [0, 1] into K equal-width bins B_1 … B_K; the expected calibration error is the gap between
the observed rate and the mean prediction of each bin, weighted by the bin's share of the rows::

    ECE = Σ_k (|B_k| / N) · |ȳ_k − p̄_k|
          ȳ_k = mean label, p̄_k = mean prediction in B_k

The reliability curve plots ȳ_k against p̄_k: a calibrated model lies on the diagonal. Log loss
and the Brier score (mean (p − y)²) measure calibration and sorting together; AUC only sorting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

__all__ = ["calibration_report"]


def calibration_report(labels, probabilities, n_bins: int = 10) -> tuple[pd.Series, pd.DataFrame]:
    """Summary metrics and the reliability table of predicted probabilities.

    Parameters
    ----------
    labels : array-like of {0, 1} or bool, shape (n,)
        What happened. For graded labels, pass ``labels > 0``. Both classes must be present.
    probabilities : array-like of float in [0, 1], shape (n,)
        The predicted P(label = 1) of each row.
    n_bins : int
        K, the number of equal-width bins of [0, 1]. Bin k covers (k/K, (k+1)/K], the first one
        also 0: the bins of ``sklearn.calibration.calibration_curve(strategy="uniform")``.

    Returns
    -------
    metrics : Series
        ``log_loss``, ``brier``, ``auc``, ``ece``, ``base_rate`` (mean label) and
        ``mean_prediction`` (mean probability).
    reliability : DataFrame, one row per bin (empty bins included)
        ``bin``, ``lower``, ``upper`` (the bin's edges), ``mean_predicted`` (p̄_k),
        ``observed_rate`` (ȳ_k; both NaN for an empty bin) and ``count`` (``|B_k|``).

    Examples
    --------
    >>> labels, probabilities = [0, 0, 1, 1], [0.1, 0.3, 0.6, 0.8]
    >>> metrics, reliability = calibration_report(labels, probabilities,
    ...                                           n_bins=2)
    >>> metrics[["ece", "auc"]].round(6).tolist()
    [0.25, 1.0]
    >>> reliability[["bin", "count"]].to_numpy().tolist()
    [[0, 2], [1, 2]]
    """
    y, p = _check_inputs(labels, probabilities, n_bins)
    # Bin k holds (edges[k], edges[k+1]], the first bin also 0 (see n_bins above).
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], p)  # (n,), in 0 … K−1
    count = np.bincount(bins, minlength=n_bins)  # |B_k|
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: NaN
        mean_predicted = np.bincount(bins, weights=p, minlength=n_bins) / count  # p̄_k
        observed_rate = np.bincount(bins, weights=y, minlength=n_bins) / count  # ȳ_k
    filled = count > 0
    # ECE = Σ_k (|B_k| / N) · |ȳ_k − p̄_k|
    ece = float(np.sum(count[filled] / len(p) * np.abs(observed_rate[filled] - mean_predicted[filled])))
    metrics = pd.Series(
        {
            "log_loss": log_loss(y, p, labels=[0, 1]),
            "brier": brier_score_loss(y, p),
            "auc": roc_auc_score(y, p),
            "ece": ece,
            "base_rate": float(y.mean()),
            "mean_prediction": float(p.mean()),
        },
        name="calibration",
    )
    reliability = pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "lower": edges[:-1],
            "upper": edges[1:],
            "mean_predicted": mean_predicted,
            "observed_rate": observed_rate,
            "count": count,
        }
    )
    return metrics, reliability


def _check_inputs(labels, probabilities, n_bins) -> tuple[np.ndarray, np.ndarray]:
    """Labels as int64 {0, 1} and probabilities as float64, both 1-D of one length; ``ValueError`` otherwise."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"calibration_report: n_bins must be a positive integer, got {n_bins!r}")
    y, p = np.asarray(labels), np.asarray(probabilities)
    if y.ndim != 1 or p.ndim != 1:
        raise ValueError(f"calibration_report: labels and probabilities must be 1-D, got shapes {y.shape}, {p.shape}")
    if len(y) != len(p):
        raise ValueError(f"calibration_report: labels and probabilities differ in length ({len(y)} vs {len(p)})")
    if len(y) == 0:
        raise ValueError("calibration_report: labels and probabilities are empty")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool) or not np.isin(y, [0, 1]).all():
        raise ValueError("calibration_report: labels must be binary, 0/1 or bool (for graded labels pass labels > 0)")
    if not np.issubdtype(p.dtype, np.number) or not np.all((p >= 0) & (p <= 1)):  # also rejects NaN
        raise ValueError("calibration_report: probabilities must be numbers in [0, 1] without NaN")
    y = y.astype(np.int64)
    if y.min() == y.max():
        raise ValueError(
            f"calibration_report: labels hold a single class (all {y[0]}); AUC and calibration need both 0 and 1"
        )
    return y, p.astype(np.float64)
