import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from recsys_tutorial.data import stats

counts_strategy = st.lists(st.integers(0, 1000), min_size=1, max_size=60).filter(lambda x: sum(x) > 0)


def test_gini_hand_worked_examples():
    assert stats.gini([3, 3, 3]) == 0.0
    assert stats.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    # x = (1, 2, 3, 4): Σ(2i − n − 1)x_i = (−3)(1) + (−1)(2) + (1)(3) + (3)(4) = 10; 10 / (4·10) = 0.25
    assert stats.gini([4, 1, 3, 2]) == pytest.approx(0.25)


@given(counts_strategy)
def test_gini_equals_mean_absolute_difference_form(counts):
    x = np.asarray(counts, dtype=float)
    # The textbook definition: G = Σ_i Σ_j |x_i − x_j| / (2 n² μ)
    reference = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert stats.gini(counts) == pytest.approx(reference, abs=1e-12)
    assert 0 <= stats.gini(counts) <= (len(x) - 1) / len(x) + 1e-12


@given(counts_strategy)
def test_gini_is_twice_the_area_between_diagonal_and_lorenz_curve(counts):
    population, mass = stats.lorenz_curve(counts)
    assert (population[0], mass[0], population[-1], mass[-1]) == (0, 0, 1, pytest.approx(1))
    assert np.all(np.diff(mass) >= -1e-12)
    area_under = np.trapezoid(mass, population)
    assert stats.gini(counts) == pytest.approx(1 - 2 * area_under, abs=1e-12)


@given(counts_strategy, st.integers(1, 50))
def test_gini_and_top_share_are_scale_invariant(counts, factor):
    scaled = [c * factor for c in counts]
    assert stats.gini(scaled) == pytest.approx(stats.gini(counts))
    assert stats.top_share(scaled, 0.2) == pytest.approx(stats.top_share(counts, 0.2))


def test_zipf_fit_recovers_an_exact_power_law():
    counts = 5000 * np.arange(1, 2001, dtype=float) ** -0.9
    exponent, r_squared = stats.zipf_fit(counts[np.random.default_rng(0).permutation(2000)])
    assert exponent == pytest.approx(0.9)
    assert r_squared == pytest.approx(1.0)


def test_zipf_fit_flags_a_curved_rank_frequency_plot():
    curved = 1000 * np.exp(-np.arange(1, 1001) / 200)  # exponential decay: not a power law
    _, r_squared = stats.zipf_fit(curved, 1, 1000)
    assert r_squared < 0.9


@pytest.mark.parametrize("alpha", [2.2, 2.5, 3.0])
@pytest.mark.parametrize("x_min", [6, 10, 20])
def test_power_law_alpha_recovers_scipy_zipf_exponent(alpha, x_min):
    samples = scipy.stats.zipf.rvs(alpha, size=400_000, random_state=np.random.default_rng(0))
    assert stats.power_law_alpha(samples, x_min=x_min) == pytest.approx(alpha, abs=0.06)


def test_top_share_and_errors():
    assert stats.top_share([10, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.1) == 1.0
    assert stats.top_share([1] * 10, 0.3) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="fraction must lie in"):
        stats.top_share([1, 2], 0)
    with pytest.raises(ValueError, match="non-negative counts"):
        stats.gini([1, -1])
    with pytest.raises(ValueError, match="min_rank"):
        stats.zipf_fit([5, 4, 3], min_rank=3, max_rank=3)
    with pytest.raises(ValueError, match="x_min"):
        stats.power_law_alpha([1, 2, 3], x_min=0)


def test_funnel_table_and_daily_counts():
    interactions = pd.DataFrame(
        {
            "event_type": ["view"] * 4 + ["click"] * 2 + ["purchase"],
            "timestamp": pd.to_datetime(["2024-01-01 10:00"] * 4 + ["2024-01-03 09:00"] * 3),
        }
    )
    table = stats.funnel_table(interactions)
    assert table["events"].tolist() == [4, 2, 0, 1]
    assert table.loc["click", "from previous step"] == 0.5
    assert table.loc["purchase", "from view"] == 0.25
    daily = stats.daily_counts(interactions)
    assert daily.tolist() == [4, 0, 3]  # the empty day in between counts as zero


def test_summary_of_the_default_world(world):
    summary = stats.summary(world)
    pairs = len(world.interactions[["user_id", "item_id"]].drop_duplicates())
    assert summary["events"] == 100_000
    assert summary["density"] == pytest.approx(pairs / (10_000 * 5_000), abs=1e-6)
    assert summary["sparsity"] == pytest.approx(1 - summary["density"])
    with pytest.raises(ValueError, match="column must be"):
        stats.counts_per(world, "category")
