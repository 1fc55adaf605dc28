"""Chapter 1, notebook 03 (industry cases) exercises: recall within a false-positive budget,
computed by hand over every threshold, and the lift of a campaign that contacts the top share
of customers. Ids are ``"01.03.<name>"``; the references are scikit-learn's ``roc_curve``
(recall at FPR) and a sort (lift); each checker names the usual slip when it recognises one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, register

_rng = np.random.default_rng(13)

# --- recall at a false-positive budget -------------------------------------------------------

_y1 = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
_s1 = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1])
_y2 = _rng.integers(0, 2, 300)
_s2 = np.round(_y2 * 0.7 + _rng.normal(0, 1, 300), 1)          # rounded: many ties
# Cases: a small hand-checkable ranking at two budgets, a budget of 0 (only thresholds that
# flag no negative count), tied scores, and constant scores (nothing can be flagged safely).
_RAF_CASES = [
    (_y1, _s1, 0.2),
    (_y1, _s1, 0.0),
    (_y2, _s2, 0.1),
    (_y2, _s2, 0.3),
    (_y1, np.zeros(10), 0.5),
]


def _raf(y: Any, s: Any, max_fpr: float) -> float:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(tpr[fpr <= max_fpr].max())


def _strict_budget(y: Any, s: Any, max_fpr: float) -> float:
    y, s = np.asarray(y, bool), np.asarray(s, float)
    best = 0.0
    for t in np.unique(s):
        f = s >= t
        if np.mean(f[~y]) < max_fpr:
            best = max(best, float(np.mean(f[y])))
    return best


def _fpr_over_all(y: Any, s: Any, max_fpr: float) -> float:
    y, s = np.asarray(y, bool), np.asarray(s, float)
    best = 0.0
    for t in np.unique(s):
        f = s >= t
        if np.sum(f & ~y) / len(y) <= max_fpr:
            best = max(best, float(np.mean(f[y])))
    return best


def _strict_threshold(y: Any, s: Any, max_fpr: float) -> float:
    y, s = np.asarray(y, bool), np.asarray(s, float)
    best = 0.0
    for t in np.unique(s):
        f = s > t
        if np.mean(f[~y]) <= max_fpr:
            best = max(best, float(np.mean(f[y])))
    return best


_RAF_SLIPS = [
    (_strict_budget, "the budget allows a false-positive rate *equal* to max_fpr: keep "
                     "thresholds with FPR <= max_fpr, not < max_fpr."),
    (_fpr_over_all, "the false-positive rate divides flagged negatives by all negatives, not "
                    "by all rows."),
    (_strict_threshold, "flag rows with score >= t (at least the threshold); with > t the "
                        "highest-scoring rows can never be flagged."),
]


@register("recall_at_fpr", "largest recall among thresholds whose FPR is within a budget")
def _check_raf(fn: Any, name: str) -> CheckResult:
    hint = ("for each distinct score t, flag s >= t; FPR = flagged negatives / negatives, "
            "recall = flagged positives / positives; keep the largest recall with FPR <= "
            "max_fpr, starting from 0 (flag nobody).")
    if callable(fn):
        hint = diagnose(fn, _RAF_CASES, _RAF_SLIPS, hint)
    return check_function(fn, _raf, _RAF_CASES, name=name, hint=hint)


# --- lift in the top share -------------------------------------------------------------------

_y3 = _rng.integers(0, 2, 200) * (_rng.random(200) < 0.6)
_s3 = _rng.normal(size=200) + 1.5 * _y3
# Cases without ties: a hand-checkable one (top 2 of 10 are both positive, prevalence 0.4),
# a random one at two shares, and a share whose k needs rounding (0.15 * 30 = 4.5 -> 4).
_LIFT_CASES = [
    (_y1, _s1, 0.2),
    (_y3, _s3, 0.1),
    (_y3, _s3, 0.25),
    (_y1[:10].repeat(3), np.linspace(1, 0, 30), 0.15),
]


def _lift(y: Any, s: Any, share: float) -> float:
    y, s = np.asarray(y, float), np.asarray(s, float)
    k = int(round(share * len(y)))
    return float(y[np.argsort(-s)[:k]].mean() / y.mean())


def _precision_only(y: Any, s: Any, share: float) -> float:
    y, s = np.asarray(y, float), np.asarray(s, float)
    k = int(round(share * len(y)))
    return float(y[np.argsort(-s)[:k]].mean())


def _bottom(y: Any, s: Any, share: float) -> float:
    y, s = np.asarray(y, float), np.asarray(s, float)
    k = int(round(share * len(y)))
    return float(y[np.argsort(s)[:k]].mean() / y.mean())


_LIFT_SLIPS = [
    (_precision_only, "that is the precision in the top share; divide it by the prevalence "
                      "(the share of positives among all rows) to get the lift."),
    (_bottom, "np.argsort sorts ascending: you took the lowest scores; use np.argsort(-scores) "
              "(or reverse the order) to take the highest."),
]


@register("lift_at_top", "precision among the top share of scores divided by the prevalence")
def _check_lift(fn: Any, name: str) -> CheckResult:
    hint = ("k = int(round(share * n)); take the k rows with the highest scores "
            "(np.argsort(-scores)[:k]); return their mean label divided by the mean label of "
            "all rows.")
    if callable(fn):
        hint = diagnose(fn, _LIFT_CASES, _LIFT_SLIPS, hint)
    return check_function(fn, _lift, _LIFT_CASES, name=name, hint=hint)
