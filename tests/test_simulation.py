"""The click simulator: exact policy values against simulated logs, Plackett–Luce propensities
against enumeration and sampling, and the log's columns against what a real system can know."""

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import offpolicy, simulation
from recsys_tutorial.data import make_synthetic


@pytest.fixture(scope="module")
def world():
    return make_synthetic(n_users=400, n_items=30, n_interactions=6_000, random_state=0)


@pytest.fixture(scope="module")
def simulator(world):
    return simulation.ClickSimulator(world, slate_size=3, examination_exponent=1.0)


def enumerated_marginals(p, k):
    """P(i at j) by summing the probability of every ordered prefix of k items."""
    marginals = np.zeros((k, len(p)))
    for prefix in itertools.permutations(range(len(p)), k):
        probability, left = 1.0, 1.0
        for item in prefix:
            probability *= p[item] / left
            left -= p[item]
        for position, item in enumerate(prefix):
            marginals[position, item] += probability
    return marginals


@pytest.mark.parametrize("n_items", [3, 4, 7])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_plackett_luce_marginals_equal_enumeration(n_items, k):
    p = np.random.default_rng(n_items).dirichlet(np.ones(n_items), size=2)
    marginals = simulation.plackett_luce_marginals(p, k)
    for row in range(2):
        np.testing.assert_allclose(marginals[row], enumerated_marginals(p[row], k), atol=1e-12)
    np.testing.assert_allclose(marginals.sum(axis=2), 1.0)  # one item at each position
    assert np.all(marginals.sum(axis=1) <= 1 + 1e-12)  # an item at most once per slate


def test_plackett_luce_sampling_matches_its_marginals():
    scores = np.array([[2.0, 1.0, 0.5, 0.0, -1.0]])
    policy = simulation.PlackettLucePolicy(scores, temperature=1.0)
    slates = policy.sample(np.zeros(200_000, dtype=int), 3, 5, np.random.default_rng(0))
    frequencies = np.stack([np.bincount(slates[:, j], minlength=5) / len(slates) for j in range(3)])
    np.testing.assert_allclose(frequencies, policy.marginals([0], 3, 5)[0], atol=0.004)


def test_greedy_policy_marginals_and_sampling():
    scores = np.array([[0.1, 0.9, 0.5, 0.3]])
    policy = simulation.GreedyPolicy(scores, epsilon=0.2)
    marginals = policy.marginals([0], 2, 4)[0]
    assert marginals[0, 1] == pytest.approx(0.8 + 0.2 / 4) and marginals[1, 2] == pytest.approx(0.8 + 0.05)
    assert marginals[0, 0] == pytest.approx(0.05)
    slates = policy.sample(np.zeros(100_000, dtype=int), 2, 4, np.random.default_rng(1))
    assert np.mean(slates[:, 0] == 1) == pytest.approx(0.85, abs=0.005)
    assert (slates[:, 0] != slates[:, 1]).all()


def test_the_exact_value_is_what_a_long_log_averages(simulator):
    policy = simulation.PlackettLucePolicy(np.log(simulator.attraction), temperature=0.5)
    log = simulator.log(policy, n_rounds=200_000, random_state=3)
    per_position = log.groupby("position")["click"].mean().to_numpy()
    standard_error = np.sqrt(per_position * (1 - per_position) / 200_000)
    exact = simulator.value(policy, by_position=True)
    assert np.all(np.abs(per_position - exact) < 4 * standard_error)
    assert simulator.value(policy) == pytest.approx(exact.sum())
    # Lower positions are examined less: the same item is worth less there.
    assert exact[0] > exact[1] > exact[2]


def test_the_log_holds_what_a_real_system_logs(simulator):
    policy = simulation.PlackettLucePolicy(np.log(simulator.attraction), temperature=1.0)
    log = simulator.log(policy, n_rounds=500, random_state=0)
    assert log.columns.tolist() == ["round", "user_id", "position", "item_id", "propensity", "click"]
    assert len(log) == 1_500 and (log.groupby("round")["item_id"].nunique() == 3).all()
    slates = log["item_id"].to_numpy().reshape(-1, 3)
    users = log["user_id"].to_numpy()[::3]
    np.testing.assert_allclose(log["propensity"], simulator.propensities(policy, users, slates).ravel())
    assert set(log["click"].unique()) <= {0, 1}
    pd.testing.assert_frame_equal(log, simulator.log(policy, n_rounds=500, random_state=0))
    assert not log.equals(simulator.log(policy, n_rounds=500, random_state=1))


