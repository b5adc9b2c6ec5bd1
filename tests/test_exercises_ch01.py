"""Exercise checks of chapter 1, on a hand-made world: each answer, the verdict it gets, the feedback it reads.

The checks read the chapter's data through cached helpers; here those helpers serve the tiny data
below, so each expected value is a fraction a reader can verify by eye. That the worked solutions
pass on the real data is tested by tests/test_exercise_solutions.py.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.data import stats
from recsys_tutorial.exercises import ch01


def _events(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id", "event_type"])


# The synthetic world: 200 users and 20 items (4,000 cells), and one user in a hundred is 2 users.
#   user 0 buys item 0 twice and item 1 once;   users 1 and 2 buy items 2 and 3;
#   user 3 views items 0-8 and buys item 4;     user 4 views items 0-5;   users 5-199 do nothing.
# Purchases: 6 events in 5 distinct cells, by 4 buyers of 5 items. All events: 21, in 19 cells.
WORLD = SimpleNamespace(
    n_users=200,
    n_items=20,
    interactions=_events(
        [(0, 0, "purchase"), (0, 0, "purchase"), (0, 1, "purchase"), (1, 2, "purchase"), (2, 3, "purchase")]
        + [(3, item, "view") for item in range(9)] + [(3, 4, "purchase")]
        + [(4, item, "view") for item in range(6)]
    ),
)
EVENTS_PER_USER = [3, 1, 1, 10, 6] + [0] * 195

# MovieLens: users 0-3 rate 2, 3, 5 and 10 times; movies 0-2 are rated 1, 4 and 15 times.
MOVIELENS = SimpleNamespace(
    n_users=4,
    n_items=3,
    interactions=pd.DataFrame({"user_id": np.repeat([0, 1, 2, 3], [2, 3, 5, 10]),
                               "item_id": np.repeat([2, 1, 0], [15, 4, 1])}),
)


@pytest.fixture(autouse=True)
def tiny_data(monkeypatch):
    """The checks see WORLD and MOVIELENS; their cached helpers recompute from them, uncached."""
    for helper in ("_purchases", "_purchases_per_user", "_movielens_ratings_per_user"):
        monkeypatch.setattr(ch01, helper, getattr(ch01, helper).__wrapped__)
    monkeypatch.setattr(ch01, "_world", lambda: WORLD)
    monkeypatch.setattr(ch01, "load_movielens_100k", lambda: MOVIELENS)


# ---------------------------------------------------------------------------------------------
# 1) The density of the purchase matrix: 5 distinct cells of 4,000

DENSITY = 5 / 4_000


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(DENSITY, True, "the density is 0.00125. 5 of 4,000 cells hold a purchase", id="right"),
        pytest.param(0.0012505, True, "4 times emptier than the matrix of all events", id="within 0.1 %"),
        pytest.param(19 / 4_000, False, "density of the matrix of *all* events", id="all events"),
        pytest.param(6 / 4_000, False, "Count distinct (user_id, item_id) pairs", id="events, not cells"),
        pytest.param(1 - DENSITY, False, "that is the sparsity", id="sparsity"),
        pytest.param(100 * DENSITY, False, "looks like a percentage", id="percentage"),
        pytest.param(5 / (4 * 5), False, "you divided by buyers × bought items", id="buyers × bought items"),
        pytest.param(0.001, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.01, False, "filter the purchases, count distinct", id="anything else"),
        pytest.param("0.001", False, "expected the density as a number", id="text"),
        pytest.param([DENSITY], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_purchase_density(answer, passed, feedback):
    assert_verdict(ch01.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The Gini coefficient of ratings per user: counts 2, 3, 5, 10

# G = Σ (2i − n − 1) x_(i) / (n Σx) = (−3·2 − 1·3 + 1·5 + 3·10) / (4 · 20)
USER_GINI = 26 / 80
MOVIE_GINI = (-2 * 1 + 0 * 4 + 2 * 15) / (3 * 20)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(USER_GINI, True, "user activity is 0.325. Users are less unequal than movies (0.467)", id="right"),
        pytest.param(USER_GINI - 2 / 4, False, "off by one in the ranks", id="ranks 0..n-1 with (2i - n - 1)"),
        pytest.param(USER_GINI + 1 / 4, False, "the '- 1' of (2i - n - 1) is missing", id="missing - 1"),
        pytest.param(MOVIE_GINI, False, "Gini of movie popularity", id="per movie"),
        pytest.param(stats.gini(EVENTS_PER_USER), False, "the synthetic world's user Gini", id="synthetic world"),
        pytest.param(1.7, False, "lies in [0, 1]; got 1.7", id="out of range"),
        pytest.param(0.33, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.2, False, "count the ratings of each of the 943 users", id="anything else"),
        pytest.param("0.3", False, "expected the Gini coefficient as a number", id="text"),
        pytest.param(np.nan, False, "as a finite number", id="nan"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_gini_of_user_activity(answer, passed, feedback):
    assert_verdict(ch01.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) The share of purchases by the top 1 % of users: users 0 and one of 1-3 buy 4 of the 6

TOP_SHARE = (3 + 1) / 6


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(TOP_SHARE, True, "the share of purchases is 0.6667. 100 users", id="right"),
        # users 3 and 4 have the most events (10 and 6) but buy 1 and 0 times
        pytest.param((1 + 0) / 6, False, "rank them by their number of *purchases*", id="ranked by events"),
        pytest.param(100 * TOP_SHARE, False, "looks like a percentage", id="percentage"),
        # 1 % of the 4 buyers is one user: user 0
        pytest.param(3 / 6, False, "the top 1 % of all 10,000 users is 100 users", id="1 % of the buyers"),
        pytest.param((10 + 6) / 21, False, "share of all *events*", id="share of events"),
        pytest.param(0.67, False, "rounded to too few figures", id="rounded"),
        pytest.param(1.5, False, "a share lies in [0, 1]; got 1.5", id="out of range"),
        pytest.param(0.3, False, "stats.top_share does exactly that", id="anything else"),
        pytest.param(b"0.6", False, "expected the share as a number", id="bytes"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_share_of_the_top_one_percent(answer, passed, feedback):
    assert_verdict(ch01.check_3(answer), passed, feedback)
