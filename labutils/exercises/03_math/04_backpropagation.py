"""Chapter 3, notebook 04 (backpropagation) exercises: the backward pass of the sigmoid and
of a Dense layer. Ids are ``"03.04.<name>"``; each checker compares the learner's answer with a
reference on fixed inputs and explains any difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, not_yet, register
from labutils.scratch.activations import sigmoid

_rng = np.random.default_rng(4)

# Inputs that catch the usual slips: large |z| (sigma' is tiny there), a batch (2-D), and an
# upstream gradient that is not all ones (it must be multiplied in).
_SIGMOID_CASES = [
    (np.array([0.0]), np.array([1.0])),
    (np.array([-3.0, -0.5, 0.0, 2.0, 12.0]), np.array([1.0, -2.0, 0.5, 3.0, 1.0])),
    (_rng.normal(scale=3.0, size=(4, 3)), _rng.normal(size=(4, 3))),
]


def _sigmoid_backward(z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    s = sigmoid(z)
    return upstream * s * (1.0 - s)


@register("sigmoid_backward", "backward pass of the sigmoid: upstream * s * (1 - s)")
def _check_sigmoid_backward(fn: Any, name: str) -> CheckResult:
    return check_function(
        fn, _sigmoid_backward, _SIGMOID_CASES, name=name, atol=1e-10,
        hint="first compute s = 1 / (1 + exp(-z)); the local derivative is s * (1 - s) "
             "(not z * (1 - z), which uses the input instead of the output); then multiply "
             "it elementwise by the upstream gradient.")


# Non-square W and batch > 1 so that transposes and the batch sum both matter.
_DENSE_CASES = [
    (_rng.normal(size=(1, 3)), _rng.normal(size=(3, 2)), _rng.normal(size=(1, 2))),
    (_rng.normal(size=(5, 4)), _rng.normal(size=(4, 3)), _rng.normal(size=(5, 3))),
    (_rng.normal(size=(2, 2)), _rng.normal(size=(2, 2)), _rng.normal(size=(2, 2))),
]
_DENSE_PARTS = [
    ("dW", lambda X, W, dZ: X.T @ dZ,
     "dW has the shape of W, (n_in, n_out): it is X.T @ dZ — each weight W[i, j] collects "
     "input i times the error of unit j, summed over the batch."),
    ("db", lambda X, W, dZ: dZ.sum(axis=0),
     "db has the shape of b, (n_out,): b was added to every row, so sum dZ over the batch "
     "axis (axis=0); do not average — the loss already holds any 1/N."),
    ("dX", lambda X, W, dZ: dZ @ W.T,
     "dX has the shape of X, (batch, n_in): it is dZ @ W.T, sending each unit's error back "
     "along the weights it came through."),
]


def _component(fn: Callable[..., Any], k: int) -> Callable[..., Any]:
    def pick(*args: Any) -> Any:
        out = fn(*(np.array(a, copy=True) for a in args))
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise ValueError("dense_backward must return a tuple (dW, db, dX)")
        return out[k]
    return pick


@register("dense_backward", "gradients of a Dense layer: dW = X^T dZ, db = sum dZ, dX = dZ W^T")
def _check_dense_backward(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            first = fn(*(np.array(a, copy=True) for a in _DENSE_CASES[0]))
        except Exception:  # reported with its input by check_function below
            first = ()
        if first is None:
            return not_yet(name)
    for k, (part, reference, hint) in enumerate(_DENSE_PARTS):
        result = check_function(_component(fn, k) if callable(fn) else fn, reference,
                                _DENSE_CASES, name=f"{name} ({part})", hint=hint)
        if not result:
            return result
    return CheckResult(name, True, f"dW, db and dX agree with the reference on "
                                   f"{len(_DENSE_CASES)} inputs.")