def test_users_arrive_by_activity(simulator):
    users = simulator.sample_users(100_000, np.random.default_rng(0))
    busiest = int(np.argmax(simulator.arrival))
    share = np.mean(users == busiest)
    assert share == pytest.approx(simulator.arrival[busiest], abs=4 * np.sqrt(share / 100_000))


def test_ips_over_many_logs_is_unbiased_for_the_exact_value(simulator):
    scores = np.log(simulator.attraction)
    logging = simulation.PlackettLucePolicy(scores, temperature=2.0)
    target = simulation.GreedyPolicy(scores, epsilon=0.2)
    estimates = []
    for seed in range(60):
        log = simulator.log(logging, n_rounds=3_000, random_state=seed)
        slates, users = log["item_id"].to_numpy().reshape(-1, 3), log["user_id"].to_numpy()[::3]
        target_propensity = simulator.propensities(target, users, slates).ravel()
        estimates.append(offpolicy.ips(log["click"], log["propensity"], target_propensity, rounds=log["round"]).value)
    estimates = np.array(estimates)
    assert abs(estimates.mean() - simulator.value(target)) < 3 * estimates.std(ddof=1) / np.sqrt(len(estimates))


def test_user_features_are_joined_by_id(world, simulator):
    # A Dataset keeps its tables in id order; a world-like object with shuffled tables does not.
    shuffled = SimpleNamespace(interactions=world.interactions, users=world.users.sample(frac=1, random_state=0),
                               items=world.items.sample(frac=1, random_state=1), truth=world.truth)  # fmt: skip
    np.testing.assert_array_equal(simulation.ClickSimulator(shuffled).user_features, simulator.user_features)
    features = simulator.user_features
    assert features.shape == (400, 1 + 5 + 20)
    np.testing.assert_allclose(features[:, 1:6].sum(axis=1), 1.0)  # one age group each


def test_every_position_examined_when_the_exponent_is_zero(world):
    flat = simulation.ClickSimulator(world, slate_size=3, examination_exponent=0.0)
    np.testing.assert_allclose(flat.examination, 1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w: simulation.ClickSimulator(type(w)(w.interactions, w.users, w.items)), "expected a synthetic world"),
        (lambda w: simulation.ClickSimulator(w, slate_size=0), "slate_size: expected an integer"),
        (lambda w: simulation.ClickSimulator(w, base_click_rate=1.0), "base_click_rate: expected a probability"),
        (lambda w: simulation.PlackettLucePolicy(np.zeros((2, 3)), temperature=0), "temperature must be > 0"),
        (lambda w: simulation.GreedyPolicy(np.zeros((2, 3)), epsilon=2), "epsilon must be in"),
        (lambda w: simulation.plackett_luce_marginals(np.full((1, 5), 0.2), 4), "slates of 1 to 3 positions"),
        (lambda w: simulation.ClickSimulator(w).value(simulation.GreedyPolicy(np.zeros((400, 7)))),
         "the policy scores 7 items but the simulator has 30"),
    ],
)
def test_bad_input_is_named(world, call, message):
    with pytest.raises(ValueError, match=message):
        call(world)


def test_the_offpolicy_study_estimates_each_log_with_every_estimator(simulator):
    scores = np.log(simulator.attraction)
    logging = simulation.PlackettLucePolicy(scores, temperature=2.0)
    target = simulation.GreedyPolicy(scores)
    study = simulation.offpolicy_study(simulator, logging, target, scores, n_logs=40, n_rounds=1_000)
    assert len(study) == 40 * len(offpolicy.ESTIMATORS) and study["log"].nunique() == 40
    errors = offpolicy.error_table(study, simulator.value(target))
    # IPS is unbiased; with the true attraction's order as the reward model's score, DR is tighter
    assert abs(errors.loc["IPS", "bias"]) < 3 * errors.loc["IPS", "bias_se"]
    assert errors.loc["DR", "sd"] < errors.loc["IPS", "sd"]
    # each log is the one `log` draws with its seed
    first = simulator.log(logging, 1_000, random_state=0)
    slates, users = first["item_id"].to_numpy().reshape(-1, 3), first["user_id"].to_numpy()[::3]
    ips = offpolicy.ips(first["click"], first["propensity"], simulator.propensities(target, users, slates).ravel(),
                        rounds=first["round"])  # fmt: skip
    assert study.query("log == 0 and estimator == 'IPS'")["value"].item() == pytest.approx(ips.value)


