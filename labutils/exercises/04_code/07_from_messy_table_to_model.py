"""Chapter 4, notebook 07 (from a messy table to a model) exercises: repair seed 000's
``dropna()``-then-``fillna(0)`` step with training medians, parse the numbers of a messy
CSV export, and flag outliers with interquartile-range fences learned on training rows.
Ids are ``"04.07.<name>"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from labutils.checks import CheckResult, check_function_or_slip, finish, register

_rng = np.random.default_rng(407)


# --- prepare (the seed's bug) ----------------------------------------------------------------

def _prepare(train: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    return other.fillna(train.median())


def _frames(n_train: int, n_other: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Skewed money-like columns (mean != median) with gaps in both frames."""
    rng = np.random.default_rng(seed)

    def one(n: int) -> pd.DataFrame:
        frame = pd.DataFrame({"income": np.round(rng.lognormal(4.8, 0.5, n)),
                              "assets": np.round(rng.lognormal(8.0, 1.0, n), -2),
                              "age": rng.integers(18, 70, n).astype(float)})
        frame = frame.mask(rng.uniform(size=frame.shape) < 0.2)
        return frame

    return one(n_train), one(n_other)


_PREPARE_CASES = [_frames(40, 12, 1), _frames(25, 25, 2), _frames(60, 8, 3)]
_PREPARE_SLIPS = [
    (lambda train, other: other.dropna(),
     "dropna() deletes every row with a gap - the model must still answer for those rows. "
     "Keep all rows and fill the gaps instead (seed 000's fillna(0) after dropna() never has "
     "anything left to fill)."),
    (lambda train, other: other.fillna(0),
     "0 is not a plausible income or age: filling with 0 invents extreme values. Use the "
     "training median of each column."),
    (lambda train, other: other.fillna(other.median()),
     "the medians come from the rows being prepared; learn them from `train` only, so the "
     "same values are used for every later row (and at serving time)."),
    (lambda train, other: other.fillna(train.mean()),
     "that is the training mean; these columns are skewed, and the exercise asks for the "
     "median, which a few very large values cannot drag."),
]


@register("prepare", "keep every row; fill each gap with the training median of its column")
def _check_prepare(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _prepare, _PREPARE_CASES, _PREPARE_SLIPS,
        "return other.fillna(train.median()): every row kept, each column's gaps filled with "
        "that column's median over the training rows.", tol=1e-9)


# --- parse_numbers ---------------------------------------------------------------------------

def _parse(values: Any) -> np.ndarray:
    out = []
    for v in values:
        text = str(v).strip()
        out.append(math.nan if text in ("?", "") else float(text.replace(",", "")))
    return np.array(out, dtype=float)


_PARSE_CASES = [
    (["1,250", "?", "980", "12,000", ""],),
    (["0", "3,000", "250,000", "?", "?", "75"],),
    (["1,234,567", "12.5", "?"],),
]
_PARSE_SLIPS = [
    (lambda values: np.array([0.0 if str(v).strip() in ("?", "") else
                              float(str(v).replace(",", "")) for v in values]),
     "a '?' or an empty cell is a missing value: return NaN for it, not 0 (0 is a real "
     "amount, e.g. no assets)."),
    (lambda values: np.array([float(str(v).replace(",", "")) for v in values
                              if str(v).strip() not in ("?", "")]),
     "keep one value per input, in order - a missing value becomes NaN; dropping it would "
     "shift every later value onto the wrong row."),
    (lambda values: np.array([math.nan if str(v).strip() in ("?", "") else
                              float(str(v).replace(",", ".", 1).replace(",", ""))
                              for v in values]),
     "here the comma separates thousands ('3,000' is three thousand), it is not a decimal "
     "point."),
]


def _nan_filled(fn: Any) -> str | None:
    """Where the reference has NaN and the learner a number, say so (a plain comparison
    would point at the largest difference, which NaN hides)."""
    for (values,) in _PARSE_CASES:
        try:
            got = np.asarray(fn(list(values)), dtype=float)
        except Exception:  # reported by check_function_or_slip
            return None
        expected = _parse(values)
        if got.shape != expected.shape:
            return None
        wrong = np.flatnonzero(np.isnan(expected) & ~np.isnan(got))
        if wrong.size:
            i = int(wrong[0])
            return (f"on input {values}: entry {i} ({values[i]!r}) should be NaN, got "
                    f"{got[i]:g}. Hint: {_PARSE_SLIPS[0][1]}")
    return None


@register("parse_numbers", "CSV text with '?' and thousands separators -> floats with NaN")
def _check_parse_numbers(fn: Any, name: str) -> CheckResult:
    problem = _nan_filled(fn) if callable(fn) else None
    if problem is not None:
        return finish(CheckResult(name, False, problem))
    return check_function_or_slip(
        fn, name, _parse, _PARSE_CASES, _PARSE_SLIPS,
        "strip each string; '?' or '' -> np.nan; otherwise remove the commas and call "
        "float(); return a float array as long as the input.", tol=0.0)


# --- iqr_outlier_mask ------------------------------------------------------------------------

def _iqr_mask(x_train: Any, x: Any, k: float) -> np.ndarray:
    q1, q3 = np.quantile(np.asarray(x_train, float), [0.25, 0.75])
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    x = np.asarray(x, float)
    return (x < lo) | (x > hi)


_TRAIN = _rng.lognormal(5.0, 0.6, size=200)
_IQR_CASES = [
    (np.arange(9.0), np.array([-4.0, -4.5, 0.0, 12.0, 12.5, 5.0]), 1.5),   # fences -4 and 12
    (_TRAIN, _rng.lognormal(5.0, 0.9, size=50), 3.0),
    (_TRAIN, np.concatenate([_TRAIN[:30], [5000.0, -10.0]]), 1.5),
]
_IQR_SLIPS = [
    (lambda x_train, x, k: _iqr_mask(x, x, k),
     "the quartiles must come from x_train: fences learned on the rows being checked move "
     "with them, and at serving time there may be a single row."),
    (lambda x_train, x, k: np.abs(np.asarray(x, float) - np.mean(x_train))
     > k * np.std(x_train),
     "that is a z-score rule (mean and standard deviation), which the outliers themselves "
     "inflate; use the quartiles Q1, Q3 and IQR = Q3 - Q1."),
    (lambda x_train, x, k: ~((np.asarray(x, float) > np.quantile(x_train, 0.25)
                              - k * np.subtract(*np.quantile(x_train, [0.75, 0.25])))
                             & (np.asarray(x, float) < np.quantile(x_train, 0.75)
                                + k * np.subtract(*np.quantile(x_train, [0.75, 0.25])))),
     "a value exactly on a fence is not an outlier: flag only x < Q1 - k*IQR or "
     "x > Q3 + k*IQR (strict inequalities)."),
]


@register("iqr_outlier_mask", "flag values outside Q1 - k*IQR .. Q3 + k*IQR of the training rows")
def _check_iqr_outlier_mask(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _iqr_mask, _IQR_CASES, _IQR_SLIPS,
        "q1, q3 = np.quantile(x_train, [0.25, 0.75]); flag x < q1 - k*(q3-q1) or "
        "x > q3 + k*(q3-q1); return a boolean array like x.", tol=0.0)
