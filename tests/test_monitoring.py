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
    base = pd.DataFrame(
        {"same": rng.normal(0, 1, 5_000), "moved": rng.normal(0, 1, 5_000), "cat": rng.choice(list("abc"), 5_000)}
    )
    current = pd.DataFrame({
        "same": rng.normal(0, 1, 5_000),
        "moved": rng.normal(1.0, 1, 5_000),
        "cat": rng.choice(list("abc"), 5_000, p=[0.6, 0.2, 0.2]),
    })
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


# --- alert rules, windows with a separate baseline --------------------------------------------


def test_windowed_psi_with_a_baseline_period_and_a_later_start():
    rng = np.random.default_rng(4)
    times = pd.Series(pd.date_range("2024-01-01", periods=60 * 24, freq="h"))
    values = pd.Series(rng.normal(0, 1, len(times)))
    daily = mon.windowed_psi(values, times, "2024-01-20", freq="1D", baseline_start="2024-01-10", start="2024-02-01")
    baseline = values[(times >= "2024-01-10") & (times < "2024-01-20")]
    assert daily.index[0] == pd.Timestamp("2024-02-01") and len(daily) == 29
    day = pd.Timestamp("2024-02-07")
    that_day = values[(times >= day) & (times < day + pd.Timedelta(days=1))]
    assert daily[day] == pytest.approx(mon.psi(baseline, that_day))
    # without baseline_start the baseline is everything before baseline_end
    everything = mon.windowed_psi(values, times, "2024-01-20", freq="1D", start="2024-02-01")
    assert everything[day] == pytest.approx(mon.psi(values[times < "2024-01-20"], that_day))


def test_first_alert_with_a_label_delay():
    days = pd.date_range("2024-05-01", periods=6)
    quality = pd.Series([0.08, 0.07, 0.03, 0.08, 0.02, 0.01], index=days)
    assert mon.first_alert(quality, 0.05, above=False) == days[2]
    assert mon.first_alert(quality, 0.05, consecutive=2, above=False) == days[5]
    assert mon.first_alert(quality, 0.05, consecutive=2, above=False, delay="7D") == days[5] + pd.Timedelta(days=7)
    assert mon.first_alert(quality, 0.0, above=False, delay="7D") is None


def test_quiet_threshold_is_where_the_rule_falls_silent():
    rng = np.random.default_rng(5)
    for _ in range(50):
        series = pd.Series(rng.gamma(2.0, 0.02, size=int(rng.integers(3, 30))))
        for consecutive in (1, 2, 3):
            if len(series) < consecutive:
                continue
            for above in (True, False):
                t = mon.quiet_threshold(series, consecutive, above)
                nudge = -1e-12 if above else 1e-12
                assert mon.first_alert(series, t, consecutive, above) is None
                assert mon.first_alert(series, t + nudge, consecutive, above) is not None
    assert mon.quiet_threshold(pd.Series([0.1, 0.4, 0.2, 0.3]), 2) == 0.2  # runs: (.1,.4) (.4,.2) (.2,.3)
    assert mon.quiet_threshold(pd.Series([0.1, 0.4, 0.2, 0.3]), 2, above=False) == 0.3


# --- quality over time ------------------------------------------------------------------------


def test_ndcg_on_new_items_matches_sklearn_per_user():
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(6)
    n_users, n_items = 30, 40
    history = pd.DataFrame({"user_id": rng.integers(0, n_users, 200), "item_id": rng.integers(0, n_items, 200)})
    period = pd.DataFrame({"user_id": rng.integers(0, n_users, 120), "item_id": rng.integers(0, n_items, 120)})
    scores = rng.normal(size=(n_users, n_items))  # continuous: no ties
    result = mon.ndcg_on_new_items(lambda users: scores[users], history, period, n_items, k=5)
    had = set(zip(history["user_id"], history["item_id"], strict=True))
    for user, value in result.items():
        keep = np.array([(user, i) not in had for i in range(n_items)])
        relevant = np.zeros(n_items)
        relevant[period.loc[period["user_id"] == user, "item_id"].to_numpy()] = 1
        relevant[~keep] = 0
        assert relevant.sum() > 0
        assert value == pytest.approx(ndcg_score([relevant[keep]], [scores[user][keep]], k=5))
    expected_users = sorted({u for u, i in zip(period["user_id"], period["item_id"], strict=True) if (u, i) not in had})
    assert result.index.tolist() == expected_users


def test_ndcg_on_new_items_pads_items_a_model_never_saw():
    history = pd.DataFrame({"user_id": [0], "item_id": [0]})
    period = pd.DataFrame({"user_id": [0, 0], "item_id": [3, 1]})
    # The model knows items 0..1 only: item 3 cannot be recommended, item 1 is at rank 1.
    result = mon.ndcg_on_new_items(lambda users: np.array([[5.0, 1.0]]), history, period, n_items=4, k=2)
    assert result.loc[0] == pytest.approx(1.0 / (1.0 + 1.0 / np.log2(3)))


