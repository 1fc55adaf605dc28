"""Chapter 3 exercises for notebook 03_math/06_attention: scaled dot-product attention, the
causal mask, what masking after the softmax (or with -inf) does, and the seed's "multi-head
attention" whose reshape makes each token attend over its own heads (seed 002). Each checker
compares the learner's answer with a reference on fixed inputs; before that it tries the
usual slips (no 1/sqrt(d_k), softmax over the wrong axis, an ignored or transposed mask, the
seed's reshape, a reshape without a transpose) so that a wrong answer gets the hint that fits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    check_value,
    diagnose,
    not_yet,
    register,
)
from labutils.scratch.activations import softmax
from labutils.scratch.attention import (
    causal_mask,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)

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


# --- mask_after_softmax ----------------------------------------------------------------------
# The exercise's fixed example: scores [2, 1, 0] with the last key masked.
_E = np.exp(1.0)
_ROW_SUM_AFTER = (_E**2 + _E) / (_E**2 + _E + 1.0)


@register("mask_after_softmax", "row sum when masking after the softmax; weights of a row "
                                "masked with -inf")
def _check_mask_after_softmax(answer: Any, name: str) -> CheckResult:
    if answer is None or (isinstance(answer, tuple) and all(a is None for a in answer)):
        return not_yet(name)
    if not isinstance(answer, tuple) or len(answer) != 2:
        return check_value(answer, (_ROW_SUM_AFTER, 0.0), name=name,
                           hint="give a pair: (row_sum_after, weights_all_masked).")
    row_sum, weights = answer
    if row_sum is None or weights is None:
        return not_yet(name, "answer to both parts")
    hint = "multiply softmax([2, 1, 0]) by the mask [1, 1, 0] and add up what is left."
    try:
        if np.isclose(float(row_sum), 1.0):
            hint = ("1 is what masking *before* the softmax gives; here the softmax runs over "
                    "all three scores first, and the masked weight is then set to zero.")
    except (TypeError, ValueError):
        pass
    first = check_value(row_sum, _ROW_SUM_AFTER, name=name, hint=hint)
    if not first:
        return first
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        w = np.full(0, np.nan)
    hint = (f"your weights_all_masked is {np.array2string(w, precision=4)}; compute "
            "softmax([-inf, -inf, -inf]) with NumPy and look at what comes out.")
    if w.shape == (3,) and np.allclose(w, 1 / 3):
        hint = ("1/3 each is what -1e9 gives (all scores equal, so the weights are uniform); "
                "with -inf, the softmax computes exp(-inf - (-inf)) = exp(nan).")
    # expected: three NaNs (check_value compares a flag, since NaN never equals NaN)
    all_nan = bool(w.shape == (3,) and np.isnan(w).all())
    return check_value(all_nan, True, name=name, hint=hint)


# --- seed_multi_head -------------------------------------------------------------------------

def _heads_over_tokens(x: np.ndarray, num_heads: int) -> np.ndarray:
    h = split_heads(x, num_heads)
    return merge_heads(scaled_dot_product_attention(h, h, h)[0])


def _seed_path(x: np.ndarray, num_heads: int, scale: bool = False,
               keep_shape: bool = False) -> np.ndarray:
    """Seed 002's path: reshape to (-1, heads, depth), so each token attends over its heads."""
    b, t, d = x.shape
    depth = d // num_heads
    heads = x.reshape(-1, num_heads, depth)
    scores = heads @ heads.transpose(0, 2, 1) / (np.sqrt(depth) if scale else 1.0)
    out = softmax(scores, axis=-1) @ heads
    return out.reshape(b, t, d) if keep_shape else out.reshape(-1, d)


def _split_slip(x: np.ndarray, num_heads: int, *, split: str = "right", merge: str = "right",
                scale: str = "depth") -> np.ndarray:
    """Head attention over the tokens with one slip in the split, the merge or the scale."""
    b, t, d = x.shape
    depth = d // num_heads
    h = (x.reshape(b, num_heads, t, depth) if split == "reshape"
         else x.reshape(b, t, num_heads, depth).transpose(0, 2, 1, 3))
    div = {"depth": np.sqrt(depth), "none": 1.0, "d": np.sqrt(d)}[scale]
    out = softmax(h @ h.transpose(0, 1, 3, 2) / div, axis=-1) @ h
    return out.reshape(b, t, d) if merge == "reshape" else merge_heads(out)


_SEED_CASES: list[tuple[Any, ...]] = [
    (_rng.normal(scale=0.8, size=(2, 3, 8)), 2),
    (_rng.normal(size=(1, 5, 12)), 3),
]
_HEADS_AXIS = ("each token still attends over its own heads (reshape(-1, num_heads, depth) "
               "turns every token into a row of num_heads pieces, so the weights are "
               "(B*T, H, H) and tokens never mix). ")
_SEED_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (_seed_path, "this is still the seed's code path: " + _HEADS_AXIS
     + "Keep the time axis: reshape to (b, t, num_heads, depth), then transpose to (b, "
       "num_heads, t, depth)."),
    (partial(_seed_path, scale=True), "the scaling is there, but " + _HEADS_AXIS
     + "Split to (b, t, num_heads, depth) and transpose to (b, num_heads, t, depth)."),
    (partial(_seed_path, keep_shape=True), "the output shape is right now, but " + _HEADS_AXIS
     + "Attend over axis t: (b, num_heads, t, depth)."),
    (partial(_seed_path, scale=True, keep_shape=True), "the shape and the scale are right, "
     "but " + _HEADS_AXIS + "Attend over axis t: (b, num_heads, t, depth)."),
    (partial(_split_slip, split="reshape", merge="reshape"),
     "x.reshape(b, num_heads, t, depth) does not move axes, it cuts the numbers in the wrong "
     "places: reshape to (b, t, num_heads, depth) and then transpose(0, 2, 1, 3)."),
    (partial(_split_slip, merge="reshape"),
     "the split is right, but the merge is not: transpose the result back to (b, t, "
     "num_heads, depth) before reshaping to (b, t, d)."),
    (partial(_split_slip, scale="none"),
     "the heads attend over the tokens now, but the scores are not scaled: divide by "
     "sqrt(depth) before the softmax."),
    (partial(_split_slip, scale="d"),
     "scale by the square root of the head's depth (d // num_heads), not of the model width d."),
]


@register("seed_multi_head", "fix the seed's reshape so each head attends over the tokens "
                             "(scaled, no projections)")
def _check_seed_multi_head(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _heads_over_tokens, _SEED_CASES, _SEED_SLIPS,
        "split (b, t, d) into (b, num_heads, t, depth) by reshape + transpose, attend with "
        "softmax(q k^T / sqrt(depth)) over the last axis, transpose back and reshape to "
        "(b, t, d).", tol=1e-9)
