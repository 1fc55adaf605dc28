"""Appendix, notebook 02 (seed errata) exercises: two of the seeds' bugs to fix in NumPy.
``positional_encoding`` repairs seed 002's positional encoding (division by ``range(depth)``
starting at zero, no position term); ``xent_from_probabilities`` repairs seed 003's loss,
which treats softmax probabilities as logits (``from_logits=True``) and so applies softmax
twice. Ids are ``"appendix.02.<name>"``; each checker compares the learner's function with a
reference on fixed inputs and names the seed's slip when the learner repeats it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function_or_slip,
    finish,
    not_yet,
    register,
    try_call,
)
from labutils.scratch.attention import sinusoidal_positional_encoding

_rng = np.random.default_rng(902)


# --- positional_encoding ---------------------------------------------------------------------

def _pe_reference(length: int, depth: int) -> np.ndarray:
    return sinusoidal_positional_encoding(length, depth)


def _pe_concatenated(length: int, depth: int) -> np.ndarray:
    pe = sinusoidal_positional_encoding(length, depth)
    return np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=1)


def _pe_exponent(scale: float) -> Any:
    def pe(length: int, depth: int) -> np.ndarray:
        pos = np.arange(length, dtype=float)[:, None]
        i = np.arange(0, depth, 2, dtype=float)[None, :]
        angles = pos / np.power(10000.0, scale * i / depth)
        out = np.empty((length, depth))
        out[:, 0::2], out[:, 1::2] = np.sin(angles), np.cos(angles)
        return out
    return pe


def _pe_summed(length: int, depth: int) -> np.ndarray:
    pe = sinusoidal_positional_encoding(length, depth)
    return np.repeat(pe[:, 0::2] + pe[:, 1::2], 2, axis=1)


# Lengths and depths of several sizes, including depth 2 (one sin/cos pair).
_PE_CASES = [(6, 8), (1, 4), (12, 2), (50, 16)]
_PE_SLIPS = [
    (_pe_concatenated, "the sines and cosines must alternate: column 2i holds sin, column "
                       "2i + 1 the cos of the same angle (not all sines first)."),
    (_pe_exponent(2.0), "the exponent is 2i / depth where 2i is the even column index "
                        "0, 2, 4, ...; you doubled it."),
    (_pe_exponent(0.5), "the exponent is 2i / depth with 2i = 0, 2, 4, ... (the even column "
                        "index), not i / depth."),
    (_pe_summed, "the seed adds sin and cos into one number; keep them in two columns, "
                 "sin(angle) in column 2i and cos(angle) in column 2i + 1."),
]


@register("positional_encoding", "fix seed 002's positional encoding: the sinusoidal table "
                                 "PE[pos, 2i] = sin(pos / 10000**(2i/d)), PE[pos, 2i+1] = cos(...)")
def _check_positional_encoding(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    probe = try_call(fn, *copy.deepcopy(_PE_CASES[0]))
    if probe is not None:
        if not np.all(np.isfinite(probe)):
            return finish(CheckResult(
                name, False, "your table contains inf or nan. Hint: that is seed 002's bug — "
                "1 / range(depth) divides by zero at index 0. Divide the position by "
                "10000 ** (2i / depth), which is 1 (never 0) for the first pair."))
        if probe.ndim == 2 and probe.shape == (6, 8) and np.allclose(probe, probe[:1]):
            return finish(CheckResult(
                name, False, "every row (position) of your table is the same. Hint: the seed "
                "never uses the position; the angle must be pos / 10000 ** (2i / depth)."))
    return check_function_or_slip(
        fn, name, _pe_reference, _PE_CASES, _PE_SLIPS,
        "return an array of shape (length, depth): for pos = 0..length-1 and each pair "
        "i = 0..depth/2-1, angle = pos / 10000 ** (2i / depth); column 2i = sin(angle), "
        "column 2i + 1 = cos(angle).", tol=1e-9)


# --- xent_from_probabilities -----------------------------------------------------------------

def _probs(n: int, k: int) -> np.ndarray:
    z = _rng.normal(scale=2.0, size=(n, k))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _xent(probs: np.ndarray, labels: np.ndarray) -> float:
    p = np.asarray(probs, dtype=float)
    return float(-np.mean(np.log(p[np.arange(len(labels)), np.asarray(labels)])))


def _double_softmax(probs: np.ndarray, labels: np.ndarray) -> float:
    z = np.asarray(probs, dtype=float)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), np.asarray(labels)]))


def _xent_sum(probs: np.ndarray, labels: np.ndarray) -> float:
    return _xent(probs, labels) * len(labels)


def _xent_log2(probs: np.ndarray, labels: np.ndarray) -> float:
    return _xent(probs, labels) / np.log(2.0)


def _xent_all_columns(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.asarray(probs)[:, np.asarray(labels)])))


_XENT_CASES = [
    (np.array([[0.98, 0.02], [0.10, 0.90], [0.99, 0.01]]), np.array([0, 1, 1])),
    (_probs(5, 3), np.array([0, 2, 1, 1, 0])),
    (_probs(8, 10), _rng.integers(0, 10, size=8)),
]
_XENT_SLIPS = [
    (_double_softmax, "this is still seed 003's loss: it treats the probabilities as logits "
                      "and takes log-softmax of them (from_logits=True on a softmax output), "
                      "so softmax is applied twice. The probabilities are already normalised: "
                      "take -log p[label] directly."),
    (_xent_sum, "average over the examples (Keras' default reduction), do not sum."),
    (_xent_log2, "cross-entropy in Keras uses the natural logarithm (nats), not log2."),
    (_xent_all_columns, "probs[:, labels] picks every label's column for every row; take one "
                        "entry per row: probs[np.arange(n), labels]."),
]


@register("xent_from_probabilities", "fix seed 003's loss: mean cross-entropy of softmax "
                                     "probabilities and integer labels, softmax not re-applied")
def _check_xent_from_probabilities(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _xent, _XENT_CASES, _XENT_SLIPS,
        "return -mean(log(probs[np.arange(n), labels])), the mean over examples of minus the "
        "log-probability of the true class.", tol=1e-9)
