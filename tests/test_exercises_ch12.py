"""Exercise checks of chapter 12: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checkers' helpers.
"""

import numpy as np
import pytest
from statsmodels.stats.power import TTestIndPower

from recsys_tutorial import evaluation, monitoring, ranking, retrieval
from recsys_tutorial.exercises import ch12
from recsys_tutorial.models import ALS


@pytest.fixture(scope="module")
def chapter(movielens_temporal):
    return movielens_temporal


def test_blank_answers_reveal_nothing():
    for check in (ch12.check_1, ch12.check_2, ch12.check_3):
        assert check(None).passed is None


def test_exercise_1_candidate_recall_of_als(chapter):
    _, train, test_users, relevant = chapter
    als = ALS(random_state=0).fit(train)
    answer = retrieval.candidate_recall(als.recommend(test_users, k=100)[0], relevant).mean()
    assert 0.3 < answer < 0.6
    assert ch12.check_1(answer).passed is True
    with_seen = retrieval.candidate_recall(als.recommend(test_users, k=100, exclude_seen=False)[0], relevant).mean()
    assert "already rated" in str(ch12.check_1(with_seen))
    assert ch12.check_1(answer + 0.05).passed is False


def test_exercise_2_psi_of_occupation(chapter):
    movielens = chapter[0]
    rated = movielens.interactions.merge(movielens.users[["user_id", "occupation"]], on="user_id")
    month = rated["timestamp"].dt.to_period("M").astype(str)
    baseline, april = rated[month <= "1997-10"], rated[month == "1998-04"]
    answer = monitoring.psi(baseline["occupation"], april["occupation"])
    assert answer > monitoring.PSI_RETRAIN
    assert ch12.check_2(answer).passed is True
    per_user = monitoring.psi(baseline.drop_duplicates("user_id")["occupation"],
                              april.drop_duplicates("user_id")["occupation"])
    assert "each user once" in str(ch12.check_2(per_user))


def test_exercise_3_users_per_arm(chapter):
    movielens, train, test_users, relevant = chapter
    model = ranking.TwoStageRecommender(random_state=0).fit(train, users=movielens.users, items=movielens.items)
    two_stage = evaluation.hits(model.recommend(test_users, k=10)[0], relevant).sum(axis=1)
    ease = evaluation.hits(model.retrievers_["EASE"].recommend(test_users, k=10)[0], relevant).sum(axis=1)
    difference = two_stage.mean() - ease.mean()
    pooled = np.sqrt((two_stage.var(ddof=1) + ease.var(ddof=1)) / 2)
    answer = TTestIndPower().solve_power(effect_size=difference / pooled, alpha=0.05, power=0.8)
    assert len(test_users) / 2 < answer < 5 * len(test_users)
    assert ch12.check_3(answer).passed is True
    paired = TTestIndPower().solve_power(effect_size=difference / (two_stage - ease).std(ddof=1), alpha=0.05,
                                         power=0.8)
    assert "per-user differences" in str(ch12.check_3(paired))
