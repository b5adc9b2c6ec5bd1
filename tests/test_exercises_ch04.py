"""Exercise checks of chapter 4: right answers pass, typical slips get their hint.

The expected answers are recomputed here from the package's public API, not the checker's helpers.
"""

import numpy as np
import pytest
from scipy import stats

from recsys_tutorial import evaluation, split
from recsys_tutorial.data import load_movielens_100k, make_synthetic
from recsys_tutorial.exercises import ch04
from recsys_tutorial.models import ALS


@pytest.fixture(scope="module")
def world_split():
    return split.temporal_split(make_synthetic(random_state=0).interactions, test_fraction=0.2)


def test_blank_answers_reveal_nothing():
    for check in (ch04.check_1, ch04.check_2, ch04.check_3):
        assert check(None).passed is None


def test_exercise_1_bias_only_rmse():
    train, test = split.per_user_random_split(load_movielens_100k().interactions, test_fraction=0.25, random_state=0)
    mu = train["rating"].mean()
    bias = {item: (group - mu).mean() for item, group in train.groupby("item_id")["rating"]}
    predicted = np.array([mu + bias.get(item, 0.0) for item in test["item_id"]])
    rmse = float(np.sqrt(np.mean((test["rating"].to_numpy() - predicted) ** 2)))
    assert ch04.check_1(rmse).passed
    assert ch04.check_1(rmse * 1.0005).passed  # within 0.1 %
    assert "four significant figures" in ch04.check_1(round(rmse, 1)).message
    assert "square root" in ch04.check_1(rmse**2).message
    assert "global-mean" in ch04.check_1(float(np.sqrt(np.mean((test["rating"] - mu) ** 2)))).message
    assert not ch04.check_1("1.0").passed and not ch04.check_1(np.nan).passed


def test_exercise_2_nearest_item(world_split):
    vectors = ALS(random_state=0).fit(world_split[0]).item_embeddings().astype(float)
    cosine = vectors @ vectors[0] / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(vectors[0]))
    cosine[0] = -2
    assert ch04.check_2(int(np.argmax(cosine))).passed
    assert "its own nearest" in ch04.check_2(0).message
    dots = vectors @ vectors[0]
    dots[0] = -np.inf
    if np.argmax(dots) != np.argmax(cosine):
        assert "dot product" in ch04.check_2(int(np.argmax(dots))).message


def test_exercise_3_alphas_within_noise(world_split):
    fit_part, validation = split.temporal_split(world_split[0], test_fraction=0.1)
    ndcg = {}
    for alpha in (1, 3, 10, 30):
        model = ALS(alpha=alpha, random_state=0).fit(fit_part)
        ndcg[alpha] = evaluation.evaluate(model, fit_part, validation, per_user=True)["ndcg@10"]
    best = max(ndcg, key=lambda a: ndcg[a].mean())
    within = {best} | {a for a in ndcg if a != best and stats.ttest_rel(ndcg[best], ndcg[a]).pvalue >= 0.05}
    assert ch04.check_3(within).passed
    assert ch04.check_3([float(a) for a in within]).passed
    assert "but so is every value" in ch04.check_3({best}).message or within == {best}
    assert "choose among" in ch04.check_3({7}).message
    assert "must contain the best" in ch04.check_3({1, 3, 10, 30} - {best}).message
    assert "a set of alpha" in ch04.check_3(3).message
