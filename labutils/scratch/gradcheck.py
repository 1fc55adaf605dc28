"""Gradient checking (梯度检验): compare a hand-derived gradient with finite differences
(有限差分).

The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has error of order
``eps**2`` from truncation plus ``machine_eps * |f| / eps`` from rounding; in float64 with
``eps = 1e-6`` both are around 1e-10 to 1e-12, which is why a correct backward pass agrees
to better than 1e-6 in relative error. A wrong one (a missing transpose, a forgotten ``1/N``)
is often off by order one, but not always: its error is the share of the gradient that flows
through the wrong code at the checked point, so a slip in a unit few examples activate gives a
small error, and one in a unit none activates gives none. A correct gradient can fail too, when
a pre-activation lies within ``eps`` of a ReLU kink. So check each tensor separately, at random
points away from kinks, with every unit active somewhere, and keep the tolerance tight. Use
float64: in float32 rounding alone costs about 1e-2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from labutils._validate import check_instance, positive

__all__ = ["gradient_check", "numerical_gradient", "relative_error"]


def _check_float64(x: np.ndarray) -> np.ndarray:
    rule = ("a float64 numpy array (it is perturbed in place, and float32 finite "
            "differences are too coarse)")
    check_instance("x", x, np.ndarray, rule)
    if x.dtype != np.float64:
        raise ValueError(f"x must be {rule}; got dtype {x.dtype}")
    return x


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences, one entry at a
    time. ``x`` is perturbed *in place* and restored afterwards, so ``f`` may read ``x``
    through a closure (e.g. ``x`` is a layer's weight matrix and ``f`` runs the model).
    Costs ``2 * x.size`` calls of ``f``: fine for tiny models, which is what checks need.
    """
    x = _check_float64(x)
    eps = positive("eps", eps)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + eps
        f_plus = float(f(x))
        x[idx] = original - eps
        f_minus = float(f(x))
        x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """Norm-wise relative error ``||a - b|| / (||a|| + ||b||)`` (0 when both are zero).

    A norm-wise measure, unlike an entry-by-entry one, is not thrown off by entries whose true
    value is zero (a dead ReLU unit), where finite differences leave ~1e-10 of noise.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradient_check(f: Callable[[np.ndarray], float], grad_f: Callable[[np.ndarray], np.ndarray],
                   x: np.ndarray, eps: float = 1e-6) -> float:
    """Compare the analytic gradient ``grad_f(x)`` with :func:`numerical_gradient` of ``f``
    at ``x`` and return their relative error. Below about 1e-7 the gradient is right (at a
    point away from kinks); above 1e-3 it is almost surely wrong; values in between need a
    closer look (see the module docstring), not a pass.
    """
    x = _check_float64(x)
    analytic = np.asarray(grad_f(x), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad_f(x) must have the shape of x {x.shape}; got {analytic.shape}")
    return relative_error(analytic, numerical_gradient(f, x, eps))
