"""Chapter 3, notebook 02 (activation functions) exercises: ``"03.02.sigmoid_grad"``,
``"03.02.stable_softmax"`` and ``"03.02.fixed_head"`` (seed 002's ReLU bottleneck in front
of the softmax, removed). Each checker compares the learner's function with the reference in
:mod:`labutils.scratch` on fixed inputs, and first runs a few probes that recognise the
usual slips, so the hint names the actual mistake.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    register,
    try_call,
)
from labutils.scratch import relu, sigmoid, sigmoid_grad, softmax

# Inputs: zero (the maximum, 0.25), both signs, a batch, and large |z| where the naive
# sigmoid overflows and the derivative must go to 0, not NaN.
_SIGMOID_CASES = [
    (np.array([0.0]),),
    (np.array([-2.0, -0.5, 0.5, 2.0]),),
    (np.linspace(-6.0, 6.0, 13).reshape(13, 1),),
    (np.array([-800.0, -40.0, 40.0, 800.0]),),
]

# Inputs: one vector, a batch (softmax along the last axis, each row on its own), rows
# whose entries differ by a constant (same softmax), and huge logits where exp overflows.
_SOFTMAX_CASES = [
    (np.array([1.0, 2.0, 3.0]),),
    (np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 5.0, 2.0]]),),
    (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -999.0]]),),
]


def _sigmoid_grad_hint(fn: Any) -> str:
    z = np.array([-3.0, -1.0, 0.5, 2.0])
    got = try_call(fn, z) if callable(fn) else None
    if got is not None and got.shape == z.shape:
        s = sigmoid(z)
        if np.allclose(got, s):
            return ("you returned sigmoid(z) itself; the derivative is sigmoid(z) * (1 - "
                    "sigmoid(z)).")
        if np.allclose(got, z * (1 - z)):
            return ("you applied s * (1 - s) to z itself; first compute s = sigmoid(z), then "
                    "s * (1 - s).")
        if np.allclose(got, s * (1 + s)) or np.allclose(got, -s * (1 - s)):
            return "check the signs: the derivative is s * (1 - s), positive everywhere."
    return ("compute s = sigmoid(z) (labutils.scratch.sigmoid is stable for large |z|) and "
            "return s * (1 - s); it peaks at 0.25 for z = 0.")


@register("sigmoid_grad", "derivative of the sigmoid: s(z) * (1 - s(z))")
def _check_sigmoid_grad(fn: Any, name: str) -> CheckResult:
    return check_function(fn, sigmoid_grad, _SIGMOID_CASES, name=name,
                          atol=1e-9, rtol=1e-7, hint=_sigmoid_grad_hint(fn))


def _softmax_hint(fn: Any) -> str:
    if not callable(fn):
        return ""
    big = try_call(fn, np.array([1000.0, 1001.0, 1002.0]))
    if big is not None and not np.all(np.isfinite(big)):
        return ("exp(1000) overflows to inf and inf / inf is NaN. Subtract the largest "
                "entry of each row first - softmax(z - max(z)) equals softmax(z) - so every "
                "exponent is <= 0.")
    batch = np.array([[1.0, 2.0], [3.0, 5.0]])
    got = try_call(fn, batch)
    if got is not None and got.shape == batch.shape and not np.allclose(got.sum(axis=-1), 1.0):
        return ("each row must sum to 1: take max and sum along the last axis with "
                "axis=-1, keepdims=True, not over the whole array.")
    return ("softmax(z) = exp(z - max(z)) / sum(exp(z - max(z))), along the last axis, one "
            "row per example.")


@register("stable_softmax", "numerically stable softmax along the last axis")
def _check_stable_softmax(fn: Any, name: str) -> CheckResult:
    return check_function(fn, softmax, _SOFTMAX_CASES, name=name,
                          atol=1e-9, rtol=1e-7, hint=_softmax_hint(fn))


# --- fixed_head: seed 002's Dense(10, relu) before the softmax output, removed ------------------

def _head_cases() -> list[tuple[np.ndarray, ...]]:
    """(h, W1, b1, W2, b2) with h >= 0 like the output of a ReLU/pooling stack. In each case
    some bottleneck units are negative on every row (the seed's ReLU zeroes them), so a head
    that keeps the ReLU cannot pass."""
    rng = np.random.default_rng(22)
    cases = []
    for rows, width, dead in ((1, 3, 2), (3, 6, 2), (5, 8, 4)):
        h = np.abs(rng.normal(size=(rows, width)))
        W1 = rng.normal(scale=0.5, size=(width, 10))
        b1 = rng.normal(scale=0.1, size=10)
        b1[:dead] = -10.0          # units 0..dead-1: z < 0 on every row
        W2 = rng.normal(scale=0.5, size=(10, 10))
        b2 = rng.normal(scale=0.1, size=10)
        cases.append((h, W1, b1, W2, b2))
    return cases


_HEAD_CASES = _head_cases()


def _fixed_head(h: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                b2: np.ndarray) -> np.ndarray:
    return softmax((h @ W1 + b1) @ W2 + b2)


_HEAD_SLIPS = [
    (lambda h, W1, b1, W2, b2: softmax(relu(h @ W1 + b1) @ W2 + b2),
     "this is still seed 002's head: the ReLU between the two Dense(10) layers zeroes every "
     "bottleneck unit that is negative for all rows, and no gradient reaches its weights. "
     "Remove the ReLU."),
    (lambda h, W1, b1, W2, b2: (h @ W1 + b1) @ W2 + b2,
     "these are logits; the seed's last layer is Dense(10, activation='softmax'), so return "
     "probabilities (softmax along the last axis)."),
    (lambda h, W1, b1, W2, b2: softmax(relu((h @ W1 + b1) @ W2 + b2)),
     "the ReLU moved to the output is no better: a ReLU on the logits zeroes negative ones "
     "(notebook 01, section 6). No ReLU at all."),
]


@register("fixed_head", "seed 002's classifier head without the ReLU bottleneck")
def _check_fixed_head(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _fixed_head, _HEAD_CASES, _HEAD_SLIPS,
        "compute z = h @ W1 + b1 with no activation, then softmax(z @ W2 + b2) along the last "
        "axis: two linear layers in a row are one linear layer, so this is exactly a single "
        "Dense(10, softmax) with W = W1 @ W2 and b = b1 @ W2 + b2.", tol=1e-9)
