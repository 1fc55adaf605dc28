"""Chapter 1, notebook 02 (big data meets AI) exercises: HHMM clock times to minutes, the size
at which a learning curve flattens, and the clean-equivalent size of a noisy-label accuracy.
Ids are ``"01.02.<name>"``; each checker compares the learner's function with a reference on
inputs that expose the usual slips, and names the slip when it recognises one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, register, try_call

# --- HHMM to minutes -------------------------------------------------------------------------

# Cases: a single time, hour boundaries (1259 vs 1300), midnight written as 2400 and as 0,
# times after midnight (1, 59), and NaN for a flight that never departed.
_HHMM_CASES = [
    (np.array([517.0]),),
    (np.array([1259.0, 1300.0, 2400.0, 0.0, 1.0, 59.0, 100.0]),),
    (np.array([830.0, np.nan, 2359.0, 1545.0]),),
]


def _hhmm(x: Any) -> np.ndarray:
    x = np.asarray(x, float)
    return (x // 100) * 60 + x % 100


_HHMM_SLIPS = [
    (lambda x: np.asarray(x, float) * 60 / 100,
     "x * 60 / 100 treats HHMM as a decimal number of hours; split it: hours = x // 100, "
     "minutes = x % 100, and return hours * 60 + minutes."),
    (lambda x: (np.asarray(x, float) / 100) * 60 + np.asarray(x, float) % 100,
     "x / 100 keeps the minutes as a fraction of the hour; use floor division x // 100 for "
     "the hours."),
    (lambda x: (np.asarray(x, float) // 100) * 60,
     "you kept only the whole hours; add the minutes x % 100."),
]


@register("hhmm_to_minutes", "HHMM clock times (floats, NaN allowed) to minutes after midnight")
def _check_hhmm(fn: Any, name: str) -> CheckResult:
    hint = "hours = x // 100 and minutes = x % 100 (both keep NaN); return hours * 60 + minutes."
    if callable(fn):
        hint = diagnose(fn, _HHMM_CASES[:2], _HHMM_SLIPS, hint)   # cases without NaN
        nan_case = _HHMM_CASES[2][0]
        got = try_call(fn, nan_case.copy())
        if got is not None and got.shape == nan_case.shape and not np.array_equal(
                np.isnan(got), np.isnan(nan_case)):
            # check_function would report the mismatch at a non-NaN index; say it directly.
            return CheckResult(name, False, f"on input ({nan_case}): got {got}; a missing time "
                                            "(NaN) must stay NaN and every known time must "
                                            "give a number (do not fill or drop NaN).")
    return check_function(fn, _hhmm, _HHMM_CASES, name=name, hint=hint)


# --- flattening point ------------------------------------------------------------------------

_SIZES = np.array([20, 40, 80, 160, 320, 640, 1280])
# Cases: flat at 320 with threshold 1 (gains 8, 5, 3, 1.5, 0.8, 0.5 points); the same curve with
# a threshold of 3 (a gain of exactly 3 is *not* below it); never flat (inf); flat at once.
_CURVE = np.array([0.70, 0.78, 0.83, 0.86, 0.875, 0.883, 0.888])
_FLAT_CASES = [
    (_SIZES, _CURVE, 1.0),
    (_SIZES, _CURVE, 3.0 - 1e-9),
    (_SIZES, _CURVE, 3.0 + 1e-9),
    (_SIZES, np.array([0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]), 2.0),
    (_SIZES[:4], np.array([0.9, 0.905, 0.95, 0.99]), 1.0),
]


def _flat(sizes: Any, mean_acc: Any, threshold_pp: float) -> float:
    gains = 100 * np.diff(np.asarray(mean_acc, float))
    below = np.flatnonzero(gains < threshold_pp)
    return float(np.asarray(sizes)[below[0]]) if len(below) else np.inf


def _flat_next(sizes: Any, mean_acc: Any, threshold_pp: float) -> float:
    gains = 100 * np.diff(np.asarray(mean_acc, float))
    below = np.flatnonzero(gains < threshold_pp)
    return float(np.asarray(sizes)[below[0] + 1]) if len(below) else np.inf


def _flat_fraction(sizes: Any, mean_acc: Any, threshold_pp: float) -> float:
    gains = np.diff(np.asarray(mean_acc, float))
    below = np.flatnonzero(gains < threshold_pp)
    return float(np.asarray(sizes)[below[0]]) if len(below) else np.inf


_FLAT_SLIPS = [
    (_flat_next, "you returned the size after the step; return the size n the step starts "
                 "from (doubling n to 2n is what adds too little)."),
    (_flat_fraction, "the accuracies are fractions and the threshold is in percentage points: "
                     "multiply the gains by 100 before comparing."),
]


@register("flattening_point", "first size whose doubling adds less than a threshold (points)")
def _check_flat(fn: Any, name: str) -> CheckResult:
    hint = ("gains = 100 * np.diff(mean_acc) are the points added by each doubling; return "
            "sizes[i] for the first i with gains[i] < threshold_pp, else np.inf.")
    if callable(fn):
        hint = diagnose(fn, _FLAT_CASES, _FLAT_SLIPS, hint)
    return check_function(fn, _flat, _FLAT_CASES, name=name, hint=hint)


# --- clean-equivalent size -------------------------------------------------------------------

_EQ_CASES = [
    (_SIZES, _CURVE, 0.83),                 # exactly a measured point: 80
    (_SIZES, _CURVE, 0.845),                # half way between 80 and 160 in log2: about 113
    (_SIZES, _CURVE, 0.5),                  # below the curve: clamped to 20
    (_SIZES, _CURVE, 0.95),                 # above the curve: clamped to 1280
    (np.array([10, 20, 40, 80]), np.array([0.6, 0.7, 0.75, 0.77]), 0.76),
]


def _equiv(sizes: Any, mean_acc: Any, target: float) -> float:
    return float(2 ** np.interp(target, mean_acc, np.log2(np.asarray(sizes, float))))


_EQ_SLIPS = [
    (lambda s, a, t: float(np.interp(t, a, np.asarray(s, float))),
     "you interpolated the sizes linearly; the sizes double at each step, so interpolate "
     "log2(sizes) and return 2 ** result."),
    (lambda s, a, t: float(np.interp(t, a, np.log2(np.asarray(s, float)))),
     "that is log2 of the size; return 2 ** (the interpolated value)."),
]


@register("clean_equivalent_size", "size at which a clean learning curve reaches an accuracy")
def _check_equiv(fn: Any, name: str) -> CheckResult:
    hint = ("np.interp(target_acc, mean_acc, np.log2(sizes)) gives log2 of the size; return "
            "2 ** that value (np.interp already clamps outside the measured range).")
    if callable(fn):
        hint = diagnose(fn, _EQ_CASES, _EQ_SLIPS, hint)
    return check_function(fn, _equiv, _EQ_CASES, name=name, rtol=1e-8, hint=hint)
