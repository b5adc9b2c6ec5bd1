"""Exercise checks of chapter 6: each answer, the verdict it gets, the feedback it reads.

Exercise 1 is self-contained; its answer is cross-checked with scikit-learn. Exercises 2 and 3
take the chapter's MovieLens models from cached helpers that return plain numbers; here those
helpers return the made-up numbers below, so nothing is fitted. That the worked solutions pass on
the real models is tested by tests/test_exercise_solutions.py.
"""

import numpy as np
import pytest
from exercise_verdicts import BLANK, assert_verdict
from sklearn.metrics import ndcg_score

from recsys_tutorial.exercises import ch06

# ---------------------------------------------------------------------------------------------
# 1) NDCG@5 of the list [7, 1, 9, 4, 2] against graded relevance {9: 3, 2: 1, 5: 2}


def ndcg(gains_in_list, ideal_gains) -> float:
    discount = 1 / np.log2(np.arange(2, 7))
    return float(np.dot(gains_in_list, discount) / np.dot(ideal_gains, discount))


def sklearn_ndcg() -> float:
    grades, scores = np.zeros(10), np.zeros(10)
    grades[[9, 2, 5]] = [3, 1, 2]
    scores[[7, 1, 9, 4, 2]] = [5, 4, 3, 2, 1]  # the list, best first; item 5 and the rest below it
    return float(ndcg_score(grades[None], scores[None], k=5))


# Item 9 (grade 3) sits at rank 3 and item 2 (grade 1) at rank 5; the ideal order is 3, 2, 1.
GRADED = ndcg([0, 0, 3, 0, 1], [3, 2, 1, 0, 0])


def test_the_expected_ndcg_agrees_with_scikit_learn():
    assert GRADED == pytest.approx(sklearn_ndcg(), rel=1e-12)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(GRADED, True, "NDCG@5 is 0.3962. The ideal list holds every relevant item", id="right"),
        pytest.param(ndcg([0, 0, 3, 0, 1], [3, 1, 0, 0, 0]), False, "the ideal list must use *all* relevant items",
                     id="ideal list without item 5"),
        pytest.param(ndcg([0, 0, 1, 0, 1], [1, 1, 1, 0, 0]), False, "treats relevance as binary", id="binary"),
        pytest.param(ndcg([0, 0, 3, 0, 1], [1, 1, 1, 0, 0]), False, "treats relevance as binary somewhere",
                     id="binary ideal list"),
        pytest.param(ndcg([0, 0, 7, 0, 1], [7, 3, 1, 0, 0]), False, "exponential gains 2^rel − 1",
                     id="exponential gains"),
        pytest.param(0.40, False, "rounded to too few figures", id="rounded"),
        pytest.param(1.7, False, "NDCG lies between 0 and 1; got 1.7", id="out of range"),
        pytest.param(0.3, False, "DCG = Σ rel_j / log2(j + 1)", id="anything else"),
        pytest.param("0.4", False, "expected NDCG@5 as a number", id="text"),
        pytest.param([0.4], False, "as a single number", id="list"),
        pytest.param(float("nan"), False, "as a finite number", id="nan"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_graded_ndcg(answer, passed, feedback):
    assert_verdict(ch06.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The smallest k at which ItemKNN's recall@k reaches EASE's recall@10 (0.2134): k = 17

KNN_RECALL = {k: 0.0126 * k for k in range(1, 101)}  # 0.2016 at k = 16, 0.2142 at k = 17


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(17, True, "k = 17: ItemKNN needs a list of 17", id="right"),
        pytest.param(17.0, True, "(recall 0.2134) that EASE finds in 10", id="float"),
        pytest.param(16, False, "at k = 16 ItemKNN's recall is 0.2016, still below EASE's recall@10; an index "
                     "that starts at 0 is one short", id="one short"),
        pytest.param(10, False, "at k = 10 ItemKNN's recall is below EASE's", id="EASE's own cut-off"),
        pytest.param(5, False, "at k = 5 ItemKNN's recall is 0.0630, below EASE's recall@10", id="too small"),
        pytest.param(25, False, "already at a smaller one", id="too large"),
        pytest.param(17.5, False, "k counts list positions: a whole number from 1", id="fraction"),
        pytest.param(0, False, "a whole number from 1", id="zero"),
        pytest.param("fifteen", False, "expected a cut-off k as a number", id="text"),
        pytest.param([17], False, "as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_itemknn_cutoff(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch06, "_knn_cutoff", lambda: (17, 0.2134, KNN_RECALL))
    assert_verdict(ch06.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) The paired 95 % interval of EASE − ItemKNN NDCG@10

INTERVALS = {
    "paired t": (0.0312, 0.0488),
    "paired bootstrap": (0.0315, 0.0485),
    "reversed": (-0.0488, -0.0312),
    "unpaired": (0.0201, 0.0599),
    "EASE alone": (0.3010, 0.3350),
}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param((0.0312, 0.0488), True, "lies in [0.0312, 0.0488] (paired t; the paired bootstrap agrees)",
                     id="paired t"),
        pytest.param((0.0315, 0.0485), True, "EASE is clearly better than ItemKNN", id="paired bootstrap"),
        pytest.param(np.array([0.0312, 0.0488]), True, "user for user", id="array"),
        pytest.param([0.03121, 0.04879], True, "paired t", id="list, within 0.1 %"),
        pytest.param((-0.0488, -0.0312), False, "that is the interval of ItemKNN − EASE", id="reversed"),
        pytest.param((0.0201, 0.0599), False, "treats the two models' users as independent samples", id="unpaired"),
        pytest.param((0.3010, 0.3350), False, "the interval of EASE's NDCG@10 alone", id="EASE alone"),
        pytest.param((0.0488, 0.0312), False, "give the interval as (low, high), the lower end first",
                     id="ends swapped"),
        pytest.param((0.02, 0.06), False, "then take the 95 % t-interval of those differences", id="anything else"),
        pytest.param(0.0312, False, "expected the interval as a pair of numbers (low, high)", id="one number"),
        pytest.param("abc", False, "as a pair of numbers", id="text"),
        pytest.param((1, 2, 3), False, "as a pair of numbers", id="three numbers"),
        pytest.param((0.03, "high"), False, "expected each end of the interval as a number", id="one end is text"),
        pytest.param((0.03, float("nan")), False, "as a finite number", id="one end is nan"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_paired_interval(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch06, "_intervals", lambda: INTERVALS)
    assert_verdict(ch06.check_3(answer), passed, feedback)
