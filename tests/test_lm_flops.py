"""Exact matmul FLOPs of TinyGPT (labutils.lm.flops): a hand count, TensorFlow's own graph,
the 6·N·D limit, achieved FLOP/s from a training log, and argument validation."""

from __future__ import annotations

import pytest

from labutils.compute import training_flops
from labutils.lm.flops import (
    achieved_flops,
    graph_matmul_flops,
    step_matmuls,
    time_step_matmuls,
    tiny_gpt_flops,
    tiny_gpt_flops_breakdown,
)
from labutils.lm.model import tiny_gpt_params
from labutils.lm.train import TrainLog

SMALL = dict(vocab_size=10, context=4, d_model=8, n_layers=1, n_heads=2)


def test_small_config_by_hand() -> None:
    # per token, forward: qkv 2*8*24 = 384, proj 2*8*8 = 128, mlp 2*8*32 + 2*32*8 = 1024,
    # attention 2 products x 2*T*d = 2 * 2*4*8 = 128, output 2*8*10 = 160 -> 1824
    parts = tiny_gpt_flops_breakdown(SMALL, 4, training=False)
    assert parts == {"qkv": 4 * 384, "proj": 4 * 128, "mlp": 4 * 1024, "attention": 4 * 128,
                     "output": 4 * 160, "total": 4 * 1824}
    assert tiny_gpt_flops(SMALL, 4, training=False) == 7296
    assert tiny_gpt_flops(SMALL, 4) == 3 * 7296 == 21888
    # causal: (T + 1) / 2 = 2.5 keys per query on average -> 2 * 2 * 2.5 * 8 = 80 per token
    causal = tiny_gpt_flops_breakdown(SMALL, 4, training=False, attention="causal")
    assert causal["attention"] == 4 * 80
    assert causal["total"] == 4 * (1824 - 128 + 80)


def test_linear_in_tokens_and_layers() -> None:
    one = tiny_gpt_flops(SMALL, 1)
    assert tiny_gpt_flops(SMALL, 1000) == 1000 * one
    two = dict(SMALL, n_layers=2)
    out = tiny_gpt_flops_breakdown(SMALL, 1)["output"]
    assert tiny_gpt_flops(two, 1) - out == 2 * (one - out)


def test_ratio_to_six_n_tends_to_one_for_wide_models_with_short_context() -> None:
    def ratio(d: int, context: int) -> float:
        cfg = dict(vocab_size=512, context=context, d_model=d, n_layers=2)
        return tiny_gpt_flops(cfg, 1) / training_flops(tiny_gpt_params(512, context, d, 2), 1)

    assert abs(ratio(4096, 8) - 1) < 0.01
    assert abs(ratio(4096, 8) - 1) < abs(ratio(64, 8) - 1)
    assert ratio(64, 2048) > 2          # long context: the attention term dominates
    # exact value for the course recipe (d=64, 2 layers, V=512, T=64): 884,736 / (6 * 136,960)
    assert ratio(64, 64) == pytest.approx(884_736 / (6 * 136_960), rel=1e-12)


def test_matches_tensorflow_graph() -> None:
    import tensorflow as tf

    from labutils.lm.model import build_tiny_gpt

    model = build_tiny_gpt(**SMALL)
    spec = tf.TensorSpec((3, SMALL["context"]), tf.int32)

    @tf.function
    def forward(x):
        return model(x, training=True)

    @tf.function
    def gradients(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    assert graph_matmul_flops(forward.get_concrete_function(spec)) == \
        (tiny_gpt_flops(SMALL, 12, training=False), 7)
    assert graph_matmul_flops(gradients.get_concrete_function(spec))[0] == \
        tiny_gpt_flops(SMALL, 12)
    assert tiny_gpt_flops(model, 12) == tiny_gpt_flops(SMALL, 12)   # a model works as config


def test_achieved_flops_from_log() -> None:
    log = TrainLog(step=[5, 10], train_seconds=2.0)
    per_step = tiny_gpt_flops(SMALL, 32 * SMALL["context"])
    assert achieved_flops(log, SMALL, 32) == pytest.approx(per_step * 9 / 2.0)
    with pytest.raises(ValueError, match="at least 2 steps"):
        achieved_flops(TrainLog(step=[1], train_seconds=0.0), SMALL, 32)


def test_validation() -> None:
    with pytest.raises(ValueError, match="missing d_model"):
        tiny_gpt_flops({"vocab_size": 10, "context": 4, "n_layers": 1}, 4)
    with pytest.raises(ValueError, match="attention must be one of"):
        tiny_gpt_flops(SMALL, 4, attention="sparse")
    with pytest.raises(ValueError, match="tokens"):
        tiny_gpt_flops(SMALL, 0)
    with pytest.raises(TypeError, match="config must be a mapping"):
        tiny_gpt_flops(42, 4)
    with pytest.raises(ValueError, match="divisible"):
        step_matmuls(dict(SMALL, n_heads=3), 2)


def test_step_matmuls_add_up_to_the_forward_count() -> None:
    shapes = step_matmuls(SMALL, 3)
    assert shapes["attention scores"] == (3 * 2, 4, 4, 4, 1)      # windows x heads, T, d/h, T
    assert shapes["Q/K/V projection"] == (1, 12, 8, 24, 1)
    assert sum(2 * b * m * k * n * t for b, m, k, n, t in shapes.values()) == \
        tiny_gpt_flops(SMALL, 12, training=False)
    recipe = dict(vocab_size=512, context=64, d_model=64, n_layers=2, n_heads=4)
    assert sum(2 * b * m * k * n * t for b, m, k, n, t in step_matmuls(recipe, 32).values()) \
        == tiny_gpt_flops(recipe, 32 * 64, training=False)


def test_time_step_matmuls_times_every_product() -> None:
    seconds = time_step_matmuls(SMALL, 2, repeats=2)
    assert set(seconds) == set(step_matmuls(SMALL, 2))
    assert all(s > 0 for s in seconds.values())
