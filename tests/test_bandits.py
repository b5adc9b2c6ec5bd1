"""Bandits: each policy's rule on hand-made counts, LinUCB's estimates against scikit-learn's ridge
regression, and `simulate` against the simulator's truth."""

import numpy as np
import pytest
import scipy.stats
from sklearn.linear_model import Ridge

from recsys_tutorial import bandits, simulation
from recsys_tutorial.data import make_synthetic


@pytest.fixture(scope="module")
def simulator():
    world = make_synthetic(n_users=300, n_items=12, n_categories=4, n_interactions=4_000, random_state=0)
    return simulation.ClickSimulator(world, slate_size=1)


def test_greedy_shows_the_best_observed_rate_and_never_an_unshown_arm():
    policy = bandits.EpsilonGreedy(n_arms=4, epsilon=0.0, random_state=0)
    policy.update([0, 0, 1, 1, 2], None, [1, 0, 1, 1, 0])  # rates 0.5, 1.0, 0.0; arm 3 unshown
    assert (policy.select(np.zeros((50, 1))) == 1).all()
    optimistic = bandits.EpsilonGreedy(n_arms=4, epsilon=0.0, initial=2.0, random_state=0)
    optimistic.update([0, 0, 1, 1, 2], None, [1, 0, 1, 1, 0])
    assert (optimistic.select(np.zeros((50, 1))) == 3).all()


def test_full_exploration_is_uniform():
    policy = bandits.EpsilonGreedy(n_arms=5, epsilon=1.0, random_state=0)
    policy.update([0] * 10, None, [1] * 10)
    counts = np.bincount(policy.select(np.zeros((10_000, 1))), minlength=5)
    assert scipy.stats.chisquare(counts).pvalue > 0.001


def test_thompson_sampling_shows_each_arm_as_often_as_its_posterior_says_it_is_best():
    policy = bandits.ThompsonSampling(n_arms=2, random_state=0)
    policy.update([0] * 20 + [1] * 20, None, [1] * 8 + [0] * 12 + [1] * 12 + [0] * 8)
    # P(θ₁ > θ₀) for Beta(13, 9) against Beta(9, 13), by numerical integration
    grid = np.linspace(0, 1, 20_001)
    p_second_best = np.trapezoid(scipy.stats.beta(13, 9).pdf(grid) * scipy.stats.beta(9, 13).cdf(grid), grid)
    share = np.mean(policy.select(np.zeros((40_000, 1))) == 1)
    assert share == pytest.approx(p_second_best, abs=0.01)


def test_linucb_estimates_are_ridge_regressions_per_arm():
    rng = np.random.default_rng(0)
    contexts = rng.standard_normal((300, 4))
    arms = rng.integers(0, 3, size=300)
    rewards = (rng.random(300) < 0.3).astype(float)
    policy = bandits.LinUCB(n_arms=3, n_features=4, alpha=1.0, reg=2.0, random_state=0)
    for batch in np.array_split(np.arange(300), 7):  # batch updates give the same fit
        policy.update(arms[batch], contexts[batch], rewards[batch])
    for arm in range(3):
        rows = arms == arm
        ridge = Ridge(alpha=2.0, fit_intercept=False).fit(contexts[rows], rewards[rows])
        np.testing.assert_allclose(policy.coef_[arm], ridge.coef_, atol=1e-10)
        gram = contexts[rows].T @ contexts[rows] + 2.0 * np.eye(4)
        np.testing.assert_allclose(policy.covariance_[arm], np.linalg.inv(gram), atol=1e-12)


def test_linucb_bonus_favours_the_arm_it_knows_least():
    policy = bandits.LinUCB(n_arms=2, n_features=1, alpha=1.0, random_state=0)
    policy.update([0] * 100, np.ones((100, 1)), [0.5] * 100)  # arm 0: estimate ≈ 0.5, bonus ≈ 0.1
    assert (policy.select(np.ones((20, 1))) == 1).all()  # arm 1: estimate 0, bonus 1
    greedy = bandits.LinUCB(n_arms=2, n_features=1, alpha=0.0, random_state=0)
    greedy.update([0] * 100, np.ones((100, 1)), [0.5] * 100)
    assert (greedy.select(np.ones((20, 1))) == 0).all()


