"""Checks for chapter 7b (the two-stage recommender on the synthetic world)."""

from __future__ import annotations

from functools import lru_cache

from . import CheckResult, as_number, exercise, numeric_verdict, paired_difference_verdict, wrong

__all__ = ["check_1", "check_2"]

N_CANDIDATES = 50
SOURCES = ["SASRec", "EASE"]


@lru_cache(maxsize=1)
def _split():
    """The world, its training split, the test users (with an item new to them) and their relevance."""
    from .. import evaluation, split
    from ..data import make_synthetic

    world = make_synthetic(random_state=0)
    train, test = split.per_user_temporal_split(world.interactions, test_fraction=0.2)
    test_users, relevant = evaluation.held_out_users(test, world.n_users, world.n_items, seen_in=train)
    return world, train, test_users, relevant


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's split, test users, relevance, fitted two-stage recommender and its test frame."""
    from .. import ranking
    from ..models import EASE, Popularity, SASRec

    world, train, test_users, relevant = _split()
    retrievers = {"SASRec": SASRec(max_len=20, n_epochs=5, learning_rate=0.02, random_state=0), "EASE": EASE(),
                  "Popularity": Popularity()}
    model = ranking.TwoStageRecommender(retrievers=retrievers, sources=SOURCES, n_candidates=N_CANDIDATES,
                                        user_columns=["age_group"], ranker=ranking.GBDTRanker(random_state=0),
                                        random_state=0)
    model.fit(train, users=world.users, items=world.items)
    return world, train, test_users, relevant, model, model.candidate_frame(test_users)


def _ndcg(scores, test_frame):
    import pandas as pd

    from .. import evaluation, ranking

    _, _, test_users, relevant, _, _ = _chapter()
    top10 = ranking.ranked_lists(test_frame, test_users, scores=scores, k=10)
    return pd.Series(evaluation.ndcg_at_k(top10, relevant), index=test_users)


@lru_cache(maxsize=1)
def _graded_and_binary_ndcg():
    """Per-user NDCG@10 of the chapter's ranker (graded labels) and of one refitted on binary labels."""
    from .. import ranking

    *_, model, test_frame = _chapter()
    frame = model.training_frame_
    binary = frame.assign(label=(frame["label"] > 0).astype(int))
    ranker = ranking.GBDTRanker(random_state=0).fit(binary[~binary["validation"]], binary[binary["validation"]])
    return _ndcg(test_frame["score"], test_frame), _ndcg(ranker.predict(test_frame), test_frame)


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, graded labels − binary labels."""
    from .. import evaluation

    if isinstance(value := as_number(difference, "the mean difference"), CheckResult):
        return value  # before the minute of fitting that the expected answer costs
    test = evaluation.paired_test(*_graded_and_binary_ndcg())
    return paired_difference_verdict(
        difference, test, "the graded two-stage", "the binary one",
        conclusion="graded labels rank better even on a binary test." if test["ci low"] > 0
        else "binary labels, which teach exactly what the test counts, rank better here." if test["ci high"] < 0
        else "this test cannot tell graded from binary labels apart.",
        hint="set label = (label > 0) in training_frame, fit GBDTRanker(random_state=0) on the rows with validation "
        "false (validating on the others), score test_frame, rank with ranking.ranked_lists(test_frame, test_users, "
        "scores=..., k=10), and pass per_user['two-stage'] first to evaluation.paired_test.",
    )


@lru_cache(maxsize=1)
def _ease_pool_recall() -> float:
    """Mean candidate recall of the 50-item test pool that EASE alone proposes."""
    from .. import ranking, retrieval
    from ..models import EASE

    world, train, test_users, relevant = _split()
    # EASE is deterministic: fitted on the training split, it is the recommender's own EASE.
    pool = ranking.build_ranking_frame(train, ranking.default_request_times(train, test_users),
                                       {"EASE": EASE().fit(train)}, world.items, n_candidates=N_CANDIDATES)
    return float(retrieval.candidate_recall(ranking.ranked_lists(pool, test_users), relevant).mean())


@exercise
def check_2(recall) -> CheckResult:
    """Exercise 2: mean candidate recall of a 50-item pool proposed by EASE alone."""
    verdict = numeric_verdict(recall, _ease_pool_recall(), "the recall of EASE's 50-item pool",
                              explain="Compare it with the merged pool's in section 7b.2.")
    if verdict is not None:
        return verdict
    return wrong("build the pool with sources=['EASE'] and n_candidates=50, turn it into lists with "
                 "ranking.ranked_lists(pool, test_users), and average retrieval.candidate_recall with `relevant`.")
