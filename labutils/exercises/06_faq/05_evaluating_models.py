"""Chapter 6, notebook 05 (evaluating models) exercises: precision, recall and F1 from binary
labels, the expected calibration error, and the threshold that minimises a business cost.
Ids are ``"06.05.<name>"``. The references are scikit-learn's metrics (precision, recall,
F1) and a binned computation on ``sklearn.calibration.calibration_curve`` (ECE); each checker
probes the learner's function on inputs that expose the usual slips and names the slip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register

_rng = np.random.default_rng(65)

# --- precision, recall, F1 -----------------------------------------------------------------

# Cases: a plain one, one with no predicted positives (precision's denominator is 0), one with
# no true positives at all, and a larger random one. Labels as ints, since learners pass 0/1.
_PRF_CASES = [
    (np.array([1, 0, 1, 1, 0, 0, 1, 0]), np.array([1, 0, 0, 1, 1, 0, 1, 0])),
    (np.array([1, 0, 1, 0, 0]), np.array([0, 0, 0, 0, 0])),
    (np.array([0, 0, 0, 0]), np.array([0, 1, 0, 1])),
    (_rng.integers(0, 2, size=200), _rng.integers(0, 2, size=200)),
]


def _prf(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    from sklearn import metrics

    kw = {"zero_division": 0}
    return (float(metrics.precision_score(y_true, y_pred, **kw)),
            float(metrics.recall_score(y_true, y_pred, **kw)),
            float(metrics.f1_score(y_true, y_pred, **kw)))


def _counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, int, int]:
    t, p = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    return int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p))


def _swapped(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    p, r, f = _prf(y_true, y_pred)
    return r, p, f


def _arithmetic_f1(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    p, r, _ = _prf(y_true, y_pred)
    return p, r, (p + r) / 2


def _accuracy_as_precision(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float]:
    _, r, f = _prf(y_true, y_pred)
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))), r, f


_PRF_SLIPS = [
    (_swapped, "precision and recall are swapped: precision = TP / (TP + FP) divides by the "
               "predicted positives, recall = TP / (TP + FN) by the actual positives."),
    (_arithmetic_f1, "F1 is the harmonic mean 2PR / (P + R), not the arithmetic mean (P + R) / 2 "
                     "- it is high only when both are high."),
    (_accuracy_as_precision, "your precision is the accuracy (all correct / all examples); "
                             "precision counts only the predicted positives: TP / (TP + FP)."),
]


@register("precision_recall_f1", "precision, recall and F1 of the positive class from 0/1 labels")
def _check_precision_recall_f1(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_PRF_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, [c for c in _PRF_CASES if all(_counts(*c))], _PRF_SLIPS,
                    "count TP, FP and FN with boolean masks; when a denominator is 0 (e.g. no "
                    "predicted positives) return 0 for that metric instead of dividing.") \
        if callable(fn) else ""
    return check_function(fn, _prf, _PRF_CASES, name=name, atol=1e-12, hint=hint)


# --- expected calibration error ------------------------------------------------------------

def _ece_reference(y_true: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    """Binned ECE from scikit-learn's calibration_curve, bin sizes from the same (lo, hi]
    bins calibration_curve uses."""
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(y_true, p, n_bins=n_bins, strategy="uniform")
    bins = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], p)
    counts = np.bincount(bins, minlength=n_bins)
    weights = counts[counts > 0] / len(p)
    return float(np.sum(weights * np.abs(prob_true - prob_pred)))


_p_big = _rng.uniform(size=300)
_ECE_CASES = [
    (np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.7, 0.9]), 2),
    (np.array([0, 1, 0, 1, 1, 0]), np.array([0.0, 0.05, 0.5, 0.55, 1.0, 0.95]), 10),  # p=0, p=1
    (np.array([0, 0, 0, 1, 1]), np.array([0.02, 0.04, 0.5, 0.52, 0.97]), 10),  # empty bins
    ((_rng.uniform(size=300) < _p_big ** 2).astype(int), _p_big, 10),
    ((_rng.uniform(size=300) < _p_big).astype(int), _p_big, 5),
]


def _ece_unweighted(y_true: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(y_true, p, n_bins=n_bins)
    return float(np.mean(np.abs(prob_true - prob_pred)))


def _ece_global(y_true: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    return float(abs(np.mean(y_true) - np.mean(p)))


_ECE_SLIPS = [
    (_ece_unweighted, "you averaged the bins' gaps equally; weight each bin's |observed - "
                      "predicted| by its share of the examples, n_b / N."),
    (_ece_global, "you compared the overall means only; ECE compares them bin by bin and adds "
                  "the weighted gaps, so over- and under-confidence cannot cancel."),
]


@register("ece", "expected calibration error with equal-width (lo, hi] bins")
def _check_ece(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_ECE_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, _ECE_CASES, _ECE_SLIPS,
                    "use bins (lo, hi] from np.linspace(0, 1, n_bins + 1), put p == 0 in the "
                    "first bin and p == 1 in the last, skip empty bins, and add "
                    "(n_b / N) * |mean(y in bin) - mean(p in bin)|.") if callable(fn) else ""
    return check_function(fn, _ece_reference, _ECE_CASES, name=name, atol=1e-10, hint=hint)


# --- threshold from costs --------------------------------------------------------------------

_GRID = np.round(np.arange(0, 1.0001, 0.01), 2)


def _best_threshold(y_true: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    y, p = np.asarray(y_true, bool), np.asarray(p, float)
    costs = [cost_fn * np.sum(y & (p < t)) + cost_fp * np.sum(~y & (p >= t)) for t in _GRID]
    return float(_GRID[int(np.argmin(costs))])


def _costs_swapped(y_true: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    return _best_threshold(y_true, p, cost_fp, cost_fn)


def _bayes_only(y_true: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> float:
    return float(np.round(cost_fp / (cost_fp + cost_fn), 2))


_p_cal = _rng.uniform(size=400)
_y_cal = (_rng.uniform(size=400) < _p_cal).astype(int)
_p_skew = _rng.beta(1, 6, size=400)
_y_skew = (_rng.uniform(size=400) < np.sqrt(_p_skew)).astype(int)   # miscalibrated scores
_THRESHOLD_CASES = [
    (np.array([0, 0, 1, 1, 0, 1]), np.array([0.05, 0.2, 0.35, 0.8, 0.6, 0.9]), 1.0, 1.0),
    (_y_cal, _p_cal, 6.0, 1.0),
    (_y_cal, _p_cal, 1.0, 6.0),
    (_y_skew, _p_skew, 0.6, 0.1),
]

_THRESHOLD_SLIPS = [
    (_costs_swapped, "the costs are swapped: a false negative is a positive (y = 1) with "
                     "p < t, and it costs cost_fn; a false positive is y = 0 with p >= t."),
    (_bayes_only, "you returned cost_fp / (cost_fp + cost_fn): that is right only for "
                  "calibrated probabilities; the exercise asks for the threshold that minimises "
                  "the counted cost on these data."),
]


@register("best_threshold", "the threshold on a 0.01 grid that minimises cost_fn*FN + cost_fp*FP")
def _check_best_threshold(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_THRESHOLD_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, _THRESHOLD_CASES, _THRESHOLD_SLIPS,
                    "for each t in the grid flag p >= t, count FN (y = 1, not flagged) and FP "
                    "(y = 0, flagged), and keep the first t with the lowest "
                    "cost_fn * FN + cost_fp * FP (np.argmin returns the first).") \
        if callable(fn) else ""
    return check_function(fn, _best_threshold, _THRESHOLD_CASES, name=name, atol=1e-12,
                          hint=hint)
