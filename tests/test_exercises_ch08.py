"""Exercise checks of chapter 8, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks re-rank the chapter's two-stage pool in cached helpers that return plain numbers or
per-user NDCG@10; here those helpers return the made-up values below, so the tables run without
fitting anything. That the worked solutions pass on the real pool is tested by
tests/test_exercise_solutions.py.
"""

import numpy as np
import pytest
from exercise_verdicts import BLANK, assert_verdict, per_user_scores

from recsys_tutorial.exercises import ch08

# ---------------------------------------------------------------------------------------------
# 1) Mean novelty of the calibrated lists


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(9.8765, True, "novelty is 9.877. The model's lists score 9.1234: calibration made them more "
                     "novel.", id="right"),
        pytest.param(9.1234, False, "that is the novelty of the model's own top 10", id="the model's lists"),
        pytest.param(9.9, False, "rounded to too few figures", id="rounded"),
        pytest.param(4.2, False, "re-rank with rerank_all(('calibrate', calibrate_rule(0.6, 4)))", id="anything else"),
        pytest.param("high", False, "expected the mean novelty as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_novelty_of_calibrated_lists(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_novelty", lambda: {"calibrated": 9.8765, "model": 9.1234})
    assert_verdict(ch08.check_1(answer), passed, feedback)


def test_check_1_says_when_calibration_makes_lists_less_novel(monkeypatch):
    monkeypatch.setattr(ch08, "_novelty", lambda: {"calibrated": 8.8765, "model": 9.1234})
    assert_verdict(ch08.check_1(8.8765), True, "calibration made them less novel.")


# ---------------------------------------------------------------------------------------------
# 2) Mean NDCG@10 with at most two films of a genre in any five consecutive slots

CAPPED_NDCG = {5: 0.1876, None: 0.1712}  # window of 5 slots; the whole list


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.1876, True, "under the window cap is 0.1876. Compare it with the whole-list cap",
                     id="right"),
        pytest.param(0.1712, False, "that caps the whole list at two per genre; pass window=5", id="whole list"),
        pytest.param(0.19, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.25, False, "rerank.category_cap(items, scores, categories, 2, window=5)", id="anything else"),
        pytest.param([0.2, 0.3], False, "expected the mean NDCG@10 as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_window_cap(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_capped_ndcg", CAPPED_NDCG.__getitem__)
    assert_verdict(ch08.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Mean NDCG@10 calibrated to each user's latest 50 ratings, and its paired test against the whole history


def per_user_ndcg(mean: float, seed: int) -> np.ndarray:
    """`per_user_scores` as a plain array, which is what evaluation.ndcg_at_k gives the checker."""
    return per_user_scores(mean, seed).to_numpy()


RECENT, WHOLE_HISTORY = per_user_ndcg(0.2345, seed=0), per_user_ndcg(0.2045, seed=1)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.2345, True, "the paired difference is +0.0300 [", id="right"),
        pytest.param(0.2045, False, "that is calibration to the whole history", id="whole history"),
        pytest.param(0.23, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.5, False, "sort train by timestamp, keep groupby('user_id').tail(50)", id="anything else"),
        pytest.param("0.2", False, "expected the mean NDCG@10 as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_recent_taste(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_calibrated_ndcg", lambda: {"recent": RECENT, "whole history": WHOLE_HISTORY})
    assert_verdict(ch08.check_3(answer), passed, feedback)


@pytest.mark.parametrize(
    ("whole_history_mean", "finding"),
    [
        pytest.param(0.2045, "recent taste predicts the next ratings better.", id="recent ahead"),
        pytest.param(0.2345, "this test cannot tell the two profiles apart.", id="a tie"),
        pytest.param(0.2645, "the whole history serves better.", id="whole history ahead"),
    ],
)
def test_check_3_reports_what_the_paired_test_finds(monkeypatch, whole_history_mean, finding):
    whole_history = per_user_ndcg(whole_history_mean, seed=1)
    monkeypatch.setattr(ch08, "_calibrated_ndcg", lambda: {"recent": RECENT, "whole history": whole_history})
    assert_verdict(ch08.check_3(0.2345), True, finding)
