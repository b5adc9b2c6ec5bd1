"""Exercise checks of chapter 8: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checkers' helpers.
"""

import numpy as np
import pytest

from recsys_tutorial import evaluation, ranking, rerank
from recsys_tutorial.exercises import ch08


@pytest.fixture(scope="module")
def chapter(movielens_temporal):
    movielens, train, users, relevant = movielens_temporal
    model = ranking.TwoStageRecommender(random_state=0).fit(train, items=movielens.items)
    frame = model.candidate_frame(users)
    pool, scores = ranking.ranked_lists(frame, users, scores=frame["score"], with_scores=True)
    genres, _ = rerank.genre_matrix(movielens.items)

    def rerank_all(rule):
        return rerank.RerankPipeline([("rule", rule)]).apply(users, pool, scores, k=10).items

    def calibrated_to(profiles):
        return rerank_all(lambda user, items, s: rerank.calibrate(items, s, genres, profiles[user], lam=0.6, k=10,
                                                                  n_pinned=4))

    return movielens, train, relevant, pool, genres, rerank_all, calibrated_to


def test_blank_answers_reveal_nothing():
    for check in (ch08.check_1, ch08.check_2, ch08.check_3):
        assert check(None).passed is None


def test_malformed_answers_are_named():
    assert "number" in str(ch08.check_1("high")).lower()
    assert ch08.check_2([0.2, 0.3]).passed is False


def test_exercise_1_novelty_of_calibrated_lists(chapter):
    movielens, train, _, pool, genres, _, calibrated_to = chapter
    popularity = np.bincount(train.drop_duplicates(["user_id", "item_id"])["item_id"], minlength=movielens.n_items)
    lists = calibrated_to(rerank.genre_profiles(train, genres, movielens.n_users))

    def novelty(top):
        return float(evaluation.novelty(top, popularity, train["user_id"].nunique()).mean())

    assert ch08.check_1(novelty(lists)).passed is True
    assert "model's own top 10" in str(ch08.check_1(novelty(pool[:, :10])))
    assert ch08.check_1(novelty(lists) * 1.05).passed is False


def test_exercise_2_window_cap(chapter):
    movielens, _, relevant, _, _, rerank_all, _ = chapter
    categories = movielens.items["category"]

    def ndcg(window):
        lists = rerank_all(lambda user, items, s: rerank.category_cap(items, s, categories, 2, window=window))
        return float(evaluation.ndcg_at_k(lists, relevant).mean())

    windowed, whole = ndcg(5), ndcg(None)
    assert windowed != pytest.approx(whole, rel=1e-3)
    assert ch08.check_2(windowed).passed is True
    assert "window=5" in str(ch08.check_2(whole))


def test_exercise_3_recent_taste(chapter):
    movielens, train, relevant, _, genres, _, calibrated_to = chapter
    recent = train.sort_values("timestamp", kind="stable").groupby("user_id").tail(50)
    recent_ndcg = evaluation.ndcg_at_k(calibrated_to(rerank.genre_profiles(recent, genres, movielens.n_users)), relevant)
    full_ndcg = evaluation.ndcg_at_k(calibrated_to(rerank.genre_profiles(train, genres, movielens.n_users)), relevant)
    verdict = ch08.check_3(float(recent_ndcg.mean()))
    assert verdict.passed is True and "paired difference" in str(verdict)
    assert "whole history" in str(ch08.check_3(float(full_ndcg.mean())))
