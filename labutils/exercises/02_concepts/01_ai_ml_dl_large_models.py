"""Chapter 2, notebook 01 (AI, machine learning, deep learning, large models) exercises: the
parameter count of a stack of Dense layers and of a Conv2D layer, and a logistic regression's
prediction computed from its learned parameters. Ids are ``"02.01.<name>"``; each checker
compares the learner's function with a reference on fixed inputs and names the usual slip
(biases forgotten or counted per input, the input channels left out, logits instead of
probabilities, the intercept dropped).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(201)


_run = check_function_or_slip  # not yet / slip-specific hint / compare


# --- dense_stack_params ----------------------------------------------------------------------

# One layer, a deep narrow stack, a wide stack, uneven sizes: each slip gives a different total.
_SIZES = [([7, 1],), ([7, 32, 32, 1],), ([64, 512, 512, 512, 10],), ([3, 5, 2],)]


def _dense_stack(sizes: list[int]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in pairwise(sizes))


_DENSE_SLIPS = [
    (lambda sizes: sum(i * o for i, o in pairwise(sizes)),
     "add the biases: every Dense layer has one bias per output unit, n_in * n_out + n_out."),
    (lambda sizes: sum(i * o + i for i, o in pairwise(sizes)),
     "there is one bias per *output* unit (n_out of them), not one per input."),
    (lambda sizes: sum((i + 1) * (o + 1) for i, o in pairwise(sizes)),
     "(n_in + 1) * (n_out + 1) counts a bias for a unit that does not exist; a layer has "
     "(n_in + 1) * n_out parameters."),
]


@register("dense_stack_params", "parameters of Dense layers [n_in, h1, ..., n_out]")
def _check_dense_stack_params(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _dense_stack, _SIZES, _DENSE_SLIPS,
                "for each consecutive pair (n_in, n_out) of layer_sizes add "
                "n_in * n_out weights + n_out biases, and sum over the layers.")


# --- conv2d_params ---------------------------------------------------------------------------

# (kernel_size, in_channels, filters): grey and colour inputs, 1x1 and 5x5 kernels.
_CONV_CASES = [(3, 1, 16), (3, 16, 32), (5, 3, 64), (1, 64, 8), (7, 3, 96)]


def _conv2d(kernel_size: int, in_channels: int, filters: int) -> int:
    return kernel_size * kernel_size * in_channels * filters + filters


_CONV_SLIPS = [
    (lambda k, c, f: k * k * f + f,
     "each filter spans all input channels: its kernel has k * k * in_channels weights."),
    (lambda k, c, f: k * k * c * f,
     "add the biases: one per filter (output channel)."),
    (lambda k, c, f: k * c * f + f,
     "a kernel_size of k means a k x k window: k * k weights per input channel."),
    (lambda k, c, f: k * k * c * f + c * f,
     "there is one bias per filter, not one per (input channel, filter) pair."),
    (lambda k, c, f: (k * k + 1) * c * f,
     "there is one bias per filter, not one per input channel of each filter."),
]


@register("conv2d_params", "parameters of Conv2D(filters, kernel_size) on in_channels")
def _check_conv2d_params(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _conv2d, _CONV_CASES, _CONV_SLIPS,
                "kernel_size * kernel_size * in_channels weights per filter, times "
                "filters, plus one bias per filter.")


# --- predict_proba_by_hand -------------------------------------------------------------------

# scikit-learn's binary LogisticRegression: coef_ has shape (1, n_features), intercept_ (1,).
_PROBA_CASES = [
    (np.array([[1.5, -0.5]]), np.array([0.25]), np.array([[1.0, 2.0], [-1.0, 0.0],
                                                          [0.0, 0.0]])),
    (_rng.normal(size=(1, 7)), np.array([-0.8]), _rng.normal(size=(6, 7))),
    (_rng.normal(scale=2.0, size=(1, 3)), np.array([1.3]), _rng.normal(size=(4, 3))),
]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _proba(coef: np.ndarray, intercept: np.ndarray, X: np.ndarray) -> np.ndarray:
    return _sigmoid(X @ coef[0] + intercept[0])


_PROBA_SLIPS = [
    (lambda c, b, X: X @ c[0] + b[0],
     "that is the logit z = X w + b; the probability is the sigmoid 1 / (1 + exp(-z))."),
    (lambda c, b, X: _sigmoid(X @ c[0]),
     "add the intercept (bias) to X w before the sigmoid: it is a learned parameter too."),
    (lambda c, b, X: 1.0 - _sigmoid(X @ c[0] + b[0]),
     "that is the probability of class 0; scikit-learn's coef_ points towards class 1, so "
     "P(class 1) = sigmoid(X w + b)."),
    (lambda c, b, X: np.exp(-(X @ c[0] + b[0])) + 0.0 * X[:, 0],
     "the sigmoid is 1 / (1 + exp(-z)), not exp(-z)."),
]


@register("predict_proba_by_hand", "P(class 1) of a logistic regression from coef_, intercept_")
def _check_predict_proba_by_hand(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _proba, _PROBA_CASES, _PROBA_SLIPS,
                "z = X @ coef[0] + intercept[0] has one entry per row of X (shape "
                "(n,)); return 1 / (1 + np.exp(-z)).", tol=1e-9)
