"""Exercise checks of chapters 7 and 7b: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checkers' helpers.
Exercise 7b.1 needs the synthetic world's whole two-stage fit; its right answer is covered by the
worked solution (tests/test_exercise_solutions.py), and here only its replies to malformed answers.
"""

import lightgbm
import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import evaluation, ranking, retrieval, split
from recsys_tutorial.data import load_movielens_100k, make_synthetic
from recsys_tutorial.exercises import ch07, ch07b
from recsys_tutorial.models import EASE


@pytest.fixture(scope="module")
def chapter():
    movielens = load_movielens_100k()
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    users, relevant = evaluation.held_out_users(test, movielens.n_users, movielens.n_items, seen_in=train)
    earlier, later = split.per_user_temporal_split(train, test_fraction=0.2)
    inner = {name: m.fit(earlier) for name, m in ranking.default_retrievers(random_state=0).items()}
    requests = ranking.default_request_times(earlier, np.unique(later["user_id"]))
    frame = ranking.build_ranking_frame(earlier, requests, inner, movielens.items, sources=["EASE", "ItemKNN"],
                                        future=later)
    full = {name: m.fit(train) for name, m in ranking.default_retrievers(random_state=0).items()}

    def pool(sources):
        return ranking.build_ranking_frame(train, ranking.default_request_times(train, users), full, movielens.items,
                                           sources=sources)

    return movielens, train, test, users, relevant, frame, requests, pool


def test_blank_answers_reveal_nothing():
    for check in (ch07.check_1, ch07.check_2, ch07.check_3, ch07b.check_1, ch07b.check_2):
        assert check(None).passed is None


def test_exercise_1_the_ceiling_of_eases_pool(chapter):
    *_, users, relevant, _, _, pool = chapter
    recall = float(retrieval.candidate_recall(ranking.ranked_lists(pool(["EASE"]), users), relevant).mean())
    merged = float(retrieval.candidate_recall(ranking.ranked_lists(pool(["EASE", "ItemKNN"]), users), relevant).mean())
    assert recall > merged
    assert ch07.check_1(recall).passed is True
    assert "merged pool" in str(ch07.check_1(merged))
    assert "sources=['EASE']" in str(ch07.check_1(recall / 2))
    assert "too few figures" in str(ch07.check_1(round(recall, 1)))


def test_exercise_2_listwise_against_pointwise(chapter):
    *_, users, relevant, frame, requests, pool = chapter
    validation = frame["request_time"] >= requests.quantile(0.8)
    test_frame = pool(["EASE", "ItemKNN"])
    features = ranking.feature_columns(frame)

    def ndcg(scores):
        return pd.Series(evaluation.ndcg_at_k(ranking.ranked_lists(test_frame, users, scores=scores, k=10), relevant),
                         index=users)

    listwise = ranking.GBDTRanker(random_state=0).fit(frame[~validation], frame[validation])
    classifier = lightgbm.LGBMClassifier(**ch07.CLASSIFIER).fit(frame.loc[~validation, features],
                                                                frame.loc[~validation, "label"] > 0)
    difference = float((ndcg(listwise.predict(test_frame)) - ndcg(classifier.predict_proba(test_frame[features])[:, 1])).mean())
    assert ch07.check_2(difference).passed is True
    assert "the sign is reversed" in str(ch07.check_2(-difference))
    assert "predict_proba" in str(ch07.check_2(difference + 0.05))


def test_exercise_3_demographics(chapter):
    movielens, train, test, *_ = chapter
    ndcg = {}
    for name, columns in (("with", ["age", "gender", "occupation"]), ("without", ())):
        model = ranking.TwoStageRecommender(user_columns=columns, random_state=0)
        model.fit(train, users=movielens.users, items=movielens.items)
        ndcg[name] = evaluation.evaluate(model, train, test, per_user=True)["ndcg@10"]
    difference = float((ndcg["with"] - ndcg["without"]).mean())
    assert ch07.check_3(difference).passed is True
    assert "user_columns" in str(ch07.check_3(difference + 0.05))


def test_chapter_7b_exercise_2_the_ceiling_without_the_sequence_model():
    world = make_synthetic(random_state=0)
    train, test = split.per_user_temporal_split(world.interactions, test_fraction=0.2)
    users, relevant = evaluation.held_out_users(test, world.n_users, world.n_items, seen_in=train)
    pool = ranking.build_ranking_frame(train, ranking.default_request_times(train, users), {"EASE": EASE().fit(train)},
                                       world.items, n_candidates=50)
    recall = float(retrieval.candidate_recall(ranking.ranked_lists(pool, users), relevant).mean())
    assert ch07b.check_2(recall).passed is True
    assert "sources=['EASE']" in str(ch07b.check_2(recall / 2))


def test_chapter_7b_exercise_1_malformed_answers():
    assert ch07b.check_1("a lot").passed is False
    assert ch07b.check_1([0.1, 0.2]).passed is False