def test_propensities_from_another_policy_bias_ips(simulator):
    scores = np.log(simulator.attraction)
    logging = simulation.UniformPolicy()
    target = simulation.GreedyPolicy(scores)
    wrong = simulation.PlackettLucePolicy(scores, temperature=1.0)
    study = simulation.offpolicy_study(simulator, logging, target, scores, n_logs=30, n_rounds=1_000,
                                       propensities_from=wrong)  # fmt: skip
    errors = offpolicy.error_table(study, simulator.value(target))
    # Plackett–Luce over the true scores gives the target's items more than 1/30: IPS divides by too much
    assert errors.loc["IPS", "bias"] < -5 * errors.loc["IPS", "bias_se"]


def test_item_appeal_shifts_every_users_logit_by_the_same_amount(world, simulator):
    appealing = simulation.ClickSimulator(world, slate_size=3, item_quality=1.0, random_state=4)
    logit = np.log(simulator.attraction / (1 - simulator.attraction))
    shifted = np.log(appealing.attraction / (1 - appealing.attraction))
    offsets = shifted - logit
    np.testing.assert_allclose(offsets, offsets[:1].repeat(len(offsets), axis=0), atol=1e-9)  # one q_i per item
    np.testing.assert_allclose(offsets[0], np.random.default_rng(4).normal(0.0, 1.0, 30), atol=1e-9)
    with pytest.raises(ValueError, match="item_quality: expected numbers ≥ 0"):
        simulation.ClickSimulator(world, item_quality=-1.0)


def test_user_propensity_shifts_each_users_logit_by_one_amount(world, simulator):
    clicky = simulation.ClickSimulator(world, slate_size=3, user_propensity=1.0, random_state=4)
    logit = np.log(simulator.attraction / (1 - simulator.attraction))
    shifted = np.log(clicky.attraction / (1 - clicky.attraction))
    offsets = shifted - logit
    np.testing.assert_allclose(offsets, offsets[:, :1].repeat(offsets.shape[1], axis=1), atol=1e-9)  # one u_u
    np.testing.assert_allclose(offsets[:, 0], np.random.default_rng([4, 1]).normal(0.0, 1.0, len(offsets)),
                               atol=1e-9)  # fmt: skip
    assert 0.8 < offsets[:, 0].std() < 1.2
    # with item appeals too, the appeals are the ones drawn without user propensities
    both = simulation.ClickSimulator(world, slate_size=3, item_quality=1.0, user_propensity=1.0, random_state=4)
    appealing = simulation.ClickSimulator(world, slate_size=3, item_quality=1.0, random_state=4)
    np.testing.assert_allclose(np.log(both.attraction / (1 - both.attraction))
                               - np.log(appealing.attraction / (1 - appealing.attraction)), offsets, atol=1e-9)
    with pytest.raises(ValueError, match="user_propensity: expected a number ≥ 0"):
        simulation.ClickSimulator(world, user_propensity=-1.0)


def test_no_user_propensity_leaves_the_attraction_bit_identical(world, simulator):
    default = simulation.ClickSimulator(world, slate_size=3, user_propensity=0.0)
    np.testing.assert_array_equal(default.attraction, simulator.attraction)


def test_estimate_log_leaves_the_callers_log_as_it_was(simulator):
    scores = np.log(simulator.attraction)
    log = simulator.log(simulation.UniformPolicy(), n_rounds=300, random_state=0)
    before = log.copy()
    wrong = simulation.PlackettLucePolicy(scores)
    table = simulation.estimate_log(simulator, log, simulation.GreedyPolicy(scores), scores, propensities_from=wrong)
    pd.testing.assert_frame_equal(log, before)
    assert table.index.tolist() == list(offpolicy.ESTIMATORS)
