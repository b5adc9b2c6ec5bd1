"""Exercise checks of chapter 4, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take the chapter's split, fitted ALS and validation scores from cached helpers; here
those helpers return the tiny values below, so the tables run in milliseconds. That the worked
solutions pass on the real data is tested by tests/test_exercise_solutions.py.
"""

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch04

# ---------------------------------------------------------------------------------------------
# 1) The bias-only model μ + b_i

# Train: item 0 is rated 5 and 3, item 1 is rated 2, so μ = 10/3, b_0 = 2/3, b_1 = −4/3.
# Test: item 0 rated 4 (predicted 4), item 1 rated 1 (predicted 2), unseen item 2 rated 3 (predicted μ).
TRAIN = pd.DataFrame({"user_id": [0, 1, 1], "item_id": [0, 0, 1], "rating": [5.0, 3.0, 2.0]})
TEST = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [0, 1, 2], "rating": [4.0, 1.0, 3.0]})
MSE = (0**2 + 1**2 + (1 / 3) ** 2) / 3
GLOBAL_MEAN_MSE = ((2 / 3) ** 2 + (7 / 3) ** 2 + (1 / 3) ** 2) / 3


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(math.sqrt(MSE), True, "the bias-only RMSE is 0.6086. The item bias alone", id="right"),
        pytest.param(MSE, False, "that is the mean squared error; take its square root", id="MSE"),
        pytest.param(math.sqrt(GLOBAL_MEAN_MSE), False, "that is the global-mean model's RMSE", id="global mean"),
        pytest.param(0.61, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.9, False, "b_i is the mean of (rating − μ) over the item's *training* ratings",
                     id="anything else"),
        pytest.param("0.6", False, "expected the RMSE as a number", id="text"),
        pytest.param(np.nan, False, "as a finite number", id="nan"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_bias_only_rmse(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch04, "_movielens_split", lambda: (TRAIN, TEST))
    assert_verdict(ch04.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The nearest item to item 0 by cosine

# Item 1 points almost the same way as item 0 (cosine 0.994); item 2 is long, so its dot product
# with item 0 is the largest, at 45 degrees; item 3 is orthogonal.
ITEM_VECTORS = np.array([[1.0, 0.0], [0.9, 0.1], [3.0, 3.0], [0.0, 1.0]])


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(1, True, "item 1, at cosine similarity 0.994", id="right"),
        pytest.param(np.int64(1), True, "item 1", id="numpy integer"),
        pytest.param(1.0, True, "item 1", id="float"),
        pytest.param(0, False, "item 0 is always its own nearest neighbour", id="itself"),
        pytest.param(2, False, "that is the largest dot product", id="dot product"),
        pytest.param(3, False, "normalise every vector to unit length", id="anything else"),
        pytest.param("1", False, "expected an item id as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_nearest_item(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch04, "_world_als", lambda: SimpleNamespace(item_embeddings=lambda: ITEM_VECTORS))
    assert_verdict(ch04.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) The alphas whose validation NDCG@10 a paired test cannot tell from the best

USERS = 30
BASE = pd.Series(np.linspace(0.1, 0.5, USERS))
NOISE = pd.Series(np.tile([0.02, -0.02], USERS // 2))  # mean zero: a paired test sees only noise


def validation_ndcg(runner_up_gap: float) -> dict:
    """α = 10 is best; α = 30 trails it by ``runner_up_gap`` with noise; α = 1 and 3 trail it clearly."""
    return {1: BASE - 0.1 + NOISE / 10, 3: BASE - 0.05 + NOISE / 10, 10: BASE, 30: BASE - runner_up_gap + NOISE}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param({10, 30}, True, "[10, 30]: validation NDCG@10 α=1: 0.2000, α=3: 0.2500, α=10: 0.3000",
                     id="right"),
        pytest.param([30.0, 10.0], True, "the data cannot choose between them", id="list of floats"),
        pytest.param({10}, False, "but so is every value a paired test cannot tell from it", id="the best alone"),
        pytest.param({30}, False, "the set must contain the best alpha itself", id="without the best"),
        pytest.param({1, 3, 30}, False, "Did you score on the test split?", id="all but the best"),
        pytest.param({3, 10, 30}, False, "keep the alphas with p ≥ 0.05, plus the best", id="one too many"),
        pytest.param({7}, False, "choose among 1, 3, 10, 30; got [7.0]", id="not a candidate"),
        pytest.param(10, False, "expected a set of alpha values", id="one number"),
        pytest.param("ten", False, "expected a set of alpha values", id="text"),
        pytest.param("10", False, "not text", id="digits as text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_alphas_within_noise(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch04, "_validation_per_user", lambda: validation_ndcg(runner_up_gap=0.001))
    assert_verdict(ch04.check_3(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param({10}, True, "[10]: validation NDCG@10", id="right: the best alone"),
        pytest.param({10, 30}, False, "keep the alphas with p ≥ 0.05", id="the runner-up is clearly worse"),
    ],
)
def test_check_3_when_every_other_alpha_is_clearly_worse(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch04, "_validation_per_user", lambda: validation_ndcg(runner_up_gap=0.05))
    assert_verdict(ch04.check_3(answer), passed, feedback)
