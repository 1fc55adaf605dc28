"""Chapter 1, notebook 01 (why large models) exercises: a doubling time by least squares on
log2 of a quantity, its bootstrap percentile interval, and the median tokens per parameter of
recent dense models in the cited table. Ids are ``"01.01.<name>"``; each checker compares the
learner's answer with a reference and names the usual slip when it recognises one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, check_value, diagnose, register

_rng = np.random.default_rng(11)

# --- doubling time ---------------------------------------------------------------------------

# Cases: an exact doubling every year (12 months), a noisy trend over non-integer years, and a
# table-like spread of magnitudes.
_DT_CASES = [
    (np.array([2000.0, 2001.0, 2002.0, 2003.0]), np.array([1.0, 2.0, 4.0, 8.0])),
    (np.array([2010.0, 2011.5, 2013.0, 2014.0, 2016.25]),
     2.0 ** (0.8 * np.array([0.0, 1.5, 3.0, 4.0, 6.25]) + np.array([0.3, -0.2, 0.1, 0.0, -0.4]))),
    (np.arange(2012.0, 2025.0), 10.0 ** (7 + 0.35 * np.arange(13) + _rng.normal(0, 0.4, 13))),
]


def _slope(years: np.ndarray, values: np.ndarray, log: Any = np.log2) -> float:
    return float(np.polyfit(np.asarray(years, float), log(np.asarray(values, float)), 1)[0])


def _doubling(years: np.ndarray, values: np.ndarray) -> float:
    return 12.0 / _slope(years, values)


_DT_SLIPS = [
    (lambda t, v: 12.0 / _slope(t, v, np.log),
     "you used the natural log: a slope of ln(values) is in e-foldings per year; fit log2 so "
     "the slope counts doublings."),
    (lambda t, v: 12.0 / _slope(t, v, np.log10),
     "you used log10: its slope counts factors of ten per year; fit log2 so the slope counts "
     "doublings."),
    (lambda t, v: _slope(t, v), "that is the slope (doublings per year); the doubling time in "
                                "months is 12 / slope."),
    (lambda t, v: 1.0 / _slope(t, v), "that is the doubling time in years; multiply by 12 "
                                      "for months."),
    (lambda t, v: 12.0 * _slope(t, v), "12 * slope is doublings per 12 years; the doubling "
                                       "time is 12 / slope."),
]


@register("doubling_time_months", "doubling time in months: 12 / OLS slope of log2(values) on years")
def _check_doubling(fn: Any, name: str) -> CheckResult:
    hint = ("fit a straight line to log2(values) against years (np.polyfit(years, "
            "np.log2(values), 1)[0] is the slope in doublings per year) and return 12 / slope.")
    if callable(fn):
        hint = diagnose(fn, _DT_CASES, _DT_SLIPS, hint)
    return check_function(fn, _doubling, _DT_CASES, name=name, rtol=1e-8, hint=hint)


# --- bootstrap interval ----------------------------------------------------------------------

def _boot_slopes(years: Any, values: Any, n_boot: int, seed: int,
                 skip_degenerate: bool = True) -> np.ndarray:
    x = np.asarray(years, float)
    y = np.log2(np.asarray(values, float))
    idx = np.random.default_rng(seed).integers(0, len(x), size=(n_boot, len(x)))
    xs, ys = x[idx], y[idx]
    dx = xs - xs.mean(axis=1, keepdims=True)
    dy = ys - ys.mean(axis=1, keepdims=True)
    sxx = (dx ** 2).sum(axis=1)
    ok = sxx > 0 if skip_degenerate else np.ones(len(sxx), bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (dx * dy).sum(axis=1)[ok] / sxx[ok]


def _interval(years: Any, values: Any, n_boot: int, seed: int, level: float) -> np.ndarray:
    s = _boot_slopes(years, values, n_boot, seed)
    lo, hi = np.percentile(s, [50 * (1 - level), 50 * (1 + level)])
    return np.array([lo, hi, len(s)], dtype=float)


def _as_triple(fn: Any) -> Any:
    def call(*args: Any) -> Any:
        out = fn(*args)
        if out is None:
            return None
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise ValueError("return a tuple (low, high, n_fits)")
        return np.array([float(v) for v in out])
    return call


# Cases: a small table (4 points, 2 distinct years: many degenerate resamples), a table-like
# one, and a different level and seed.
_BOOT_CASES = [
    (np.array([2015.0, 2015.0, 2016.0, 2016.0]), np.array([1e6, 3e6, 4e6, 2e7]), 500, 0, 0.95),
    (np.arange(2012.0, 2025.0), 10.0 ** (7 + 0.35 * np.arange(13) + _rng.normal(0, 0.4, 13)),
     400, 3, 0.95),
    (np.array([2017.0, 2018, 2019, 2019, 2020, 2022, 2024]),
     np.array([2e8, 3e8, 1.5e9, 8e9, 1.75e11, 5.4e11, 4e11]), 300, 7, 0.8),
]


def _no_skip(years: Any, values: Any, n_boot: int, seed: int, level: float) -> np.ndarray:
    s = _boot_slopes(years, values, n_boot, seed, skip_degenerate=False)
    lo, hi = np.percentile(s, [50 * (1 - level), 50 * (1 + level)])
    return np.array([lo, hi, len(s)], dtype=float)


def _level_as_tail(years: Any, values: Any, n_boot: int, seed: int, level: float) -> np.ndarray:
    s = _boot_slopes(years, values, n_boot, seed)
    lo, hi = np.percentile(s, [100 * level / 2, 100 * (1 - level / 2)])
    return np.array([lo, hi, len(s)], dtype=float)


_BOOT_SLIPS = [
    (_no_skip, "resamples whose years are all equal have no slope (0/0 gives NaN); skip "
               "them — keep only resamples with a nonzero sum of squared year deviations — "
               "and count only the slopes you kept."),
    (_level_as_tail, "the percentiles are 50*(1-level) and 50*(1+level) (2.5 and 97.5 for "
                     "level 0.95); you used level as the tail share."),
]


@register("bootstrap_slope_interval",
          "bootstrap percentile interval of the OLS slope of log2(values) on years")
def _check_bootstrap(fn: Any, name: str) -> CheckResult:
    hint = ("draw idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n)) once; for "
            "each row of idx take years[row] and log2(values)[row], skip the row if all its "
            "years are equal, else keep the OLS slope; return np.percentile(slopes, "
            "[50*(1-level), 50*(1+level)]) and len(slopes).")
    wrapped = _as_triple(fn) if callable(fn) else fn
    if callable(fn):
        hint = diagnose(wrapped, _BOOT_CASES, _BOOT_SLIPS, hint)
    return check_function(wrapped, _interval, _BOOT_CASES, name=name, rtol=1e-8, atol=1e-10,
                          hint=hint)


# --- tokens per parameter --------------------------------------------------------------------

def _tokens_per_parameter() -> float:
    from labutils.data import load_notable_models

    df = load_notable_models()
    moe = df.notes.str.contains(r"mixture.of.experts", case=False, regex=True)
    rows = df[~moe & (df.year >= 2023)].dropna(subset=["parameters", "training_tokens"])
    return float((rows.training_tokens / rows.parameters).median())


@register("tokens_per_parameter",
          "median training tokens per parameter, dense models from 2023 on")
def _check_tokens_per_parameter(answer: Any, name: str) -> CheckResult:
    return check_value(
        answer, _tokens_per_parameter(), name=name, rtol=1e-9,
        hint="keep rows with year >= 2023, both parameters and training_tokens published "
             "(dropna), and no 'mixture of experts' in the notes (the models.moe column); "
             "take the median of training_tokens / parameters (not the ratio of medians).")
