"""Chapter 3 exercises for notebook 03_math/06_attention: scaled dot-product attention and
the causal mask. Each checker compares the learner's function with a reference on fixed
inputs; before that it tries the usual slips (no 1/sqrt(d_k), softmax over the wrong axis,
an ignored mask, a transposed mask) so that a wrong answer gets the hint that fits it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, register
from labutils.scratch.activations import softmax
from labutils.scratch.attention import causal_mask, scaled_dot_product_attention

_rng = np.random.default_rng(6)
_T = 4
# d_k = 4 so that forgetting the 1/sqrt(d_k) (a factor 2) is visible; T != S in the first
# case so that q @ k.T versus k @ q.T cannot both have the right shape; the second case
# adds a batch axis and a causal mask.
_ATTENTION_CASES: list[tuple[Any, ...]] = [
    (_rng.normal(size=(3, 4)), _rng.normal(size=(5, 4)), _rng.normal(size=(5, 2)), None),
    (_rng.normal(size=(2, _T, 4)), _rng.normal(size=(2, _T, 4)), _rng.normal(size=(2, _T, 3)),
     np.tril(np.ones((_T, _T), dtype=bool))),
]


def _attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
               mask: np.ndarray | None = None) -> np.ndarray:
    return scaled_dot_product_attention(q, k, v, mask)[0]


def _variant(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None, *,
             scale: float | None = None, axis: int = -1, mask_mode: str = "before") -> np.ndarray:
    """Attention with one deliberate slip, to recognise the learner's mistake."""
    d_k = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(d_k) if scale is None else scale)
    if mask is not None and mask_mode == "before":
        scores = np.where(mask, scores, -1e9)
    weights = softmax(scores, axis=axis)
    if mask is not None and mask_mode == "after":
        weights = weights * mask
    return weights @ v


_ATTENTION_SLIPS: list[tuple[dict[str, Any], str]] = [
    ({"scale": 1.0}, "the scores are not scaled: divide q @ k.T by sqrt(d_k) (d_k = "
                     "q.shape[-1]) before the softmax."),
    ({"scale": 4.0}, "you divided by d_k; divide by its square root, np.sqrt(d_k)."),
    ({"axis": -2}, "the softmax runs over the wrong axis: normalise over the keys, the last "
                   "axis of the scores (axis=-1), so each query's weights sum to one."),
    ({"mask_mode": "ignore"}, "the mask is ignored: where mask is False, replace the score by "
                              "a large negative number (e.g. -1e9) before the softmax."),
    ({"mask_mode": "after"}, "you masked after the softmax, so the rows no longer sum to one: "
                             "put -1e9 into the masked scores *before* the softmax."),
]

_ATTENTION_HINT = ("scores = q @ swapaxes(k, -1, -2) / sqrt(d_k); where mask is False set the "
                   "score to -1e9; weights = softmax(scores, axis=-1); return weights @ v.")


@register("attention", "scaled dot-product attention softmax(q k^T / sqrt(d_k)) v with a "
                          "boolean mask")
def _check_attention(fn: Any, name: str) -> CheckResult:
    hint = _ATTENTION_HINT
    if callable(fn):
        for kw, slip_hint in _ATTENTION_SLIPS:
            # Mask slips show on the masked case, the others on the unmasked one (a learner
            # may make two slips at once; then the general hint is given).
            cases = _ATTENTION_CASES[1:] if "mask_mode" in kw else _ATTENTION_CASES[:1]
            wrong = partial(_variant, **kw)
            if diagnose(fn, cases, [(wrong, slip_hint)], "") == slip_hint:
                hint = slip_hint
                break
    return check_function(fn, _attention, _ATTENTION_CASES, name=name, hint=hint)


_MASK_SLIPS: list[tuple[Callable[[int], np.ndarray], str]] = [
    (lambda n: np.triu(np.ones((n, n), dtype=bool)),
     "your mask is transposed: row i is the query, column j the key, and query i may attend "
     "to keys j <= i — the lower triangle, np.tril."),
    (lambda n: np.tril(np.ones((n, n), dtype=bool), k=-1),
     "the diagonal must be True: a token may attend to itself (np.tril with k=0)."),
    (lambda n: np.triu(np.ones((n, n), dtype=bool), k=1),
     "this marks the *blocked* positions; the Keras convention is True = 'may attend', so "
     "return the lower triangle including the diagonal."),
    (lambda n: np.ones((n, n), dtype=bool),
     "nothing is blocked: keys j > i (the future) must be False."),
]


@register("causal_mask", "boolean causal mask: True where query i may attend to key j <= i")
def _check_causal_mask(fn: Any, name: str) -> CheckResult:
    cases = [(1,), (3,), (6,)]
    hint = "return np.tril(np.ones((length, length), dtype=bool)): True on and below the diagonal."
    if callable(fn):
        try:
            got = np.asarray(fn(6))
            if np.issubdtype(got.dtype, np.floating) and np.isinf(got).any():
                hint = ("you built an additive mask (0 / -inf); here the mask is boolean, True "
                        "where attending is allowed, as in Keras' attention_mask.")
        except Exception:
            pass
        hint = diagnose(fn, cases[1:], _MASK_SLIPS, hint)
    return check_function(fn, causal_mask, cases, name=name, atol=0, rtol=0,
                          hint=hint)
