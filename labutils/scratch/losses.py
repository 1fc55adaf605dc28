"""Loss functions (损失函数) and their gradients, written with NumPy only.

Every loss returns the mean over the batch by default (``reduction="mean"``), like Keras'
default ``"sum_over_batch_size"``; ``"sum"`` and ``"none"`` (one value per example) are
there too. Every ``*_grad`` returns ``dL/dy_pred`` for the same reduction, ready to feed into
``MLP.backward``.

The ``from_logits`` trap (陷阱): a loss told it receives probabilities must receive numbers in
[0, 1]. Keras silently clips logits into that range and trains badly; the functions here
raise ``ValueError`` instead, naming the fix. With ``from_logits=True`` the losses use the
numerically stable forms (log-sum-exp, ``max(z, 0) - z*y + log1p(exp(-|z|))``).

To match Keras exactly, the probability versions clip to ``[eps, 1 - eps]`` with
``eps = 1e-7`` (``keras.backend.epsilon()``), and the categorical ones renormalise each row
to sum to one, as Keras does. Where clipping is active the gradient is zero, as in TF.
"""

from __future__ import annotations

import numpy as np

from labutils._validate import check_choice, positive_int
from labutils.scratch.activations import sigmoid, softmax

__all__ = [
    "EPSILON", "REDUCTIONS", "binary_cross_entropy", "binary_cross_entropy_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad", "logsumexp", "mse",
    "mse_grad", "one_hot", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_grad", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad",
]

EPSILON = 1e-7  # keras.backend.epsilon()
REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- validation helpers
def _float(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
            or a.dtype == bool):
        raise ValueError(f"{name} must be numeric; got dtype {a.dtype}")
    return a.astype(np.float64) if not np.issubdtype(a.dtype, np.floating) else a


def _same_shape(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {y_true.shape} and "
                         f"{y_pred.shape}")


def _check_reduction(reduction: str, allow_none: bool = True) -> None:
    check_choice("reduction", reduction, REDUCTIONS if allow_none else REDUCTIONS[:2])


def _check_probabilities(p: np.ndarray) -> None:
    if p.size and (np.min(p) < 0.0 or np.max(p) > 1.0):
        raise ValueError(
            "y_pred must hold probabilities in [0, 1] when from_logits=False; got values in "
            f"[{np.min(p):.4g}, {np.max(p):.4g}]. If these are raw scores (logits), pass "
            "from_logits=True")


def _check_unit_interval(y: np.ndarray, name: str) -> None:
    if y.size and (np.min(y) < 0.0 or np.max(y) > 1.0):
        raise ValueError(f"{name} must lie in [0, 1]; got values in [{np.min(y):.4g}, "
                         f"{np.max(y):.4g}]")


def _reduce(per_example: np.ndarray, reduction: str) -> np.ndarray | float:
    _check_reduction(reduction)
    if reduction == "none":
        return per_example
    total = float(np.sum(per_example))
    return total / max(per_example.size, 1) if reduction == "mean" else total


def _grad_scale(per_example_shape: tuple[int, ...], reduction: str) -> float:
    _check_reduction(reduction, allow_none=False)
    n = int(np.prod(per_example_shape)) if per_example_shape else 1
    return 1.0 / max(n, 1) if reduction == "mean" else 1.0


# ---------------------------------------------------------------- helpers
def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis``, computed as ``m + log(sum(exp(z - m)))`` with
    ``m = max(z)`` so that no exponent overflows. It is the normaliser of softmax:
    ``log softmax(z) = z - logsumexp(z)``.
    """
    z = _float(z, "z")
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer class labels of shape (N,) to one-hot rows of shape (N, num_classes), float64.
    Raises ``ValueError`` for non-integer labels or labels outside ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers (class indices); got dtype {labels.dtype}. "
                         "One-hot labels go to categorical_cross_entropy instead")
    num_classes = positive_int("num_classes", num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}); got values in "
                         f"[{labels.min()}, {labels.max()}]")
    return np.eye(num_classes, dtype=np.float64)[labels]


# ---------------------------------------------------------------- regression
def mse(y_true: np.ndarray, y_pred: np.ndarray, reduction: str = "mean") -> np.ndarray | float:
    """Mean squared error ``mean((y_pred - y_true)**2)``. Per example it averages over the
    last axis (as ``keras.losses.MeanSquaredError`` does); ``"mean"`` then averages over the
    batch, which equals the mean over every element. A 1-D input counts each element as one
    example (Keras would treat it as a single example, which only matters for ``"sum"``).
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _same_shape(y_true, y_pred)
    sq = (y_pred - y_true) ** 2
    per_example = sq if sq.ndim < 2 else np.mean(sq, axis=-1)
    return _reduce(per_example, reduction)


