"""Chapter 5, notebook 03 (compute, time and cost) exercises: the exact training FLOPs per
token of a TinyGPT, the energy of a training run, and how many accelerators finish a run in a
given number of days. Ids are ``"05.03.<name>"``; each checker compares the learner's
function with a reference on fixed inputs and names the usual slips (the forward pass only,
a forgotten attention or output term, the 6·N rule, watt-hours for kilowatt-hours, a missing
utilisation or PUE, a count not rounded up).
"""

from __future__ import annotations

import math
from typing import Any

from labutils.checks import CheckResult, check_function_or_slip, register
from labutils.lm.flops import tiny_gpt_flops

# --- training_flops_per_token ----------------------------------------------------------------


def _per_token(n_layers: int, d_model: int, context: int, vocab_size: int) -> int:
    cfg = dict(n_layers=n_layers, d_model=d_model, context=context, vocab_size=vocab_size)
    return tiny_gpt_flops(cfg, 1)


def _forward_only(n_layers: int, d_model: int, context: int, vocab_size: int) -> float:
    return _per_token(n_layers, d_model, context, vocab_size) / 3


def _no_attention(n_layers: int, d_model: int, context: int, vocab_size: int) -> int:
    return 3 * (n_layers * 24 * d_model**2 + 2 * d_model * vocab_size)


def _causal_half(n_layers: int, d_model: int, context: int, vocab_size: int) -> int:
    cfg = dict(n_layers=n_layers, d_model=d_model, context=context, vocab_size=vocab_size)
    return tiny_gpt_flops(cfg, 1, attention="causal")


def _no_output(n_layers: int, d_model: int, context: int, vocab_size: int) -> int:
    return 3 * n_layers * (24 * d_model**2 + 4 * context * d_model)


def _six_n(n_layers: int, d_model: int, context: int, vocab_size: int) -> int:
    # 6 x labutils.lm.model.tiny_gpt_params (written out: importing the model loads Keras)
    d = d_model
    return 6 * (n_layers * (12 * d * d + 13 * d) + 2 * d + (vocab_size + context) * d)


def _multiply_adds(n_layers: int, d_model: int, context: int, vocab_size: int) -> float:
    return _per_token(n_layers, d_model, context, vocab_size) / 2


# The recipe, a long context (attention matters), one layer, a large vocabulary.
_FLOP_CASES = [(2, 64, 64, 512), (2, 64, 1024, 512), (1, 32, 16, 100), (4, 128, 256, 5000)]
_FLOP_SLIPS = [
    (_forward_only, "that is the forward pass; training adds the backward pass, two products "
                    "of the same size for every product: 3 x forward."),
    (_multiply_adds, "you counted multiply-adds; each is 2 FLOPs, so a (1 x k) by (k x n) "
                     "product costs 2·k·n."),
    (_no_attention, "the attention scores Q K^T and the weighted sum of V are matrix products "
                    "too: 2·context·d_model FLOPs each per token and layer, forward."),
    (_causal_half, "this implementation computes the whole context x context score matrix and "
                   "masks it afterwards: count all context keys per query, not (context+1)/2."),
    (_no_output, "the tied output layer multiplies by the d_model x vocab_size embedding "
                 "table: 2·d_model·vocab_size FLOPs per token forward."),
    (_six_n, "that is the 6·N rule of thumb; the exercise asks for the exact matmul count, "
             "which adds attention and leaves out biases, layer norms and the lookups."),
]


@register("training_flops_per_token",
          "exact matmul training FLOPs per token of a TinyGPT (full T x T attention)")
def _check_flops_per_token(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _per_token, _FLOP_CASES, _FLOP_SLIPS,
        "forward per token = n_layers·(2·d·3d + 2·d·d + 2·d·4d + 2·4d·d + 2·2·context·d) "
        "+ 2·d·vocab_size; training = 3 x forward.")


# --- training_energy_kwh ---------------------------------------------------------------------

