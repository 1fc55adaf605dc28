"""Exact matrix-multiply FLOPs of the course's TinyGPT, and the FLOP/s a training run achieved.

The rule of thumb ``C ≈ 6·N·D`` (Kaplan et al., 2020; ``labutils.compute.training_flops``)
charges 2 FLOPs per parameter per token forward and 4 backward. This module counts what
:func:`labutils.lm.model.build_tiny_gpt`'s model really multiplies. Per token and layer,
forward: Q/K/V projection ``2·d·3d``, output projection ``2·d·d``, MLP ``2·d·4d + 2·4d·d``,
and the attention scores ``Q Kᵀ`` and weighted sum of the values ``2·T_avg·d`` each, with
``T_avg`` the keys a query meets. The implementation computes the full ``T×T`` scores and
masks them afterwards, so ``T_avg = T`` (``attention="full"``); a kernel that skipped the
masked half would meet ``(T + 1) / 2`` on average (``attention="causal"``). The tied output
layer costs ``2·d·V``. Lookups, layer norms, softmax, GELU, biases and residual additions are
not matrix products and are not counted. Backward, every product ``Y = A B`` needs two of the
same size (``dA``, ``dB``): training is exactly 3 x forward.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_scalar

__all__ = ["ATTENTION", "achieved_flops", "graph_matmul_flops", "step_matmuls",
           "time_step_matmuls", "tiny_gpt_flops", "tiny_gpt_flops_breakdown"]

ATTENTION = ("full", "causal")
_KEYS = ("vocab_size", "context", "d_model", "n_layers")


def _config(config: Any) -> dict[str, int]:
    """The four sizes that set the FLOPs, from a config mapping or a model with ``.config``."""
    cfg = getattr(config, "config", config)
    if not isinstance(cfg, Mapping):
        raise TypeError("config must be a mapping such as RECIPE or model.config, or a "
                        f"TinyGPT; got {type(config).__name__}")
    missing = [k for k in _KEYS if k not in cfg]
    if missing:
        raise ValueError(f"config must have the keys {', '.join(_KEYS)}; missing "
                         f"{', '.join(missing)}")
    return {k: check_scalar(k, cfg[k], "int", min=1) for k in _KEYS}


def tiny_gpt_flops_breakdown(config: Any, tokens: int, *, training: bool = True,
                             attention: str = "full") -> dict[str, int]:
    """Matmul FLOPs of ``tokens`` tokens (in sequences of ``config["context"]``) through a
    TinyGPT, by part: ``qkv``, ``proj``, ``mlp``, ``attention`` (scores and weighted sum),
    ``output`` (the tied logits layer) and ``total``. ``training=True`` counts forward and
    backward (3 x forward), ``False`` the forward pass only; ``attention`` is ``"full"`` (the
    T×T product as computed) or ``"causal"`` (only the unmasked half, (T+1)/2 keys per query).
    """
    c = _config(config)
    tokens = check_scalar("tokens", tokens, "int", min=1)
    attention = check_choice("attention", attention, ATTENTION)
    d, layers, t = c["d_model"], c["n_layers"], c["context"]
    keys_x2 = 2 * t if attention == "full" else t + 1  # 2 x keys met per query, an integer
    per_token = {
        "qkv": layers * 2 * d * 3 * d,
        "proj": layers * 2 * d * d,
        "mlp": layers * (2 * d * 4 * d + 2 * 4 * d * d),
        "attention": layers * 2 * keys_x2 * d,       # Q K^T and P V: 2 x (2 T_avg d)
        "output": 2 * d * c["vocab_size"],
    }
    factor = 3 if training else 1
    out = {k: factor * tokens * v for k, v in per_token.items()}
    out["total"] = sum(out.values())
    return out


def tiny_gpt_flops(config: Any, tokens: int, *, training: bool = True,
                   attention: str = "full") -> int:
    """Total matmul FLOPs of ``tokens`` tokens through a TinyGPT of ``config`` (forward and
    backward if ``training``); see :func:`tiny_gpt_flops_breakdown` for the parts."""
    return tiny_gpt_flops_breakdown(config, tokens, training=training,
                                    attention=attention)["total"]


def graph_matmul_flops(graph: Any) -> tuple[int, int]:
    """``(FLOPs, number of ops)`` of every matrix product in a traced TensorFlow graph (a
    ``tf.Graph`` or a concrete function's ``.graph``): ``2·k`` per output element of each
    ``MatMul`` / ``BatchMatMul`` op, ``k`` the contracted size, read from the op's static
    shapes and transpose flags. Counting what TensorFlow will run checks a hand count such as
    :func:`tiny_gpt_flops` against the implementation itself."""
    graph = getattr(graph, "graph", graph)
    total = ops = 0
    for op in graph.get_operations():
        if op.type not in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
            continue
        a = op.inputs[0].shape.as_list()
        out = op.outputs[0].shape.as_list()
        if None in a or None in out:
            raise ValueError(f"op {op.name} has a dynamic shape {a} -> {out}; trace the "
                             "function with fully known input shapes")
        flag = "transpose_a" if op.type == "MatMul" else "adj_x"
        k = a[-2] if op.get_attr(flag) else a[-1]
        total += 2 * int(np.prod(out)) * k
        ops += 1
    return total, ops


def achieved_flops(log: Any, config: Any, batch_size: int) -> float:
    """FLOP/s a :func:`labutils.lm.train.train_lm` run achieved: the exact training FLOPs of
    one step (``batch_size`` windows of ``context`` tokens) times the steps after the first,
    divided by ``log.train_seconds`` (which excludes step 1, where XLA compiles the graph)."""
    c = _config(config)
    batch_size = check_scalar("batch_size", batch_size, "int", min=1)
    steps = int(log.step[-1]) if getattr(log, "step", None) else 0
    seconds = float(getattr(log, "train_seconds", 0.0))
    if steps < 2 or seconds <= 0:
        raise ValueError("log must come from a run of at least 2 steps with train_seconds > 0; "
                         f"got {steps} steps and {seconds} s")
    return tiny_gpt_flops(c, batch_size * c["context"]) * (steps - 1) / seconds


def step_matmuls(config: Any, batch_size: int) -> dict[str, tuple[int, int, int, int, int]]:
    """The matrix products of one forward pass over ``batch_size`` windows, as
    ``{name: (batch, m, k, n, times)}``: ``times`` products of ``batch`` pairs of (m×k)(k×n)
    matrices (the attention products are batched over windows x heads). Their FLOPs,
    ``2·batch·m·k·n·times`` summed, equal :func:`tiny_gpt_flops` with ``training=False``."""
    c, cfg = _config(config), getattr(config, "config", config)
    if "n_heads" not in cfg:
        raise ValueError("config must have n_heads to split the attention products")
    heads = check_scalar("n_heads", cfg["n_heads"], "int", min=1)
    batch_size = check_scalar("batch_size", batch_size, "int", min=1)
    d, t, layers = c["d_model"], c["context"], c["n_layers"]
    if d % heads:
        raise ValueError(f"d_model must be divisible by n_heads; got {d} and {heads}")
    rows, dh, bh = batch_size * t, d // heads, batch_size * heads
    return {"Q/K/V projection": (1, rows, d, 3 * d, layers),
            "output projection": (1, rows, d, d, layers),
            "MLP up": (1, rows, d, 4 * d, layers), "MLP down": (1, rows, 4 * d, d, layers),
            "attention scores": (bh, t, dh, t, layers),
            "attention x values": (bh, t, t, dh, layers),
            "output layer": (1, rows, d, c["vocab_size"], 1)}


def time_step_matmuls(config: Any, batch_size: int, *, repeats: int = 5) -> dict[str, float]:
    """Median seconds (over ``repeats`` calls, after a compiling one) that each product of
    :func:`step_matmuls` takes when run as often as a training step runs it — 3 x its
    forward count, on distinct random fp32 inputs, in one XLA-compiled TensorFlow function as
    ``train_lm``'s step is. Backward products are timed at the forward shape (the same FLOPs;
    the real ones multiply transposed operands). Their sum against a measured step says how
    much of the step is matrix products at all."""
    import tensorflow as tf

    repeats = check_scalar("repeats", repeats, "int", min=1)
    rng = np.random.default_rng(0)
    out: dict[str, float] = {}
    for name, (b, m, k, n, times) in step_matmuls(config, batch_size).items():
        shape_a, shape_b = ((b, m, k), (b, k, n)) if b > 1 else ((m, k), (k, n))
        pairs = [(tf.constant(rng.standard_normal(shape_a), tf.float32),
                  tf.constant(rng.standard_normal(shape_b), tf.float32))
                 for _ in range(3 * times)]
        products = tf.function(lambda ps: [tf.matmul(x, y) for x, y in ps], jit_compile=True)
        products(pairs)  # trace and compile
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            [p.numpy() for p in products(pairs)]  # wait for the results
            seconds.append(time.perf_counter() - start)
        out[name] = float(np.median(seconds))
    return out
