"""Exercise checks: a learner's answer in, a specific hint or a confirmation out.

An exercise in a notebook has three cells: a stub the learner edits (tagged ``exercise``),
the reference solution (tagged ``solution``, dropped from the student version), and a check
call such as ``check("03.01.dense_relu", dense_relu)``. A wrong answer prints *what* differs
and *on which input*; a right one prints a confirmation. With the environment variable
``LABUTILS_STRICT_CHECKS=1`` (set by the test suite) a failed check raises
:class:`CheckFailed`, so CI notices if a reference solution ever stops passing.

The checkers of ``notebooks/<chapter>/<notebook>.ipynb`` live in
``labutils/exercises/<chapter>/<notebook>.py`` and are found from the id alone
(:mod:`labutils.exercises`). This module holds the building blocks they use:
:func:`check_value`, :func:`check_function`, :func:`not_yet`, :func:`diagnose`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CheckFailed", "CheckResult", "check", "check_function", "check_function_or_slip",
    "check_value", "diagnose", "finish",
    "exercises", "not_yet", "register", "try_call",
]


class CheckFailed(AssertionError):
    """Raised for a failed check when ``LABUTILS_STRICT_CHECKS=1`` (tests and CI)."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: truthy when passed; prints as a one-paragraph message."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        mark = "✅ Correct" if self.passed else "❌ Not yet"
        return f"{mark} — {self.name}: {self.message}"

    def __repr__(self) -> str:  # shown as the cell's result in Jupyter
        return str(self)


def _strict() -> bool:
    return os.environ.get("LABUTILS_STRICT_CHECKS", "") not in {"", "0", "false", "False"}


def finish(result: CheckResult) -> CheckResult:
    """Return a checker's own ``CheckResult`` the way every helper here does: a failure raises
    :class:`CheckFailed` under ``LABUTILS_STRICT_CHECKS=1`` (tests and CI), else is returned.
    Use it in a checker that builds its message itself: ``finish(CheckResult(name, ok, msg))``.
    """
    if not result.passed and _strict():
        raise CheckFailed(str(result))
    return result


_finish = finish  # the name used inside this module


def _short(x: Any) -> str:
    text = np.array2string(np.asarray(x), precision=4, threshold=12, edgeitems=3)
    return " ".join(text.split())


def _compare(answer: Any, expected: Any, atol: float, rtol: float) -> str | None:
    """Return None if ``answer`` matches ``expected``, else a sentence saying what differs."""
    if answer is None or answer is Ellipsis:
        return "no answer yet (got None) — replace the placeholder with your code."
    if isinstance(expected, (str, bool)) or expected is None:
        return None if answer == expected else f"expected {expected!r}, got {answer!r}."
    try:
        a = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or array, got {type(answer).__name__}."
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return f"shape {a.shape} but expected {e.shape}."
    if np.any(np.isnan(a) & ~np.isnan(e)):
        return f"your result contains NaN: {_short(a)} (check for log(0), 0/0 or overflow)."
    if np.allclose(a, e, atol=atol, rtol=rtol, equal_nan=True):
        return None
    diff = np.abs(a - e)
    idx = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.ndim else ()
    where = f" at index {tuple(int(i) for i in idx)}" if diff.ndim else ""
    return (f"values differ{where}: got {a[idx]:.6g}, expected {e[idx]:.6g} "
            f"(max abs diff {np.nanmax(diff):.3g}).")


def _hint(hint: str, answer: Any) -> str:
    """The hint for a wrong answer; none for a missing one, so it does not give it away."""
    return f" Hint: {hint}" if hint and answer is not None and answer is not Ellipsis else ""


def not_yet(name: str, what: str = "answer") -> CheckResult:
    """The result for an exercise the learner has not answered yet (the stub still returns
    None): a "not yet" with what to do, and no hint that would give the answer away."""
    return _finish(CheckResult(
        name, False, f"no {what} yet (got None) — replace the placeholder with your code."))


def check_value(answer: Any, expected: Any, *, name: str = "answer", atol: float = 1e-6,
                rtol: float = 1e-6, hint: str = "") -> CheckResult:
    """Compare a value (number, array, string) with the expected one, to ``atol``/``rtol``
    for numbers. The message says what differs — shape, the worst element, a NaN — and adds
    ``hint`` on failure.
    """
    problem = _compare(answer, expected, atol, rtol)
    if problem is None:
        return _finish(CheckResult(name, True, "matches the expected value."))
    return _finish(CheckResult(name, False, problem + _hint(hint, answer)))


