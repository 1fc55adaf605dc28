"""Chapter 4, notebook 05 (a small Transformer for text) exercises: the padding mask, pooling
the token vectors of a review into one vector (the fix for seed 002's per-token output), and
the float32 memory of the attention weights. Ids are ``"04.05.<name>"``; each checker
compares the learner's function with a reference on fixed inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(405)


def _ids(lengths: list[int], t: int) -> np.ndarray:
    """Post-padded ids: row b has ``lengths[b]`` real tokens (ids 2..9), then zeros."""
    out = np.zeros((len(lengths), t), dtype=np.int32)
    for b, n in enumerate(lengths):
        out[b, :n] = _rng.integers(2, 10, size=n)
    return out


# --- padding_mask ------------------------------------------------------------------------------

def _padding_mask(ids: np.ndarray) -> np.ndarray:
    keys = np.asarray(ids) != 0
    b, t = keys.shape
    return np.broadcast_to(keys[:, None, :], (b, t, t))


def _rows_masked(ids: np.ndarray) -> np.ndarray:
    real = np.asarray(ids) != 0
    b, t = real.shape
    return np.broadcast_to(real[:, :, None], (b, t, t))


# T = 5 with lengths 5, 3, 1 (a full row, a padded one, a single token), and T = 4 with an
# unknown-word id 1 (not padding) in the middle.
_MASK_CASES = [(_ids([5, 3, 1], 5),), (np.array([[4, 1, 7, 0], [1, 0, 0, 0]]),)]
_MASK_SLIPS = [
    (_rows_masked, "you masked the queries (rows i) instead of the keys (columns j): a real "
                   "token must not *read* padding, so the test is on ids[b, j]; index "
                   "keys[:, None, :], not [:, :, None]."),
    (lambda ids: ~_padding_mask(ids), "True and False are swapped: True must mean 'may "
                                      "attend', i.e. the key is a real token (id != 0)."),
    (lambda ids: np.broadcast_to((np.asarray(ids) > 1)[:, None, :], (*np.shape(ids),
                                                                     np.shape(ids)[1])),
     "only id 0 is padding; id 1 is an unknown word, a real token that may be attended to."),
    (lambda ids: np.asarray(ids) != 0, "that is the (B, T) mask of real tokens; the attention "
                                       "mask has one row per query: shape (B, T, T)."),
]


@register("padding_mask", "a (B, T, T) attention mask that blocks padded keys (id 0)")
def _check_padding_mask(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _padding_mask, _MASK_CASES, _MASK_SLIPS,
        "keys = ids != 0 has shape (B, T); broadcast keys[:, None, :] to (B, T, T) so every "
        "query row gets the same key mask.")


# --- pool_reviews ------------------------------------------------------------------------------

def _pool(h: np.ndarray, ids: np.ndarray) -> np.ndarray:
    real = (np.asarray(ids) != 0).astype(float)[:, :, None]
    return (np.asarray(h) * real).sum(axis=1) / real.sum(axis=1)


def _seed_rows(h: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.asarray(h).reshape(-1, np.shape(h)[-1])


def _divide_by_t(h: np.ndarray, ids: np.ndarray) -> np.ndarray:
    real = (np.asarray(ids) != 0).astype(float)[:, :, None]
    return (np.asarray(h) * real).sum(axis=1) / np.shape(h)[1]


# Non-zero vectors at padded positions, so averaging them in shows; one full review.
_POOL_CASES = [(_rng.normal(size=(3, 4, 2)).round(2), _ids([4, 2, 1], 4)),
               (_rng.normal(size=(2, 6, 3)), _ids([3, 6], 6))]
_POOL_SLIPS = [
    (_seed_rows, "this is seed 002's reshape(-1, d): one row per token (B*T rows), not one "
                 "vector per review. Average over the time axis instead."),
    (lambda h, ids: np.asarray(h).mean(axis=1),
     "the padding is averaged in: only real tokens (ids != 0) may count, and divide by their "
     "number."),
    (_divide_by_t, "you summed the real tokens but divided by T; divide by the number of real "
                   "tokens of each review."),
    (lambda h, ids: np.asarray(h).mean(axis=2),
     "the mean runs over the feature axis; average over the tokens (axis 1) so each review "
     "keeps its d features."),
]


@register("pool_reviews", "masked mean of (B, T, d) token vectors: one vector per review")
def _check_pool_reviews(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _pool, _POOL_CASES, _POOL_SLIPS,
        "real = (ids != 0)[:, :, None]; return (h * real).sum(axis=1) / real.sum(axis=1).",
        tol=1e-9)


# --- attention_bytes ---------------------------------------------------------------------------

def _bytes(batch: int, heads: int, max_len: int, layers: int) -> int:
    return 4 * batch * heads * max_len * max_len * layers


_BYTES_CASES = [(64, 2, 128, 1), (32, 8, 512, 6), (1, 1, 3, 1), (16, 4, 100, 2)]
_BYTES_SLIPS = [
    (lambda b, h, n, k: 4 * b * h * n * k, "each head stores a max_len x max_len matrix per "
                                           "review: the length enters squared."),
    (lambda b, h, n, k: b * h * n * n * k, "that counts numbers; float32 takes 4 bytes each."),
    (lambda b, h, n, k: 4 * b * n * n * k, "every head has its own weights matrix: multiply by "
                                           "heads."),
    (lambda b, h, n, k: 4 * b * h * n * n, "every layer has its own attention: multiply by "
                                           "layers."),
    (lambda b, h, n, k: 8 * b * h * n * n * k, "float32 is 4 bytes (8 is float64)."),
]


@register("attention_bytes", "bytes of float32 attention weights: 4 * B * H * L^2 * layers")
def _check_attention_bytes(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _bytes, _BYTES_CASES, _BYTES_SLIPS,
        "multiply 4 bytes by batch, heads, layers and max_len squared.")
