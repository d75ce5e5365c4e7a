"""Exercises for the notebooks: predict, run, check.

An exercise is two cells. In the first the learner writes an answer into a
variable, which starts as ``...`` (Python's Ellipsis: "not answered yet")::

    prediction = ...   # how many messages end up dead-lettered?

In the second a check compares it with what the simulator did::

    check("dead-lettered copies", prediction, result.summary["messages"]["dead_lettered"])

A right answer prints a tick; a wrong one raises :class:`WrongAnswer` (an
``AssertionError``) that says what was expected and, with ``hint=``, why; an
unanswered one prints a reminder and lets the notebook run on. The test suite
executes every notebook three ways: as shipped (nothing answered), with the
reference answers, and with wrong answers (every check must then fail) -- the
answers live in ``notebooks/answers/<notebook>.json``, keyed by the variable name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["WrongAnswer", "check", "check_that"]


class WrongAnswer(AssertionError):
    """The learner's answer does not match what happened."""


def _unanswered(answer: Any) -> bool:
    return answer is ...


def check(what: str, answer: Any, expected: Any, *, tolerance: float = 0.0, hint: str = "") -> bool:
    """Compare ``answer`` with ``expected`` (numbers within ``tolerance``, relative); print a
    tick when right, raise :class:`WrongAnswer` when wrong. ``False`` when not answered yet."""
    if _unanswered(answer):
        print(f"✎ {what}: write your answer in the cell above, then run this cell again.")
        return False
    if _close(answer, expected, tolerance):
        print(f"✔ {what}: {answer!r} — right.")
        return True
    raise WrongAnswer(f"✘ {what}: you said {answer!r}, the run says {expected!r}." + (f" {hint}" if hint else ""))


def check_that(what: str, answer: Any, test: Callable[[Any], bool], *, hint: str = "") -> bool:
    """Like :func:`check`, for answers that are code or a choice: ``test(answer)`` says if it is right."""
    if _unanswered(answer):
        print(f"✎ {what}: write your answer in the cell above, then run this cell again.")
        return False
    if test(answer):
        print(f"✔ {what}: right.")
        return True
    raise WrongAnswer(f"✘ {what}: not yet." + (f" {hint}" if hint else ""))


def _close(answer: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected or answer == expected
    if isinstance(answer, int | float) and isinstance(expected, int | float):
        return math.isclose(answer, expected, rel_tol=tolerance, abs_tol=0.0 if tolerance else 1e-9)
    if isinstance(answer, str) and isinstance(expected, str):
        return answer.strip().lower() == expected.strip().lower()
    return bool(answer == expected)
