"""Chapter 3, notebook 02 (activation functions) exercises: ``"03.02.sigmoid_grad"`` and
``"03.02.stable_softmax"``. Each checker compares the learner's function with the reference in
:mod:`labutils.scratch` on fixed inputs, and first runs a few probes that recognise the
usual slips, so the hint names the actual mistake.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, register, try_call
from labutils.scratch import sigmoid, sigmoid_grad, softmax

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
