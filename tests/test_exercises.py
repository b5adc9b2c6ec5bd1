import numpy as np

from recsys_tutorial.data import load_movielens_100k, stats
from recsys_tutorial.exercises import CheckResult, ch01


def test_check_result_reads_as_feedback():
    assert repr(CheckResult(True, "fine")) == "✅ Correct: fine"
    assert repr(CheckResult(False, "try again")) == "❌ Not yet: try again"
    assert not CheckResult(False, "x")


def test_ch01_exercise_1_density(world):
    pairs = len(world.interactions[["user_id", "item_id"]].drop_duplicates())
    assert ch01.check_1(pairs / 50_000_000).passed
    assert "distinct (user_id, item_id) pairs" in ch01.check_1(100_000 / 50_000_000).message
    assert "sparsity" in ch01.check_1(1 - pairs / 50_000_000).message
    assert "rounded" in ch01.check_1(round(pairs / 50_000_000, 4)).message
    assert "single number" in ch01.check_1("a lot").message


def test_ch01_exercise_2_gini(world):
    counts = stats.counts_per(world, "item_id")
    assert ch01.check_2(stats.gini(counts)).passed
    assert "zeros" in ch01.check_2(stats.gini(counts[counts > 0])).message
    assert "[0, 1]" in ch01.check_2(1.7).message
    n = len(counts)
    assert "off by one" in ch01.check_2(stats.gini(counts) - 2 / n).message
    assert "'- 1'" in ch01.check_2(stats.gini(counts) + 1 / n).message
    assert not ch01.check_2(np.nan).passed


def test_ch01_exercise_3_movielens_minimum():
    minimum = load_movielens_100k().interactions.groupby("user_id").size().min()
    assert minimum == ch01.MOVIELENS_MIN_RATINGS_PER_USER
    assert ch01.check_3(minimum).passed
    assert not ch01.check_3(1).passed


def test_ch02_checks():

    from recsys_tutorial import features
    from recsys_tutorial.data import make_synthetic
    from recsys_tutorial.exercises import ch02

    world = make_synthetic(random_state=0)
    feats = features.user_features(world.interactions, "2024-06-01", n_users=world.n_users)
    assert ch02.check_1(int((feats["n_events"] == 0).sum())).passed
    never = world.n_users - world.interactions["user_id"].nunique()
    assert "whole log" in ch02.check_1(never).message
    assert ch02.check_2(feats["conversion_rate"]).passed
    assert "one value for each" in ch02.check_2(feats["conversion_rate"].iloc[:10]).message
    assert ch02.check_3({"a", "c", "e"}).passed
    feedback = ch02.check_3({"a", "b"}).message
    assert "(c) leaks" in feedback and "(e) leaks" in feedback and "(b) is safe" in feedback


def test_ch03_checks():
    from recsys_tutorial import split
    from recsys_tutorial.data import make_synthetic
    from recsys_tutorial.exercises import ch03

    log = make_synthetic(random_state=0).interactions
    _, test = split.temporal_split(log, test_fraction=0.1)
    assert ch03.check_1(test["timestamp"].min()).passed
    assert "90 %" in ch03.check_1(log["timestamp"].quantile(0.1)).message
    train, test = split.temporal_split(log, test_fraction=0.2)
    cold = set(test["item_id"]) - set(train["item_id"])
    assert ch03.check_2(len(cold)).passed
    assert "events" in ch03.check_2(int(test["item_id"].isin(cold).sum())).message
    _, last = split.leave_last_out(log)
    share = float((last["timestamp"] < test["timestamp"].min()).mean())
    assert ch03.check_3(share).passed
    assert "percentage" in ch03.check_3(100 * share).message


def test_ch06_checks():
    from recsys_tutorial.exercises import ch06

    discount = 1 / np.log2(np.arange(2, 7))
    dcg = 3 * discount[2] + discount[4]
    assert ch06.check_1(dcg / (np.array([3, 2, 1, 0, 0]) @ discount)).passed
    assert "ideal list" in ch06.check_1(dcg / (np.array([3, 1, 0, 0, 0]) @ discount)).message
    assert ch06.check_2(10 / 101).passed
    assert "101" in ch06.check_2(0.1).message
    assert ch06.check_3(ch06._ease_half_width()).passed
    assert "full width" in ch06.check_3(2 * ch06._ease_half_width()).message


def test_ch04_checks():
    from recsys_tutorial.exercises import ch04

    train, test = ch04._movielens_split()
    mu = train["rating"].mean()
    bias = (train["rating"] - mu).groupby(train["item_id"]).mean()
    rmse = float(np.sqrt(np.mean((test["rating"] - (mu + test["item_id"].map(bias).fillna(0.0))) ** 2)))
    assert ch04.check_1(rmse).passed
    assert "square root" in ch04.check_1(rmse**2).message
    assert "item 0 is always" in ch04.check_2(0).message
    scores = ch04._validation_scores()
    assert ch04.check_3(max(scores, key=scores.get)).passed
    assert "choose among" in ch04.check_3(7).message


def test_ch11_checks():
    import math

    from recsys_tutorial import experiments
    from recsys_tutorial.exercises import ch11

    exact = experiments.sample_size_proportions(0.10, 0.10)
    assert ch11.check_1(math.ceil(exact)).passed
    assert "round *up*" in ch11.check_1(math.floor(exact)).message
    assert "per arm" in ch11.check_1(2 * math.ceil(exact)).message
    assert ch11.check_2({0, 1}).passed
    assert "Bonferroni" in ch11.check_2({0}).message
    assert "uncorrected" in ch11.check_2({0, 1, 2, 3}).message
    p = experiments.srm_test(50_700, 49_300)["p_value"]
    assert ch11.check_3(p).passed
    assert "one-sided" in ch11.check_3(p / 2).message


def test_ch10_checks():
    from recsys_tutorial import monitoring
    from recsys_tutorial.exercises import ch10

    b, c = np.full(4, 0.25), np.array([0.4, 0.3, 0.2, 0.1])
    assert ch10.check_1(float(np.sum((c - b) * np.log(c / b)))).passed
    assert "natural logarithm" in ch10.check_1(float(np.sum((c - b) * np.log10(c / b)))).message
    daily = ch10._daily_psi()
    after = daily[daily.index >= ch10._DRIFT_DATE]
    assert ch10.check_2(int((after > 0.2).sum())).passed
    assert ch10.check_3(monitoring.first_alert(daily, 0.2, consecutive=1)).passed
    assert "two-day rule" in ch10.check_3(monitoring.first_alert(daily, 0.2, consecutive=2)).message


def test_ch05_checks():
    from recsys_tutorial.exercises import ch05

    assert ch05.check_1(5 / 8).passed
    assert "position" in ch05.check_1(2 / 8).message
    assert ch05.check_2(10_000_000 * 64 * 4 / 2**20).passed
    assert "4 bytes" in ch05.check_2(10_000_000 * 64 * 8 / 2**20).message
    recall = ch05._merged_recall_by_size()
    assert ch05.check_3(min(s for s, r in recall.items() if r > 0.5)).passed
    assert "choose among" in ch05.check_3(7).message
