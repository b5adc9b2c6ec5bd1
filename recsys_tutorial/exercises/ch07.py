"""Checks for chapter 7 (ranking on MovieLens-100K, per-user temporal split)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, exercise, numeric_verdict, paired_difference_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

SOURCES = ["EASE", "ItemKNN"]
DEMOGRAPHICS = ["age", "gender", "occupation"]
#: The binary classifier of exercise 2.
CLASSIFIER = {"n_estimators": 100, "learning_rate": 0.05, "random_state": 0, "n_jobs": 1, "deterministic": True,
              "force_row_wise": True, "verbose": -1}


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


def _ndcg_of(scores, test_frame):
    import pandas as pd

    from .. import evaluation, ranking

    _, _, _, test_users, relevant, *_ = _chapter()
    top10 = ranking.ranked_lists(test_frame, test_users, scores=scores, k=10)
    return pd.Series(evaluation.ndcg_at_k(top10, relevant), index=test_users)


@cache
def _pool_recall(sources: tuple[str, ...]) -> float:
    """Mean candidate recall of the test pool that ``sources`` propose."""
    from .. import ranking, retrieval

    *_, test_users, relevant, _, _, _ = _chapter()
    lists = ranking.ranked_lists(_test_pool(list(sources)), test_users)
    return float(retrieval.candidate_recall(lists, relevant).mean())


@exercise
def check_1(recall) -> CheckResult:
    """Exercise 1: mean candidate recall of a 100-item pool proposed by EASE alone."""
    verdict = numeric_verdict(recall, _pool_recall(("EASE",)), "EASE's 100-item pool's recall",
                              explain="The same as EASE's recall@100: a pool from one source is its top 100.")
    if verdict is not None:
        return verdict
    merged = _pool_recall(tuple(SOURCES))
    if abs(float(recall) - merged) < 1e-3 * merged:
        return wrong("that is the merged pool of EASE and item-kNN: pass sources=['EASE'] to build_ranking_frame.")
    return wrong("build the test pool with sources=['EASE'] (train, default_request_times(train, test_users), full, "
                 "movielens.items), turn it into lists with ranking.ranked_lists(pool, test_users), and average "
                 "retrieval.candidate_recall over the users with the chapter's `relevant`.")


@lru_cache(maxsize=1)
def _lambdamart_and_classifier():
    import lightgbm

    from .. import ranking

    *_, frame, requests, _ = _chapter()
    validation = frame["request_time"] >= requests.quantile(0.8)
    fit_frame, validation_frame = frame[~validation], frame[validation]
    test_frame = _test_pool(SOURCES)
    ranker = ranking.GBDTRanker(random_state=0).fit(fit_frame, validation_frame)
    features = ranking.feature_columns(frame)
    classifier = lightgbm.LGBMClassifier(**CLASSIFIER).fit(fit_frame[features], fit_frame["label"] > 0)
    return (_ndcg_of(ranker.predict(test_frame), test_frame),
            _ndcg_of(classifier.predict_proba(test_frame[features])[:, 1], test_frame))


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, LambdaMART − LightGBM's binary classifier."""
    from .. import evaluation

    listwise, pointwise = _lambdamart_and_classifier()
    test = evaluation.paired_test(listwise, pointwise)
    return paired_difference_verdict(
        difference, test, "LambdaMART", "the binary classifier",
        conclusion="the listwise loss ranks better here." if test["ci low"] > 0
        else "the pointwise classifier ranks better here." if test["ci high"] < 0
        else "this test cannot tell the two losses apart.",
        hint="fit the classifier on fit_frame[features] with fit_frame['label'] > 0 as the target, score "
        "test_frame[features] with predict_proba(...)[:, 1], rank with ranking.ranked_lists(test_frame, test_users, "
        "scores=..., k=10), and pass per_user['LambdaMART (LightGBM)'] first to evaluation.paired_test.",
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
        conclusion="demographics help the ranker." if test_row["ci low"] > 0
        else "demographics hurt the ranker." if test_row["ci high"] < 0
        else "whatever demographics add, this test cannot detect it.",
        hint="fit TwoStageRecommender(user_columns=['age', 'gender', 'occupation'], random_state=0) on train with "
        "users=movielens.users and items=movielens.items, evaluate it with per_user=True, and pass its ndcg@10 "
        "first to evaluation.paired_test against two_stage_ndcg.",
    )
