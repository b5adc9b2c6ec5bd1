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