def test_simulate_logs_what_was_shown_and_the_oracles_rate(simulator):
    run = bandits.simulate(bandits.ThompsonSampling(12, random_state=0), simulator, n_rounds=3_000,
                           batch_size=100, arrivals={5: 1_000}, random_state=0)  # fmt: skip
    assert run.columns.tolist() == ["round", "user_id", "item_id", "click", "expected", "best"]
    assert (run["best"] >= run["expected"] - 1e-12).all()
    assert not (run.loc[run["round"] < 1_000, "item_id"] == 5).any() and (run["item_id"] == 5).any()
    np.testing.assert_allclose(run["expected"], simulator.attraction[run["user_id"], run["item_id"]])
    again = bandits.simulate(bandits.ThompsonSampling(12, random_state=0), simulator, n_rounds=3_000,
                             batch_size=100, arrivals={5: 1_000}, random_state=0)  # fmt: skip
    assert run.equals(again)


def test_context_pays_linucb_has_less_regret_than_epsilon_greedy_paired_over_seeds(simulator):
    d = simulator.user_features.shape[1]
    differences = []
    for seed in range(6):
        regret = {}
        for name, policy in [("linucb", bandits.LinUCB(12, d, alpha=0.5, random_state=seed)),
                             ("epsilon", bandits.EpsilonGreedy(12, 0.1, random_state=seed))]:  # fmt: skip
            run = bandits.simulate(policy, simulator, n_rounds=6_000, batch_size=200, random_state=seed)
            regret[name] = float((run["best"] - run["expected"]).sum())
        differences.append(regret["linucb"] - regret["epsilon"])
    assert scipy.stats.ttest_1samp(differences, 0.0, alternative="less").pvalue < 0.01


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: bandits.EpsilonGreedy(3, epsilon=1.5).reset(), "epsilon must be in"),
        (lambda s: bandits.ThompsonSampling(3, prior_clicks=0).reset(), "Beta prior's parameters must be > 0"),
        (lambda s: bandits.LinUCB(3, 2, reg=0).reset(), "alpha must be ≥ 0 and reg > 0"),
        (lambda s: bandits.LinUCB(3, 2).select(np.zeros((1, 5))), "expected contexts with 2 features"),
        (lambda s: bandits.EpsilonGreedy(3).select(np.zeros((1, 1)), [False] * 3), "at least one True"),
        (lambda s: bandits.EpsilonGreedy(3).update([0, 3], None, [1, 0]), "arms must be in 0..2"),
        (lambda s: bandits.EpsilonGreedy(3).update([0, 1], None, [1]), "one arm and one reward per round"),
        (lambda s: bandits.simulate(bandits.EpsilonGreedy(3), s, 10), "the policy has 3 arms but the simulator 12"),
        (lambda s: bandits.simulate(bandits.EpsilonGreedy(12), s, 0), "n_rounds and batch_size must be positive"),
    ],
)
def test_bad_input_is_named(simulator, call, message):
    with pytest.raises(ValueError, match=message):
        call(simulator)


def test_policy_from_builds_each_policy_by_name():
    assert isinstance(bandits.policy_from("ε-greedy", {"epsilon": 0.2}, 5, 3), bandits.EpsilonGreedy)
    assert bandits.policy_from("Thompson sampling", {"prior_misses": 4.0}, 5, 3).prior_misses == 4.0
    linucb = bandits.policy_from("LinUCB", {"alpha": 0.3}, 5, 3, random_state=7)
    assert (linucb.n_features, linucb.alpha, linucb.random_state) == (3, 0.3, 7)
    with pytest.raises(ValueError, match="unknown policy 'UCB1'"):
        bandits.policy_from("UCB1", {}, 5, 3)


def test_regret_study_records_each_run_at_its_checkpoints(simulator):
    policies = {"greedy": ("ε-greedy", {"epsilon": 0.0}), "thompson": ("Thompson sampling", {})}
    study = bandits.regret_study(policies, simulator, n_rounds=1_000, seeds=[0, 1], batch_size=100,
                                 checkpoints=4, track=3, arrivals={3: 500})  # fmt: skip
    assert study.columns.tolist() == ["policy", "seed", "round", "regret", "clicks", "impressions"]
    assert study["round"].unique().tolist() == [250, 500, 750, 1000] and len(study) == 2 * 2 * 4
    run = bandits.simulate(bandits.ThompsonSampling(12, random_state=1), simulator, 1_000, batch_size=100,
                           arrivals={3: 500}, random_state=1)  # fmt: skip
    last = study.query("policy == 'thompson' and seed == 1 and round == 1000").iloc[0]
    assert last["regret"] == pytest.approx((run["best"] - run["expected"]).sum())
    assert last["clicks"] == run["click"].sum() and last["impressions"] == (run["item_id"] == 3).sum()
    assert (study.query("round == 500")["impressions"] == 0).all()  # not available before round 500
