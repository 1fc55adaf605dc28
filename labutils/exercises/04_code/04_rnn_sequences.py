"""Chapter 4, notebook 04 (RNNs on a time series) exercises: the seasonal-naive forecast,
cutting a series into (input, target) windows without look-ahead, and a "find the bug" on a
classic look-ahead leak (a scaler fitted on the whole series). Ids are ``"04.04.<name>"``.
Each checker compares the learner's function with a reference on fixed inputs after trying
the usual slips, so a wrong answer gets the hint that fits it. (The seed articles show no RNN
code, so none of these is a seed mistake.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    diagnose,
    finish,
    not_yet,
    register,
)

_rng = np.random.default_rng(404)

# --- seasonal_naive ----------------------------------------------------------------------------

def _safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A slip that fails on some input (an index past the end) matches no answer there."""
    def call(*args: Any) -> Any:
        try:
            return fn(*args)
        except (IndexError, ValueError):
            return np.array([np.nan])
    return call



def _seasonal_naive(history: Any, season: int, horizon: int) -> np.ndarray:
    h = np.asarray(history, dtype=float)
    return h[len(h) - season + np.arange(horizon) % season]


# Distinct values (so every index slip shows), horizons shorter than, equal to and longer than
# the season, and season 1 (the naive forecast).
_SN_CASES: list[tuple[Any, ...]] = [
    (np.arange(1.0, 15.0), 7, 3),
    (np.arange(1.0, 15.0), 7, 7),
    (_rng.normal(size=20), 7, 10),
    (np.array([5.0, 3.0, 8.0, 2.0]), 1, 3),
    (_rng.normal(size=9), 3, 5),
]
_SN_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (_safe(lambda h, m, H: np.asarray(h, dtype=float)[len(h) - m + np.arange(H)]),
     "for a horizon longer than the season, start the season again: the index is "
     "len(history) - season + (h % season)."),
    (lambda h, m, H: np.repeat(np.asarray(h, dtype=float)[-m], H),
     "each step ahead takes its own value from one season back: forecast[h] = "
     "history[-season + (h % season)], not one value repeated."),
    (lambda h, m, H: np.repeat(np.asarray(h, dtype=float)[-1], H),
     "that is the naive forecast (repeat the last value); go back one whole season."),
    (lambda h, m, H: np.asarray(h, dtype=float)[len(h) - m - 1 + np.arange(H) % m],
     "off by one day: the value one season before step h is history[len(history) - season + "
     "(h % season)] (the last value has index len(history) - 1)."),
]


@register("seasonal_naive", "the seasonal-naive forecast: repeat the last observed season")
def _check_seasonal_naive(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _seasonal_naive, _SN_CASES, _SN_SLIPS,
        "forecast[h] = history[len(history) - season + (h % season)] for h = 0..horizon-1.")


# --- make_windows ------------------------------------------------------------------------------

