"""Chapter 3, notebook 03 (loss functions) exercises: mean softmax cross-entropy computed
straight from logits with the log-sum-exp trick (``"03.03.xent_from_logits"``), the gradient
``p - y`` of a confident prediction (``"03.03.confident_gradient"``), and seed 003's softmax
output with ``from_logits=True`` fixed (``"03.03.seed_from_logits"``). The checkers compare
with :mod:`labutils.scratch.losses` and probe the learner's answer first so the hint names the
actual mistake.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    check_value,
    not_yet,
    register,
    try_call,
)
from labutils.scratch import logsumexp, softmax, sparse_categorical_cross_entropy

# Inputs: a single example, a batch (the answer is the batch *mean*), and logits so large or
# so negative that exp() overflows to inf or underflows to 0 in a naive implementation.
_XENT_CASES = [
    (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
    (np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 4.0]]),
     np.array([0, 1, 2, 2])),
    (np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -1002.0]]), np.array([1, 0])),
]


def _reference(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(sparse_categorical_cross_entropy(labels, logits, from_logits=True))


def _xent_hint(fn: Any) -> str:
    if not callable(fn):
        return ""
    big = try_call(fn, *_XENT_CASES[2])
    if big is not None and big.size and not np.all(np.isfinite(big)):
        return ("exp(1000) overflows to inf and exp(-1000) underflows to 0, so log(softmax) "
                "becomes NaN or inf. Never form the probabilities: use "
                "log softmax(z)_y = z_y - logsumexp(z) with logsumexp(z) = m + "
                "log(sum(exp(z - m))), m = max(z) of each row.")
    logits, labels = _XENT_CASES[1]
    got = try_call(fn, logits, labels)
    per_example = logsumexp(logits, axis=-1) - logits[np.arange(len(labels)), labels]
    if got is not None:
        if got.shape == per_example.shape and np.allclose(got, per_example):
            return "you returned one loss per example; return their mean (a single number)."
        if got.size == 1 and np.isclose(float(got.ravel()[0]), per_example.sum()):
            return "you returned the sum over the batch; divide by the number of examples."
        if got.size == 1 and np.isclose(float(got.ravel()[0]), -per_example.mean()):
            return "the sign is flipped: the loss is -log p(correct class), which is >= 0."
    return ("for each row: loss = logsumexp(z) - z[label], with logsumexp computed after "
            "subtracting the row maximum; then average over the rows.")


@register("xent_from_logits",
          "mean softmax cross-entropy from logits and integer labels, via log-sum-exp")
def _check_xent_from_logits(fn: Any, name: str) -> CheckResult:
    return check_function(fn, _reference, _XENT_CASES, name=name,
                          atol=1e-9, rtol=1e-7, hint=_xent_hint(fn))


# --- confident_gradient: p - y for a confidently right example -----------------------------------
_P_CONFIDENT = np.array([0.999, 0.0006, 0.0004])
_Y_CONFIDENT = np.array([1.0, 0.0, 0.0])


@register("confident_gradient", "gradient p - y of softmax cross-entropy for a confident, "
                                "correct prediction")
def _check_confident_gradient(answer: Any, name: str) -> CheckResult:
    if answer is None:
        return not_yet(name, "array")
    expected = _P_CONFIDENT - _Y_CONFIDENT
    got = np.asarray(answer, dtype=float) if not isinstance(answer, str) else None
    hint = "the gradient is p - y: subtract the one-hot label (1 at class 0) from p."
    if got is not None and got.shape == expected.shape:
        if np.allclose(got, -expected, atol=1e-9):
            hint = "the sign is flipped: the gradient is p - y, not y - p."
        elif np.allclose(got, _P_CONFIDENT, atol=1e-9):
            hint = "that is p itself; subtract the one-hot label y = (1, 0, 0)."
    elif got is not None and got.size == 1 and np.isclose(float(got.ravel()[0]), -0.001):
        hint = ("that is the true class's entry; the gradient has one entry per logit, three "
                "here (the other classes get p_k - 0).")
    return check_value(answer, expected, name=name, atol=1e-9, rtol=1e-9, hint=hint)


# --- seed_from_logits: seed 003's softmax output + from_logits=True, fixed ----------------------
# Moderate logits (probabilities far from Keras' 1e-7 clipping), so both fixes - logits with
# from_logits=True, or probabilities with from_logits=False - give the reference value.
_LOGIT_CASES = [
    (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
    (np.array([[2.0, -1.0, 0.5, 0.0], [0.3, 2.5, -1.0, 1.0], [-1.5, 0.0, 3.0, 0.2]]),
     np.array([0, 1, 3])),
    (np.array([[4.0, -4.0], [-3.0, 3.0], [0.0, 0.0], [1.0, -2.0]]), np.array([1, 1, 0, 0])),
]


def _double_softmax(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(sparse_categorical_cross_entropy(labels, softmax(logits), from_logits=True))


@register("seed_from_logits", "fix seed 003's softmax output + from_logits=True: softmax once")
def _check_seed_from_logits(fn: Any, name: str) -> CheckResult:
    slips = [
        (_double_softmax,
         "this is still seed 003's double softmax: the probabilities go into a loss told they "
         "are logits. Pass the logits with from_logits=True, or the probabilities with "
         "from_logits=False."),
        (lambda z, t: float(sparse_categorical_cross_entropy(t, z, from_logits=True,
                                                             reduction="sum")),
         "return the mean over the batch, not the sum."),
    ]
    return check_function_or_slip(fn, name, _reference, _LOGIT_CASES, slips,
                                  "the loss is -log softmax(logits)[label], averaged over the "
                                  "batch; softmax must be applied exactly once.", tol=1e-6)
