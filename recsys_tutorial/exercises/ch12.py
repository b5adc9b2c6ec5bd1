"""Checks for chapter 12 (the capstone on MovieLens-100K)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, by_interval, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]


@lru_cache(maxsize=1)
def _temporal():
    """The chapter's temporal split, its test users and their relevance matrix."""
    from .. import evaluation, split
    from ..data import load_movielens_100k

    movielens = load_movielens_100k()
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    test_users, relevant = evaluation.held_out_users(test, movielens.n_users, movielens.n_items, seen_in=train)
    return movielens, train, test_users, relevant


@lru_cache(maxsize=1)
def _als():
    from ..models import ALS

    return ALS(random_state=0).fit(_temporal()[1])


@lru_cache(maxsize=1)
def _two_sources():
    """EASE's and item-kNN's unseen top 100 per test user: the sources of the chapter's pool."""
    from ..ranking import default_retrievers

    retrievers = default_retrievers(random_state=0)
    _, train, test_users, _ = _temporal()
    return {name: retrievers[name].fit(train).recommend(test_users, k=100)[0] for name in ["EASE", "ItemKNN"]}


@cache
def _pool_recall(with_als: bool, size: int = 100, exclude_seen: bool = True) -> tuple:
    """Per-user candidate recall of the merged pool of ``size``, with or without ALS as a third source."""
    from .. import retrieval

    _, _, test_users, relevant = _temporal()
    sources = dict(_two_sources())
    if with_als:
        sources["ALS"] = _als().recommend(test_users, k=100, exclude_seen=exclude_seen)[0]
    pool = retrieval.merge_candidates(sources, n=size)[0]
    return tuple(retrieval.candidate_recall(pool, relevant))


@cache
def _als_recall() -> float:
    """Mean candidate recall of ALS's own unseen top 100 per test user."""
    from .. import retrieval

    _, _, test_users, relevant = _temporal()
    return float(retrieval.candidate_recall(_als().recommend(test_users, k=100)[0], relevant).mean())


@exercise
def check_1(recall) -> CheckResult:
    """Exercise 1: mean candidate recall of the pool of 100 merged from EASE, item-kNN and ALS."""
    import numpy as np

    from .. import evaluation

    three, two = np.array(_pool_recall(True)), np.array(_pool_recall(False))
    third = evaluation.paired_test(three, two)
    difference = (f"{third['mean difference']:+.4f} [{third['ci low']:+.4f}, {third['ci high']:+.4f}] against "
                  f"the two-source pool's {two.mean():.4f}")
    lesson = by_interval(third, f"ALS earns a slot: {difference}.",
                         f"No measurable gain: {difference}. At a fixed size a third source only trades slots "
                         "with the other two; it earns its place by what the ranker does with it.",
                         f"ALS costs recall here: {difference}; its items take slots better ones had.")
    verdict = numeric_verdict(recall, float(three.mean()), "the three-source pool's candidate recall at 100",
                              explain=lesson)
    if verdict is not None:
        return verdict
    if close(recall, _als_recall()):
        return wrong("that is ALS's own recall at 100; merge its list into the pool with EASE's and item-kNN's "
                     "(retrieval.merge_candidates(..., n=100)).")
    if close(recall, float(np.mean(_pool_recall(True, size=300)))):
        return wrong("that pool holds up to 300 candidates; keep it at n=100, the size the ranker scores.")
    if close(recall, float(np.mean(_pool_recall(True, exclude_seen=False)))):
        return wrong("ALS's list keeps films the user has already rated, which can never be relevant: "
                     "recommend(..., exclude_seen=True).")
    return wrong("fit ALS(random_state=0) on the temporal training split, take recommend(test_users, k=100), merge "
                 "it after EASE's and item-kNN's lists with retrieval.merge_candidates(..., n=100), and average "
                 "retrieval.candidate_recall(pool, relevant) over the test users.")


@lru_cache(maxsize=1)
def _occupations():
    movielens = _temporal()[0]
    events = movielens.interactions.merge(movielens.users[["user_id", "occupation"]], on="user_id")
    month = events["timestamp"].dt.to_period("M").astype(str)
    return events, month


@exercise
def check_2(value) -> CheckResult:
    """Exercise 2: PSI of the raters' occupation, Sep–Oct 1997 against April 1998, per rating."""
    from .. import monitoring

    events, month = _occupations()
    baseline, april = events.loc[month <= "1997-10", "occupation"], events.loc[month == "1998-04", "occupation"]
    expected = monitoring.psi(baseline, april)
    verdict = numeric_verdict(value, expected, "the PSI of occupation",
                              explain="Who rates shifts from month to month as users arrive and leave; a "
                                      "ranker with occupation as a feature would see it.")
    if verdict is not None:
        return verdict
    users_only = monitoring.psi(events.loc[month <= "1997-10"].drop_duplicates("user_id")["occupation"],
                                events.loc[month == "1998-04"].drop_duplicates("user_id")["occupation"])
    if close(value, users_only):
        return wrong("that counts each user once per period; the monitored quantity is the rating events, so "
                     "a busy user weighs more. Compare the occupation of every rating.")
    return wrong("join the users' occupation onto the interactions, take the ratings of September and "
                 "October 1997 as the baseline and those of April 1998 as the current sample, and call "
                 "monitoring.psi(baseline, current).")


@lru_cache(maxsize=1)
def _hits():
    from .. import evaluation, ranking

    movielens, train, test_users, relevant = _temporal()
    two_stage = ranking.TwoStageRecommender(random_state=0).fit(train, users=movielens.users, items=movielens.items)
    ease = two_stage.retrievers_["EASE"]
    return (evaluation.hits(ease.recommend(test_users, k=10)[0], relevant).sum(axis=1),
            evaluation.hits(two_stage.recommend(test_users, k=10)[0], relevant).sum(axis=1))


@exercise
def check_3(users_per_arm) -> CheckResult:
    """Exercise 3: users per arm for 80 % power, two-stage against EASE, hits in the top 10."""
    import numpy as np
    from statsmodels.stats.power import TTestIndPower

    ease, two_stage = _hits()
    pooled_sd = np.sqrt((ease.var(ddof=1) + two_stage.var(ddof=1)) / 2)
    effect = (two_stage.mean() - ease.mean()) / pooled_sd
    expected = TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    verdict = numeric_verdict(users_per_arm, expected, "the users needed per arm",
                              explain=f"With {len(ease)} users in all, the offline comparison is paired (every "
                                      "user sees both lists); a live test splits them, and needs this many per arm.")
    if verdict is not None:
        return verdict
    paired_sd = (two_stage - ease).std(ddof=1)
    paired = TTestIndPower().solve_power(effect_size=(two_stage.mean() - ease.mean()) / paired_sd, alpha=0.05,
                                         power=0.8)
    if close(users_per_arm, paired):
        return wrong("that effect size divides by the sd of the per-user differences, which only a paired "
                     "design has; an A/B test compares two different groups of users: use the pooled sd "
                     "√((s²_A + s²_B) / 2).")
    return wrong("per-user hits = evaluation.hits(lists, relevant).sum(axis=1) for the two-stage model and for "
                 "EASE alone; Cohen's d = (mean difference) / pooled sd; then "
                 "TTestIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8).")
