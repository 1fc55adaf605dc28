"""labutils.scratch.attention vs keras.layers.MultiHeadAttention and keras.ops, plus exact
values of the sinusoidal positional encoding."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labutils.scratch.attention import (
    MultiHeadAttention,
    merge_heads,
    positional_rotation,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
    split_heads,
)

RNG = np.random.default_rng(4)
B, T, S, D = 2, 4, 5, 6


# ---------------------------------------------------------------- scaled dot-product attention
def test_sdpa_exact_small_case() -> None:
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[10.0], [20.0]])
    out, w = scaled_dot_product_attention(q, k, v)
    e = np.exp(1 / np.sqrt(2.0))  # scores are [1, 0] / sqrt(d_k = 2)
    np.testing.assert_allclose(w, [[e / (e + 1), 1 / (e + 1)]], rtol=1e-15)
    np.testing.assert_allclose(out, [[(10 * e + 20) / (e + 1)]], rtol=1e-15)


def test_sdpa_shapes_rows_sum_to_one_and_match_keras_ops() -> None:
    q, k, v = RNG.normal(size=(B, T, 3)), RNG.normal(size=(B, S, 3)), RNG.normal(size=(B, S, 2))
    out, w = scaled_dot_product_attention(q, k, v)
    assert out.shape == (B, T, 2) and w.shape == (B, T, S)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-14)
    # keras.ops.dot_product_attention wants (batch, length, heads, depth): one head here. It
    # computes its scale in float32, hence the float32-level tolerance.
    expected = keras.ops.dot_product_attention(q[:, :, None], k[:, :, None], v[:, :, None])
    np.testing.assert_allclose(out, np.asarray(expected)[:, :, 0], rtol=1e-6, atol=1e-7)


def test_sdpa_masking() -> None:
    x = RNG.normal(size=(1, T, 3))
    causal = np.tril(np.ones((T, T), dtype=bool))
    out, w = scaled_dot_product_attention(x, x, x, mask=causal)
    assert np.all(w[0][~causal] == 0.0)  # no attention to the future
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(out[0, 0], x[0, 0], rtol=1e-14)  # first token sees only itself
    expected = keras.ops.dot_product_attention(x[:, :, None], x[:, :, None], x[:, :, None],
                                               is_causal=True)
    np.testing.assert_allclose(out, np.asarray(expected)[:, :, 0], rtol=1e-6, atol=1e-7)
    none = np.zeros((T, T), dtype=bool)
    _, w_none = scaled_dot_product_attention(x, x, x, mask=none)
    np.testing.assert_allclose(w_none, 1.0 / T)  # a fully masked row becomes uniform
    with pytest.raises(ValueError, match="mask must broadcast"):
        scaled_dot_product_attention(x, x, x, mask=np.ones((3, 3), dtype=bool))


def test_sdpa_validation() -> None:
    with pytest.raises(ValueError, match="same depth d_k"):
        scaled_dot_product_attention(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="same length S"):
        scaled_dot_product_attention(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        scaled_dot_product_attention(np.zeros(3), np.zeros(3), np.zeros(3))


# ---------------------------------------------------------------- multi-head attention
# Keras casts its scale 1/sqrt(key_dim) through float32 even in a float64 layer, so the
# tight float64 comparisons use key_dim=4 (scale 0.5, exact); key_dim=3 is checked at the
# float32 level.
def _keras_mha(dtype: str, key_dim: int = 4, **kwargs: object) -> keras.layers.MultiHeadAttention:
    keras.utils.set_random_seed(0)
    return keras.layers.MultiHeadAttention(num_heads=2, key_dim=key_dim, dtype=dtype, **kwargs)


@pytest.mark.parametrize("dtype,key_dim,atol", [("float64", 4, 1e-12), ("float64", 3, 1e-6),
                                                ("float32", 3, 1e-5)])
def test_mha_matches_keras_self_and_cross_attention(dtype: str, key_dim: int,
                                                    atol: float) -> None:
    layer = _keras_mha(dtype, key_dim, value_dim=5)
    query = RNG.normal(size=(B, T, D)).astype(dtype)
    value = RNG.normal(size=(B, S, D)).astype(dtype)
    key = RNG.normal(size=(B, S, D)).astype(dtype)
    layer(query, value, key)  # builds the weights
    # Biases start at zero in Keras; make them non-zero so the test covers them.
    layer.set_weights([w + 0.1 * RNG.normal(size=w.shape).astype(dtype)
                       for w in layer.get_weights()])
    expected, expected_w = layer(query, value, key, return_attention_scores=True)
    mha = MultiHeadAttention.from_keras(layer)
    assert (mha.num_heads, mha.key_dim, mha.value_dim) == (2, key_dim, 5)
    out, w = mha.forward(query, value, key, return_attention_scores=True)
    assert out.shape == (B, T, D) and w.shape == (B, 2, T, S)
    np.testing.assert_allclose(out, np.asarray(expected), atol=atol, rtol=atol)
    np.testing.assert_allclose(w, np.asarray(expected_w), atol=atol, rtol=atol)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)
    # self-attention: key defaults to value, which is the query here
    np.testing.assert_allclose(mha(query, query), np.asarray(layer(query, query)),
                               atol=atol, rtol=atol)


def test_mha_mask_matches_keras() -> None:
    layer = _keras_mha("float64")
    x = RNG.normal(size=(B, T, D))
    mask = np.ones((B, T, T), dtype=bool)
    mask[1, :, -2:] = False  # the second sequence has two padding positions
    layer(x, x)
    mha = MultiHeadAttention.from_keras(layer)
    expected, expected_w = layer(x, x, attention_mask=mask, return_attention_scores=True)
    out, w = mha.forward(x, x, mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-12, rtol=1e-12)
    np.testing.assert_allclose(w, np.asarray(expected_w), atol=1e-12)
    assert np.all(w[1, :, :, -2:] == 0.0)
    causal = layer(x, x, use_causal_mask=True)
    np.testing.assert_allclose(mha(x, x, mask=np.tril(np.ones((T, T), dtype=bool))),
                               np.asarray(causal), atol=1e-12, rtol=1e-12)


def test_mha_without_bias_and_other_output_width() -> None:
    layer = _keras_mha("float64", use_bias=False, output_shape=5)  # output width 5, not D
    x = RNG.normal(size=(1, T, D))
    expected = layer(x, x)
    mha = MultiHeadAttention.from_keras(layer)
    out = mha(x, x)
    assert out.shape == (1, T, 5)
    np.testing.assert_allclose(out, np.asarray(expected), atol=1e-12, rtol=1e-12)
    assert len(mha.get_weights()) == 4


def test_mha_scaling_is_one_over_sqrt_key_dim() -> None:
    mha = MultiHeadAttention(num_heads=1, key_dim=4, d_model=4, seed=0)
    for name in ("Wq", "Wk", "Wv"):
        setattr(mha, name, np.eye(4)[:, None, :])
    mha.Wo = np.eye(4)[None]
    x = RNG.normal(size=(1, 3, 4))
    _, w = mha.forward(x, x, return_attention_scores=True)
    scores = x[0] @ x[0].T / 2.0  # sqrt(key_dim) = 2
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(w[0, 0], e / e.sum(axis=-1, keepdims=True), rtol=1e-13)


def test_mha_validation() -> None:
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        MultiHeadAttention(num_heads=0, key_dim=2, d_model=4)
    mha = MultiHeadAttention(num_heads=2, key_dim=2, d_model=4)
    assert [w.shape for w in mha.get_weights()] == [(4, 2, 2), (2, 2), (4, 2, 2), (2, 2),
                                                  (4, 2, 2), (2, 2), (2, 2, 4), (4,)]
    with pytest.raises(ValueError, match=r"query must have shape \(batch, length, 4\)"):
        mha(np.zeros((1, 3, 5)), np.zeros((1, 3, 4)))
    with pytest.raises(ValueError, match="must hold 8 arrays"):
        mha.set_weights(mha.get_weights()[:6])
    with pytest.raises(ValueError, match="call it once on data first"):
        MultiHeadAttention.from_keras(keras.layers.MultiHeadAttention(num_heads=2, key_dim=2))


# ---------------------------------------------------------------- positional encoding
def test_positional_encoding_exact_values() -> None:
    pe = sinusoidal_positional_encoding(50, 8)
    assert pe.shape == (50, 8) and pe.dtype == np.float64
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1, 0, 1, 0, 1])  # sin 0, cos 0
    # position 1, pair i: angle = 1 / 10000**(2i / 8) = 1, 0.1, 0.01, 0.001
    np.testing.assert_allclose(pe[1], [np.sin(1), np.cos(1), np.sin(0.1), np.cos(0.1),
                                       np.sin(0.01), np.cos(0.01), np.sin(0.001), np.cos(0.001)],
                               rtol=1e-14)
    np.testing.assert_allclose(pe[7, 2:4], [np.sin(0.7), np.cos(0.7)], rtol=1e-13)
    np.testing.assert_allclose(pe[49, 6:], [np.sin(0.049), np.cos(0.049)], rtol=1e-13)
    assert pe[49, 0] == pytest.approx(np.sin(49.0), rel=1e-14)


def test_positional_encoding_properties() -> None:
    pe = sinusoidal_positional_encoding(20, 16)
    np.testing.assert_allclose(np.linalg.norm(pe, axis=1), np.sqrt(8.0), rtol=1e-14)
    assert np.all(np.abs(pe) <= 1.0)
    assert len({row.tobytes() for row in pe}) == 20  # every position has its own code
    # PE[pos + k] is a fixed rotation of PE[pos]: the same for every pos.
    k = 3
    angles = 1.0 / 10000.0 ** (np.arange(0, 16, 2) / 16)
    c, s = np.cos(k * angles), np.sin(k * angles)
    sin_p, cos_p = pe[:-k, 0::2], pe[:-k, 1::2]
    np.testing.assert_allclose(pe[k:, 0::2], sin_p * c + cos_p * s, atol=1e-13)
    np.testing.assert_allclose(pe[k:, 1::2], cos_p * c - sin_p * s, atol=1e-13)
    assert sinusoidal_positional_encoding(1, 2).tolist() == [[0.0, 1.0]]
    np.testing.assert_allclose(sinusoidal_positional_encoding(3, 2, base=100.0)[2],
                               [np.sin(2.0), np.cos(2.0)])


@pytest.mark.parametrize("length,depth,error", [
    (10, 7, ValueError), (10, 0, ValueError), (10, -4, ValueError), (0, 8, ValueError),
    (10, 8.0, TypeError), (2.5, 8, TypeError), (True, 8, TypeError), (10, True, TypeError),
])
def test_positional_encoding_validation(length: object, depth: object, error: type) -> None:
    with pytest.raises(error, match="must be"):
        sinusoidal_positional_encoding(length, depth)  # type: ignore[arg-type]


def test_positional_encoding_depth_message() -> None:
    with pytest.raises(ValueError, match="depth must be an even positive int .* got 7"):
        sinusoidal_positional_encoding(10, 7)
    with pytest.raises(ValueError, match="base must be a finite number > 1"):
        sinusoidal_positional_encoding(10, 8, base=1.0)


def test_causal_mask_is_lower_triangular_and_validated() -> None:
    from labutils.scratch import causal_mask

    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    assert causal_mask(1).dtype == bool
    with pytest.raises(ValueError, match="length must be a positive int"):
        causal_mask(0)


# ---------------------------------------------------------------- heads and rotations
def test_split_and_merge_heads_exact_layout() -> None:
    x = np.arange(2 * 3 * 4).reshape(2, 3, 4)  # batch 2, 3 tokens, d = 4
    h = split_heads(x, 2)
    assert h.shape == (2, 2, 3, 2)
    # head 0 of batch 0 holds features 0-1 of every token, head 1 features 2-3
    np.testing.assert_array_equal(h[0, 0], [[0, 1], [4, 5], [8, 9]])
    np.testing.assert_array_equal(h[0, 1], [[2, 3], [6, 7], [10, 11]])
    np.testing.assert_array_equal(h[1, 1, 2], [22, 23])
    np.testing.assert_array_equal(merge_heads(h), x)
    np.testing.assert_array_equal(split_heads(x, 1)[:, 0], x)


def test_split_heads_makes_tokens_attend_to_each_other() -> None:
    x = RNG.normal(size=(1, T, D))
    out = merge_heads(scaled_dot_product_attention(*(split_heads(x, 2),) * 3)[0])
    x2 = x.copy()
    x2[0, -1] += 1.0  # change the last token only
    out2 = merge_heads(scaled_dot_product_attention(*(split_heads(x2, 2),) * 3)[0])
    assert out.shape == (1, T, D)
    assert np.abs(out2[0, 0] - out[0, 0]).max() > 1e-6  # token 0 sees the change


def test_split_merge_heads_validation() -> None:
    with pytest.raises(ValueError, match="divisible by num_heads=4"):
        split_heads(np.zeros((1, 3, 6)), 4)
    with pytest.raises(ValueError, match=r"shape \(batch, length, d\)"):
        split_heads(np.zeros((3, 6)), 2)
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        split_heads(np.zeros((1, 3, 6)), 0)
    with pytest.raises(ValueError, match=r"\(batch, heads, length, depth\)"):
        merge_heads(np.zeros((1, 3, 6)))


def test_positional_rotation_exact_values() -> None:
    # depth 4, base 100: frequencies 1 and 100**(-1/2) = 0.1
    r = positional_rotation(2, 4, base=100.0)
    c1, s1, c2, s2 = np.cos(2.0), np.sin(2.0), np.cos(0.2), np.sin(0.2)
    np.testing.assert_allclose(r, [[c1, s1, 0, 0], [-s1, c1, 0, 0],
                                   [0, 0, c2, s2], [0, 0, -s2, c2]], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(positional_rotation(0, 6), np.eye(6))


def test_positional_rotation_shifts_the_encoding() -> None:
    pe = sinusoidal_positional_encoding(64, 16)
    for k in (1, 5, 63):
        r = positional_rotation(k, 16)
        np.testing.assert_allclose(pe[k:], pe[:-k] @ r.T, atol=1e-12, rtol=0)
        np.testing.assert_allclose(r.T @ r, np.eye(16), atol=1e-15)  # orthogonal
    np.testing.assert_allclose(positional_rotation(3, 16) @ positional_rotation(4, 16),
                               positional_rotation(7, 16), atol=1e-15)
    np.testing.assert_allclose(positional_rotation(-3, 16), positional_rotation(3, 16).T,
                               atol=0, rtol=0)


@pytest.mark.parametrize("offset,depth,error", [
    (1, 7, ValueError), (1, 0, ValueError), (1.5, 8, TypeError), (True, 8, TypeError),
])
def test_positional_rotation_validation(offset: object, depth: object, error: type) -> None:
    with pytest.raises(error, match="must be"):
        positional_rotation(offset, depth)  # type: ignore[arg-type]