def check_function(fn: Callable[..., Any] | None, reference: Callable[..., Any],
                   inputs: Sequence[tuple[Any, ...]], *, name: str = "function",
                   atol: float = 1e-6, rtol: float = 1e-6, hint: str = "") -> CheckResult:
    """Call ``fn`` and ``reference`` on each argument tuple in ``inputs`` and compare the
    results. The first mismatching input is named in the message, so the learner can
    reproduce it; an exception inside ``fn`` is reported, not raised. Both functions get
    their own deep copies of each input, the reference first, so a learner's function that
    modifies its arguments in place can change neither the reference nor later cases.
    """
    if fn is None or not callable(fn):
        return _finish(CheckResult(name, False, "no function yet — define it in the cell above."))
    for args in inputs:
        shown = ", ".join(_short(a) for a in args)
        expected = reference(*copy.deepcopy(args))  # before the learner's code can touch args
        try:
            got = fn(*copy.deepcopy(args))
        except Exception as exc:  # the learner's code failing is a hint, not a crash
            return _finish(CheckResult(
                name, False, f"calling it with ({shown}) raised {type(exc).__name__}: {exc}"))
        problem = _compare(got, expected, atol, rtol)
        if problem is not None:
            msg = f"on input ({shown}): {problem}" + _hint(hint, got)
            return _finish(CheckResult(name, False, msg))
    return _finish(CheckResult(name, True, f"agrees with the reference on {len(inputs)} inputs."))


def try_call(fn: Callable[..., Any], *args: Any) -> np.ndarray | None:
    """Call the learner's ``fn`` with NumPy's overflow warnings silenced and return the result
    as a float array; None if it raises or returns None (the unedited stub). For checkers
    that probe an answer to choose a hint; the check itself reports exceptions properly."""
    try:
        with np.errstate(all="ignore"):
            out = fn(*args)
            return None if out is None else np.asarray(out, dtype=float)
    except Exception:
        return None


def diagnose(fn: Callable[..., Any], cases: Sequence[tuple[Any, ...]],
             slips: Sequence[tuple[Callable[..., Any], str]], default: str) -> str:
    """Name the learner's mistake: run ``fn`` on every argument tuple in ``cases`` and return
    the hint of the first known wrong implementation in ``slips`` (pairs of function and
    hint) that gives the same results everywhere; ``default`` if none does or ``fn`` raises.
    """
    try:
        answers = [np.asarray(fn(*args), dtype=float) for args in cases]
    except Exception:  # the checker reports the exception itself
        return default
    for wrong, hint in slips:
        expected = [np.asarray(wrong(*args), dtype=float) for args in cases]
        if all(a.shape == e.shape and np.allclose(a, e, atol=1e-6, rtol=1e-6)
               for a, e in zip(answers, expected, strict=True)):
            return hint
    return default


def check_function_or_slip(fn: Any, name: str, reference: Callable[..., Any],
                           cases: Sequence[tuple[Any, ...]],
                           slips: Sequence[tuple[Callable[..., Any], str]], default_hint: str,
                           tol: float = 0.0) -> CheckResult:
    """The common checker recipe: "not yet" for a missing function or the unedited stub (it
    returns None), else :func:`check_function` against ``reference`` on ``cases`` with the
    hint of the first known slip that ``fn`` reproduces (:func:`diagnose`)."""
    if not callable(fn):
        return not_yet(name, "function")
    try:
        unanswered = fn(*copy.deepcopy(cases[0])) is None
    except Exception:  # reported with its input by check_function
        unanswered = False
    if unanswered:
        return not_yet(name)
    hint = diagnose(fn, cases, slips, default_hint)
    return check_function(fn, reference, cases, name=name, atol=tol, rtol=tol, hint=hint)


def register(name: str, description: str = "") -> Callable[[Callable], Callable]:
    """Decorator for a checker ``checker(answer, exercise_id) -> CheckResult`` in a notebook's
    checks module; ``name`` is the exercise's short name (``"dense_relu"``), and the id the
    notebook uses adds the notebook's prefix (``"03.01.dense_relu"``)."""
    def deco(checker: Callable[[Any, str], CheckResult]) -> Callable[[Any, str], CheckResult]:
        checker.exercise = (name, description)  # type: ignore[attr-defined]
        return checker
    return deco


def exercises() -> dict[str, str]:
    """Every exercise id of every notebook with its one-line description."""
    from labutils.exercises import all_exercises

    return all_exercises()


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check ``answer`` for the exercise ``exercise_id`` (``"<chapter>.<notebook>.<name>"``).
    Only that notebook's checks module is loaded; an unknown id raises ``KeyError`` listing
    the valid ids of that notebook."""
    from labutils.exercises import checker_for

    return checker_for(exercise_id)(answer, exercise_id)
