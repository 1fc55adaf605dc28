"""Chapter 5, notebook 05 (trust) exercises: integrated gradients from path gradients by the
trapezoid rule, the AUC of the loss-threshold membership-inference attack, and Chouldechova's
identity between a group's false-positive rate, prevalence, precision and miss rate. Ids are
``"05.05.<name>"``; each checker compares the learner's function with a reference on fixed
inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(505)


# --- ig_trapezoid ----------------------------------------------------------------------------

def _ig(x: np.ndarray, baseline: np.ndarray, grads: np.ndarray) -> np.ndarray:
    m = len(grads) - 1
    weights = np.full(m + 1, 1.0 / m)
    weights[[0, -1]] /= 2
    return (x - baseline) * np.tensordot(weights, grads, axes=1)


def _case(shape: tuple[int, ...], m: int, zero_baseline: bool) -> tuple[np.ndarray, ...]:
    x = _rng.normal(size=shape)
    base = np.zeros(shape) if zero_baseline else _rng.normal(size=shape)
    return x, base, _rng.normal(size=(m + 1, *shape))


# A non-zero baseline (x alone is wrong there), a 2-D "image", one interval (m = 1).
_IG_CASES = [_case((6,), 4, True), _case((6,), 5, False), _case((3, 3), 8, False),
             _case((4,), 1, False)]
_IG_SLIPS = [
    (lambda x, b, g: _ig(x, b, g) / (x - b),
     "the average gradient is only half of it: multiply by (x - baseline), the length of "
     "the path, elementwise."),
    (lambda x, b, g: _ig(x, b, g) / (x - b) * x,
     "multiply by (x - baseline), not by x: the two differ when the baseline is not zero."),
    (lambda x, b, g: (x - b) * g.mean(axis=0),
     "a plain mean over the m + 1 points gives the two end points full weight; the "
     "trapezoid rule gives them half: (g_0/2 + g_1 + ... + g_{m-1} + g_m/2) / m."),
    (lambda x, b, g: (x - b) * g[1:].mean(axis=0),
     "that is the right Riemann sum (points k = 1..m); the exercise asks for the trapezoid "
     "rule, which also uses g_0 with weight 1/2."),
    (lambda x, b, g: _ig(x, b, g) * (len(g) - 1),
     "divide by m, the number of intervals: the weights of the rule must sum to 1."),
]


@register("ig_trapezoid", "integrated gradients from gradients on the path (trapezoid rule)")
def _check_ig(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _ig, _IG_CASES, _IG_SLIPS,
        "with m = len(path_grads) - 1 intervals, average the gradients with weights "
        "(1/2, 1, ..., 1, 1/2) / m along axis 0 and multiply by (x - baseline).", tol=1e-9)


# --- loss_attack_auc -------------------------------------------------------------------------

def _auc(member_losses: Any, nonmember_losses: Any) -> float:
    from sklearn.metrics import roc_auc_score

    members, others = np.asarray(member_losses), np.asarray(nonmember_losses)
    labels = np.r_[np.ones(len(members)), np.zeros(len(others))]
    return float(roc_auc_score(labels, -np.r_[members, others]))


def _yeom_tpr(member_losses: Any, nonmember_losses: Any) -> float:
    members = np.asarray(member_losses)
    return float((members < members.mean()).mean())


# Different sizes, ties across the two sets (AUC counts a tie as one half), a clear leak.
_AUC_CASES = [
    (_rng.exponential(0.3, 40), _rng.exponential(0.6, 55)),
    (np.array([0.1, 0.2, 0.2, 0.5]), np.array([0.2, 0.4, 0.05])),
    (_rng.exponential(0.1, 30), _rng.exponential(1.0, 30)),
]
_AUC_SLIPS = [
    (lambda a, b: 1.0 - _auc(a, b),
     "the sign is flipped: members have *lower* losses, so the attack's score is the "
     "negative loss (or label members 1 and use -loss)."),
    (_yeom_tpr,
     "that is one threshold's true-positive rate; the AUC summarises every threshold: "
     "roc_auc_score(labels, -losses) with members labelled 1."),
]


@register("loss_attack_auc", "AUC of the loss-threshold membership-inference attack")
def _check_auc(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _auc, _AUC_CASES, _AUC_SLIPS,
        "label members 1 and non-members 0, score every row by -loss, and pass both to "
        "sklearn.metrics.roc_auc_score.", tol=1e-9)


# --- chouldechova_fpr ------------------------------------------------------------------------

def _fpr(prevalence: Any, ppv: Any, fnr: Any) -> Any:
    p, ppv, fnr = (np.asarray(v, dtype=float) for v in (prevalence, ppv, fnr))
    return p / (1 - p) * (1 - ppv) / ppv * (1 - fnr)


_FPR_CASES = [(0.3, 0.8, 0.1), (0.62, 0.75, 0.2),
              (np.array([0.5, 0.7, 0.2]), np.array([0.6, 0.85, 0.9]), np.array([0.3, 0.1, 0.05]))]
_FPR_SLIPS = [
    (lambda p, q, f: _fpr(p, q, f) / (1 - np.asarray(f)) * np.asarray(f),
     "the last factor is the true-positive rate, 1 - FNR, not FNR."),
    (lambda p, q, f: _fpr(p, q, f) / (1 - np.asarray(f)),
     "the factor (1 - FNR) is missing: FP = TP (1 - PPV) / PPV and TP = (1 - FNR) x positives."),
    (lambda p, q, f: _fpr(p, q, f) * ((1 - np.asarray(p)) / np.asarray(p)) ** 2,
     "prevalence odds upside down: FPR divides by the negatives, so the factor is p / (1 - p)."),
    (lambda p, q, f: _fpr(p, q, f) * (np.asarray(q) / (1 - np.asarray(q))) ** 2,
     "precision odds upside down: the factor is (1 - PPV) / PPV, false over true positives."),
]


@register("chouldechova_fpr", "a group's FPR from its prevalence, PPV and FNR")
def _check_fpr(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _fpr, _FPR_CASES, _FPR_SLIPS,
        "FPR = p / (1 - p) * (1 - PPV) / PPV * (1 - FNR); it must work elementwise on "
        "NumPy arrays too.", tol=1e-9)
