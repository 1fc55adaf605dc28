"""Activation functions (激活函数) and their derivatives, written with NumPy only.

Each activation ``f`` takes the pre-activation ``z = x @ W + b`` and returns ``f(z)``. The
``*_grad`` functions return the elementwise derivative ``f'(z)`` (also taking ``z``), which is
what backpropagation (反向传播) multiplies the upstream gradient by. Softmax is not
elementwise: every output depends on every input of its row, so it has a full Jacobian
(:func:`softmax_jacobian`) and, for backpropagation, a vector-Jacobian product
(:func:`softmax_vjp`) that never builds that matrix. GELU (:func:`gelu`), the activation of
BERT- and GPT-style Transformers, comes in Keras' two forms: the exact ``z * Phi(z)`` and the
tanh approximation.

:func:`activation_curves` and :func:`flat_fraction` sample a function and its derivative on
a grid: the numbers behind the activation plots (:func:`labutils.plots.plot_activation`).

The tests compare every function here with ``tf.nn``/``keras.activations`` and
``tf.GradientTape`` in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar, positive

__all__ = [
    "ACTIVATIONS", "FLAT_THRESHOLD", "activation_backward", "activation_curves",
    "flat_fraction", "gelu", "gelu_grad", "get_activation", "linear", "linear_grad", "relu",
    "relu_grad", "sigmoid",
    "sigmoid_grad", "softmax", "softmax_jacobian", "softmax_vjp", "tanh", "tanh_grad",
]

FLAT_THRESHOLD = 0.01  # |phi'(z)| below this counts as "flat": almost no gradient passes


def _as_float(z: np.ndarray | float) -> np.ndarray:
    """Return ``z`` as a floating-point array (integers become float64)."""
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def linear(z: np.ndarray) -> np.ndarray:
    """Identity activation ``f(z) = z``: what a regression output layer or a logits layer
    uses, listed so that every Dense layer can name its activation.
    """
    return _as_float(z)


def linear_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of the identity: an array of ones shaped like ``z``."""
    return np.ones_like(_as_float(z))


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, z)``: cheap, and its gradient does not shrink for
    positive inputs, which is why deep networks train with it.
    """
    z = _as_float(z)
    return np.maximum(z, 0.0).astype(z.dtype)


def relu_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of ReLU: 1 where ``z > 0``, else 0. At exactly ``z = 0`` the derivative is
    undefined; we use 0, the same choice as TensorFlow.
    """
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, squashing any real number into (0, 1).

    Computed from ``e = exp(-|z|)``, which never overflows: for ``z >= 0`` the result is
    ``1 / (1 + e)`` and for ``z < 0`` it is ``e / (1 + e)``. The naive formula overflows
    (with a warning) for ``z`` below about -710 in float64.
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype)


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, ``s(z) * (1 - s(z))``; at most 0.25, which is one reason
    stacks of sigmoids make gradients vanish.
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, a zero-centred squashing function with outputs in (-1, 1)."""
    return np.tanh(_as_float(z))


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """Derivative of tanh, ``1 - tanh(z)**2``."""
    t = np.tanh(_as_float(z))
    return 1.0 - t * t


_SQRT_2_OVER_PI = 0.7978845608028654    # sqrt(2 / pi), the constant of GELU's tanh form
_GELU_CUBIC = 0.044715                   # the cubic coefficient of the same approximation


def _normal_cdf_pdf(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal CDF ``Phi(z)`` and density ``phi(z)``; ``Phi`` through ``erfc`` so that
    it stays accurate (no cancellation in ``1 + erf``) far into the negative tail."""
    from scipy.special import erfc  # lazy: keeps ``import labutils.scratch`` NumPy-only

    return 0.5 * erfc(-z / np.sqrt(2.0)), np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)


def gelu(z: np.ndarray, approximate: bool = False) -> np.ndarray:
    """Gaussian error linear unit (Hendrycks & Gimpel, 2016): ``z * Phi(z)``, the input
    weighted by the probability that a standard normal variable is below it. Smooth, close
    to ReLU for large ``|z|``, with a small negative dip (minimum about -0.17 near
    ``z = -0.75``) and a nonzero slope for moderately negative inputs. ``approximate=True``
    gives the tanh form ``0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))`` used by GPT-2;
    the defaults match ``keras.activations.gelu`` (exact form) and Keras' ``"gelu"``.
    """
    z = _as_float(z)
    if check_instance("approximate", approximate, bool, "True or False"):
        inner = _SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3)
        return 0.5 * z * (1.0 + np.tanh(inner))
    cdf, _ = _normal_cdf_pdf(z)
    return (z * cdf).astype(z.dtype)


