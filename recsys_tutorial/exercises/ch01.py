"""Checks for chapter 1 (interaction data).

1. The density of the default synthetic world's *purchase* matrix.
2. The Gini coefficient of user activity in MovieLens-100K (ratings per user).
3. The share of the synthetic world's purchases made by the top 1 % of users.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..data import load_movielens_100k, make_synthetic, stats
from . import CheckResult, as_number, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

# A slip that lands within a few per cent of the answer is recognised only at this tolerance, so
# that it is told apart from a rounded right answer.
_EXACT = 1e-6


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(random_state=0)


@lru_cache(maxsize=1)
def _purchases() -> pd.DataFrame:
    """Rows of the default world's log that are purchases."""
    inter = _world().interactions
    return inter[inter["event_type"] == "purchase"]


@lru_cache(maxsize=1)
def _purchases_per_user() -> np.ndarray:
    return np.bincount(_purchases()["user_id"].to_numpy(), minlength=_world().n_users)


@lru_cache(maxsize=1)
def _movielens_ratings_per_user() -> np.ndarray:
    return stats.counts_per(load_movielens_100k(), "user_id")


# ---------------------------------------------------------------------------------------------
# 1) Density of the purchase matrix
# ---------------------------------------------------------------------------------------------


@exercise
def check_1(density) -> CheckResult:
    """Exercise 1: distinct (user, item) pairs with a purchase / (n_users × n_items)."""
    value = as_number(density, "the density")
    if isinstance(value, CheckResult):
        return value
    world, purchases = _world(), _purchases()
    cells = world.n_users * world.n_items
    pairs = len(purchases[["user_id", "item_id"]].drop_duplicates())
    expected = pairs / cells
    all_events = len(world.interactions[["user_id", "item_id"]].drop_duplicates()) / cells
    if close(value, expected):
        return numeric_verdict(value, expected, "the density", explain=(
            f"{pairs:,} of {cells:,} cells hold a purchase: the purchase matrix is {all_events / expected:.0f} "
            "times emptier than the matrix of all events, which is why models learn from views and clicks "
            "too."))  # fmt: skip
    if close(value, all_events):
        return wrong("that is the density of the matrix of *all* events, which the chapter computed; keep only "
                     "the rows whose event_type is 'purchase' first.")
    if close(value, len(purchases) / cells):
        return wrong("you divided the number of purchase events by the number of cells; a user who buys the same "
                     "item twice fills one cell. Count distinct (user_id, item_id) pairs.")
    if close(value, 1 - expected):
        return wrong("that is the sparsity (the empty share); the density is the filled share.")
    if close(value, 100 * expected):
        return wrong("that looks like a percentage; give the density as a fraction between 0 and 1.")
    active = purchases["user_id"].nunique() * purchases["item_id"].nunique()
    if close(value, pairs / active):
        return wrong("you divided by buyers × bought items; the matrix has a row for every user and a column "
                     "for every item of the catalogue, whether or not they took part in a purchase.")
    verdict = numeric_verdict(value, expected, "the density")
    if verdict is not None:
        return verdict
    return wrong("filter the purchases, count distinct (user_id, item_id) pairs, and divide by "
                 "world.n_users × world.n_items.")


# ---------------------------------------------------------------------------------------------
# 2) Gini of MovieLens user activity
# ---------------------------------------------------------------------------------------------


@exercise
def check_2(gini) -> CheckResult:
    """Exercise 2: the Gini coefficient of ratings per user in MovieLens-100K (all 943 users)."""
    value = as_number(gini, "the Gini coefficient")
    if isinstance(value, CheckResult):
        return value
    counts = _movielens_ratings_per_user()
    expected, n = stats.gini(counts), len(counts)
    if close(value, expected):
        item_gini = stats.gini(stats.counts_per(load_movielens_100k(), "item_id"))
        return numeric_verdict(value, expected, "the Gini coefficient of user activity", explain=(
            f"Users are less unequal than movies ({item_gini:.3f}), partly because GroupLens kept only users "
            "with at least 20 ratings: the thin tail of one-visit users is cut off."))  # fmt: skip
    if close(value, expected - 2 / n, rtol=_EXACT):
        return wrong("off by one in the ranks: with i running 0..n-1 the formula needs (2i - n + 1); "
                     "with i = 1..n it is (2i - n - 1).")
    if close(value, expected + 1 / n, rtol=_EXACT):
        return wrong("the '- 1' of (2i - n - 1) is missing, which adds 1/n to the Gini.")
    if close(value, stats.gini(stats.counts_per(load_movielens_100k(), "item_id"))):
        return wrong("that is the Gini of movie popularity (ratings per *item*); the exercise asks for ratings "
                     "per *user*.")
    if close(value, stats.gini(stats.counts_per(_world(), "user_id"))):
        return wrong("that is the synthetic world's user Gini; use the MovieLens-100K dataset.")
    if not 0 <= value <= 1:
        return wrong(f"a Gini coefficient of counts lies in [0, 1]; got {value:.4g}.")
    verdict = numeric_verdict(value, expected, "the Gini coefficient of user activity")
    if verdict is not None:
        return verdict
    return wrong("count the ratings of each of the 943 users, then apply stats.gini (or the formula, with the "
                 "counts sorted ascending).")


# ---------------------------------------------------------------------------------------------
# 3) Share of purchases from the top 1 % of users
# ---------------------------------------------------------------------------------------------


@exercise
def check_3(share) -> CheckResult:
    """Exercise 3: share of all purchases made by the 1 % of users (of 10,000) who buy most."""
    value = as_number(share, "the share")
    if isinstance(value, CheckResult):
        return value
    per_user = _purchases_per_user()
    expected = stats.top_share(per_user, 0.01)
    if close(value, expected):
        return numeric_verdict(value, expected, "the share of purchases", explain=(
            f"100 users, 1 % of the user base, make {expected:.1%} of all purchases: a handful of heavy "
            "buyers weigh on every purchase-based metric."))  # fmt: skip
    events_per_user = stats.counts_per(_world(), "user_id")
    top_by_events = np.argsort(-events_per_user, kind="stable")[: int(round(0.01 * len(events_per_user)))]
    if close(value, per_user[top_by_events].sum() / per_user.sum(), rtol=_EXACT):
        return wrong("you ranked users by all their events; rank them by their number of *purchases*.")
    if close(value, 100 * expected):
        return wrong("that looks like a percentage; give the share as a fraction between 0 and 1.")
    if close(value, stats.top_share(per_user[per_user > 0], 0.01)):
        return wrong("you took 1 % of the users who bought something; the top 1 % of all 10,000 users is 100 "
                     "users, buyers or not.")
    if close(value, stats.top_share(events_per_user, 0.01)):
        return wrong("that is the top 1 %'s share of all *events*; count purchases only.")
    verdict = numeric_verdict(value, expected, "the share of purchases")
    if verdict is not None:
        return verdict
    if not 0 <= value <= 1:
        return wrong(f"a share lies in [0, 1]; got {value:.4g}.")
    return wrong("count each user's purchases (all 10,000 users), sort descending, and divide the sum of the "
                 "top 100 by the total; stats.top_share does exactly that.")
