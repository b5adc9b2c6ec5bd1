"""Checks for chapter 7 (ranking on MovieLens-100K, per-user temporal split)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, by_interval, exercise, numeric_verdict, paired_difference_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

SOURCES = ["EASE", "ItemKNN"]
DEMOGRAPHICS = ["age", "gender", "occupation"]


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's split, test users, relevance, training frame and test retrievers."""
    import numpy as np

    from .. import evaluation, ranking, split
    from ..data import load_movielens_100k

    movielens = load_movielens_100k()
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    test_users, relevant = evaluation.held_out_users(test, movielens.n_users, movielens.n_items, seen_in=train)
    earlier, later = split.per_user_temporal_split(train, test_fraction=0.2)
    retrievers = {name: model.fit(earlier) for name, model in ranking.default_retrievers(random_state=0).items()}
    requests = ranking.default_request_times(earlier, np.unique(later["user_id"]))
    frame = ranking.build_ranking_frame(earlier, requests, retrievers, movielens.items, sources=SOURCES, future=later)
    full = {name: model.fit(train) for name, model in ranking.default_retrievers(random_state=0).items()}
    return movielens, train, test, test_users, relevant, frame, requests, full


def _test_pool(sources):
    from .. import ranking

    movielens, train, _, test_users, _, _, _, full = _chapter()
    return ranking.build_ranking_frame(train, ranking.default_request_times(train, test_users), full,
                                       movielens.items, sources=sources)


def _pool_lists():
    from .. import ranking

    *_, test_users, _, _, _, _ = _chapter()
    return ranking.ranked_lists(_test_pool(SOURCES), test_users)


@cache
def _pool_ndcg(perfect: bool) -> float:
    """Mean NDCG@10 of the test pool's first ten items, in pool order or perfectly reordered."""
    import numpy as np

    from .. import evaluation

    *_, relevant, _, _, _ = _chapter()
    lists = _pool_lists()
    if perfect:
        relevant_first = np.argsort(-evaluation.hits(lists, relevant), axis=1, kind="stable")
        lists = np.take_along_axis(lists, relevant_first, axis=1)
    return float(evaluation.ndcg_at_k(lists[:, :10], relevant).mean())


@exercise
def check_1(ndcg) -> CheckResult:
    """Exercise 1: mean NDCG@10 of a perfect ranker over the chapter's test pool."""
    verdict = numeric_verdict(
        ndcg, _pool_ndcg(True), "the perfect ranker's NDCG@10",
        explain="The ceiling of any ranker over this pool; the chapter's LambdaMART reaches about a third of it.")
    if verdict is not None:
        return verdict
    if abs(float(ndcg) - _pool_ndcg(False)) < 1e-3 * _pool_ndcg(False):
        return wrong("that is the pool in its merged order: move each user's relevant films to the front first.")
    return wrong("for each test user, put the pool's relevant films (evaluation.hits(pool, relevant) > 0) first, "
                 "keeping the order otherwise (a stable sort), then take evaluation.ndcg_at_k of the first ten "
                 "and average over the users.")


@lru_cache(maxsize=1)
def _recency_test():
    from .. import evaluation, ranking

    movielens, train, test, *_ = _chapter()
    ndcg = {}
    for name, model in (("recent", ranking.TwoStageRecommender(random_state=0)),
                        ("whole history", ranking.whole_history_two_stage(random_state=0))):
        model.fit(train, users=movielens.users, items=movielens.items)
        ndcg[name] = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
    return evaluation.paired_test(ndcg["recent"], ndcg["whole history"])


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, the chapter's two-stage − the one over whole-history retrievers."""
    test_row = _recency_test()
    return paired_difference_verdict(
        difference, test_row, "the chapter's two-stage", "the one over whole-history retrievers",
        conclusion=by_interval(
            test_row, "retrievers that read the recent history are worth more than any ranker here.",
            "this test cannot tell the two apart.", "recency in retrieval does not help here."),
        hint="fit ranking.whole_history_two_stage(random_state=0) on train with users= and items=, evaluate it with "
        "per_user=True, and pass two_stage_ndcg first to evaluation.paired_test.",
    )


@lru_cache(maxsize=1)
def _demographics_test():
    from .. import evaluation, ranking

    movielens, train, test, *_ = _chapter()
    ndcg = {}
    for name, columns in (("with", DEMOGRAPHICS), ("without", ())):
        model = ranking.TwoStageRecommender(user_columns=columns, random_state=0)
        model.fit(train, users=movielens.users, items=movielens.items)
        ndcg[name] = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
    return evaluation.paired_test(ndcg["with"], ndcg["without"])


@exercise
def check_3(difference) -> CheckResult:
    """Exercise 3: paired mean NDCG@10 difference, the two-stage recommender with demographics − without."""
    test_row = _demographics_test()
    return paired_difference_verdict(
        difference, test_row, "the model with demographics", "the chapter's",
        conclusion=by_interval(
            test_row, "demographics help the ranker.", "whatever demographics add, this test cannot detect it.",
            "demographics hurt the ranker."),
        hint="fit TwoStageRecommender(user_columns=['age', 'gender', 'occupation'], random_state=0) on train with "
        "users=movielens.users and items=movielens.items, evaluate it with per_user=True, and pass its ndcg@10 "
        "first to evaluation.paired_test against two_stage_ndcg.",
    )
