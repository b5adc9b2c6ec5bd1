"""The exercise machinery every chapter's checks share: the verdict, the blank answer, numbers, paired differences.

Each table reads as the checks' contract: an answer, the verdict it gets (True right, False "not yet",
None for the blank answer or, from `numeric_verdict`, "no clear verdict: the caller looks for slips"),
and a phrase the feedback must contain.
"""

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import assert_verdict

from recsys_tutorial.exercises import CheckResult, exercise, numeric_verdict, paired_difference_verdict, wrong


def test_check_result_reads_as_feedback():
    assert repr(CheckResult(True, "fine")) == "✅ Correct: fine"
    assert repr(CheckResult(False, "try again")) == "❌ Not yet: try again"
    assert repr(CheckResult(None, "later")) == "✏️ No answer yet: later"
    # Only a right answer is truthy, so `assert check(answer)` works in the solved notebooks.
    assert [bool(CheckResult(passed, "")) for passed in (True, False, None)] == [True, False, False]


def test_a_blank_answer_reveals_nothing_and_never_reaches_the_check():
    @exercise
    def check(answer):
        raise AssertionError("a blank answer must not be judged")

    blank = check(None)
    assert blank.passed is None
    assert blank.message == "write yours in the cell above, then run this cell again."


def test_exercise_passes_extra_arguments_to_the_check():
    @exercise
    def check(answer, expected):
        return CheckResult(answer == expected, "")

    assert check(3, 3).passed is True and check(3, expected=4).passed is False


# ---------------------------------------------------------------------------------------------
# numeric_verdict: right within 0.1 %, "not yet" for non-numbers and for too few figures, else None

EXPECTED = 0.123456


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(EXPECTED, True, "the value is 0.1235.", id="exact"),
        pytest.param(0.12349, True, "the value is 0.1235.", id="within 0.1 %"),
        # 0.1235 is four significant figures and lies 0.04 % from 0.123456: inside the tolerance, so right.
        pytest.param(0.1235, True, "the value is 0.1235.", id="four significant figures"),
        pytest.param(np.float32(EXPECTED), True, "the value is", id="numpy scalar"),
        pytest.param(np.array(EXPECTED), True, "the value is", id="0-d array"),
        pytest.param(0.123, False, "0.123 looks rounded to too few figures", id="three significant figures"),
        pytest.param(0.12, False, "give at least four significant figures", id="two significant figures"),
        pytest.param(0.1, False, "looks rounded", id="one significant figure"),
        pytest.param(0.12346 * 1.002, None, "", id="0.2 % off: no clear verdict"),
        pytest.param(0.13, None, "", id="not a rounding of the answer: no clear verdict"),
        pytest.param(7, None, "", id="far off: no clear verdict"),
        pytest.param(0, None, "", id="zero is no rounding"),
        pytest.param("0.12", False, "expected the value as a number, got the text '0.12'", id="text"),
        pytest.param([0.1, 0.2], False, "expected the value as a single number, got list", id="list"),
        pytest.param({"a": 1}, False, "as a single number, got dict", id="dict"),
        pytest.param(np.nan, False, "as a finite number, got nan", id="nan"),
        pytest.param(-np.inf, False, "as a finite number, got -inf", id="infinity"),
    ],
)
def test_numeric_verdict(answer, passed, feedback):
    verdict = numeric_verdict(answer, EXPECTED, "the value")
    if passed is None:
        assert verdict is None
    else:
        assert_verdict(verdict, passed, feedback)


def test_numeric_verdict_never_reveals_the_answer_to_a_wrong_one():
    for answer in (0.12, 0.123, "0.12", np.nan):
        assert "0.1235" not in numeric_verdict(answer, EXPECTED, "the value").message


def test_numeric_verdict_adds_the_lesson_to_a_right_answer_only():
    assert numeric_verdict(EXPECTED, EXPECTED, "the value", explain="Small.").message == "the value is 0.1235. Small."
    assert "Small" not in numeric_verdict(0.12, EXPECTED, "the value", explain="Small.").message


def test_numeric_verdict_takes_a_wider_tolerance_and_formats_large_counts():
    assert numeric_verdict(77_800, 77_124, "n", rtol=0.01).message == "n is 77,124."
    assert numeric_verdict(77_800, 77_124, "n") is None  # 0.9 % off: outside the default 0.1 %


def test_numeric_verdict_takes_a_near_miss_of_a_small_count_for_a_miscount_not_a_rounding():
    # 30 is 31 "rounded to one figure", but a count of 31 has no more figures to give.
    assert numeric_verdict(30, 31, "the count") is None
    assert numeric_verdict(31, 31, "the count").message == "the count is 31."
    assert "rounded" in numeric_verdict(77_000, 77_124, "n").message  # a large count can be rounded


def test_numeric_verdict_handles_a_negative_expected_value():
    assert numeric_verdict(-0.01234, -0.012345, "the difference").passed is True
    assert "rounded" in numeric_verdict(-0.0123, -0.012345, "the difference").message
    assert numeric_verdict(0.012345, -0.012345, "the difference") is None  # the sign is the caller's slip


# ---------------------------------------------------------------------------------------------
# paired_difference_verdict: the mean of a paired difference, with its interval and its lesson

PAIRED_TEST = pd.Series({"mean difference": 0.0123, "ci low": 0.004, "ci high": 0.021, "p-value": 0.01})
SLIP = (0.05, "that compares with the default model.")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.0123, True, "Its paired 95 % interval is [0.0040, 0.0210]: the new model wins.", id="right"),
        pytest.param(0.01231, True, "the mean difference is 0.0123.", id="within 0.1 %"),
        pytest.param(-0.0123, False, "the sign is reversed: the new model minus the old one.", id="reversed"),
        pytest.param(0.05, False, "that compares with the default model.", id="a named slip"),
        pytest.param(0.012, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.3, False, "pass the new model first", id="anything else: the hint"),
        pytest.param("a lot", False, "expected the mean difference as a number", id="text"),
        pytest.param([0.01, 0.02], False, "as a single number", id="list"),
    ],
)
def test_paired_difference_verdict(answer, passed, feedback):
    verdict = paired_difference_verdict(answer, PAIRED_TEST, "the new model", "the old one",
                                        conclusion="the new model wins.", hint="pass the new model first.",
                                        slips=[SLIP])
    assert_verdict(verdict, passed, feedback)


def test_a_wrong_verdict_is_a_check_result():
    assert wrong("because").passed is False and wrong("because").message == "because"
