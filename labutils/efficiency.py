"""Model compression (模型压缩) by hand: symmetric per-channel quantization, magnitude pruning
and the knowledge-distillation loss.

``quantize_per_channel`` gives every output channel of a weight matrix its own step
``max|w| / (2**(bits-1) - 1)`` and stores round(w / step) as int8 codes (Keras' int8 scheme
when ``bits=8``); ``dequantize`` multiplies back. ``magnitude_mask`` keeps the weights of
largest magnitude and drops exactly ``round(sparsity * size)`` of them (Han et al. 2015,
"Learning both Weights and Connections for Efficient Neural Networks"); ``csr_nbytes`` is what
the pruned matrix costs in the compressed-sparse-row format. ``distillation_loss`` is the
objective of Hinton, Vinyals and Dean (2015, "Distilling the Knowledge in a Neural Network"):
``alpha · CE(labels, student) + (1 - alpha) · T² · KL(softmax(teacher/T) ‖ softmax(student/T))``,
written with ``keras.ops`` so the same function trains a model inside ``tf.function`` and
checks a NumPy example.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils._validate import check_scalar, fraction, positive

__all__ = ["quantize_per_channel", "dequantize", "magnitude_mask", "csr_nbytes",
           "distillation_loss"]


def _channel_axis(w: np.ndarray, axis: int) -> int:
    axis = check_scalar("axis", axis, "int")
    if w.ndim < 1 or not -w.ndim <= axis < w.ndim:
        raise ValueError(f"axis must be in [-{w.ndim}, {w.ndim - 1}] for an array of shape "
                         f"{w.shape}; got {axis}")
    return axis % w.ndim


def quantize_per_channel(w: Any, axis: int = -1, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel quantization (对称逐通道量化) of ``w``: one step per index of
    ``axis`` (the output channel: ``-1`` for a Dense kernel of shape (inputs, units), ``0`` for
    an embedding table whose rows are tokens), ``step = max|w| / qmax`` over the other axes with
    ``qmax = 2**(bits-1) - 1`` (127 for int8), codes ``clip(round(w / step), -qmax, qmax)``.
    Returns ``(codes, steps)``: int8 codes shaped like ``w`` and float32 steps of length
    ``w.shape[axis]``. A channel of zeros gets step 1 (its codes are 0), so nothing divides by
    zero. Every weight moves by at most half its channel's step."""
    w = np.asarray(w, dtype=np.float64)
    ax = _channel_axis(w, axis)
    bits = check_scalar("bits", bits, "int", min=2, max=8)
    qmax = 2 ** (bits - 1) - 1
    others = tuple(i for i in range(w.ndim) if i != ax)
    peak = np.max(np.abs(w), axis=others) if others else np.abs(w)
    steps = np.where(peak > 0, peak / qmax, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[ax] = -1
    codes = np.clip(np.round(w / steps.astype(np.float64).reshape(shape)), -qmax, qmax)
    return codes.astype(np.int8), steps


def dequantize(codes: Any, steps: Any, axis: int = -1) -> np.ndarray:
    """The float32 weights ``codes * step`` that int8 ``codes`` and per-channel ``steps``
    (from :func:`quantize_per_channel`, same ``axis``) stand for."""
    codes = np.asarray(codes)
    ax = _channel_axis(codes, axis)
    steps = np.asarray(steps, dtype=np.float32)
    if steps.shape != (codes.shape[ax],):
        raise ValueError(f"steps must have shape ({codes.shape[ax]},) to match axis {axis} of "
                         f"codes {codes.shape}; got {steps.shape}")
    shape = [1] * codes.ndim
    shape[ax] = -1
    return codes.astype(np.float32) * steps.reshape(shape)


def magnitude_mask(w: Any, sparsity: float) -> np.ndarray:
    """Boolean mask of the weights to keep after magnitude pruning (剪枝) of ``w`` to
    ``sparsity`` (a fraction in [0, 1)): the ``round(sparsity * w.size)`` entries of smallest
    ``|w|`` are False, all others True. Ties are broken by position (a stable sort), so the
    count of removed weights is always exact."""
    w = np.asarray(w, dtype=np.float64)
    sparsity = fraction("sparsity", sparsity)
    n_drop = int(round(sparsity * w.size))
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[:n_drop]] = False
    return keep.reshape(w.shape)


def csr_nbytes(w: Any) -> int:
    """Bytes of ``w`` (2-D) in SciPy's compressed sparse row format (CSR, 压缩稀疏行):
    the non-zero values, one column index per value and one row pointer per row + 1. With
    float32 values and int32 indices that is ``8 · nnz + 4 · (rows + 1)``: a pruned matrix
    is smaller than the dense one only when fewer than about half its entries survive."""
    from scipy import sparse

    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"w must be a 2-D matrix; got shape {w.shape}")
    m = sparse.csr_array(w)
    return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes)


def distillation_loss(labels: Any, student_logits: Any, teacher_logits: Any, *,
                      temperature: float = 4.0, alpha: float = 0.5) -> Any:
    """Knowledge-distillation loss (知识蒸馏损失), averaged over the batch: ``alpha`` times
    the cross-entropy of the student's logits with the integer ``labels`` (hard targets),
    plus ``1 - alpha`` times ``T²`` times the KL divergence from the teacher's softened
    distribution ``softmax(teacher / T)`` (soft targets) to the student's ``softmax(student /
    T)``. The factor ``T²`` keeps the soft term's gradients the same size as ``T`` changes
    (they scale as ``1/T²``). Returns a scalar tensor (``float(...)`` it for a number)."""
    from keras import ops

    t = positive("temperature", temperature)
    a = check_scalar("alpha", alpha, "real", min=0.0, max=1.0)
    student = ops.convert_to_tensor(student_logits, dtype="float32")
    teacher = ops.convert_to_tensor(teacher_logits, dtype="float32")
    hard = ops.mean(ops.sparse_categorical_crossentropy(labels, student, from_logits=True))
    log_p_teacher = ops.log_softmax(teacher / t, axis=-1)
    log_p_student = ops.log_softmax(student / t, axis=-1)
    kl = ops.sum(ops.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
    return a * hard + (1.0 - a) * t * t * ops.mean(kl)
