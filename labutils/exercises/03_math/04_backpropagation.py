"""Chapter 3, notebook 04 (backpropagation) exercises: the backward pass of the sigmoid and
of a Dense layer, the error terms of seed 003's worked example with its index slips fixed, and
the cost of a finite-difference gradient. Ids are ``"03.04.<name>"``; each checker compares the
learner's answer with a reference on fixed inputs and names a known slip when it sees one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    check_value,
    not_yet,
    register,
)
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


# --- seed_deltas: seed 003's worked example with its index slips fixed -------------------------
# The seed's 3 -> 2 -> 2 -> 2 ReLU network, one example, weights in its layout W[i, j] (into
# unit i from unit j of the layer below). Pre-activations are positive in the first two cases
# so every slip changes the answer; the third has inactive units, which must give zero errors.
def _relu_grad(z: np.ndarray) -> np.ndarray:
    return (np.asarray(z) > 0).astype(float)


def _deltas(z1: np.ndarray, z2: np.ndarray, z3: np.ndarray, W2: np.ndarray, W3: np.ndarray,
            y: np.ndarray, t: np.ndarray, col2: Any = None, col1: Any = None,
            transpose: bool = False) -> np.ndarray:
    """The three error vectors, concatenated. ``col2``/``col1`` fix the column every unit of a
    layer reads (the seed's slip: 0 and 1); ``transpose`` reads W[i, k] instead of W[k, i]."""
    d3 = (y - t) * _relu_grad(z3)
    M3 = W3.T if transpose else W3
    M2 = W2.T if transpose else W2
    c2 = M3[:, [col2, col2]] if col2 is not None else M3
    d2 = (d3 @ c2) * _relu_grad(z2)
    c1 = M2[:, [col1, col1]] if col1 is not None else M2
    d1 = (d2 @ c1) * _relu_grad(z1)
    return np.concatenate([d1, d2, d3])


def _seed_case(rng: np.random.Generator, active: bool) -> tuple[np.ndarray, ...]:
    z = [rng.uniform(0.2, 1.5, size=2) * (1 if active else rng.choice([-1, 1], size=2))
         for _ in range(3)]
    W2, W3 = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    y = np.maximum(z[2], 0.0)
    return (z[0], z[1], z[2], W2, W3, y, rng.uniform(size=2))


_SEED_CASES = [_seed_case(_rng, True), _seed_case(_rng, True),
               (np.array([0.7, -0.4]), np.array([-0.3, 1.1]), np.array([0.9, 0.5]),
                np.array([[0.5, -1.2], [0.8, 0.3]]), np.array([[1.5, -0.7], [-0.6, 0.9]]),
                np.array([0.9, 0.5]), np.array([0.2, 1.0]))]
_SEED_SLIPS = [
    (lambda *a: _deltas(*a, col2=0, col1=1),
     "these are still seed 003's sums: both units of a layer read the same column (w_k1 for "
     "units 3 and 4, w_k2 for units 1 and 2). Unit i must read column i: W3[k, i], W2[k, i]."),
    (lambda *a: _deltas(*a, col1=1),
     "the second hidden layer (d2) is fixed, but d1 still uses W2[k, 1] for both units; unit i "
     "needs W2[k, i]."),
    (lambda *a: _deltas(*a, col2=0),
     "d1 is fixed, but d2 still uses W3[k, 0] for both units; unit i needs W3[k, i]."),
    (lambda *a: _deltas(*a, transpose=True),
     "you used W[i, k], the weight into unit i from unit k. The error of unit i comes back "
     "along the edges that leave unit i: W[k, i] (into unit k of the next layer from unit i)."),
]


def _flat_deltas(fn: Any) -> Any:
    def call(*args: Any) -> np.ndarray:
        out = fn(*(np.array(a, copy=True) for a in args))
        if not isinstance(out, (tuple, list)) or len(out) != 3:
            raise ValueError("seed_deltas must return the tuple (d1, d2, d3)")
        return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in out])
    return call


@register("seed_deltas", "fix the index slips of seed 003's backprop example: unit i reads "
                         "column i of the next layer's weights")
def _check_seed_deltas(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_SEED_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function_or_slip below
            pass
    return check_function_or_slip(
        _flat_deltas(fn) if callable(fn) else fn, name, lambda *a: _deltas(*a), _SEED_CASES,
        _SEED_SLIPS, "each hidden unit's error is sum_k W[k, i] * delta_k of the next layer, "
        "times ReLU'(z_i); the result is (d1, d2, d3) concatenated in that order.", tol=1e-9)


# --- gradient_cost: forward passes of finite differences vs one backward pass ---------------------
_N_PARAMS = 10**9


@register("gradient_cost", "forward passes for a central-difference gradient of 1e9 parameters, "
                           "and backward passes for backpropagation")
def _check_gradient_cost(answer: Any, name: str) -> CheckResult:
    if answer is None or (isinstance(answer, (tuple, list)) and any(a is None for a in answer)):
        return not_yet(name, "numbers")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return check_value(answer, (2 * _N_PARAMS, 1), name=name)
    fd, bp = (float(a) for a in answer)
    hint = ""
    if np.isclose(fd, _N_PARAMS) or np.isclose(fd, _N_PARAMS + 1):
        hint = ("central differences evaluate the loss twice per parameter, at theta + eps and "
                "theta - eps (section 4), so 2 x 10^9 forward passes.")
    elif not np.isclose(bp, 1):
        hint = ("one backward sweep gives the gradient of the loss with respect to every "
                "parameter at once: that is the point of backpropagation.")
    return check_value([fd, bp], [2.0 * _N_PARAMS, 1.0], name=name, rtol=1e-6, atol=0.0,
                       hint=hint or "count two forward passes per parameter, one backward pass.")
