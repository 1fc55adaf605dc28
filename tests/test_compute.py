"""labutils.compute: exact values of the memory/FLOP formulas, a real matmul measurement,
formatting. How fast the measurement runs is for benchmarks/, not for a test."""

from __future__ import annotations

import numpy as np
import pytest

from labutils import compute as C


def test_param_memory_per_dtype():
    assert C.param_memory(1000, "fp32") == 4000
    assert C.param_memory(1000, "bf16") == C.param_memory(1000, "fp16") == 2000
    assert C.param_memory(1000, "int8") == 1000
    assert C.param_memory(1000, "fp64") == 8000
    assert C.param_memory(3, "int4") == 2  # 1.5 bytes rounds up to whole bytes
    assert C.param_memory(7_000_000_000, "bf16") == 14_000_000_000  # a 7B model in bf16
    assert C.param_memory(0) == 0
    assert C.param_memory(7e9, "int8") == 7_000_000_000  # a whole float is a count
    assert C.param_memory(np.int64(10)) == 40


def test_training_memory_breakdown():
    adam = C.training_memory(1000, "adam")
    assert adam == {"weights": 4000, "gradients": 4000, "optimizer_state": 8000,
                    "master_weights": 0, "total": 16000}
    assert C.training_memory(1000, "sgd")["total"] == 8000
    assert C.training_memory(1000, "momentum")["total"] == 12000
    # mixed precision: bf16 weights and gradients (2+2) + fp32 master copy (4) + fp32 Adam m, v
    # (8) = 16 bytes per parameter, the same as plain fp32 Adam
    mixed = C.training_memory(1000, "adam", "bf16", master_weights=True)
    assert (mixed["weights"], mixed["gradients"], mixed["master_weights"]) == (2000, 2000, 4000)
    assert mixed["total"] == 16000
    assert C.training_memory(10, "adam", "fp32", gradients_dtype="bf16",
                             optimizer_dtype="bf16")["total"] == 40 + 20 + 40


def test_flops_rules():
    assert C.training_flops(1_000, 10) == 60_000
    assert C.inference_flops(1_000, 10) == 20_000
    # the GPT-3 paper's budget: 175e9 parameters x 300e9 tokens x 6 = 3.15e23 FLOPs
    assert C.training_flops(175e9, 300e9) == pytest.approx(3.15e23)


def test_transformer_params_gpt3_and_gpt2():
    # GPT-3: 12*96*12288^2 = 173,946,175,488; embeddings (50257 + 2048)*12288 = 642,723,840
    gpt3 = C.transformer_params(96, 12288, 50257, n_ctx=2048)
    assert gpt3 == 174_588_899_328
    assert abs(gpt3 - 175e9) / 175e9 < 0.01
    assert C.transformer_params(96, 12288, 50257, include_embeddings=False) == 173_946_175_488
    # GPT-2 small (124,439,808 real parameters incl. biases and LayerNorms): within 0.2 %
    gpt2 = C.transformer_params(12, 768, 50257, n_ctx=1024)
    assert gpt2 == 12 * 12 * 768**2 + (50257 + 1024) * 768 == 124_318_464
    assert abs(gpt2 - 124_439_808) / 124_439_808 < 0.002


def test_measure_matmul_flops_is_a_real_measurement():
    flops = C.measure_matmul_flops(n=256, repeats=3)
    assert 1e7 < flops < 1e14  # any real CPU lands in this range
    assert C.measure_matmul_flops(n=128, repeats=2, dtype="float64") > 0
    assert C.measure_matmul_flops(n=128, repeats=2, backend="tensorflow") > 0


def test_time_and_cost_estimates():
    # 6 * 1e9 * 1e9 = 6e18 FLOPs at 1e12 FLOP/s x 0.5 utilization = 1.2e7 s
    assert C.estimate_training_time(1e9, 1e9, 1e12, utilization=0.5) == pytest.approx(1.2e7)
    assert C.estimate_training_time(1e9, 1e9, 1e12, 0.5, n_devices=4) == pytest.approx(3e6)
    cost = C.estimate_cost(1e9, 1e9, 1e12, price_per_hour=2.0, utilization=0.5, n_devices=4)
    assert cost["seconds"] == pytest.approx(3e6)
    assert cost["hours"] == pytest.approx(3e6 / 3600)
    assert cost["device_hours"] == pytest.approx(1.2e7 / 3600)  # independent of n_devices
    assert cost["cost"] == pytest.approx(2.0 * 1.2e7 / 3600)


def test_format_helpers():
    assert C.format_bytes(0) == "0 B"
    assert C.format_bytes(1023) == "1023 B"
    assert C.format_bytes(1536) == "1.50 KiB"
    assert C.format_bytes(14e9) == "13.04 GiB"
    assert C.format_bytes(14e9, binary=False) == "14.00 GB"
    assert C.format_bytes(1500, binary=False) == "1.50 kB"
    assert C.format_flops(3.14e23) == "314.00 ZFLOP"
    assert C.format_flops(2.5e11, per_second=True) == "250.00 GFLOP/s"
    assert C.format_flops(999) == "999.00 FLOP"
    assert C.format_flops(1e30) == "1000000.00 YFLOP"


@pytest.mark.parametrize("call, message", [
    (lambda: C.param_memory(10, "fp8"), "dtype must be one of 'fp64', 'fp32'"),
    (lambda: C.param_memory(-1), "n_params must be a finite number >= 0; got -1"),
    (lambda: C.param_memory(1.5), "n_params must be a whole number >= 0; got 1.5"),
    (lambda: C.training_memory(10, "adagrad"), "optimizer must be one of 'sgd', 'momentum'"),
    (lambda: C.training_memory(10, weights_dtype="float32"), "weights_dtype must be one of"),
    (lambda: C.training_flops(0, 10), "n_params must be a finite number > 0"),
    (lambda: C.inference_flops(10, float("inf")), "n_tokens must be a finite number > 0"),
    (lambda: C.transformer_params(0, 10, 10), "n_layers must be a positive int"),
    (lambda: C.transformer_params(2, 10, 10, n_ctx=0), r"n_ctx \(or None\) must be"),
    (lambda: C.measure_matmul_flops(n=0), "n must be a positive int"),
    (lambda: C.measure_matmul_flops(backend="torch"), "backend must be one of"),
    (lambda: C.measure_matmul_flops(dtype="int8"), "dtype must be one of 'float32'"),
    (lambda: C.estimate_training_time(1, 1, 1e12, utilization=0), r"utilization must be .* \(0, 1\]"),
    (lambda: C.estimate_training_time(1, 1, -5), "flops_per_s must be a finite number > 0"),
    (lambda: C.estimate_cost(1, 1, 1e12, price_per_hour=0), "price_per_hour must be"),
    (lambda: C.format_bytes(-1), "n_bytes must be a number >= 0"),
    (lambda: C.format_bytes(float("nan")), "n_bytes must be a number >= 0"),
    (lambda: C.format_flops(float("nan")), "flops must be a finite number >= 0"),
])
def test_invalid_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: C.param_memory("7e9"), "n_params must be a finite number >= 0; got '7e9'"),
    (lambda: C.param_memory(10, 32), "dtype must be one of 'fp64'"),
    (lambda: C.training_flops(True, 10), "n_params must be a finite number > 0; got True"),
    (lambda: C.transformer_params(2.0, 10, 10), "n_layers must be a positive int"),
    (lambda: C.estimate_training_time(1, 1, 1e12, utilization="0.5"), "utilization must be"),
    (lambda: C.format_flops(None), "flops must be a finite number >= 0"),
])
def test_wrong_types_raise_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()
