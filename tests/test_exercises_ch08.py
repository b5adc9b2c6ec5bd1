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
# 1) Mean novelty of the calibrated lists, and its paired difference from the model's


def per_user_ndcg(mean: float, seed: int) -> np.ndarray:
    """`per_user_scores` as a plain array, which is what evaluation.novelty and ndcg_at_k give the checker."""
    return per_user_scores(mean, seed).to_numpy()


CALIBRATED, MODEL = per_user_ndcg(9.8765, seed=0), per_user_ndcg(9.1234, seed=1)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(9.8765, True, "novelty is 9.876. The model's lists score 9.1234; paired over users the "
                     "difference is +0.7531 [", id="right"),
        pytest.param(9.1234, False, "that is the novelty of the model's own top 10", id="the model's lists"),
        pytest.param(9.9, False, "rounded to too few figures", id="rounded"),
        pytest.param(4.2, False, "re-rank with rerank_all(('calibrate', calibrate_rule(0.6, 4)))", id="anything else"),
        pytest.param("high", False, "expected the mean novelty as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_novelty_of_calibrated_lists(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_novelty", lambda: {"calibrated": CALIBRATED, "model": MODEL})
    assert_verdict(ch08.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("model_mean", "finding"),
    [
        pytest.param(9.1234, "calibration made the lists a little more novel.", id="more novel"),
        pytest.param(9.8765, "this test cannot tell their novelty apart.", id="a tie"),
        pytest.param(10.5, "calibration made the lists less novel.", id="less novel"),
    ],
)
def test_check_1_states_what_the_paired_interval_supports(monkeypatch, model_mean, finding):
    model = per_user_ndcg(model_mean, seed=1)
    monkeypatch.setattr(ch08, "_novelty", lambda: {"calibrated": CALIBRATED, "model": model})
    assert_verdict(ch08.check_1(9.8765), True, finding)


# ---------------------------------------------------------------------------------------------
# 2) Mean NDCG@10 with at most two films' worth of a genre in any five consecutive slots

CAPPED_NDCG = {"window": per_user_ndcg(0.1876, seed=2), "whole list": per_user_ndcg(0.1712, seed=3),
               "first flag": per_user_ndcg(0.1801, seed=4)}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.1876, True, "under the window cap is 0.1876. Against the model's lists the paired "
                     "difference is", id="right"),
        pytest.param(0.1712, False, "that caps the whole list at two per genre; pass window=5", id="whole list"),
        pytest.param(0.1801, False, "counts each film by its first genre only", id="first flag"),
        pytest.param(0.19, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.25, False, "rerank.category_cap(items, scores, item_genres, 2, window=5)", id="anything else"),
        pytest.param([0.2, 0.3], False, "expected the mean NDCG@10 as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_window_cap(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_capped_ndcg", CAPPED_NDCG.__getitem__)
    monkeypatch.setattr(ch08, "_model_ndcg", lambda: per_user_ndcg(0.1880, seed=5))
    assert_verdict(ch08.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("model_mean", "finding"),
    [
        pytest.param(0.1876, "a cost this test cannot tell from zero.", id="a tie"),
        pytest.param(0.2176, "a real cost.", id="a cost"),
        pytest.param(0.1576, "the window cap raised NDCG.", id="a gain"),
    ],
)
def test_check_2_states_what_the_paired_interval_supports(monkeypatch, model_mean, finding):
    monkeypatch.setattr(ch08, "_capped_ndcg", CAPPED_NDCG.__getitem__)
    monkeypatch.setattr(ch08, "_model_ndcg", lambda: per_user_ndcg(model_mean, seed=5))
    assert_verdict(ch08.check_2(0.1876), True, finding)


# ---------------------------------------------------------------------------------------------
# 3) Mean NDCG@10 calibrated to each user's latest 50 ratings, and its paired test against the whole history


RECENT, WHOLE_HISTORY = per_user_ndcg(0.2345, seed=0), per_user_ndcg(0.2045, seed=1)
UNSTABLE = per_user_ndcg(0.2301, seed=6)  # the latest 50 after a sort that reorders tied timestamps
SERVED = {"recent": RECENT, "recent, unstable sort": UNSTABLE, "whole history": WHOLE_HISTORY}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.2345, True, "the paired difference is +0.0300 [", id="right"),
        pytest.param(0.2045, False, "that is calibration to the whole history", id="whole history"),
        pytest.param(0.2301, False, "sort with kind=\"stable\"", id="unstable sort"),
        pytest.param(0.23, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.5, False, "keep groupby('user_id').tail(50)", id="anything else"),
        pytest.param("0.2", False, "expected the mean NDCG@10 as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_recent_taste(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch08, "_calibrated_ndcg", lambda: SERVED)
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
    monkeypatch.setattr(ch08, "_calibrated_ndcg", lambda: {**SERVED, "whole history": whole_history})
    assert_verdict(ch08.check_3(0.2345), True, finding)
