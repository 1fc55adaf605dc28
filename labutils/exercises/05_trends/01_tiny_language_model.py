"""Chapter 5, notebook 01 (a language model in miniature) exercises: one byte-pair-encoding
merge on a list of token ids, bits per byte from a loss in nats per token, and the top-k
filter applied to logits before sampling. Ids are ``"05.01.<name>"``; each checker compares
the learner's function with a reference on fixed inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register
from labutils.lm.bpe import _merge

_rng = np.random.default_rng(501)


# --- bpe_merge -------------------------------------------------------------------------------

def _no_skip(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    """Replaces the first id of each match but forgets to skip the second one."""
    out = []
    for i in range(len(ids)):
        match = i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair)
        out.append(new if match else ids[i])
    return out


def _first_only(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            return [*ids[:i], new, *ids[i + 2:]]
    return list(ids)


def _drops_last(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


# "aaab" with pair (a, a): left to right gives [new, a, b]; three pairs in a row; the pair at
# the very end; no occurrence at all; a reversed pair that must not match.
_MERGE_CASES = [
    ([97, 97, 97, 98], (97, 97), 256),
    ([116, 104, 101, 32, 116, 104, 101, 110], (116, 104), 300),
    ([5, 1, 2, 1, 2, 1, 2], (1, 2), 260),
    ([1, 2, 3, 4], (3, 4), 257),
    ([9, 8, 7], (1, 2), 258),
    ([2, 1, 1, 2, 2, 1], (1, 2), 259),
    ([97, 97, 97, 97, 97], (97, 97), 256),
]
_MERGE_SLIPS = [
    (_first_only, "replace every occurrence of the pair, not only the first one."),
    (_no_skip, "after a merge, skip both ids of the pair (i += 2): the merged list is "
               "shorter, and in [97, 97, 97] the pair (97, 97) is merged once, giving "
               "[256, 97]."),
    (_drops_last, "the last id is lost when it is not part of a merge: append ids[i] also "
                  "when i is the final position."),
]


def _merge_ref(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    return _merge(list(ids), tuple(pair), new)


@register("bpe_merge", "one BPE merge: replace the pair by the new id, left to right")
def _check_bpe_merge(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _merge_ref, _MERGE_CASES, _MERGE_SLIPS,
        "walk i from 0; when (ids[i], ids[i+1]) equals the pair, append new_id and skip two "
        "ids, else append ids[i] and move one.")


# --- bits_per_byte ---------------------------------------------------------------------------

def _bpb(loss_nats: Any, tokens_per_byte: Any) -> Any:
    return np.asarray(loss_nats) * np.asarray(tokens_per_byte) / np.log(2)


_BPB_CASES = [(np.log(256.0), 1.0), (4.2, 0.47), (3.1, 0.30), (np.array([5.0, 4.0, 3.5]),
                                                              np.array([0.47, 0.36, 0.30]))]
_BPB_SLIPS = [
    (lambda loss, tpb: loss * tpb, "the loss is in nats (natural log); divide by ln 2 to get "
                                   "bits."),
    (lambda loss, tpb: loss / tpb / np.log(2), "multiply by tokens per byte: a byte carries "
                                               "only a fraction of a token's loss."),
    (lambda loss, tpb: loss / np.log(2), "that is bits per token; convert to bytes by "
                                         "multiplying by tokens per byte."),
    (lambda loss, tpb: loss * tpb * np.log(2), "divide by ln 2 (one bit = ln 2 nats), do not "
                                               "multiply."),
    (lambda loss, tpb: loss * tpb / np.log(10), "bits are base-2 logarithms: divide by ln 2, "
                                                "not ln 10."),
]


@register("bits_per_byte", "bits per byte from a loss in nats per token and tokens per byte")
def _check_bpb(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _bpb, _BPB_CASES, _BPB_SLIPS,
        "nats per token x tokens per byte = nats per byte; divide by ln 2.", tol=1e-9)


# --- top_k_filter ----------------------------------------------------------------------------

def _top_k(logits: np.ndarray, k: int) -> np.ndarray:
    z = np.asarray(logits, dtype=float)
    if k >= len(z):
        return z.copy()
    return np.where(z >= np.sort(z)[-k], z, -np.inf)


def _distinct(n: int) -> np.ndarray:
    return _rng.permutation(n) * 0.37 - 2.0 + _rng.uniform(0, 0.01, n)


_TOPK_CASES = [(np.array([0.0, 3.0, 1.0, 2.9]), 2), (_distinct(10), 3), (_distinct(12), 1),
               (np.array([-1.0, -3.0, -0.5, -2.0, -7.0]), 4), (_distinct(6), 6),
               (np.array([0.2, -0.4, 1.5]), 5)]
_TOPK_SLIPS = [
    (lambda z, k: np.where(z >= np.sort(z)[-k], z, 0.0) if k < len(z) else z,
     "set the removed logits to -inf, not 0: exp(0) = 1, so a zero logit still gets "
     "probability after the softmax."),
    (lambda z, k: np.where(z <= np.sort(z)[k - 1], z, -np.inf) if k < len(z) else z,
     "keep the k LARGEST logits (the most likely tokens), not the k smallest."),
    (lambda z, k: np.where(z > np.sort(z)[-k], z, -np.inf) if k < len(z) else z,
     "that keeps k - 1 tokens: compare with >= against the k-th largest logit."),
    (lambda z, k: np.sort(z)[::-1][:k],
     "return an array as long as the logits, with the removed entries at -inf, so that "
     "index i still means token i."),
]


@register("top_k_filter", "keep the k largest logits, set the rest to -inf")
def _check_top_k(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _top_k, _TOPK_CASES, _TOPK_SLIPS,
        "find the k-th largest logit (np.sort(logits)[-k]) and use np.where to keep the "
        "logits >= it and put -inf elsewhere; k >= len(logits) keeps everything.")
