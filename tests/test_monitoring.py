import numpy as np
import pandas as pd
import pytest
import scipy.stats

from recsys_tutorial import monitoring as mon


def test_psi_is_zero_for_identical_samples_and_hand_worked_otherwise():
    x = np.arange(100.0)
    assert mon.psi(x, x) == 0.0
    # Baseline 0..99 in 4 quartile bins; current puts 40 % / 10 % / 10 % / 40 % into them.
    current = np.r_[np.full(40, 10.0), np.full(10, 30.0), np.full(10, 60.0), np.full(40, 90.0)]
    expected = 2 * (0.4 - 0.25) * np.log(0.4 / 0.25) + 2 * (0.1 - 0.25) * np.log(0.1 / 0.25)
    assert mon.psi(x, current, bins=4) == pytest.approx(expected)


def test_categorical_psi_counts_unseen_categories():
    baseline = ["a"] * 50 + ["b"] * 50
    current = ["a"] * 50 + ["c"] * 50  # "b" vanished, "c" is new
    eps = 1e-4
    expected = (0.5 - 0.5) * 0 + (eps - 0.5) * np.log(eps / 0.5) + (0.5 - eps) * np.log(0.5 / eps)
    assert mon.psi(baseline, current) == pytest.approx(expected)


def test_psi_false_alarms_are_rare_and_real_shifts_are_caught():
    rng = np.random.default_rng(0)
    false_alarms = np.mean([mon.psi(rng.normal(0, 1, 500), rng.normal(0, 1, 500)) > 0.2 for _ in range(300)])
    caught = np.mean([mon.psi(rng.normal(0, 1, 500), rng.normal(0.75, 1, 500)) > 0.2 for _ in range(300)])
    assert false_alarms <= 0.05 and caught >= 0.95


def test_tests_match_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 300), rng.normal(0.2, 1, 400)
    assert mon.ks_test(a, b) == pytest.approx(tuple(scipy.stats.ks_2samp(a, b))[:2])
    x, y = rng.choice(["u", "v", "w"], 500), rng.choice(["u", "v", "w"], 600, p=[0.4, 0.4, 0.2])
    table = [[(x == c).sum() for c in "uvw"], [(y == c).sum() for c in "uvw"]]
    assert mon.chi2_test(x, y) == pytest.approx(scipy.stats.chi2_contingency(table)[:2])
    assert 0 <= mon.js_divergence(a, b) <= 1 and mon.js_divergence(a, a) == pytest.approx(0.0, abs=1e-12)


def test_drift_report_assigns_statuses_by_psi():
    rng = np.random.default_rng(2)
    base = pd.DataFrame({"same": rng.normal(0, 1, 5_000), "moved": rng.normal(0, 1, 5_000), "cat": rng.choice(list("abc"), 5_000)})
    current = pd.DataFrame({"same": rng.normal(0, 1, 5_000), "moved": rng.normal(1.0, 1, 5_000), "cat": rng.choice(list("abc"), 5_000, p=[0.6, 0.2, 0.2])})
    report = mon.drift_report(base, current)
    assert report.loc["same", "status"] == "ok" and report.loc["moved", "status"] == "retrain"
    assert report.loc["cat", "test"] == "chi-square" and report.loc["moved", "test"] == "KS"
    assert report.loc["cat", "status"] in ("monitor", "retrain")
    with pytest.raises(ValueError, match="missing from one of the frames"):
        mon.drift_report(base, current.drop(columns="cat"))


def test_windowed_psi_and_first_alert():
    rng = np.random.default_rng(3)
    times = pd.Series(pd.date_range("2024-01-01", periods=6_000, freq="h"))
    values = pd.Series(rng.normal(0, 1, 6_000))
    values[times >= "2024-06-01"] += 1.0  # a shift on 1 June
    weekly = mon.windowed_psi(values, times, "2024-03-01", freq="7D")
    alert = mon.first_alert(weekly, 0.2, consecutive=2)
    assert pd.Timestamp("2024-06-01") <= alert <= pd.Timestamp("2024-06-15")
    assert (weekly[weekly.index < pd.Timestamp("2024-05-25")] < 0.2).all()
    series = pd.Series([0.3, 0.1, 0.3, 0.3, 0.3], index=list("abcde"))
    assert mon.first_alert(series, 0.2) == "a" and mon.first_alert(series, 0.2, consecutive=2) == "d"
    assert mon.first_alert(series, 0.5) is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mon.psi([], [1.0]), "empty"),
        (lambda: mon.psi([1.0, np.nan], [1.0]), "missing values"),
        (lambda: mon.psi([1.0, 2.0], [1.0], bins=1), "bins must be"),
        (lambda: mon.ks_test(["a", "b"], ["a"]), "expected numeric"),
        (lambda: mon.first_alert(pd.Series([1.0]), 0.5, consecutive=0), "consecutive"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_few_distinct_values_are_binned_as_categories():
    baseline = np.array([1, 2, 3] * 100)
    assert mon.psi(baseline, baseline) == 0.0
    assert mon.psi(baseline, np.array([1] * 300)) > 1.0
