"""Checks for chapter 8 (re-ranking the two-stage recommender's pool on MovieLens-100K)."""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from . import CheckResult, as_number, by_interval, close, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

LAM, N_PINNED = 0.6, 4


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's split, test users, relevance, pool with scores, genres and profiles."""
    from .. import evaluation, ranking, rerank, split
    from ..data import load_movielens_100k

    movielens = load_movielens_100k()
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    test_users, relevant = evaluation.held_out_users(test, movielens.n_users, movielens.n_items, seen_in=train)
    two_stage = ranking.whole_history_two_stage(random_state=0).fit(train, items=movielens.items)
    frame = two_stage.candidate_frame(test_users)
    pool, pool_scores = ranking.ranked_lists(frame, test_users, scores=frame["score"], with_scores=True)
    item_genres, _ = rerank.genre_matrix(movielens.items)
    history_genres = rerank.genre_profiles(train, item_genres, movielens.n_users)
    return movielens, train, test_users, relevant, pool, pool_scores, item_genres, history_genres


def _rerank(rule):
    from .. import rerank

    _, _, test_users, _, pool, pool_scores, *_ = _chapter()
    return rerank.RerankPipeline([("rule", rule)]).apply(test_users, pool, pool_scores, k=10).items


def _calibrated(profiles):
    from .. import rerank

    *_, item_genres, _ = _chapter()
    return _rerank(lambda user, items, scores: rerank.calibrate(
        items, scores, item_genres, profiles[user], lam=LAM, k=10, n_pinned=N_PINNED))


def _per_user_ndcg(lists) -> np.ndarray:
    from .. import evaluation

    relevant = _chapter()[3]
    return evaluation.ndcg_at_k(lists, relevant)


@lru_cache(maxsize=1)
def _model_ndcg() -> np.ndarray:
    """Per-user NDCG@10 of the model's own top 10."""
    return _per_user_ndcg(_chapter()[4][:, :10])


@lru_cache(maxsize=1)
def _novelty() -> dict[str, np.ndarray]:
    """Per-user novelty of the lists calibrated with λ = 0.6 and 4 pinned positions, and of the model's top 10."""
    from .. import evaluation

    movielens, train, _, _, pool, *_, history_genres = _chapter()
    popularity = (train.groupby("item_id")["user_id"].nunique()
                  .reindex(range(movielens.n_items), fill_value=0).to_numpy())

    def novelty_of(lists):
        return evaluation.novelty(lists, popularity, train["user_id"].nunique())

    return {"calibrated": novelty_of(_calibrated(history_genres)), "model": novelty_of(pool[:, :10])}


@exercise
def check_1(novelty) -> CheckResult:
    """Exercise 1: mean novelty of the lists calibrated with λ = 0.6 and 4 pinned positions."""
    from .. import evaluation

    value = as_number(novelty, "the mean novelty")
    if isinstance(value, CheckResult):
        return value
    calibrated, model = _novelty()["calibrated"], _novelty()["model"]
    test = evaluation.paired_test(calibrated, model)
    finding = by_interval(test, "calibration made the lists a little more novel.",
                          "this test cannot tell their novelty apart.", "calibration made the lists less novel.")
    verdict = numeric_verdict(
        value, float(np.mean(calibrated)), "the calibrated lists' mean novelty",
        explain=f"The model's lists score {np.mean(model):.4f}; paired over users the difference is "
        f"{test['mean difference']:+.4f} [{test['ci low']:+.4f}, {test['ci high']:+.4f}]: {finding}")
    if verdict is not None:
        return verdict
    if close(value, float(np.mean(model))):
        return wrong("that is the novelty of the model's own top 10 (model_top10); compute it on the calibrated lists.")
    return wrong("re-rank with rerank_all(('calibrate', calibrate_rule(0.6, 4))), then average "
                 "evaluation.novelty(lists, item_popularity, train['user_id'].nunique()).")


@cache
def _capped_ndcg(variant: str) -> np.ndarray:
    """Per-user NDCG@10 with at most 2 films' worth of a genre: ``"window"`` in any 5 consecutive slots, ``"whole
    list"`` in the top 10, ``"first flag"`` in any 5 slots counting each film by its first genre only."""
    from .. import rerank

    movielens, *_, item_genres, _ = _chapter()
    genres = movielens.items["category"] if variant == "first flag" else item_genres
    window = None if variant == "whole list" else 5
    return _per_user_ndcg(_rerank(lambda user, items, scores: rerank.category_cap(
        items, scores, genres, 2, window=window)))