def _make_windows(series: Any, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(series, dtype=float)
    starts = range(len(s) - lookback - horizon + 1)
    x = np.array([s[i:i + lookback] for i in starts])
    y = np.array([s[i + lookback:i + lookback + horizon] for i in starts])
    return x, y


def _windows_slip(x_shift: int = 0, y_shift: int = 0, drop_last: bool = False) -> Callable:
    def wrong(series: Any, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(series, dtype=float)
        n = len(s) - lookback - horizon + 1 - max(x_shift, y_shift, 0) - int(drop_last)
        x = np.array([s[i + x_shift:i + x_shift + lookback] for i in range(n)])
        y = np.array([s[i + lookback + y_shift:i + lookback + y_shift + horizon]
                      for i in range(n)])
        return x, y
    return wrong


def _pair(fn: Callable[..., Any], series: Any, lookback: int, horizon: int) -> Any:
    out = fn(np.array(series, copy=True), lookback, horizon)
    if out is None:
        return None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ValueError("make_windows must return the pair (x, y)")
    return tuple(np.asarray(v, dtype=float) for v in out)


def _flat(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Both arrays of ``fn``'s pair flattened into one, shapes included, for naming a slip
    (a slip may make a different number of windows)."""
    def call(series: Any, lookback: int, horizon: int) -> Any:
        x, y = _pair(fn, series, lookback, horizon)
        return np.concatenate([[x.ndim, *x.shape, y.ndim, *y.shape], x.ravel(), y.ravel()])
    return call


def _stacked(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Call ``fn`` and join its pair ``(x, y)`` side by side, so one array can be compared
    (the shapes are checked first, with a message that says which is wrong)."""
    def call(series: Any, lookback: int, horizon: int) -> Any:
        out = _pair(fn, series, lookback, horizon)
        if out is None:
            return None
        x, y = out
        n = len(series) - lookback - horizon + 1
        if x.shape != (n, lookback) or y.shape != (n, horizon):
            raise ValueError(f"for len(series)={len(series)}, lookback={lookback}, horizon="
                             f"{horizon} expected x of shape {(n, lookback)} and y of shape "
                             f"{(n, horizon)}; got {x.shape} and {y.shape}")
        return np.hstack([x, y])
    return call


# value == position, so a shifted window shows exactly which positions it took
_W_CASES: list[tuple[Any, ...]] = [(np.arange(10.0), 3, 1), (np.arange(12.0), 4, 3),
                                   (_rng.normal(size=30), 7, 7)]
_W_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (_flat(_windows_slip(x_shift=1)),
     "look-ahead leak: your inputs end *at* the first target, so the model is shown the value "
     "it must predict. Inputs are series[i : i + lookback], targets start at i + lookback."),
    (_flat(_windows_slip(y_shift=-1)),
     "the first target repeats the last input (series[i + lookback - 1]); the targets start "
     "one step later, at i + lookback."),
    (_flat(_windows_slip(drop_last=True)),
     "you lose the last window: there are len(series) - lookback - horizon + 1 windows "
     "(range(n - lookback - horizon + 1))."),
]


@register("make_windows", "cut a series into (input, target) windows without look-ahead")
def _check_make_windows(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        if fn(*_W_CASES[0]) is None:
            return not_yet(name)
    except Exception:  # reported with its input by check_function below
        pass
    default = ("x[i] = series[i : i + lookback] and y[i] = series[i + lookback : i + "
               "lookback + horizon] for i = 0 .. len(series) - lookback - horizon.")
    hint = diagnose(_flat(fn), _W_CASES, _W_SLIPS, default)
    if hint != default:  # a known slip, named even when it also changes the shapes
        return finish(CheckResult(name, False, f"on input (np.arange(10.0), 3, 1): {hint}"))
    return check_function(_stacked(fn), _stacked(_make_windows), _W_CASES, name=name, hint=hint)


# --- scale_series: find the bug ----------------------------------------------------------------

def _scale_series(series: Any, n_train: int) -> np.ndarray:
    s = np.asarray(series, dtype=float)
    return (s - s[:n_train].mean()) / s[:n_train].std()


# A series with a trend, so statistics of the whole series differ clearly from the
# training period's; several split points.
_TREND = np.arange(40.0) * 0.5 + _rng.normal(size=40)
_SC_CASES: list[tuple[Any, ...]] = [(_TREND, 30), (_TREND, 10), (_rng.normal(3, 2, size=25), 20)]
_SC_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda s, n: (s - s.mean()) / s.std(),
     "still leaking: the mean and standard deviation of the whole series include the "
     "validation and test periods, i.e. the future. Compute both from series[:n_train]."),
    (lambda s, n: (s[:n] - s[:n].mean()) / s[:n].std(),
     "scale the whole series (so validation and test can be fed to the model too), only "
     "with statistics taken from series[:n_train]."),
    (lambda s, n: (s - s[:n].mean()) / s[:n].std(ddof=1),
     "use the population standard deviation (np.std's default ddof=0), as "
     "labutils.data.Standardizer and scikit-learn's StandardScaler do."),
    (lambda s, n: (s - s[:n].mean()) / s.std(),
     "the mean is fixed, but the standard deviation still comes from the whole series."),
    (lambda s, n: (s - s.mean()) / s[:n].std(),
     "the standard deviation is fixed, but the mean still comes from the whole series."),
]


@register("scale_series", "find the bug: standardize a series with training-period "
                          "statistics only")
def _check_scale_series(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _scale_series, _SC_CASES, _SC_SLIPS,
        "(series - mean) / std with mean and std of series[:n_train] only.", tol=1e-9)
