"""Gradient attributions for a differentiable classifier: saliency (梯度显著性) and integrated
gradients (积分梯度). Both explain one output ``f_c`` (use the logit of class ``c``, not its
softmax probability, which saturates) for each example of a batch ``x`` of shape
``(n, ...)``. :func:`saliency` is ``|df_c/dx|`` (Simonyan, Vedaldi & Zisserman, ICLR workshop
2014); :func:`integrated_gradients` is ``(x - x')`` times the mean of ``df_c/dx`` along the
straight path from the baseline (基线) ``x'`` to ``x`` (Sundararajan, Taly & Yan, ICML 2017), whose sum
over the input equals ``f_c(x) - f_c(x')`` up to the error of the numerical integral (the
completeness axiom). ``model`` is any callable mapping a float32 tensor batch to a
``(n, classes)`` tensor, e.g. a Keras model with a logits head; it must treat examples
independently (no batch statistics). TensorFlow is imported when a function is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labutils._validate import check_choice, positive_int

__all__ = ["METHODS", "class_output", "integrated_gradients", "path_weights", "saliency"]

METHODS = ("trapezoid", "riemann")


def _batch(name: str, x: Any) -> np.ndarray:
    """``x`` as a finite float32 batch with at least one example and one feature axis."""
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a batch of shape (n, ...) with n >= 1 and at least "
                         f"one feature axis; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")
    return arr


def _gradients(model: Any, x: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs ``f_c(x)`` (n,) and gradients ``df_c/dx`` (shape of ``x``), both float64;
    raises ``ValueError`` for a model output that is not (n, classes) or a bad class index."""
    from labutils._tfenv import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    inputs = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        out = model(inputs)
        if len(out.shape) != 2 or out.shape[0] != len(x):
            raise ValueError(f"model must return a (batch, classes) output; got shape "
                             f"{tuple(out.shape)} for a batch of {len(x)}")
        n_classes = int(out.shape[1])
        if np.any((classes < 0) | (classes >= n_classes)):
            bad = classes[(classes < 0) | (classes >= n_classes)][0]
            raise ValueError(f"class_index must be in [0, {n_classes}) for this model's "
                             f"{n_classes} outputs; got {bad}")
        picked = tf.gather(out, tf.constant(classes), axis=1, batch_dims=1)
        total = tf.reduce_sum(picked)  # examples are independent: one backward pass for all
    grads = tape.gradient(total, inputs)
    return picked.numpy().astype(np.float64), grads.numpy().astype(np.float64)


def _classes(class_index: int | Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    """One int class index per example (a single int is repeated for all ``n``)."""
    arr = np.asarray(class_index)
    if arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise TypeError(f"class_index must be an int or a sequence of ints; got {class_index!r}")
    arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
    if arr.shape != (n,):
        raise ValueError(f"class_index must be one int or {n} ints (one per example); "
                         f"got {arr.shape[0]}")
    return arr.astype(np.int32)


def class_output(model: Any, x: Any, class_index: int | Sequence[int]) -> np.ndarray:
    """The model's output ``f_c(x)`` for class ``class_index`` of each example, shape (n,)."""
    x = _batch("x", x)
    return _gradients(model, x, _classes(class_index, len(x)))[0]


def saliency(model: Any, x: Any, class_index: int | Sequence[int]) -> np.ndarray:
    """Gradient saliency ``|df_c/dx|`` for each example of ``x``; same shape as ``x``. It says
    how strongly a small change of each input would move the output, not how much each input
    contributed to it."""
    x = _batch("x", x)
    return np.abs(_gradients(model, x, _classes(class_index, len(x)))[1])


def path_weights(steps: int, method: str = "trapezoid") -> tuple[np.ndarray, np.ndarray]:
    """Points ``alpha`` in [0, 1] and weights of the rule for ``integral_0^1 g(alpha) d alpha``
    with ``steps`` intervals: ``'trapezoid'`` uses ``alpha = k/steps`` for k = 0..steps with
    weights (1/2, 1, ..., 1, 1/2)/steps; ``'riemann'`` (the right Riemann sum of Sundararajan
    et al.) uses k = 1..steps with weights 1/steps. The weights sum to 1."""
    steps = positive_int("steps", steps)
    check_choice("method", method, METHODS)
    if method == "riemann":
        return np.arange(1, steps + 1) / steps, np.full(steps, 1.0 / steps)
    weights = np.full(steps + 1, 1.0 / steps)
    weights[[0, -1]] /= 2
    return np.arange(steps + 1) / steps, weights


def integrated_gradients(model: Any, x: Any, class_index: int | Sequence[int],
                         baseline: Any = None, steps: int = 64, method: str = "trapezoid",
                         batch_size: int = 4096) -> np.ndarray:
    """Integrated gradients of ``f_c`` for each example of ``x`` against ``baseline`` (default
    all zeros: a black image), same shape as ``x``: ``(x - x') * sum_k w_k df_c/dx`` at the
    points ``x' + alpha_k (x - x')`` of :func:`path_weights`. ``baseline`` has the shape of
    ``x`` or of one example. Gradients are taken ``batch_size`` path points at a time."""
    x = _batch("x", x)
    classes = _classes(class_index, len(x))
    alphas, weights = path_weights(steps, method)
    batch_size = positive_int("batch_size", batch_size)
    base = np.zeros_like(x) if baseline is None else np.asarray(baseline, dtype=np.float32)
    if base.shape == x.shape[1:]:
        base = np.broadcast_to(base, x.shape)
    if base.shape != x.shape:
        raise ValueError(f"baseline must have the shape of x {x.shape} or of one example "
                         f"{x.shape[1:]}; got {base.shape}")
    shape = (1, -1) + (1,) * (x.ndim - 1)
    diff = (x - base)[:, None]
    points = (base[:, None] + alphas.astype(np.float32).reshape(shape) * diff)
    points = points.reshape((-1,) + x.shape[1:])
    point_classes = np.repeat(classes, len(alphas))
    grads = np.concatenate([
        _gradients(model, points[i:i + batch_size], point_classes[i:i + batch_size])[1]
        for i in range(0, len(points), batch_size)])
    grads = grads.reshape((len(x), len(alphas)) + x.shape[1:])
    mean_grad = np.tensordot(weights, np.moveaxis(grads, 1, 0), axes=1)
    return diff[:, 0].astype(np.float64) * mean_grad
