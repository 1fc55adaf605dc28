"""Chapter 6, notebook 02 (missing data and outliers) exercises: leak-free mean imputation,
winsorising with training quantiles, and the Huber loss. Ids are ``"06.02.<name>"``; each
checker compares the learner's function with a reference on fixed inputs and names the usual
slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register

_rng = np.random.default_rng(62)


def _first_is_none(fn: Any, case: tuple[Any, ...]) -> bool:
    """True when the learner's function still returns None (the unedited stub)."""
    try:
        return fn(*case) is None
    except Exception:  # check_function reports the exception with its input
        return False


# --- mean_impute -----------------------------------------------------------------------------

def _mean_impute(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(X), np.nanmean(X_train, axis=0), X)


def _holes(shape: tuple[int, int], rate: float, scale: float = 1.0) -> np.ndarray:
    X = _rng.normal(loc=3.0, scale=scale, size=shape)
    gaps = _rng.random(shape) < rate
    gaps[0] = False   # the first row complete, so no column is all-NaN
    X[gaps] = np.nan
    return X


# Training and other rows differ (a learner using X's own means is caught); NaN in both.
_MI_CASES = [
    (np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 8.0]]), np.array([[np.nan, np.nan], [5.0, 1.0]])),
    (_holes((8, 3), 0.3), _holes((5, 3), 0.4, scale=4.0)),
    (_holes((6, 4), 0.2), _holes((6, 4), 0.5)),
]
_MI_SLIPS = [
    (lambda Xt, X: np.where(np.isnan(X), np.nanmean(X, axis=0), X),
     "use the means of X_train, not of X: the fill values are learnt on training rows and "
     "reused unchanged for any other rows (otherwise the test set leaks into the model)."),
    (lambda Xt, X: np.where(np.isnan(X), 0.0, X),
     "the gaps must get the column means, not 0."),
    (lambda Xt, X: np.where(np.isnan(X), np.nanmean(Xt), X),
     "take one mean per column (axis=0), not one mean of the whole matrix."),
]


@register("mean_impute", "fill NaN with the column means of the training rows (SimpleImputer)")
def _check_mean_impute(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _MI_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _MI_CASES, _MI_SLIPS,
                    "compute np.nanmean(X_train, axis=0) (it ignores NaN), then put those "
                    "values where X is NaN, e.g. with np.where(np.isnan(X), means, X).") \
        if callable(fn) else ""
    return check_function(fn, _mean_impute, _MI_CASES, name=name, hint=hint)


# --- winsorise -------------------------------------------------------------------------------

def _winsorise(x_train: np.ndarray, x: np.ndarray, q: float) -> np.ndarray:
    lo, hi = np.quantile(x_train, [q, 1 - q])
    return np.clip(x, lo, hi)


_heavy = _rng.standard_t(df=2, size=200)
_W_CASES = [
    (np.arange(11.0), np.array([-5.0, 0.0, 3.5, 10.0, 20.0]), 0.1),
    (_heavy, _rng.standard_t(df=2, size=50) * 3, 0.01),
    (_heavy, _rng.normal(scale=5, size=30), 0.05),
]
_W_SLIPS = [
    (lambda xt, x, q: np.clip(x, *np.quantile(x, [q, 1 - q])),
     "the bounds come from x_train's quantiles, not from x itself: learn them on the "
     "training data and apply them unchanged elsewhere."),
    (lambda xt, x, q: np.minimum(x, np.quantile(xt, 1 - q)),
     "clip both tails: values below the q quantile go up to it, values above the 1 - q "
     "quantile come down to it."),
]


@register("winsorise", "clip to the [q, 1-q] quantiles of the training data")
def _check_winsorise(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _W_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _W_CASES, _W_SLIPS,
                    "lo, hi = np.quantile(x_train, [q, 1 - q]); then np.clip(x, lo, hi). "
                    "np.percentile takes percents (1, 99), np.quantile fractions (0.01, "
                    "0.99).") if callable(fn) else ""
    return check_function(fn, _winsorise, _W_CASES, name=name, hint=hint)


# --- huber_loss ------------------------------------------------------------------------------

def _huber(r: np.ndarray, epsilon: float) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= epsilon, 0.5 * r**2, epsilon * a - 0.5 * epsilon**2)


# Residuals inside and outside the threshold, both signs, exactly at it, and a 2-D array.
_H_CASES = [
    (np.array([-3.0, -1.35, -0.5, 0.0, 0.5, 1.35, 3.0]), 1.35),
    (np.linspace(-4, 4, 17), 1.0),
    (_rng.normal(scale=2.0, size=(3, 4)), 0.7),
]
_H_SLIPS = [
    (lambda r, e: np.where(np.abs(r) <= e, r**2, 2 * e * np.abs(r) - e**2),
     "that is twice the loss asked for (scikit-learn's internal convention); here the "
     "quadratic part is 0.5 * r**2 and the linear part epsilon*|r| - 0.5*epsilon**2."),
    (lambda r, e: np.where(np.abs(r) <= e, 0.5 * r**2, e * np.abs(r)),
     "the linear part must meet the quadratic one at |r| = epsilon: subtract "
     "0.5 * epsilon**2 (so the loss is continuous)."),
    (lambda r, e: np.where(r <= e, 0.5 * r**2, e * r - 0.5 * e**2),
     "use |r|: large negative residuals must also be on the linear part."),
]


@register("huber_loss", "Huber loss: 0.5 r^2 inside [-eps, eps], eps|r| - 0.5 eps^2 outside")
def _check_huber_loss(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _H_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _H_CASES, _H_SLIPS,
                    "use np.where(np.abs(r) <= epsilon, 0.5 * r**2, epsilon * np.abs(r) - "
                    "0.5 * epsilon**2).") if callable(fn) else ""
    return check_function(fn, _huber, _H_CASES, name=name, hint=hint)
