"""Chapter 5, notebook 07 (multimodal models and AutoML) exercises: the best accuracy one
input alone allows (a modality's ceiling), a log-spaced grid for hyperparameter search, and
the input matrix of an early-fusion model. Ids are ``"05.07.<name>"``; each checker compares
the learner's function with a reference on fixed inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(57)


# --- modality_ceiling ------------------------------------------------------------------------

def _ceiling(feature: Any, label: Any) -> float:
    feature, label = np.asarray(feature), np.asarray(label)
    correct = 0
    for value in np.unique(feature):
        _, counts = np.unique(label[feature == value], return_counts=True)
        correct += int(counts.max())
    return correct / len(label)


def _global_majority(feature: Any, label: Any) -> float:
    _, counts = np.unique(np.asarray(label), return_counts=True)
    return counts.max() / len(label)


def _unweighted(feature: Any, label: Any) -> float:
    feature, label = np.asarray(feature), np.asarray(label)
    shares = []
    for value in np.unique(feature):
        _, counts = np.unique(label[feature == value], return_counts=True)
        shares.append(counts.max() / counts.sum())
    return float(np.mean(shares))


def _always_one_share(feature: Any, label: Any) -> float:
    feature, label = np.asarray(feature), np.asarray(label)
    return float(np.mean([label[feature == v].mean() for v in np.unique(feature)]))


# Groups of unequal size (weighted vs unweighted differ), a feature that decides the label,
# a constant feature (the ceiling is the majority share), three classes, and a sample of the
# notebook's own construction (context k, label d + k >= 10).
_digits = _rng.integers(0, 10, size=200)
_context = _rng.integers(0, 10, size=200)
_CEIL_CASES = [
    (np.array([0, 0, 1, 1, 1, 2]), np.array([0, 1, 1, 1, 0, 0])),
    (np.array([3, 3, 3, 3, 3, 3, 3, 7, 7]), np.array([1, 1, 1, 1, 1, 0, 0, 0, 1])),
    (np.array([0, 1, 0, 1, 2, 2]), np.array([0, 1, 0, 1, 1, 1])),
    (np.zeros(7, dtype=int), np.array([1, 0, 1, 1, 0, 1, 1])),
    (np.array([0, 0, 0, 1, 1, 1, 1, 2, 2]), np.array([2, 2, 0, 1, 1, 0, 2, 0, 0])),
    (_context, (_digits + _context >= 10).astype(int)),
]
_CEIL_SLIPS = [
    (_global_majority,
     "that is the majority-class baseline: it ignores the feature. Group the examples by "
     "the feature's value and take the most common label within each group."),
    (_unweighted,
     "the groups must be weighted by their size: add up the number of correct predictions "
     "over all groups and divide by the total number of examples."),
    (_always_one_share,
     "for each value the best rule predicts the *most common* label, which may be 0: use "
     "the count of the majority label, not the share of label 1."),
]


@register("modality_ceiling", "best accuracy any classifier that sees only one feature can reach")
def _check_modality_ceiling(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _ceiling, _CEIL_CASES, _CEIL_SLIPS,
        "for every distinct value of the feature, count how often its most common label "
        "occurs; the ceiling is the sum of those counts divided by the number of examples.",
        tol=1e-9)


# --- log_grid --------------------------------------------------------------------------------

def _quiet(fn: Any, *args: Any) -> np.ndarray:
    with np.errstate(all="ignore"):  # np.logspace(1e-2, 1e4, 5) overflows to inf, silently
        return fn(*args)


def _log_grid(low: float, high: float, n: int) -> np.ndarray:
    return np.geomspace(low, high, n)


_GRID_CASES = [(1e-2, 1e4, 5), (1e-5, 10.0, 4), (0.1, 1000.0, 3), (1.0, 2.0, 2),
               (3e-4, 0.3, 7)]
_GRID_SLIPS = [
    (lambda lo, hi, n: np.linspace(lo, hi, n),
     "np.linspace spaces the values evenly on a linear scale, so nearly all of them land in "
     "the top decade; space the *logarithms* evenly (np.geomspace)."),
    (lambda lo, hi, n: _quiet(np.logspace, lo, hi, n),
     "np.logspace takes exponents, not the values themselves: np.logspace(np.log10(low), "
     "np.log10(high), n), or simply np.geomspace(low, high, n)."),
    (lambda lo, hi, n: np.geomspace(lo, hi, n, endpoint=False),
     "both ends belong to the grid: the last value must be `high` (endpoint=True)."),
    (lambda lo, hi, n: np.log10(np.geomspace(lo, hi, n)),
     "return the values themselves (C or gamma), not their logarithms."),
]


@register("log_grid", "n values from low to high, evenly spaced on a log scale")
def _check_log_grid(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _log_grid, _GRID_CASES, _GRID_SLIPS,
        "take n evenly spaced numbers between log(low) and log(high) and exponentiate them "
        "(np.geomspace(low, high, n) does exactly this).", tol=1e-9)


# --- early_fusion ----------------------------------------------------------------------------

def _early_fusion(images: np.ndarray, table: np.ndarray) -> np.ndarray:
    return np.concatenate([images.reshape(len(images), -1), table], axis=1)


_FUSION_CASES = [
    (np.arange(12.0).reshape(3, 2, 2), np.array([[0.5, -1.0], [1.5, 2.0], [7.0, 8.0]])),
    (_rng.uniform(size=(2, 8, 8)), _rng.normal(size=(2, 3))),
    (_rng.uniform(size=(1, 3, 5)), _rng.normal(size=(1, 1))),
    (_rng.uniform(size=(4, 2, 3)), _rng.normal(size=(4, 2))),
]
_FUSION_SLIPS = [
    (lambda im, tab: np.concatenate([tab, im.reshape(len(im), -1)], axis=1),
     "the order is pixels first, then the table's columns."),
    (lambda im, tab: np.concatenate([im.reshape(-1), tab.reshape(-1)]),
     "keep one row per example: flatten each image to a row (images.reshape(n, -1)) and "
     "join along axis 1, not the whole arrays into one long vector."),
    (lambda im, tab: np.concatenate([im.transpose(0, 2, 1).reshape(len(im), -1), tab], axis=1),
     "flatten each image row by row (NumPy's default order), not column by column."),
]


@register("early_fusion", "one row per example: flattened image pixels, then the table columns")
def _check_early_fusion(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _early_fusion, _FUSION_CASES, _FUSION_SLIPS,
        "reshape images to (n, height * width) and concatenate it with the table along "
        "axis 1.", tol=1e-12)
