"""Checks for the end-of-chapter exercises.

Each chapter has a module (``exercises.ch01``, ...) with ``check_1``, ``check_2``, ... that take the
reader's answer and return a `CheckResult`: it says whether the answer is right and, when it is
not, what the likely slip was. Checks never raise on a wrong answer; they teach.

An exercise in a chapter has four cells: the task; a blank answer cell (``answer_1 = None``); a
check cell (``ch01.check_1(answer_1)``), whose saved output reveals nothing because the answer is
still blank; and the worked solution, folded in a ``<details>`` block that stays folded in
Jupyter, Colab, GitHub and the book. The test suite runs every chapter with the solutions filled
in and requires every check to pass.

Numbers are accepted within 0.1 % of the expected value (`numeric_verdict`), so an answer printed
to four significant figures passes and any of the textbook's equivalent formulas does too.

Examples
--------
>>> from recsys_tutorial.exercises import CheckResult, exercise
>>> CheckResult(True, "the density is 0.0012")
✅ Correct: the density is 0.0012
>>> @exercise
... def check_1(answer):
...     verdict = numeric_verdict(answer, 0.123456, "the share")
...     if verdict is not None:
...         return verdict
...     return wrong("a share lies in [0, 1]")
>>> check_1(None)
✏️ No answer yet: write yours in the cell above, then run this cell again.
>>> check_1(0.1235)
✅ Correct: the share is 0.1235.
>>> check_1(0.12)
❌ Not yet: 0.12 looks rounded to too few figures; give at least four
   significant figures (full precision is fine).
>>> check_1(7)
❌ Not yet: a share lies in [0, 1]
"""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "exercise", "correct", "wrong", "as_number", "close", "numeric_verdict",
           "paired_difference_verdict", "by_interval", "RTOL"]

#: Relative tolerance of every numeric answer: 0.1 %.
RTOL = 1e-3

_NOT_ATTEMPTED = "write yours in the cell above, then run this cell again."


@dataclass(frozen=True)
class CheckResult:
    """The verdict on an exercise answer, shown as one line of feedback.

    ``passed`` is True (right), False (not yet) or None (no answer given: the answer cell still
    holds ``None``).
    """

    passed: bool | None
    message: str

    def __repr__(self) -> str:
        verdict = {True: "✅ Correct", False: "❌ Not yet", None: "✏️ No answer yet"}[self.passed]
        # 79 columns: what an output box of the rendered book shows on one line.
        return textwrap.fill(f"{verdict}: {self.message}", width=79, subsequent_indent="   ")

    def __bool__(self) -> bool:
        return bool(self.passed)


def exercise(check):
    """Decorate a ``check_n(answer)``: a blank answer (``None``) gets a reply that reveals nothing."""

    @functools.wraps(check)
    def checked(answer, *args, **kwargs) -> CheckResult:
        if answer is None:
            return CheckResult(None, _NOT_ATTEMPTED)
        return check(answer, *args, **kwargs)

    return checked


def correct(message: str) -> CheckResult:
    """A passing `CheckResult`; ``message`` says what was right."""
    return CheckResult(True, message)


def wrong(message: str) -> CheckResult:
    """A "not yet" `CheckResult`; ``message`` names the likely slip or gives a hint, never the answer."""
    return CheckResult(False, message)


def as_number(answer, what: str) -> float | CheckResult:
    """The answer as a float, or a failed `CheckResult` explaining what was expected instead."""
    if isinstance(answer, (str, bytes)):
        return wrong(f"expected {what} as a number, got the text {answer!r:.60}")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong(f"expected {what} as a single number, got {type(answer).__name__} {answer!r:.60}")
    if not np.isfinite(value):
        return wrong(f"expected {what} as a finite number, got {value}")
    return value


def close(a: float, b: float, rtol: float = RTOL, atol: float = 1e-12) -> bool:
    """Whether ``a`` is ``b`` within the relative tolerance ``rtol`` (0.1 %) or the absolute ``atol``."""
    return bool(np.isclose(a, b, rtol=rtol, atol=atol))


def numeric_verdict(answer, expected: float, what: str, explain: str = "", rtol: float = RTOL) -> CheckResult | None:
    """The verdict on a numeric answer where it is clear, else None (the caller looks for slips).

    Right within ``rtol`` (0.1 %); "not yet" when the answer is not a finite number, or when it is
    the expected value rounded to fewer than four significant figures (the reply asks for more
    figures and never gives the answer). ``explain`` is added to the message of a right answer.
    """
    value = as_number(answer, what)
    if isinstance(value, CheckResult):
        return value
    if close(value, expected, rtol=rtol):
        return correct(f"{what} is {_significant(expected)}.{' ' + explain if explain else ''}")
    if _is_rounded(value, expected):
        return wrong(f"{value:g} looks rounded to too few figures; give at least four significant figures "
                     "(full precision is fine).")
    return None


def by_interval(test, above: str, spanning: str, below: str) -> str:
    """The conclusion a paired test supports: ``above`` when its 95 % interval lies above zero,
    ``below`` when it lies below, ``spanning`` when it contains zero.

    >>> test = {"ci low": -0.01, "ci high": 0.02}
    >>> by_interval(test, "A wins", "a tie", "B wins")
    'a tie'
    """
    return above if test["ci low"] > 0 else below if test["ci high"] < 0 else spanning


def paired_difference_verdict(answer, test, first: str, second: str, conclusion: str, hint: str,
                              slips: tuple = ()) -> CheckResult:
    """The verdict on an answer that should be the mean of a paired difference, ``first − second``.

    ``test`` is the `evaluation.paired_test` row of the right answer; a right answer is told its
    interval and ``conclusion``. A reversed sign is named; ``slips`` are further ``(value,
    message)`` pairs of typical wrong answers; anything else gets ``hint``.
    """
    value = as_number(answer, "the mean difference")
    if isinstance(value, CheckResult):
        return value
    expected = float(test["mean difference"])
    interval = f"Its paired 95 % interval is [{test['ci low']:.4f}, {test['ci high']:.4f}]"
    verdict = numeric_verdict(value, expected, "the mean difference", explain=f"{interval}: {conclusion}")
    if verdict is not None:
        return verdict
    if close(value, -expected):
        return wrong(f"the sign is reversed: {first} minus {second}.")
    for slip, message in slips:
        if close(value, slip):
            return wrong(message)
    return wrong(hint)


def _is_rounded(value: float, expected: float) -> bool:
    """Is ``value`` ``expected`` rounded to 1–3 significant figures or to a number of decimals?

    Never for a whole number under 1,000 (a count such as 31): it is given in full, and an answer
    of 30 is a miscount, which more figures would not fix.
    """
    if float(expected).is_integer() and abs(expected) < 1_000:
        return False
    candidates = [float(f"{expected:.{figures}g}") for figures in (1, 2, 3)]
    candidates += [round(expected, decimals) for decimals in range(7)]
    return value != 0 and any(np.isclose(value, c, rtol=1e-9, atol=0) for c in candidates)


def _significant(x: float, figures: int = 4) -> str:
    return f"{x:,.{figures}g}" if abs(x) < 1e4 or x != int(x) else f"{int(x):,}"
