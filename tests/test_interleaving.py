"""Team-draft interleaving, its preference test and resampled power (`recsys_tutorial.experiments`).

The hand-worked drafts follow Radlinski, Kurup and Joachims (CIKM 2008), Algorithm 2: whoever has
picked fewer picks next, a coin deciding at equal counts, each adding its best item not yet
shown, until either ranking has nothing left.
"""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from recsys_tutorial import experiments as ex


class Coins:
    """A stand-in generator whose ``random()`` returns the given coins in turn (< 0.5: A first)."""

    def __init__(self, *coins):
        self.coins = list(coins)

    def random(self, size=None):
        if size is None:
            return self.coins.pop(0)
        values = np.ones(size)
        values.flat[: len(self.coins)] = self.coins
        return values


def test_team_draft_by_hand():
    # A = (a b c d), B = (b a e f). Coin 1: A first: a; B's best left: b. Coin 2: B first: e
    # (a, b taken); A's best left: c. Coin 3: A first: d; A has nothing left: stop, f unseen.
    merged, from_a = ex.team_draft_interleave(list("abcd"), list("baef"), np.random.default_rng(0))
    coins = np.random.default_rng(0).random(3)  # B first, then A, then A
    assert coins[0] >= 0.5 and coins[1] < 0.5 and coins[2] < 0.5
    assert merged.tolist() == ["b", "a", "c", "e", "d"]
    assert from_a.tolist() == [False, True, True, False, True]


@pytest.mark.parametrize(
    ("coins", "merged", "from_a"),
    [
        # identical lists: the merged list is the ranking itself; the coins only assign teams
        ((0.1, 0.9), [1, 2, 3, 4], [True, False, False, True]),
        ((0.9, 0.1), [1, 2, 3, 4], [False, True, True, False]),
    ],
)
def test_identical_rankings_give_the_ranking_itself(coins, merged, from_a):
    result = ex.team_draft_interleave([1, 2, 3, 4], [1, 2, 3, 4], Coins(*coins))
    assert result[0].tolist() == merged and result[1].tolist() == from_a


def test_team_sizes_differ_by_at_most_one_and_length_caps():
    rng = np.random.default_rng(1)
    for _ in range(50):
        a, b = rng.permutation(30)[:12], rng.permutation(30)[:12]
        merged, from_a = ex.team_draft_interleave(a, b, rng, length=9)
        assert len(merged) == 9 and len(set(merged.tolist())) == 9
        assert abs(from_a.sum() - (~from_a).sum()) <= 1
        # each team's items appear in that team's ranking order
        for team, ranking in ((from_a, a), (~from_a, b)):
            ranks = [list(ranking).index(item) for item in merged[team]]
            assert ranks == sorted(ranks)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(1, 12))
def test_the_batch_version_draws_what_the_one_user_version_draws(seed, n_items, length):
    rng = np.random.default_rng(seed)
    a = np.stack([rng.permutation(n_items + 3)[:n_items] for _ in range(6)])
    b = np.stack([rng.permutation(n_items + 3)[:n_items] for _ in range(6)])
    length = min(length, n_items)
    merged, from_a = ex.team_draft_interleave_many(a, b, np.random.default_rng(seed), length=length)
    coins = np.random.default_rng(seed).random((6, length))
    for user in range(6):
        one = ex.team_draft_interleave(a[user], b[user], Coins(*coins[user]), length=length)
        shown = merged[user][merged[user] >= 0]
        assert shown.tolist() == one[0].tolist()
        assert from_a[user][: len(shown)].tolist() == one[1].tolist()
        assert not from_a[user][len(shown):].any()


