"""Checks for notebooks/03_math/01_forward_propagation.ipynb (ids ``"03.01.<name>"``): each checker compares the learner's
answer with a reference computed here on fixed inputs and explains any difference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, register

_rng = np.random.default_rng(3)
# Fixed inputs that catch common slips: negative pre-activations (ReLU must zero them),
# a batch of more than one row (broadcasting b), and non-square W (x @ W, not W @ x).
_DENSE_CASES = [
    (np.array([[1.0, -2.0, 0.5]]), _rng.normal(size=(3, 2)), np.array([0.1, -0.3])),
    (_rng.normal(size=(4, 3)), _rng.normal(size=(3, 5)), _rng.normal(size=5)),
    (np.zeros((2, 3)), np.ones((3, 2)), np.array([-1.0, 1.0])),
]


def _dense_relu(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, x @ W + b)


@register("dense_relu", "forward pass of a Dense layer with ReLU: relu(x @ W + b)")
def _check_dense_relu(fn: Any, name: str) -> CheckResult:
    return check_function(
        fn, _dense_relu, _DENSE_CASES, name=name,
        hint="rows of x are examples, so compute x @ W (shape (batch, units)), add b to every "
             "row, then clip negatives with np.maximum(0, ...).")