@exercise
def check_2(ndcg) -> CheckResult:
    """Exercise 2: mean NDCG@10 with at most 2 films' worth of a genre in any 5 consecutive slots."""
    from .. import evaluation

    value = as_number(ndcg, "the mean NDCG@10")
    if isinstance(value, CheckResult):
        return value
    windowed, whole = _capped_ndcg("window"), _capped_ndcg("whole list")
    test = evaluation.paired_test(windowed, _model_ndcg())
    finding = by_interval(test, "the window cap raised NDCG.", "a cost this test cannot tell from zero.",
                          "a real cost.")
    verdict = numeric_verdict(
        value, float(np.mean(windowed)), "the mean NDCG@10 under the window cap",
        explain=f"Against the model's lists the paired difference is {test['mean difference']:+.4f} "
        f"[{test['ci low']:+.4f}, {test['ci high']:+.4f}]: {finding} Capping the whole top 10 at two per genre "
        f"gives {np.mean(whole):.4f}: a window lets a genre come back once it has scrolled past.")
    if verdict is not None:
        return verdict
    if close(value, float(np.mean(whole))):
        return wrong("that caps the whole list at two per genre; pass window=5 so that the cap holds in every five "
                     "consecutive slots.")
    if close(value, float(np.mean(_capped_ndcg("first flag")))):
        return wrong("that counts each film by its first genre only (categories); pass item_genres, so that a film "
                     "of several genres counts a share towards each.")
    return wrong("re-rank the pool with lambda user, items, scores: rerank.category_cap(items, scores, item_genres, "
                 "2, window=5) through rerank_all, then average evaluation.ndcg_at_k(lists, relevant).")


@lru_cache(maxsize=1)
def _calibrated_ndcg() -> dict:
    """Per-user NDCG@10 calibrated to each user's latest 50 training ratings (stable and unstable sort by time)
    and to the whole history."""
    from .. import rerank

    movielens, train, *_, item_genres, history_genres = _chapter()

    def latest_50(kind):
        recent = train.sort_values("timestamp", kind=kind).groupby("user_id").tail(50)
        return _per_user_ndcg(_calibrated(rerank.genre_profiles(recent, item_genres, movielens.n_users)))

    return {"recent": latest_50("stable"), "recent, unstable sort": latest_50("quicksort"),
            "whole history": _per_user_ndcg(_calibrated(history_genres))}


@exercise
def check_3(ndcg) -> CheckResult:
    """Exercise 3: mean NDCG@10 calibrated to each user's latest 50 training ratings."""
    from .. import evaluation

    value = as_number(ndcg, "the mean NDCG@10")
    if isinstance(value, CheckResult):
        return value
    found = _calibrated_ndcg()
    recent, whole_history = found["recent"], found["whole history"]
    test = evaluation.paired_test(recent, whole_history)
    finding = by_interval(test, "recent taste predicts the next ratings better.",
                          "this test cannot tell the two profiles apart.", "the whole history serves better.")
    verdict = numeric_verdict(
        value, float(recent.mean()), "the mean NDCG@10 calibrated to recent taste",
        explain=f"Against the whole-history profile, the paired difference is {test['mean difference']:+.4f} "
        f"[{test['ci low']:+.4f}, {test['ci high']:+.4f}]: {finding}")
    if verdict is not None:
        return verdict
    if close(value, float(whole_history.mean())):
        return wrong("that is calibration to the whole history; build the profile from each user's last 50 ratings "
                     "(sort train by timestamp, then groupby('user_id').tail(50)).")
    if close(value, float(found["recent, unstable sort"].mean())):
        return wrong("many ratings share a timestamp, and an unstable sort may order those ties differently, "
                     "which changes which 50 are kept: sort with kind=\"stable\".")
    return wrong("sort train by timestamp (kind=\"stable\"), keep groupby('user_id').tail(50), pass it to "
                 "rerank.genre_profiles with item_genres and movielens.n_users, and calibrate to that profile with "
                 "lam=0.6, k=10, n_pinned=4.")
