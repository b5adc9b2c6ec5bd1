"""Exercise checks of chapter 6: right answers pass, typical slips get their hint.

The expected answers are recomputed here without the checker: NDCG by scikit-learn, recall@k
from the models' lists and the held-out ratings by hand, intervals by SciPy.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from sklearn.metrics import ndcg_score

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k
from recsys_tutorial.exercises import ch06
from recsys_tutorial.models import EASE, ItemKNN


def test_ch06_exercise_1_graded_ndcg():
    grades = np.zeros(10)
    grades[[9, 2, 5]] = [3, 1, 2]
    scores = np.zeros(10)
    scores[[7, 1, 9, 4, 2]] = [5, 4, 3, 2, 1]  # the list, best first; item 5 and the rest below
    expected = ndcg_score(grades[None], scores[None], k=5)
    discount = 1 / np.log2(np.arange(2, 7))
    dcg = 3 * discount[2] + 1 * discount[4]

    assert ch06.check_1(expected).passed
    assert "ideal list" in ch06.check_1(dcg / (np.array([3, 1, 0, 0, 0]) @ discount)).message
    assert "binary" in ch06.check_1((discount[2] + discount[4]) / discount[:3].sum()).message
    exponential = (7 * discount[2] + 1 * discount[4]) / (np.array([7, 3, 1, 0, 0]) @ discount)
    assert "exponential" in ch06.check_1(exponential).message
    assert "rounded" in ch06.check_1(round(expected, 2)).message
    assert "between 0 and 1" in ch06.check_1(1.7).message
    assert ch06.check_1(None).passed is None
    for garbage in ("0.4", float("nan"), [0.4]):
        assert ch06.check_1(garbage).passed is False


@pytest.fixture(scope="module")
def movielens():
    interactions = load_movielens_100k().interactions
    train, test = split.per_user_random_split(interactions, test_fraction=0.25, random_state=0)
    return train, test, EASE(reg=500.0).fit(train), ItemKNN().fit(train)


def _recall_curve(model, train, test, max_k):
    """Mean recall@k over test users for k = 1..max_k, from the model's top-max_k lists."""
    seen = set(zip(train["user_id"], train["item_id"]))
    relevant = {}
    for user, item in zip(test["user_id"], test["item_id"]):
        if (user, item) not in seen:
            relevant.setdefault(int(user), set()).add(int(item))
    users = np.array(sorted(relevant))
    lists, _ = model.recommend(users, k=max_k)
    found = np.array([[item in relevant[user] for item in row] for user, row in zip(users, lists)])
    sizes = np.array([len(relevant[user]) for user in users])
    return pd.Series((np.cumsum(found, axis=1) / sizes[:, None]).mean(axis=0), index=np.arange(1, max_k + 1))


def test_ch06_exercise_2_itemknn_cutoff(movielens):
    train, test, ease, knn = movielens
    target = _recall_curve(ease, train, test, 10)[10]
    knn_recall = _recall_curve(knn, train, test, 50)
    expected = int(knn_recall.index[knn_recall >= target][0])
    assert 10 < expected < 50

    assert ch06.check_2(expected).passed
    assert "one short" in ch06.check_2(expected - 1).message
    assert "k = 10" in ch06.check_2(10).message
    assert "already at a smaller one" in ch06.check_2(expected + 5).message
    assert "whole number" in ch06.check_2(expected + 0.5).message
    assert ch06.check_2(None).passed is None
    for garbage in ("fifteen", float("nan"), [expected]):
        assert ch06.check_2(garbage).passed is False


def test_ch06_exercise_3_paired_interval(movielens):
    train, test, ease, knn = movielens
    a = evaluation.evaluate(ease, train, test, per_user=True)["ndcg@10"]
    b = evaluation.evaluate(knn, train, test, per_user=True)["ndcg@10"]
    diff = (a - b).to_numpy()
    low, high = scipy.stats.t.interval(0.95, df=len(diff) - 1, loc=diff.mean(), scale=scipy.stats.sem(diff))
    assert low > 0

    assert ch06.check_3((low, high)).passed
    assert ch06.check_3(np.array([low, high])).passed
    bootstrap = evaluation.paired_test(a, b)
    assert ch06.check_3((bootstrap["ci low"], bootstrap["ci high"])).passed
    assert "ItemKNN − EASE" in ch06.check_3((-high, -low)).message
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    unpaired = (diff.mean() - 1.96 * se, diff.mean() + 1.96 * se)
    assert "independent samples" in ch06.check_3(unpaired).message
    assert "lower end first" in ch06.check_3((high, low)).message
    assert "pair of numbers" in ch06.check_3(low).message
    assert ch06.check_3(None).passed is None
    for garbage in ("abc", (low, "high"), (low, float("nan")), (1, 2, 3)):
        assert ch06.check_3(garbage).passed is False
