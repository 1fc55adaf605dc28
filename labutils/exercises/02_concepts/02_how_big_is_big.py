"""Chapter 2, notebook 02 (how big is big) exercises: the bytes of Adam training state per
model, the exact parameter count of a Keras Transformer block, and the largest batch that fits
in a device's memory. Ids are ``"02.02.<name>"``; each checker compares the learner's function
with a reference on fixed inputs and names the usual slip (gradients or the master copy
forgotten, Adam's moments stored in the weights' dtype, biases or LayerNorm left out, the
model state not subtracted, a fractional batch).
"""

from __future__ import annotations

import math
from typing import Any

from labutils.checks import CheckResult, check_function_or_slip, register

_run = check_function_or_slip  # not yet / slip-specific hint / compare


# --- adam_training_bytes ---------------------------------------------------------------------

# fp32 Adam, bf16 mixed precision with a master copy, bf16 without one, fp64.
_ADAM_CASES = [(1_000, 4, False), (1_000, 2, True), (7_000_000_000, 2, False),
               (175_000_000_000, 2, True), (12_345, 8, False)]


def _adam_bytes(n_params: int, weight_bytes: int, master_weights: bool) -> int:
    return n_params * (2 * weight_bytes + 2 * 4 + (4 if master_weights else 0))


_ADAM_SLIPS = [
    (lambda n, wb, m: n * (wb + 8 + (4 if m else 0)),
     "add the gradients: backpropagation stores one gradient per weight, in the weights' "
     "dtype."),
    (lambda n, wb, m: n * (2 * wb + 8),
     "with master_weights=True the optimizer also keeps an fp32 copy of every weight "
     "(4 bytes)."),
    (lambda n, wb, m: n * (4 * wb + (4 if m else 0)),
     "Adam's two moments are kept in fp32 (4 bytes each) whatever the weights' dtype."),
    (lambda n, wb, m: n * (2 * wb + 4 + (4 if m else 0)),
     "Adam keeps two numbers per weight (first moment m and second moment v), 4 bytes each."),
    (lambda n, wb, m: 16 * n,
     "16 bytes per parameter holds for fp32 and for bf16 with an fp32 master copy; add up "
     "the parts from the arguments: bf16 without a master copy gives 2 + 2 + 8 = 12."),
]


@register("adam_training_bytes", "bytes of weights + gradients + Adam state (+ fp32 master)")
def _check_adam_training_bytes(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _adam_bytes, _ADAM_CASES, _ADAM_SLIPS,
                "per parameter: weight_bytes (weights) + weight_bytes (gradients) + 2 x 4 "
                "(Adam's m and v in fp32) + 4 if master_weights; multiply by n_params.")


# --- transformer_block_params ----------------------------------------------------------------

_D_CASES = [(256,), (64,), (768,), (12_288,)]


def _block(d_model: int) -> int:
    return 12 * d_model**2 + 13 * d_model


_BLOCK_SLIPS = [
    (lambda d: 12 * d**2,
     "that is the 12 d^2 approximation: add the biases (Q, K, V, output: 4d; MLP: 4d + d) and "
     "the two LayerNorms (scale and offset: 2d each)."),
    (lambda d: 12 * d**2 + 9 * d,
     "add the two LayerNorms: each has a scale and an offset vector of length d."),
    (lambda d: 12 * d**2 + 4 * d,
     "the biases of the MLP are missing: 4d for the first Dense layer and d for the second."),
    (lambda d: 12 * d**2 + 11 * d,
     "each LayerNorm has two vectors (scale gamma and offset beta), d values each."),
    (lambda d: 12 * d**2 + 10 * d,
     "the first Dense layer of the MLP has 4d units, so 4d biases, not d."),
]


@register("transformer_block_params",
          "exact parameters of a Keras Transformer block of width d_model (MLP 4 d_model)")
def _check_transformer_block_params(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _block, _D_CASES, _BLOCK_SLIPS,
                "attention: 4 Dense projections d x d, each with d biases; MLP: d x 4d + 4d "
                "and 4d x d + d; two LayerNorms of 2d each. Compare with the per-layer "
                "table in section 5.")


# --- max_batch_size --------------------------------------------------------------------------

# (memory, parameters, bytes per parameter, activation bytes per sample); the last one does
# not fit at all (0), the others have a remainder to floor.
_BATCH_CASES = [(80 * 2**30, 6_700_000_000, 2, 1_300_000_000),
                (24 * 2**30, 1_000_000_000, 16, 500_000_000),
                (80 * 2**30, 1_000_000_000, 16, 3_000_000_000),
                (16 * 2**30, 7_000_000_000, 16, 1_000_000)]


def _max_batch(memory_bytes: int, n_params: int, bytes_per_param: float,
               activation_bytes_per_sample: int) -> int:
    free = memory_bytes - n_params * bytes_per_param
    return max(0, math.floor(free / activation_bytes_per_sample))


_BATCH_SLIPS = [
    (lambda m, n, bpp, a: m / a,
     "subtract the model state first: n_params * bytes_per_param is held whatever the batch."),
    (lambda m, n, bpp, a: math.floor(m / a),
     "subtract the model state first: n_params * bytes_per_param is held whatever the batch."),
    (lambda m, n, bpp, a: (m - n * bpp) / a,
     "a batch holds whole samples: round down (math.floor), and return 0 if nothing fits."),
    (lambda m, n, bpp, a: math.floor((m - n * bpp) / a),
     "when the model state alone does not fit, no batch fits: return 0, not a negative "
     "number."),
    (lambda m, n, bpp, a: round((m - n * bpp) / a),
     "round down, not to the nearest: one sample more than fits does not fit."),
]


@register("max_batch_size", "largest batch whose activations fit beside the model state")
def _check_max_batch_size(fn: Any, name: str) -> CheckResult:
    return _run(fn, name, _max_batch, _BATCH_CASES, _BATCH_SLIPS,
                "free = memory_bytes - n_params * bytes_per_param; the batch is "
                "floor(free / activation_bytes_per_sample), and 0 when free < 0.")