def mse_grad(y_true: np.ndarray, y_pred: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`mse` with respect to ``y_pred``: ``2 (y_pred - y_true) / n`` with
    ``n`` the number of elements (``"mean"``), or the number of outputs per example
    (``"sum"``).
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _same_shape(y_true, y_pred)
    per_shape = y_pred.shape if y_pred.ndim < 2 else y_pred.shape[:-1]
    k = 1 if y_pred.ndim < 2 else y_pred.shape[-1]
    return 2.0 * (y_pred - y_true) / k * _grad_scale(per_shape, reduction)


# ---------------------------------------------------------------- binary
def binary_cross_entropy(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool = False,
                         reduction: str = "mean") -> np.ndarray | float:
    """Binary cross-entropy (二元交叉熵) ``-[y log p + (1 - y) log(1 - p)]``.

    With ``from_logits=False``, ``y_pred`` holds probabilities, clipped to
    ``[1e-7, 1 - 1e-7]`` so that ``log(0)`` never happens. With ``from_logits=True`` it holds
    logits ``z`` and the loss is ``max(z, 0) - z y + log(1 + exp(-|z|))``, the same quantity
    without ever forming ``p``, so it stays exact for large ``|z|``. Labels must be in [0, 1].
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _same_shape(y_true, y_pred)
    _check_unit_interval(y_true, "y_true (binary labels)")
    if from_logits:
        z = y_pred
        elem = np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))
    else:
        _check_probabilities(y_pred)
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        elem = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
    per_example = elem if elem.ndim < 2 else np.mean(elem, axis=-1)
    return _reduce(per_example, reduction)


def binary_cross_entropy_grad(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool = False,
                              reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`binary_cross_entropy` with respect to ``y_pred``. From logits it is
    the famously simple ``(sigmoid(z) - y) / n``; from probabilities it is
    ``(-y / p + (1 - y) / (1 - p)) / n``, and zero where ``p`` was clipped.
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _same_shape(y_true, y_pred)
    _check_unit_interval(y_true, "y_true (binary labels)")
    per_shape = y_pred.shape if y_pred.ndim < 2 else y_pred.shape[:-1]
    k = 1 if y_pred.ndim < 2 else y_pred.shape[-1]
    scale = _grad_scale(per_shape, reduction) / k
    if from_logits:
        return (sigmoid(y_pred) - y_true) * scale
    _check_probabilities(y_pred)
    inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return np.where(inside, -y_true / p + (1.0 - y_true) / (1.0 - p), 0.0) * scale


# ---------------------------------------------------------------- categorical
def _check_categorical(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_pred.ndim < 1:
        raise ValueError("y_pred must have a class axis (last axis); got a scalar")
    _same_shape(y_true, y_pred)
    _check_unit_interval(y_true, "y_true (one-hot or soft labels)")


def _check_one_hot_shape(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape != y_pred.shape and y_true.ndim == y_pred.ndim - 1:
        raise ValueError(f"y_true must be one-hot with the same shape as y_pred {y_pred.shape}; "
                         f"got {y_true.shape}. For integer class labels use "
                         "sparse_categorical_cross_entropy")


def softmax_cross_entropy_with_logits(y_true: np.ndarray, logits: np.ndarray,
                                      reduction: str = "mean") -> np.ndarray | float:
    """Cross-entropy of softmax(logits) against one-hot (or soft) labels, without forming
    the probabilities: per example ``logsumexp(z) - sum(y * z)`` (for rows of ``y`` that
    sum to one). This is the stable form behind ``from_logits=True``.
    """
    y_true, z = _float(y_true, "y_true"), _float(logits, "logits")
    _check_categorical(y_true, z)
    log_probs = z - logsumexp(z, axis=-1, keepdims=True)
    return _reduce(-np.sum(y_true * log_probs, axis=-1), reduction)


def softmax_cross_entropy_with_logits_grad(y_true: np.ndarray, logits: np.ndarray,
                                           reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`softmax_cross_entropy_with_logits` with respect to the logits:
    ``(softmax(z) - y) / N`` for one-hot rows (``N`` examples, ``"mean"``). Softmax and
    cross-entropy together have this tiny gradient, the reason they are always paired.
    """
    y_true, z = _float(y_true, "y_true"), _float(logits, "logits")
    _check_categorical(y_true, z)
    row_sum = np.sum(y_true, axis=-1, keepdims=True)
    return (softmax(z) * row_sum - y_true) * _grad_scale(z.shape[:-1], reduction)


def categorical_cross_entropy(y_true: np.ndarray, y_pred: np.ndarray, from_logits: bool = False,
                              reduction: str = "mean") -> np.ndarray | float:
    """Categorical cross-entropy (分类交叉熵) ``-sum(y * log p)`` with one-hot ``y_true`` of the
    same shape as ``y_pred``. Integer labels belong to
    :func:`sparse_categorical_cross_entropy` (a seed article mixes them up). From
    probabilities, each row is renormalised to sum to one and clipped to ``[eps, 1 - eps]``
    as in Keras; from logits, :func:`softmax_cross_entropy_with_logits` is used.
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _check_one_hot_shape(y_true, y_pred)
    if from_logits:
        return softmax_cross_entropy_with_logits(y_true, y_pred, reduction)
    _check_categorical(y_true, y_pred)
    _check_probabilities(y_pred)
    q = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
    q = np.clip(q, EPSILON, 1.0 - EPSILON)
    return _reduce(-np.sum(y_true * np.log(q), axis=-1), reduction)


def categorical_cross_entropy_grad(y_true: np.ndarray, y_pred: np.ndarray,
                                   from_logits: bool = False, reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`categorical_cross_entropy` with respect to ``y_pred``.

    From probabilities, Keras' renormalisation ``q = p / S`` (``S`` the row sum) is part of
    the function, so the gradient is ``(g - sum(g * q)) / S`` with ``g = -y / q`` (zero where
    clipped): for a one-hot row that sums to one it is ``-y / p + 1``. The extra constant
    per row does not matter after a softmax layer, whose Jacobian maps constants to zero.
    """
    y_true, y_pred = _float(y_true, "y_true"), _float(y_pred, "y_pred")
    _check_one_hot_shape(y_true, y_pred)
    if from_logits:
        return softmax_cross_entropy_with_logits_grad(y_true, y_pred, reduction)
    _check_categorical(y_true, y_pred)
    _check_probabilities(y_pred)
    s = np.sum(y_pred, axis=-1, keepdims=True)
    q = y_pred / s
    inside = (q >= EPSILON) & (q <= 1.0 - EPSILON)
    g = np.where(inside, -y_true / np.clip(q, EPSILON, 1.0), 0.0)
    dp = (g - np.sum(g * q, axis=-1, keepdims=True)) / s
    return dp * _grad_scale(y_pred.shape[:-1], reduction)


def _sparse_to_one_hot(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    labels = np.asarray(y_true)
    if y_pred.ndim < 1:
        raise ValueError("y_pred must have a class axis (last axis); got a scalar")
    if labels.ndim == y_pred.ndim and labels.shape[-1:] == (1,):
        labels = labels[..., 0]  # Keras accepts (N, 1) labels too
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"y_true must hold one integer class index per example, shape "
                         f"{y_pred.shape[:-1]}; got shape {labels.shape}. For one-hot labels "
                         "use categorical_cross_entropy")
    if np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    return one_hot(labels, y_pred.shape[-1])


def sparse_categorical_cross_entropy(y_true: np.ndarray, y_pred: np.ndarray,
                                     from_logits: bool = False,
                                     reduction: str = "mean") -> np.ndarray | float:
    """Cross-entropy with integer class labels, ``-log p[label]``. Labels have shape (N,)
    (or (N, 1)) with values in ``[0, num_classes)``. Like Keras, probabilities are clipped
    to ``[eps, 1 - eps]`` first and then renormalised (Keras takes their log and applies a
    log-softmax), so rows that already sum to one give exactly ``-log p[label]``.
    """
    y_pred = _float(y_pred, "y_pred")
    y = _sparse_to_one_hot(y_true, y_pred)
    if from_logits:
        return softmax_cross_entropy_with_logits(y, y_pred, reduction)
    _check_probabilities(y_pred)
    c = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    log_q = np.log(c) - np.log(np.sum(c, axis=-1, keepdims=True))
    return _reduce(-np.sum(y * log_q, axis=-1), reduction)


def sparse_categorical_cross_entropy_grad(y_true: np.ndarray, y_pred: np.ndarray,
                                          from_logits: bool = False,
                                          reduction: str = "mean") -> np.ndarray:
    """Gradient of :func:`sparse_categorical_cross_entropy` with respect to ``y_pred``: from
    logits ``(softmax(z) - onehot) / N``; from probabilities ``-onehot / c + 1 / sum(c)``
    with ``c`` the clipped probabilities (zero where clipping was active), divided by N.
    """
    y_pred = _float(y_pred, "y_pred")
    y = _sparse_to_one_hot(y_true, y_pred)
    if from_logits:
        return softmax_cross_entropy_with_logits_grad(y, y_pred, reduction)
    _check_probabilities(y_pred)
    inside = (y_pred >= EPSILON) & (y_pred <= 1.0 - EPSILON)
    c = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    dc = -y / c + 1.0 / np.sum(c, axis=-1, keepdims=True)
    return np.where(inside, dc, 0.0) * _grad_scale(y_pred.shape[:-1], reduction)