def gelu_grad(z: np.ndarray, approximate: bool = False) -> np.ndarray:
    """Derivative of :func:`gelu`: ``Phi(z) + z phi(z)`` for the exact form (0.5 at 0,
    slightly negative below about -0.75), and the derivative of the tanh form with
    ``approximate=True``.
    """
    z = _as_float(z)
    if check_instance("approximate", approximate, bool, "True or False"):
        inner = _SQRT_2_OVER_PI * (z + _GELU_CUBIC * z**3)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * z * z)
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * d_inner
    cdf, pdf = _normal_cdf_pdf(z)
    return (cdf + z * pdf).astype(z.dtype)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(z_i) / sum_j exp(z_j)``, a probability distribution.

    Subtracting the row maximum first changes nothing mathematically (the factor
    ``exp(-max)`` cancels) but keeps every exponent <= 0, so large logits cannot overflow.
    """
    z = _as_float(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """Jacobian of softmax over the last axis: ``J[i, j] = s_i * (delta_ij - s_j)``, i.e.
    ``diag(s) - s s^T``. For a vector of length n the result is (n, n); for a batch shaped
    (..., n) it is (..., n, n), one matrix per row. Each column of J sums to zero, because
    the outputs always sum to one.
    """
    z = _as_float(z)
    if z.ndim < 1:
        raise ValueError(f"softmax_jacobian needs z with at least 1 dimension; got shape {z.shape}")
    s = softmax(z, axis=-1)
    eye = np.eye(s.shape[-1], dtype=s.dtype)
    return s[..., :, None] * eye - s[..., :, None] * s[..., None, :]


def softmax_vjp(z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product of softmax over the last axis: ``upstream @ J`` row by row,
    equal to ``s * (upstream - sum(upstream * s))``. This is what backpropagation needs,
    in O(n) per row instead of building the (n, n) Jacobian.
    """
    s = softmax(z, axis=-1)
    upstream = _as_float(upstream)
    return s * (upstream - np.sum(upstream * s, axis=-1, keepdims=True))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "gelu": gelu,
}

# Elementwise derivatives; softmax is handled by softmax_vjp in activation_backward.
_GRADS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": linear_grad,
    "relu": relu_grad,
    "sigmoid": sigmoid_grad,
    "tanh": tanh_grad,
    "gelu": gelu_grad,
}


def _check_name(name: str) -> str:
    if name is None:
        name = "linear"  # Keras' Dense(activation=None) means the identity
    return check_choice("activation", name, ACTIVATIONS)


def get_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Look up an activation function by its Keras name (``None`` means ``'linear'``).
    Raises ``ValueError`` listing the valid names, so a typo such as ``'rleu'`` fails loudly.
    """
    return ACTIVATIONS[_check_name(name)]


def activation_backward(name: str, z: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """Backpropagate ``upstream = dL/da`` through ``a = f(z)`` and return ``dL/dz``.

    For elementwise activations this is ``upstream * f'(z)``; for softmax it is the
    vector-Jacobian product :func:`softmax_vjp`. Dense layers call this in ``backward``.
    """
    name = _check_name(name)
    if name == "softmax":
        return softmax_vjp(z, upstream)
    return _as_float(upstream) * _GRADS[name](z)


def activation_curves(name: str, z_max: float = 6.0,
                      n: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(z, phi(z), phi'(z))`` on ``n`` evenly spaced points of ``[-z_max, z_max]``.

    For the elementwise activations (``'linear'``, ``'relu'``, ``'sigmoid'``, ``'tanh'``,
    ``'gelu'``) this
    is the function and its derivative above. Softmax maps a vector to a vector, so it is
    shown in its two-class form: the first output of ``softmax([z, 0])`` and its diagonal
    Jacobian entry ``ds_0/dz_0`` - which equal the sigmoid and its derivative, a fact worth
    seeing once.
    """
    name = check_choice("name", name, ACTIVATIONS)
    z_max = positive("z_max", z_max)
    z = np.linspace(-z_max, z_max, check_scalar("n (grid points)", n, "int", min=2))
    if name == "softmax":
        logits = np.stack([z, np.zeros_like(z)], axis=-1)      # (n, 2): class 0 vs class 1
        return z, softmax(logits)[:, 0], softmax_jacobian(logits)[:, 0, 0]
    return z, ACTIVATIONS[name](z), _GRADS[name](z)


def flat_fraction(name: str, z_max: float = 6.0, threshold: float = FLAT_THRESHOLD,
                  n: int = 401) -> float:
    """Fraction of the grid on ``[-z_max, z_max]`` where ``|phi'(z)| < threshold``.

    It measures how much of an input range an activation is flat on: ReLU's negative half
    (derivative exactly 0, a dead zone) or the saturated tails of sigmoid and tanh. The wider
    the range of pre-activations a layer produces, the larger this fraction.
    """
    threshold = positive("threshold", threshold)
    _, _, d = activation_curves(name, z_max, n)
    return float(np.mean(np.abs(d) < threshold))
