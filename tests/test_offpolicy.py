"""Off-policy estimators: hand-worked logs, statsmodels' intervals, and unbiasedness over many logs."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from recsys_tutorial import offpolicy

# A hand-worked log of four rounds, one action each. The logging policy's propensities, the target
# policy's, the clicks and a reward model's predictions:
LOGGING = [0.5, 0.25, 0.25, 0.5]
TARGET = [1.0, 0.5, 0.0, 0.25]
REWARD = [1.0, 1.0, 0.0, 0.0]
Q_LOGGED = [0.6, 0.4, 0.2, 0.2]
Q_TARGET = [0.6, 0.5, 0.5, 0.3]
# w = [2, 2, 0, 0.5]; w·r = [2, 2, 0, 0]
IPS = (2 + 2 + 0 + 0) / 4
SNIPS = (2 + 2) / (2 + 2 + 0 + 0.5)
# q̂(π) + w (r − q̂(a)) = [0.6 + 0.8, 0.5 + 1.2, 0.5 + 0, 0.3 − 0.1]
DR = (1.4 + 1.7 + 0.5 + 0.2) / 4
DM = (0.6 + 0.5 + 0.5 + 0.3) / 4


def test_estimators_on_a_hand_worked_log():
    assert offpolicy.ips(REWARD, LOGGING, TARGET).value == pytest.approx(IPS)
    assert offpolicy.snips(REWARD, LOGGING, TARGET).value == pytest.approx(SNIPS)
    assert offpolicy.dr(REWARD, LOGGING, TARGET, Q_LOGGED, Q_TARGET).value == pytest.approx(DR)
    assert offpolicy.dm(Q_TARGET).value == pytest.approx(DM)
    # Clipped at 1.5: w = [1.5, 1.5, 0, 0.5]
    assert offpolicy.ips(REWARD, LOGGING, TARGET, clip=1.5).value == pytest.approx(3 / 4)
    assert offpolicy.effective_sample_size(LOGGING, TARGET) == pytest.approx(4.5**2 / (4 + 4 + 0.25))


def test_the_interval_is_statsmodels_normal_interval_of_the_per_round_terms():
    terms = np.array([1.4, 1.7, 0.5, 0.2])
    low, high = DescrStatsW(terms).zconfint_mean(alpha=0.1)
    estimate = offpolicy.dr(REWARD, LOGGING, TARGET, Q_LOGGED, Q_TARGET, alpha=0.1)
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((low, high))
    assert estimate.std_error == pytest.approx(terms.std(ddof=1) / 2)
    assert estimate.covers(DR) and not estimate.covers(high + 1)
    assert estimate.n_rounds == 4


def test_rounds_sum_their_rows_and_the_interval_counts_rounds():
    # Two positions per round: rows (round, position). The value is clicks per round.
    rounds = [0, 0, 1, 1]
    estimate = offpolicy.ips(REWARD, LOGGING, TARGET, rounds=rounds)
    per_round = np.array([2 + 2, 0 + 0])
    assert estimate.value == pytest.approx(per_round.mean())
    assert estimate.std_error == pytest.approx(per_round.std(ddof=1) / np.sqrt(2))
    assert estimate.n_rounds == 2
    # Round ids need not be contiguous or sorted
    shuffled = offpolicy.ips(REWARD, LOGGING, TARGET, rounds=["b", "b", "a", "a"])
    assert shuffled.value == pytest.approx(estimate.value)


def test_snips_normalises_each_position_separately():
    positions = [1, 2, 1, 2]
    rounds = [0, 0, 1, 1]
    estimate = offpolicy.snips(REWARD, LOGGING, TARGET, rounds=rounds, positions=positions)
    # position 1: rows 0 and 2, w = [2, 0]: 2 / 2 = 1; position 2: rows 1 and 3, w = [2, 0.5]: 2 / 2.5
    assert estimate.value == pytest.approx(1.0 + 2 / 2.5)
    assert estimate.n_rounds == 2


def test_shrinkage_spans_the_direct_method_and_dr():
    arguments = (REWARD, LOGGING, TARGET, Q_LOGGED, Q_TARGET)
    assert offpolicy.dr_shrinkage(*arguments, lam=0).value == pytest.approx(DM)
    assert offpolicy.dr_shrinkage(*arguments, lam=1e12).value == pytest.approx(DR)
    # λ = 4: w = 2 → 4·2 / (4 + 4) = 1; w = 0.5 → 2 / 4.25
    shrunk = np.array([1.0, 1.0, 0.0, 2 / 4.25])
    expected = np.mean(np.array(Q_TARGET) + shrunk * (np.array(REWARD) - Q_LOGGED))
    assert offpolicy.dr_shrinkage(*arguments, lam=4).value == pytest.approx(expected)


def test_the_effective_sample_size_is_n_for_equal_weights_and_falls_as_they_spread():
    assert offpolicy.effective_sample_size([0.2] * 10, [0.2] * 10) == pytest.approx(10)
    assert offpolicy.effective_sample_size([0.2] * 10, [0.9] + [0.01] * 9) < 2


def _bandit_logs(n_logs, n_rounds, seed):
    """Logs of a 5-armed Bernoulli bandit under an ε-greedy logging policy, all at once."""
    means = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    logging = np.array([0.6, 0.1, 0.1, 0.1, 0.1])  # favours the worst arm
    target = np.array([0.0, 0.0, 0.1, 0.1, 0.8])  # favours the best
    rng = np.random.default_rng(seed)
    arms = rng.choice(5, size=(n_logs, n_rounds), p=logging)
    rewards = (rng.random((n_logs, n_rounds)) < means[arms]).astype(float)
    return means, logging, target, arms, rewards


def test_ips_and_dr_are_unbiased_over_many_logs_and_dr_is_tighter_with_a_good_model():
    means, logging, target, arms, rewards = _bandit_logs(n_logs=400, n_rounds=200, seed=0)
    truth = float(target @ means)
    ips = np.array([offpolicy.ips(r, logging[a], target[a]).value for a, r in zip(arms, rewards, strict=True)])
    model = means + 0.05  # a reasonable, biased reward model
    dr = np.array(
        [offpolicy.dr(r, logging[a], target[a], model[a], np.full(len(a), target @ model)).value
         for a, r in zip(arms, rewards, strict=True)]
    )  # fmt: skip
    for estimates in (ips, dr):
        standard_error = estimates.std(ddof=1) / np.sqrt(len(estimates))
        assert abs(estimates.mean() - truth) < 3 * standard_error
    assert dr.std() < ips.std()
    # The direct method with that model is off by its bias, 0.05, however many logs
    assert offpolicy.dm(np.full(200, target @ model)).value == pytest.approx(truth + 0.05)


def test_the_interval_covers_the_truth_about_95_times_in_100():
    means, logging, target, arms, rewards = _bandit_logs(n_logs=400, n_rounds=500, seed=1)
    truth = float(target @ means)
    covered = [offpolicy.ips(r, logging[a], target[a]).covers(truth) for a, r in zip(arms, rewards, strict=True)]
    assert 0.91 < np.mean(covered) < 0.99


def test_clipping_trades_bias_for_variance():
    means, logging, target, arms, rewards = _bandit_logs(n_logs=400, n_rounds=200, seed=2)
    truth = float(target @ means)
    clipped = np.array(
        [offpolicy.ips(r, logging[a], target[a], clip=2.0).value for a, r in zip(arms, rewards, strict=True)]
    )
    plain = np.array([offpolicy.ips(r, logging[a], target[a]).value for a, r in zip(arms, rewards, strict=True)])
    assert clipped.mean() < truth - 5 * clipped.std(ddof=1) / np.sqrt(len(clipped))  # biased down
    assert clipped.std() < plain.std()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: offpolicy.ips([1, 0], [0.5, 0.0], [1, 0]), "logging_propensity: every logged action needs"),
        (lambda: offpolicy.ips([1, 0], [0.5, 0.5], [1.5, 0]), "target_propensity: expected probabilities"),
        (lambda: offpolicy.ips([1, 0, 1], [0.5, 0.5], [1, 0]), "reward has 3 rows but the propensities have 2"),
        (lambda: offpolicy.ips([1, 0], [0.5, 0.5], [1, 0, 1]), "target_propensity: expected 2 values"),
        (lambda: offpolicy.ips([1, np.nan], [0.5, 0.5], [1, 0]), "reward: expected finite numbers"),
        (lambda: offpolicy.ips([], [], []), "expected a non-empty 1-d array"),
        (lambda: offpolicy.ips([1, 0], [0.5, 0.5], [1, 0], clip=0), "clip: expected a positive cap"),
        (lambda: offpolicy.ips([1, 0], [0.5, 0.5], [1, 0], alpha=1.5), "alpha: expected a level in (0, 1)"),
        (lambda: offpolicy.ips([1, 0], [0.5, 0.5], [1, 0], rounds=[0]), "one round or position id per logged row"),
        (lambda: offpolicy.dr([1, 0], [0.5, 0.5], [1, 0], [0.5], [0.5, 0.5]), "q_logged: expected 2 values"),
        (lambda: offpolicy.dr_shrinkage([1], [0.5], [1], [0.5], [0.5], lam=-1), "lam must be ≥ 0"),
        (lambda: offpolicy.snips([1, 0], [0.5, 0.5], [0, 0]), "gives weight zero to every logged row"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_estimate_all_runs_every_estimator_with_its_settings():
    table = offpolicy.estimate_all(REWARD, LOGGING, TARGET, Q_LOGGED, Q_TARGET, clip=1.5, lam=4.0)
    assert table.index.tolist() == list(offpolicy.ESTIMATORS)
    assert table.loc["IPS", "value"] == pytest.approx(IPS) and table.loc["DR", "value"] == pytest.approx(DR)
    assert table.loc["clipped IPS", "value"] == pytest.approx(3 / 4)
    assert table.loc["DR-OS", "value"] == pytest.approx(
        offpolicy.dr_shrinkage(REWARD, LOGGING, TARGET, Q_LOGGED, Q_TARGET, lam=4.0).value
    )


def test_error_table_on_hand_made_estimates():
    estimates = pd.DataFrame({
        "estimator": ["A", "A", "A", "B", "B", "B"],
        "value": [1.0, 2.0, 3.0, 2.0, 2.0, 2.0],
        "ci_low": [0.0, 1.5, 2.5, 1.9, 1.9, 1.9],
        "ci_high": [2.4, 2.5, 3.5, 2.1, 2.1, 2.1],
    })  # fmt: skip
    table = offpolicy.error_table(estimates, truth=2.5)
    assert table.loc["A", "bias"] == pytest.approx(-0.5) and table.loc["B", "bias"] == pytest.approx(-0.5)
    assert table.loc["A", "rmse"] == pytest.approx(np.sqrt((2.25 + 0.25 + 0.25) / 3))
    assert table.loc["A", "sd"] == pytest.approx(1.0) and table.loc["B", "sd"] == pytest.approx(0.0)
    assert table.loc["A", "coverage"] == pytest.approx(2 / 3) and table.loc["B", "coverage"] == 0.0


def test_the_binned_reward_model_shrinks_each_cell_towards_the_overall_rate():
    score = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    position = np.array([1, 1, 2, 1, 1, 2])
    reward = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    model = offpolicy.BinnedRewardModel(n_bins=2, prior_strength=2.0).fit(score, position, reward)
    overall = 2 / 6
    # low bin, position 1: 0 clicks of 2; high bin, position 1: 2 of 2
    assert model.predict([0.15], [1])[0] == pytest.approx((0 + 2 * overall) / (2 + 2))
    assert model.predict([0.85], [1])[0] == pytest.approx((2 + 2 * overall) / (2 + 2))
    assert model.predict([0.85], [5])[0] == model.predict([0.85], [2])[0]  # beyond the last position
    with pytest.raises(ValueError, match="positions are counted from 1"):
        offpolicy.BinnedRewardModel().fit(score, position - 1, reward)


def test_a_reward_model_keyed_by_value_has_one_cell_per_value_and_the_overall_rate_for_the_unseen():
    items = np.array([3, 3, 7, 7, 7, 9])
    model = offpolicy.BinnedRewardModel(n_bins=None, prior_strength=0.0).fit(items, np.ones(6), [1, 0, 1, 1, 1, 0])
    assert model.predict([3, 7, 9], [1, 1, 1]).tolist() == [0.5, 1.0, 0.0]
    assert model.predict([5, 12], [1, 1]).tolist() == [4 / 6, 4 / 6]