def test_replay_retraining_fits_when_told_and_scores_every_period():
    from recsys_tutorial.data import make_synthetic
    from recsys_tutorial.models import Popularity

    log = make_synthetic(n_users=300, n_items=80, n_interactions=8_000, random_state=1).interactions
    fits = []

    def fit(train):
        fits.append((train["timestamp"].min(), train["timestamp"].max()))
        return Popularity().fit(train)

    models = {}
    never = mon.replay_retraining(log, "2024-06-03", 4, lambda date: False, fit, 80, models=models)
    always = mon.replay_retraining(log, "2024-06-03", 4, lambda date: True, fit, 80, models=models)
    assert len(fits) == 4  # the first window is trained once for both replays
    assert never.index.equals(always.index)  # the same users and targets, period by period
    assert never["trained_until"].nunique() == 1
    weeks = pd.date_range("2024-06-03", periods=4, freq="7D")
    assert always.groupby("period")["trained_until"].first().tolist() == list(weeks)
    # period 2 of "always" is the model of the 28 days before it, scored by ndcg_on_new_items
    start, times = weeks[2], log["timestamp"]
    model = Popularity().fit(log[(times >= start - pd.Timedelta(days=28)) & (times < start)])
    that_week = log[(times >= start) & (times < start + pd.Timedelta(days=7))]
    expected = mon.ndcg_on_new_items(model.score_items, log[times < start], that_week, 80)
    assert always.loc[start, "ndcg"].to_numpy() == pytest.approx(expected.to_numpy())


def test_drop_decomposition_is_hand_worked():
    # NDCG 0.08 → 0.02 while the ceiling goes 0.32 → 0.16: ratio 1/4 = (1/2 ceiling) · (1/2 share)
    split = mon.drop_decomposition(0.08, 0.02, 0.32, 0.16)
    assert split["ratio"] == pytest.approx(0.25) and split["ceiling ratio"] == pytest.approx(0.5)
    assert split["share before"] == pytest.approx(0.25) and split["share after"] == pytest.approx(0.125)
    assert split["harder world"] == pytest.approx(0.5) and split["model"] == pytest.approx(0.5)
    # a ceiling that does not move: all of the drop is the model's
    assert mon.drop_decomposition(0.08, 0.04, 0.3, 0.3)["model"] == pytest.approx(1.0)
    assert split["ratio"] == pytest.approx(split["ceiling ratio"] * split["share after"] / split["share before"])


def _days(n):
    """``n`` daily timestamps from 1 January 2024, a fresh Series for each case."""
    return pd.Series(pd.date_range("2024-01-01", periods=n))


def _pair(item_id):
    """User 0 engaging with ``item_id``, a fresh frame for each case."""
    return pd.DataFrame({"user_id": [0], "item_id": [item_id]})


def _no_events():
    return pd.DataFrame(columns=["user_id", "item_id", "timestamp"])


def _zeros(n_items):
    return lambda u: np.zeros((len(u), n_items))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mon.windowed_psi([1.0] * 30, _days(30), "2024-01-10", start="2024-01-05"), "overlap the baseline"),
        (lambda: mon.windowed_psi([1.0] * 30, _days(30), "2024-01-10", baseline_start="2024-01-10"),
         "no values in the baseline"),
        (lambda: mon.windowed_psi([1.0] * 3, pd.Series([1, 2, 3]), 2), "must be datetimes"),
        (lambda: mon.windowed_psi([1.0] * 3, _days(3), "2024-01-02", freq="0D"), "positive duration"),
        (lambda: mon.first_alert(pd.Series([1.0]), 0.5, delay="1D"), "indexed by time"),
        (lambda: mon.first_alert(pd.Series([1.0], index=pd.date_range("2024-01-01", periods=1)), 0.5, delay="-1D"),
         "negative"),
        (lambda: mon.first_alert(pd.Series([1.0, np.nan]), 0.5), "missing values"),
        (lambda: mon.first_alert([1.0], 0.5), "pandas Series"),
        (lambda: mon.quiet_threshold(pd.Series([1.0]), consecutive=2), "fewer than consecutive"),
        (lambda: mon.quiet_threshold(pd.Series([1.0]), consecutive=0), "consecutive"),
        (lambda: mon.ndcg_on_new_items(_zeros(3), _pair(0), _pair(0), 3, k=2), "no user engaged with a new item"),
        (lambda: mon.ndcg_on_new_items(_zeros(3), pd.DataFrame({"user_id": [0]}), _pair(1), 3, k=2),
         "columns user_id and item_id"),
        (lambda: mon.ndcg_on_new_items(_zeros(4), _pair(0), _pair(1), 3, k=2), "score must return"),
        (lambda: mon.ndcg_on_new_items(lambda u: np.full((len(u), 3), np.nan), _pair(0), _pair(1), 3, k=2), "NaN"),
        (lambda: mon.ndcg_on_new_items(_zeros(3), _pair(0), _pair(5), 3, k=2), "below n_items"),
        (lambda: mon.ndcg_on_new_items(_zeros(3), _pair(0), _pair(1), 3, k=4), "k must be"),
        (lambda: mon.replay_retraining(_pair(0), "2024-01-01", 2, bool, bool, 3), "lack column"),
        (lambda: mon.replay_retraining(_no_events(), "2024-01-01", 0, bool, bool, 3), "n_periods"),
        (lambda: mon.replay_retraining(_no_events(), "2024-01-01", 2, None, bool, 3), "callables"),
        (lambda: mon.replay_retraining(
            pd.DataFrame({"user_id": [0], "item_id": [0], "timestamp": [pd.Timestamp("2024-02-01")]}),
            "2024-01-01", 2, bool, bool, 3),
         "no interactions to train on"),
        (lambda: mon.replay_retraining(_no_events(), "2024-01-01", 2, bool, bool, 3, models=[]),
         "models must be a dict"),
        (lambda: mon.drop_decomposition(0.1, 0.0, 0.3, 0.2), "after must be a positive number"),
        (lambda: mon.drop_decomposition(0.1, 0.2, 0.3, 0.3), "no drop to split"),
        (lambda: mon.drop_decomposition(0.4, 0.2, 0.3, 0.3), "above its ceiling"),
    ],
)
def test_bad_input_to_the_alert_and_replay_helpers_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