def _kwh(compute_flop: float, peak_flops: float, mfu: float, power_watts: float,
         pue: float) -> float:
    device_seconds = compute_flop / (peak_flops * mfu)
    return device_seconds * power_watts * pue / 3.6e6


_ENERGY_CASES = [(3.15e23, 312e12, 0.4, 400.0, 1.1), (1e18, 1e11, 0.05, 30.0, 1.0),
                 (3.8e25, 989e12, 0.4, 700.0, 1.2)]
_ENERGY_SLIPS = [
    (lambda c, p, m, w, u: _kwh(c, p, m, w, u) * 1000,
     "that is in watt-hours; a kilowatt-hour is 1,000 Wh."),
    (lambda c, p, m, w, u: _kwh(c, p, m, w, u) * 3.6e6,
     "that is in joules (watt-seconds); one kWh is 3.6e6 J."),
    (lambda c, p, m, w, u: _kwh(c, p, m, w, u) / u,
     "multiply by the PUE: the data centre's cooling and power delivery come on top of "
     "the devices' own draw."),
    (lambda c, p, m, w, u: _kwh(c, p, m, w, u) * m,
     "the devices only sustain mfu x their peak, so the run lasts longer: divide by "
     "peak_flops * mfu."),
    (lambda c, p, m, w, u: _kwh(c, p, m, w, u) * m * m,
     "divide by mfu, do not multiply: a lower utilisation means a longer run."),
]


@register("training_energy_kwh",
          "kWh = compute / (peak x MFU) device-seconds x watts x PUE / 3.6e6")
def _check_energy(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _kwh, _ENERGY_CASES, _ENERGY_SLIPS,
        "device-seconds = compute_flop / (peak_flops * mfu); joules = device-seconds * "
        "power_watts * pue; kWh = joules / 3.6e6.", tol=1e-9)


# --- gpus_needed -----------------------------------------------------------------------------

def _gpus(n_params: float, n_tokens: float, days: float, peak_flops: float,
          mfu: float) -> int:
    return math.ceil(6 * n_params * n_tokens / (peak_flops * mfu * days * 86_400))


_GPU_CASES = [(1.75e11, 3e11, 30, 312e12, 0.4), (7e10, 2e12, 21, 989e12, 0.4),
              (1.37e5, 3e5, 1, 2e10, 0.05), (4.05e11, 1.56e13, 54, 989e12, 0.4)]
_GPU_SLIPS = [
    (lambda n, d, t, p, m: 6 * n * d / (p * m * t * 86_400),
     "a fraction of an accelerator does not exist: round up with math.ceil."),
    (lambda n, d, t, p, m: math.floor(6 * n * d / (p * m * t * 86_400)),
     "rounding down leaves the run unfinished after `days`: round up with math.ceil."),
    (lambda n, d, t, p, m: round(6 * n * d / (p * m * t * 86_400)),
     "round up (math.ceil), not to the nearest: fewer accelerators would miss the deadline."),
    (lambda n, d, t, p, m: math.ceil(6 * n * d / (p * t * 86_400)),
     "each accelerator sustains only mfu x its peak: divide by peak_flops * mfu."),
    (lambda n, d, t, p, m: math.ceil(2 * n * d / (p * m * t * 86_400)),
     "training costs 6·N·D FLOPs (forward 2, backward 4 per parameter per token), not 2·N·D."),
    (lambda n, d, t, p, m: math.ceil(6 * n * d / (p * m * t * 3_600)),
     "days is in days: one day has 86,400 seconds, not 3,600."),
]


@register("gpus_needed", "accelerators to train 6·N·D FLOPs in `days` at MFU x peak, rounded up")
def _check_gpus(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _gpus, _GPU_CASES, _GPU_SLIPS,
        "FLOPs = 6 * n_params * n_tokens; one accelerator does peak_flops * mfu * days * "
        "86,400 of them; divide and round up.")
