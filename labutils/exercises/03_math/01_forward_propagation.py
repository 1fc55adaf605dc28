"""Checks for notebooks/03_math/01_forward_propagation.ipynb (ids ``"03.01.<name>"``): each
checker compares the learner's answer with a reference computed here on fixed inputs and
explains any difference, naming the usual slips - including the one seed 003 makes when it
puts a ReLU on a classifier's output layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, check_function_or_slip, register
from labutils.scratch import relu, relu_grad, softmax

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


# --- output_delta: seed 003's ReLU output layer, fixed ----------------------------------------

def _one_hot(labels: list[int], k: int) -> np.ndarray:
    return np.eye(k)[labels]


# Every case has at least one example whose *true* class has a negative logit: there the
# seed's error term is exactly 0, so it cannot pass by accident.
_DELTA_CASES = [
    (np.array([[-1.0, 2.0, 0.5]]), _one_hot([0], 3)),
    (np.array([[0.3, -0.2, 1.5, -2.0], [-0.7, 0.1, 0.4, 2.2]]), _one_hot([3, 0], 4)),
    (_rng.normal(scale=2.0, size=(5, 10)) - 1.0, _one_hot([0, 3, 9, 1, 4], 10)),
]


def _output_delta(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    return softmax(z) - t


_DELTA_SLIPS = [
    (lambda z, t: (relu(z) - t) * relu_grad(z),
     "this is still seed 003's output layer: y = ReLU(z) with error (y - t) * ReLU'(z). Where "
     "the true class has z < 0 it returns exactly 0, so that class is never pushed up. Use "
     "linear logits and softmax cross-entropy."),
    (lambda z, t: (softmax(relu(z)) - t) * relu_grad(z),
     "the ReLU is still on the logits: softmax of ReLU(z) still multiplies by ReLU'(z) = 0 "
     "wherever z < 0. Leave the logits linear."),
    (lambda z, t: softmax(relu(z)) - t,
     "softmax(ReLU(z)) is not the linear-logit model; apply softmax to z itself."),
    (lambda z, t: z - t,
     "z - t is the error of a linear output with squared error: it no longer kills classes, "
     "but a classifier's loss is softmax cross-entropy, whose gradient is softmax(z) - t."),
    (lambda z, t: t - softmax(z),
     "the sign is reversed: dL/dz = softmax(z) - t (predicted minus true)."),
    (lambda z, t: (softmax(z) - t) / len(z),
     "return the error of each example, without dividing by the batch size."),
]


@register("output_delta", "fix seed 003's ReLU output: dL/dz of softmax cross-entropy")
def _check_output_delta(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _output_delta, _DELTA_CASES, _DELTA_SLIPS,
        "for linear logits z and one-hot targets t, the gradient of the softmax "
        "cross-entropy with respect to z is softmax(z) - t, row by row.", tol=1e-9)


# --- mlp_param_count ---------------------------------------------------------------------------

def _param_count(sizes: list[int]) -> int:
    return int(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True)))


_COUNT_CASES = [([64, 32, 10],), ([784, 128, 128, 10],), ([3, 1],), ([5, 4, 3, 2],)]
_COUNT_SLIPS = [
    (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)),
     "every Dense layer also has one bias per output unit: add sizes[i + 1] per layer."),
    (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)) + sum(s),
     "the input layer has no bias: only the layers that compute something (every size "
     "after the first) have biases."),
    (lambda s: sum((a + 1) * (b + 1) for a, b in zip(s[:-1], s[1:], strict=True)),
     "a layer has in * out weights plus out biases, i.e. (in + 1) * out, not (in + 1) * (out + 1)."),
]


@register("mlp_param_count", "number of weights and biases of a Dense stack [in, h..., out]")
def _check_mlp_param_count(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _param_count, _COUNT_CASES, _COUNT_SLIPS,
        "sum over consecutive sizes (n_in, n_out) of n_in * n_out weights plus n_out biases.")