def test_interleaving_test_matches_scipy_binomtest():
    credit_a = [1, 1, 0, 2, 0, 1, 3, 0]
    credit_b = [0, 0, 0, 1, 1, 1, 0, 0]
    test = ex.interleaving_test(credit_a, credit_b)
    # wins: users 0, 1, 3, 6; loss: user 4; ties: users 2, 5, 7
    assert (test.wins, test.losses, test.ties, test.queries) == (4, 1, 3, 8)
    assert test.delta == pytest.approx((4 + 3 / 2) / 8 - 0.5)
    reference = scipy.stats.binomtest(4, 5, 0.5)
    assert test.p_value == pytest.approx(reference.pvalue) == pytest.approx(0.375)
    interval = reference.proportion_ci(0.95)
    assert test.win_share == 0.8 and test.win_share_ci == pytest.approx((interval.low, interval.high))
    assert not test.significant
    assert ex.interleaving_test([0, 0], [0, 0]).p_value == 1.0


def test_interleaving_test_refuses_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        ex.interleaving_test([1, 0], [1])
    with pytest.raises(ValueError, match=">= 0"):
        ex.interleaving_test([1, -1], [0, 0])


def test_sign_test_power_matches_the_exact_binomial_and_a_direct_simulation():
    rng = np.random.default_rng(0)
    pool = rng.choice([-1, 0, 1], p=[0.25, 0.45, 0.30], size=200_000)
    sizes = [200, 800]
    power = ex.resampled_power(pool, sizes, "interleaving", n_experiments=4000, random_state=1)
    shares = np.array([(pool > 0).mean(), (pool < 0).mean()])
    for n in sizes:
        # direct: n users drawn from the pool, scipy's sign test
        draws = pool[rng.integers(0, len(pool), (600, n))]
        wins, losses = (draws > 0).sum(axis=1), (draws < 0).sum(axis=1)
        direct = np.mean([scipy.stats.binomtest(win, win + loss).pvalue < 0.05 and win > loss
                          for win, loss in zip(wins, losses, strict=True)])
        assert power[n] == pytest.approx(direct, abs=0.06)
    # the vectorised two-sided p-value is scipy's
    wins, losses = 37, 22
    mine = min(1.0, 2 * scipy.stats.binom.cdf(min(wins, losses), wins + losses, 0.5))
    assert mine == pytest.approx(scipy.stats.binomtest(wins, wins + losses).pvalue)
    assert shares[0] > shares[1] and power.is_monotonic_increasing


def test_ab_power_matches_welch_on_direct_draws_and_the_normal_approximation():
    rng = np.random.default_rng(2)
    clicks_a = rng.binomial(3, 0.10, 100_000)
    clicks_b = rng.binomial(3, 0.12, 100_000)
    n = 4_000
    power = ex.resampled_power((clicks_a, clicks_b), [n], "ab", n_experiments=3000, random_state=3)[n]
    hits = []
    for _ in range(400):
        a = clicks_a[rng.integers(0, len(clicks_a), n // 2)]
        b = clicks_b[rng.integers(0, len(clicks_b), n // 2)]
        t = scipy.stats.ttest_ind(b, a, equal_var=False)
        hits.append(t.pvalue < 0.05 and t.statistic > 0)
    assert power == pytest.approx(np.mean(hits), abs=0.07)
    # and the textbook normal approximation
    delta, se = clicks_b.mean() - clicks_a.mean(), np.sqrt((clicks_a.var() + clicks_b.var()) / (n // 2))
    assert power == pytest.approx(scipy.stats.norm.cdf(delta / se - 1.96), abs=0.04)


def test_identical_arms_reject_about_alpha_of_the_time():
    pool = np.random.default_rng(4).binomial(2, 0.2, 50_000)
    power = ex.resampled_power((pool, pool), [1_000, 10_000], "ab", n_experiments=4000)
    # no difference: the share that rejects either way, about α
    assert (power.between(0.035, 0.065)).all()


def test_resampled_power_refuses_bad_input():
    with pytest.raises(ValueError, match="design must be"):
        ex.resampled_power([1, 0, -1, 0], [10], "abc")
    with pytest.raises(ValueError, match="n_users"):
        ex.resampled_power([1, 0, -1, 0], [2], "interleaving")
    with pytest.raises(ValueError, match="length must be"):
        ex.team_draft_interleave([1, 2], [2, 1], 0, length=0)
    with pytest.raises(ValueError, match="distinct"):
        ex.team_draft_interleave([1, 1], [2, 1], 0)
