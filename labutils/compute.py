"""Back-of-the-envelope compute, memory, time and cost of training and running large models.

The rules of thumb, each a function below so a notebook can check it against a measurement:

* memory of the weights = parameters x bytes per number (fp32 4, bf16/fp16 2, int8 1);
* training also stores gradients and optimizer state (Adam: two extra numbers per weight);
* a dense Transformer with ``N`` parameters costs about ``2·N`` FLOPs per token forward
  (one multiply and one add per weight) and ``6·N`` per token to train (backward ≈ 2x forward),
  so training on ``D`` tokens costs ``C ≈ 6·N·D`` (Kaplan et al., 2020);
* a Transformer block has about ``12·d_model²`` weights (attention ``4d²`` + MLP ``8d²``);
* time = FLOPs / (peak FLOP/s x utilization); cost = device-hours x *your* price per hour.

Activation memory depends on batch size, sequence length and checkpointing, so it is left out.
No prices are built in: hardware prices change, so pass the one you were quoted.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_scalar
from labutils._validate import positive as _positive
from labutils._validate import positive_int as _positive_int

__all__ = [
    "BITS_PER_VALUE", "OPTIMIZER_STATES", "param_memory", "training_memory", "training_flops",
    "inference_flops", "transformer_params", "measure_matmul_flops", "estimate_training_time",
    "estimate_cost", "format_bytes", "format_flops",
]

BITS_PER_VALUE: dict[str, int] = {"fp64": 64, "fp32": 32, "bf16": 16, "fp16": 16, "int8": 8,
                                  "int4": 4}
# Extra numbers the optimizer keeps per weight: Adam m and v; momentum a velocity; SGD none.
OPTIMIZER_STATES: dict[str, int] = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


def _nonneg_count(name: str, value: Any) -> int:
    """A count >= 0 given as an int or a whole float (``7e9`` reads better than 7000000000)."""
    number = check_scalar(name, value, "real", min=0.0)
    if not number.is_integer():
        raise ValueError(f"{name} must be a whole number >= 0; got {value!r}")
    return int(value)


def _dtype(name: str, value: str) -> int:
    return BITS_PER_VALUE[check_choice(name, value, BITS_PER_VALUE)]


def param_memory(n_params: int, dtype: str = "fp32") -> int:
    """Bytes needed to hold ``n_params`` numbers of ``dtype`` (fp64, fp32, bf16, fp16, int8,
    int4), rounded up to whole bytes. 7 billion parameters: 28 GB in fp32, 14 GB in bf16,
    7 GB in int8 - the first reason quantization (量化) matters.
    """
    n_params = _nonneg_count("n_params", n_params)
    return math.ceil(n_params * _dtype("dtype", dtype) / 8)


def training_memory(n_params: int, optimizer: str = "adam", weights_dtype: str = "fp32", *,
                    gradients_dtype: str | None = None, optimizer_dtype: str = "fp32",
                    master_weights: bool = False) -> dict[str, int]:
    """Bytes of the *model state* during training: weights, gradients (same dtype as the
    weights unless given), optimizer state (Adam 2, momentum 1, SGD 0 numbers per weight) and,
    for mixed precision, an fp32 master copy of the weights (``master_weights=True``).
    Plain fp32 Adam and bf16 mixed-precision Adam both come to 16 bytes per parameter.
    Activations are not included (they depend on batch size and sequence length).
    Returns ``{'weights', 'gradients', 'optimizer_state', 'master_weights', 'total'}``.
    """
    n_params = _nonneg_count("n_params", n_params)
    check_choice("optimizer", optimizer, OPTIMIZER_STATES)
    _dtype("weights_dtype", weights_dtype)
    gradients_dtype = weights_dtype if gradients_dtype is None else gradients_dtype
    _dtype("gradients_dtype", gradients_dtype)
    _dtype("optimizer_dtype", optimizer_dtype)
    parts = {
        "weights": param_memory(n_params, weights_dtype),
        "gradients": param_memory(n_params, gradients_dtype),
        "optimizer_state": OPTIMIZER_STATES[optimizer] * param_memory(n_params, optimizer_dtype),
        "master_weights": param_memory(n_params, "fp32") if master_weights else 0,
    }
    parts["total"] = sum(parts.values())
    return parts


def training_flops(n_params: float, n_tokens: float) -> float:
    """Training compute ``C ≈ 6·N·D`` FLOPs for ``N`` parameters and ``D`` training tokens:
    2 per weight per token forward (multiply + add) and about 4 backward.
    """
    return 6.0 * _positive("n_params", n_params) * _positive("n_tokens", n_tokens)


def inference_flops(n_params: float, n_tokens: float) -> float:
    """Inference (forward pass only) compute ``≈ 2·N·D`` FLOPs for ``D`` processed tokens."""
    return 2.0 * _positive("n_params", n_params) * _positive("n_tokens", n_tokens)


def transformer_params(n_layers: int, d_model: int, vocab_size: int, n_ctx: int | None = None,
                       include_embeddings: bool = True) -> int:
    """Approximate parameters of a decoder-only Transformer: ``12·L·d²`` for the blocks (Q, K,
    V and output projections ``4d²``; an MLP of width ``4d`` ``8d²``; biases and LayerNorms
    ignored) plus, if ``include_embeddings``, the token table ``V·d`` and learned positions
    ``n_ctx·d`` (omit ``n_ctx`` for fixed/sinusoidal positions). GPT-3: L=96, d=12288,
    V=50257, n_ctx=2048 gives about 175 billion.
    """
    n_layers = _positive_int("n_layers", n_layers)
    d_model = _positive_int("d_model", d_model)
    vocab_size = _positive_int("vocab_size", vocab_size)
    if n_ctx is not None:
        n_ctx = _positive_int("n_ctx (or None)", n_ctx)
    blocks = 12 * n_layers * d_model**2
    if not include_embeddings:
        return blocks
    return blocks + vocab_size * d_model + (n_ctx or 0) * d_model


def measure_matmul_flops(n: int = 1024, repeats: int = 5, backend: str = "numpy",
                         dtype: str = "float32") -> float:
    """Measure this machine's matrix-multiply throughput in FLOP/s: time ``repeats`` products
    of two ``n x n`` matrices (``2·n³`` FLOPs each, after one warm-up) with NumPy or TensorFlow
    and return FLOPs / median seconds. A real, short measurement (well under a second for the
    defaults) that anchors the time estimates to the learner's own hardware.
    """
    n = _positive_int("n", n)
    repeats = _positive_int("repeats", repeats)
    check_choice("backend", backend, ("numpy", "tensorflow"))
    check_choice("dtype", dtype, ("float32", "float64"))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    if backend == "numpy":
        def matmul() -> Any:
            return a @ b
    else:
        import tensorflow as tf  # labutils._tfenv has set its log level

        ta, tb = tf.constant(a), tf.constant(b)

        def matmul() -> Any:
            return tf.linalg.matmul(ta, tb)  # eager CPU ops finish before returning
    matmul()  # warm-up: thread pools, kernels, caches
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        matmul()
        seconds.append(time.perf_counter() - start)
    return 2.0 * n**3 / max(float(np.median(seconds)), 1e-9)


def estimate_training_time(n_params: float, n_tokens: float, flops_per_s: float,
                           utilization: float = 0.4, n_devices: int = 1) -> float:
    """Wall-clock seconds to train: ``6·N·D / (flops_per_s · utilization · n_devices)``.
    ``flops_per_s`` is one device's peak (or measured) throughput; real training reaches only
    a fraction of it (``utilization``, often 0.3-0.5 for large runs) because of memory traffic,
    communication and the non-matmul work.
    """
    flops_per_s = _positive("flops_per_s", flops_per_s)
    utilization = check_scalar("utilization", utilization, "real", min=0.0, max=1.0,
                               include_min=False)
    n_devices = _positive_int("n_devices", n_devices)
    return training_flops(n_params, n_tokens) / (flops_per_s * utilization * n_devices)


def estimate_cost(n_params: float, n_tokens: float, flops_per_s: float, price_per_hour: float,
                  utilization: float = 0.4, n_devices: int = 1) -> dict[str, float]:
    """Estimated training bill: device-hours x ``price_per_hour`` (per device, in whatever
    currency you pass - no price is built in). More devices finish sooner but cost the same
    device-hours. Returns ``{'seconds', 'hours', 'device_hours', 'cost'}`` (wall-clock time).
    """
    price_per_hour = _positive("price_per_hour", price_per_hour)
    seconds = estimate_training_time(n_params, n_tokens, flops_per_s, utilization, n_devices)
    device_hours = seconds * n_devices / 3600.0
    return {"seconds": seconds, "hours": seconds / 3600.0, "device_hours": device_hours,
            "cost": device_hours * price_per_hour}


def format_bytes(n_bytes: float, binary: bool = True) -> str:
    """Human-readable size: ``format_bytes(1536) == '1.50 KiB'`` (binary, powers of 1024) or
    ``format_bytes(1500, binary=False) == '1.50 kB'`` (decimal, powers of 1000).
    """
    n_bytes = check_scalar("n_bytes", n_bytes, "real", min=0.0, finite=False)
    base = 1024.0 if binary else 1000.0
    units = (["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] if binary
             else ["B", "kB", "MB", "GB", "TB", "PB", "EB"])
    value, unit = float(n_bytes), units[0]
    for unit in units:
        if value < base or unit == units[-1]:
            break
        value /= base
    return f"{int(value)} B" if unit == "B" else f"{value:.2f} {unit}"


def format_flops(flops: float, per_second: bool = False) -> str:
    """Human-readable FLOP count with SI prefixes: ``format_flops(3.14e23) == '314.00 ZFLOP'``;
    with ``per_second=True`` the unit is FLOP/s (``'250.00 GFLOP/s'``).
    """
    flops = check_scalar("flops", flops, "real", min=0.0)
    prefixes = ["", "k", "M", "G", "T", "P", "E", "Z", "Y"]
    value, prefix = float(flops), ""
    for prefix in prefixes:
        if value < 1000 or prefix == prefixes[-1]:
            break
        value /= 1000.0
    return f"{value:.2f} {prefix}FLOP" + ("/s" if per_second else "")
