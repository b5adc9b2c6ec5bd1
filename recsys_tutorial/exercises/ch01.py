"""Checks for chapter 1 (interaction data)."""

from __future__ import annotations

from functools import lru_cache

from ..data import make_synthetic, stats
from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(random_state=0)


def check_1(density) -> CheckResult:
    """Exercise 1: the density of the default synthetic world's user–item matrix."""
    value = as_number(density, "the density")
    if isinstance(value, CheckResult):
        return value
    ds = _world()
    inter = ds.interactions
    cells = ds.n_users * ds.n_items
    expected = len(inter[["user_id", "item_id"]].drop_duplicates()) / cells
    if close(value, expected):
        return correct(f"the density is {expected:.5f}: {1 - expected:.3%} of the matrix is empty.")
    if close(value, expected, rtol=0.06):
        return wrong(f"{value} is close; it looks rounded. Compute it to full precision (about {expected:.1e}).")
    if close(value, len(inter) / cells):
        return wrong("you divided the number of events by the number of cells; a user who views, clicks and "
                     "buys one item fills a single cell. Count distinct (user_id, item_id) pairs.")
    if close(value, 1 - expected):
        return wrong("that is the sparsity (the empty share); the density is the filled share.")
    active = inter["user_id"].nunique() * inter["item_id"].nunique()
    if close(value, expected * cells / active):
        return wrong("you divided by active users × active items; the matrix has a row for every user and a "
                     "column for every item of the catalogue, active or not.")
    return wrong(f"expected a number near {expected:.1e}: distinct (user, item) pairs / (n_users × n_items).")


def check_2(gini) -> CheckResult:
    """Exercise 2: the Gini coefficient of item popularity (events per item, whole catalogue)."""
    value = as_number(gini, "the Gini coefficient")
    if isinstance(value, CheckResult):
        return value
    counts = stats.counts_per(_world(), "item_id")
    expected = stats.gini(counts)
    n = len(counts)
    if close(value, expected, rtol=1e-6):
        return correct(f"the Gini coefficient is {expected:.4f}: popularity is very unequal.")
    if close(value, expected - 2 / n, rtol=1e-6):
        return wrong("off by one in the ranks: with i running 0..n-1 the formula needs (2i - n + 1); "
                     "with i = 1..n it is (2i - n - 1).")
    if close(value, expected + 1 / n, rtol=1e-6):
        return wrong("the '- 1' of (2i - n - 1) is missing, which adds 1/n to the Gini.")
    if close(value, stats.gini(counts[counts > 0])):
        return wrong("that is the Gini over items with at least one event. Items nobody touched are part of "
                     "the catalogue (and of the long tail): count them as zeros.")
    if not 0 <= value <= 1:
        return wrong(f"a Gini coefficient of counts lies in [0, 1]; got {value:.4f}.")
    return wrong("sort the counts ascending, then G = Σ (2i − n − 1)·x_i / (n·Σx) for i = 1..n; or check "
                 "your answer against stats.gini.")


#: GroupLens's README for ml-100k: "Each user has rated at least 20 movies." (tests check the data agrees)
MOVIELENS_MIN_RATINGS_PER_USER = 20


def check_3(min_ratings_per_user) -> CheckResult:
    """Exercise 3: the fewest ratings any user has in MovieLens-100K."""
    value = as_number(min_ratings_per_user, "the minimum number of ratings per user")
    if isinstance(value, CheckResult):
        return value
    expected = MOVIELENS_MIN_RATINGS_PER_USER
    if value == expected:
        return correct(f"every user has at least {expected} ratings. GroupLens kept only such users, so "
                       "MovieLens has no users with a thin history and is far denser than real logs.")
    if value == 1:
        return wrong("that looks like the minimum over items, or a count with a filter applied; group the "
                     "ratings by user_id and take the smallest group size.")
    return wrong("group the interactions by user_id, count the rows of each group, and take the minimum.")
