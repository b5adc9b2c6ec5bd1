"""Checks for the end-of-chapter exercises.

Each chapter has a module (``exercises.ch01``, ...) with ``check_1``, ``check_2``, ... that take the
reader's answer and return a `CheckResult`: it says whether the answer is right and, when it is
not, what the likely slip was. Checks never raise on a wrong answer; they teach.

Examples
--------
>>> from recsys_tutorial.exercises import CheckResult
>>> CheckResult(True, "the density is 0.0012")
✅ Correct: the density is 0.0012
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "correct", "wrong", "as_number", "close"]


@dataclass(frozen=True)
class CheckResult:
    """The verdict on an exercise answer, shown as one line of feedback."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        verdict = "✅ Correct" if self.passed else "❌ Not yet"
        return textwrap.fill(f"{verdict}: {self.message}", width=88, subsequent_indent="   ")

    def __bool__(self) -> bool:
        return self.passed


def correct(message: str) -> CheckResult:
    return CheckResult(True, message)


def wrong(message: str) -> CheckResult:
    return CheckResult(False, message)


def as_number(answer, what: str) -> float | CheckResult:
    """The answer as a float, or a failed `CheckResult` explaining what was expected instead."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong(f"expected {what} as a single number, got {type(answer).__name__} {answer!r:.60}")
    if not np.isfinite(value):
        return wrong(f"expected {what} as a finite number, got {value}")
    return value


def close(a: float, b: float, rtol: float = 1e-3, atol: float = 1e-9) -> bool:
    return bool(np.isclose(a, b, rtol=rtol, atol=atol))
