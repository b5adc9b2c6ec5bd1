import numpy as np

from recsys_tutorial.data import load_movielens_100k, stats
from recsys_tutorial.exercises import CheckResult, ch01


def test_check_result_reads_as_feedback():
    assert repr(CheckResult(True, "fine")) == "✅ Correct: fine"
    assert repr(CheckResult(False, "try again")) == "❌ Not yet: try again"
    assert not CheckResult(False, "x")


def test_blank_answer_reveals_nothing():
    from recsys_tutorial.exercises import exercise, numeric_verdict

    @exercise
    def check(answer):
        return numeric_verdict(answer, 0.123456, "the value")

    blank = check(None)
    assert blank.passed is None and "0.12" not in repr(blank) and not blank
    assert check(0.12349).passed  # within 0.1 %
    assert "four significant figures" in check(0.12).message and "0.1235" not in check(0.12).message
    assert "four significant figures" in check(0.1235).message or check(0.1235).passed
    assert "as a number" in check("0.12").message
    assert check(0.13) is None  # not a rounding of the answer: the chapter's check looks for the slip
    assert check(7) is None
