"""Chapter 3, notebook 03 (loss functions) exercise ``"03.03.xent_from_logits"``: mean
softmax cross-entropy computed straight from logits with the log-sum-exp trick. The checker
compares with :func:`labutils.scratch.sparse_categorical_cross_entropy` (``from_logits=True``)
and probes the learner's function first so the hint names the actual mistake.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, register, try_call
from labutils.scratch import logsumexp, sparse_categorical_cross_entropy

# Inputs: a single example, a batch (the answer is the batch *mean*), and logits so large or
# so negative that exp() overflows to inf or underflows to 0 in a naive implementation.
_XENT_CASES = [
    (np.array([[2.0, 1.0, 0.1]]), np.array([0])),
    (np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 4.0]]),
     np.array([0, 1, 2, 2])),
    (np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -1002.0]]), np.array([1, 0])),
]


def _reference(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(sparse_categorical_cross_entropy(labels, logits, from_logits=True))


def _xent_hint(fn: Any) -> str:
    if not callable(fn):
        return ""
    big = try_call(fn, *_XENT_CASES[2])
    if big is not None and big.size and not np.all(np.isfinite(big)):
        return ("exp(1000) overflows to inf and exp(-1000) underflows to 0, so log(softmax) "
                "becomes NaN or inf. Never form the probabilities: use "
                "log softmax(z)_y = z_y - logsumexp(z) with logsumexp(z) = m + "
                "log(sum(exp(z - m))), m = max(z) of each row.")
    logits, labels = _XENT_CASES[1]
    got = try_call(fn, logits, labels)
    per_example = logsumexp(logits, axis=-1) - logits[np.arange(len(labels)), labels]
    if got is not None:
        if got.shape == per_example.shape and np.allclose(got, per_example):
            return "you returned one loss per example; return their mean (a single number)."
        if got.size == 1 and np.isclose(float(got.ravel()[0]), per_example.sum()):
            return "you returned the sum over the batch; divide by the number of examples."
        if got.size == 1 and np.isclose(float(got.ravel()[0]), -per_example.mean()):
            return "the sign is flipped: the loss is -log p(correct class), which is >= 0."
    return ("for each row: loss = logsumexp(z) - z[label], with logsumexp computed after "
            "subtracting the row maximum; then average over the rows.")


@register("xent_from_logits",
          "mean softmax cross-entropy from logits and integer labels, via log-sum-exp")
def _check_xent_from_logits(fn: Any, name: str) -> CheckResult:
    return check_function(fn, _reference, _XENT_CASES, name=name,
                          atol=1e-9, rtol=1e-7, hint=_xent_hint(fn))
