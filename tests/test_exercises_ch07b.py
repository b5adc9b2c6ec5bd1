"""Exercise checks of chapter 7b, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take the chapter's two-stage fit and EASE's pool from cached helpers that return
per-user scores or a number; here those helpers return the made-up values below, so the tables run
without fitting anything. That the worked solutions pass on the real models is tested by
tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, per_user_scores

from recsys_tutorial.exercises import ch07b

# ---------------------------------------------------------------------------------------------
# 1) Graded labels − binary labels

GRADED, BINARY = per_user_scores(0.21, seed=0), per_user_scores(0.24, seed=1)
GRADED_GAIN = float((GRADED - BINARY).mean())


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(GRADED_GAIN, True, "binary labels, which teach exactly what the test counts, rank better here.",
                     id="right"),
        pytest.param(-GRADED_GAIN, False, "the sign is reversed: the graded two-stage minus the binary one",
                     id="reversed"),
        pytest.param(0.5, False, "set label = (label > 0) in training_frame", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_graded_against_binary_labels(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07b, "_graded_and_binary_ndcg", lambda: (GRADED, BINARY))
    assert_verdict(ch07b.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("binary", "conclusion"),
    [
        pytest.param(per_user_scores(0.18, seed=1), "graded labels rank better even on a binary test.",
                     id="graded ahead"),
        pytest.param(per_user_scores(0.21, seed=1), "this test cannot tell graded from binary labels apart.",
                     id="a tie"),
        pytest.param(per_user_scores(0.24, seed=1), "binary labels, which teach exactly what the test counts",
                     id="binary ahead"),
    ],
)
def test_check_1_concludes_from_the_interval(monkeypatch, binary, conclusion):
    monkeypatch.setattr(ch07b, "_graded_and_binary_ndcg", lambda: (GRADED, binary))
    assert_verdict(ch07b.check_1(float((GRADED - binary).mean())), True, conclusion)


@pytest.mark.parametrize(
    ("answer", "feedback"),
    [
        pytest.param("a lot", "expected the mean difference as a number", id="text"),
        pytest.param([0.1, 0.2], "as a single number", id="list"),
        pytest.param(float("nan"), "as a finite number", id="nan"),
    ],
)
def test_check_1_rejects_a_malformed_answer_before_fitting_anything(monkeypatch, answer, feedback):
    def fit():
        raise AssertionError("a malformed answer must not cost the minute of fitting")

    monkeypatch.setattr(ch07b, "_graded_and_binary_ndcg", fit)
    assert_verdict(ch07b.check_1(answer), False, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The candidate recall of EASE's pool of 50


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.3456, True, "the recall of EASE's 50-item pool is 0.3456. Compare it with the merged pool's",
                     id="right"),
        pytest.param(0.35, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.1728, False, "build the pool with sources=['EASE'] and n_candidates=50", id="anything else"),
        pytest.param("0.35", False, "expected the recall of EASE's 50-item pool as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_ceiling_without_the_sequence_model(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07b, "_ease_pool_recall", lambda: 0.3456)
    assert_verdict(ch07b.check_2(answer), passed, feedback)
