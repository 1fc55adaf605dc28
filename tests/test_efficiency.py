"""labutils.efficiency: int8 codes and steps worked out by hand (and equal to Keras' int8
kernel), exact pruning counts, CSR bytes, and the distillation loss against a NumPy formula."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax

from labutils.efficiency import (
    csr_nbytes,
    dequantize,
    distillation_loss,
    magnitude_mask,
    quantize_per_channel,
)


def test_quantize_per_channel_by_hand() -> None:
    # Column maxima 1 and 2 -> steps 1/127 and 2/127; 0.25 * 127 = 31.75 -> 32.
    w = np.array([[0.25, -2.0], [-1.0, 0.5]])
    codes, steps = quantize_per_channel(w)
    assert codes.dtype == np.int8 and steps.dtype == np.float32
    assert codes.tolist() == [[32, -127], [-127, 32]]
    np.testing.assert_array_equal(steps, np.float32([1 / 127, 2 / 127]))
    # axis=0: one step per row (an embedding table's tokens).
    codes0, steps0 = quantize_per_channel(w, axis=0)
    np.testing.assert_array_equal(steps0, np.float32([2 / 127, 1 / 127]))
    assert codes0.tolist() == [[16, -127], [-127, 64]]


def test_quantize_bits_zero_channel_and_half_step_bound() -> None:
    codes, steps = quantize_per_channel(np.array([[0.0, 7.0], [0.0, -3.5]]), bits=4)
    assert steps.tolist() == [1.0, 1.0] and codes.tolist() == [[0, 7], [0, -4]]
    rng = np.random.default_rng(0)
    w = rng.normal(size=(50, 20)).astype(np.float32)
    codes, steps = quantize_per_channel(w)
    err = np.abs(dequantize(codes, steps) - w)
    assert np.all(err <= steps / 2 * (1 + 1e-5))
    assert np.abs(codes).max() == 127


def test_quantize_matches_keras_int8_kernel() -> None:
    import keras

    w = np.random.default_rng(1).normal(scale=0.1, size=(16, 8)).astype(np.float32)
    layer = keras.layers.Dense(8, use_bias=False)
    layer.build((None, 16))
    layer.kernel.assign(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.quantize("int8")
    np.testing.assert_array_equal(quantize_per_channel(w)[0], layer._kernel.numpy())


def test_quantize_and_dequantize_validate() -> None:
    with pytest.raises(ValueError, match="axis"):
        quantize_per_channel(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="bits"):
        quantize_per_channel(np.ones((2, 3)), bits=9)
    with pytest.raises(ValueError, match="steps must have shape"):
        dequantize(np.ones((2, 3), np.int8), np.ones(2))


def test_magnitude_mask_exact_counts() -> None:
    w = np.array([3.0, -1.0, 0.5, -4.0, 2.0])
    assert magnitude_mask(w, 0.4).tolist() == [True, False, False, True, True]
    assert magnitude_mask(w, 0.0).all()
    # ties are broken by position, so exactly round(s * n) weights go
    assert magnitude_mask(np.array([1.0, -1.0, 1.0, -1.0]), 0.5).tolist() == \
        [False, False, True, True]
    m = magnitude_mask(np.random.default_rng(2).normal(size=(30, 40)), 0.9)
    assert m.shape == (30, 40) and int((~m).sum()) == 1080
    with pytest.raises(ValueError, match="sparsity"):
        magnitude_mask(w, 1.0)


def test_csr_nbytes() -> None:
    w = np.zeros((3, 4), np.float32)
    w[0, 1], w[2, 3] = 1.0, -2.0
    assert csr_nbytes(w) == 2 * 4 + 2 * 4 + 4 * 4   # values, column indices, row pointers
    with pytest.raises(ValueError, match="2-D"):
        csr_nbytes(np.ones(3))


def _kd_numpy(labels, s, t, temperature, alpha):
    hard = -log_softmax(s, axis=1)[np.arange(len(labels)), labels].mean()
    lt, ls = log_softmax(t / temperature, axis=1), log_softmax(s / temperature, axis=1)
    kl = (np.exp(lt) * (lt - ls)).sum(axis=1).mean()
    return alpha * hard + (1 - alpha) * temperature ** 2 * kl


def test_distillation_loss_equals_the_formula() -> None:
    rng = np.random.default_rng(3)
    s, t = rng.normal(size=(6, 5)) * 3, rng.normal(size=(6, 5)) * 3
    labels = rng.integers(0, 5, size=6)
    for temperature, alpha in [(1.0, 0.5), (4.0, 0.1), (2.0, 1.0), (3.0, 0.0)]:
        got = float(distillation_loss(labels, s, t, temperature=temperature, alpha=alpha))
        assert got == pytest.approx(_kd_numpy(labels, s, t, temperature, alpha), rel=1e-5)
    # a student equal to its teacher has no soft-target loss
    assert float(distillation_loss(labels, s, s, temperature=4.0, alpha=0.0)) == \
        pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(labels, s, t, alpha=1.5)
