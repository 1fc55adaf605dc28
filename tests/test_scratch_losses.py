"""labutils.scratch.losses vs keras.losses (values) and tf.GradientTape (gradients), float64."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from labutils.scratch import losses as L
from labutils.scratch.activations import sigmoid, softmax

RNG = np.random.default_rng(1)
N, C = 6, 4
LOGITS = RNG.normal(scale=2.0, size=(N, C))
PROBS = softmax(LOGITS)
LABELS = np.array([0, 3, 1, 2, 3, 0])
ONE_HOT = np.eye(C)[LABELS]
BIN_LOGITS = RNG.normal(scale=2.0, size=(N, 1))
BIN_PROBS = sigmoid(BIN_LOGITS)
BIN_Y = RNG.integers(0, 2, size=(N, 1)).astype(float)
REG_TRUE, REG_PRED = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))


def keras_value_and_grad(loss: keras.losses.Loss, y_true: np.ndarray,
                         y_pred: np.ndarray) -> tuple[float, np.ndarray]:
    """Keras' loss value and its gradient with respect to y_pred, both in float64."""
    pred = tf.Variable(y_pred, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = loss(tf.constant(y_true), pred)
    return float(value.numpy()), tape.gradient(value, pred).numpy()


CASES = {
    "mse": (keras.losses.MeanSquaredError, {}, L.mse, L.mse_grad, REG_TRUE, REG_PRED, {}),
    "bce_probs": (keras.losses.BinaryCrossentropy, {}, L.binary_cross_entropy,
                  L.binary_cross_entropy_grad, BIN_Y, BIN_PROBS, {}),
    "bce_logits": (keras.losses.BinaryCrossentropy, {"from_logits": True},
                   L.binary_cross_entropy, L.binary_cross_entropy_grad, BIN_Y, BIN_LOGITS,
                   {"from_logits": True}),
    "cce_probs": (keras.losses.CategoricalCrossentropy, {}, L.categorical_cross_entropy,
                  L.categorical_cross_entropy_grad, ONE_HOT, PROBS, {}),
    "cce_logits": (keras.losses.CategoricalCrossentropy, {"from_logits": True},
                   L.categorical_cross_entropy, L.categorical_cross_entropy_grad, ONE_HOT,
                   LOGITS, {"from_logits": True}),
    "sparse_probs": (keras.losses.SparseCategoricalCrossentropy, {},
                     L.sparse_categorical_cross_entropy, L.sparse_categorical_cross_entropy_grad,
                     LABELS, PROBS, {}),
    "sparse_logits": (keras.losses.SparseCategoricalCrossentropy, {"from_logits": True},
                      L.sparse_categorical_cross_entropy,
                      L.sparse_categorical_cross_entropy_grad, LABELS, LOGITS,
                      {"from_logits": True}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_value_and_gradient_match_keras(case: str) -> None:
    keras_cls, keras_kwargs, fn, grad_fn, y_true, y_pred, kwargs = CASES[case]
    value, grad = keras_value_and_grad(keras_cls(dtype="float64", **keras_kwargs), y_true, y_pred)
    assert fn(y_true, y_pred, **kwargs) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(grad_fn(y_true, y_pred, **kwargs), grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("case", ["mse", "bce_logits", "cce_logits", "sparse_probs"])
def test_sum_and_none_reductions_match_keras(case: str) -> None:
    keras_cls, keras_kwargs, fn, grad_fn, y_true, y_pred, kwargs = CASES[case]
    per_example = keras_cls(dtype="float64", reduction=None, **keras_kwargs)(y_true, y_pred)
    np.testing.assert_allclose(fn(y_true, y_pred, reduction="none", **kwargs),
                               np.asarray(per_example), rtol=1e-12)
    value, grad = keras_value_and_grad(keras_cls(dtype="float64", reduction="sum", **keras_kwargs),
                                       y_true, y_pred)
    assert fn(y_true, y_pred, reduction="sum", **kwargs) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(grad_fn(y_true, y_pred, reduction="sum", **kwargs), grad,
                               rtol=1e-10, atol=1e-15)


def test_clipping_matches_keras_at_extreme_probabilities() -> None:
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.0], [1.0], [0.5]])  # log(0) without clipping
    value, grad = keras_value_and_grad(keras.losses.BinaryCrossentropy(dtype="float64"), y, p)
    assert L.binary_cross_entropy(y, p) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(L.binary_cross_entropy_grad(y, p), grad, atol=1e-12)
    onehot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    probs = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5]])
    expected = keras.losses.CategoricalCrossentropy(dtype="float64")(onehot, probs)
    assert L.categorical_cross_entropy(onehot, probs) == pytest.approx(float(expected), rel=1e-12)


def test_softmax_cross_entropy_with_logits_matches_tf_nn_and_formula() -> None:
    per_example = tf.nn.softmax_cross_entropy_with_logits(ONE_HOT, LOGITS).numpy()
    np.testing.assert_allclose(L.softmax_cross_entropy_with_logits(ONE_HOT, LOGITS, "none"),
                               per_example, rtol=1e-12)
    np.testing.assert_allclose(L.softmax_cross_entropy_with_logits_grad(ONE_HOT, LOGITS),
                               (softmax(LOGITS) - ONE_HOT) / N, rtol=1e-14)


def test_from_logits_is_stable_for_huge_logits() -> None:
    with np.errstate(over="raise", invalid="raise"):
        big = L.softmax_cross_entropy_with_logits(np.array([[1.0, 0.0]]), np.array([[0.0, 1000.0]]))
        bce = L.binary_cross_entropy(np.array([1.0]), np.array([-1000.0]), from_logits=True)
    assert big == pytest.approx(1000.0) and bce == pytest.approx(1000.0)


def test_logsumexp_matches_tf_and_is_stable() -> None:
    np.testing.assert_allclose(L.logsumexp(LOGITS), tf.reduce_logsumexp(LOGITS, axis=-1).numpy(),
                               rtol=1e-14)
    assert L.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000.0 + np.log(2.0))
    assert L.logsumexp(LOGITS, keepdims=True).shape == (N, 1)


def test_exact_values() -> None:
    assert L.mse(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]])) == 2.0
    np.testing.assert_array_equal(L.mse_grad(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]])),
                                  [[0.0, 2.0]])
    assert L.sparse_categorical_cross_entropy([0], np.array([[0.5, 0.5]])) == pytest.approx(np.log(2))
    assert L.softmax_cross_entropy_with_logits([[1.0, 0.0]], [[0.0, 0.0]]) == pytest.approx(np.log(2))
    assert L.binary_cross_entropy([0.0], [0.0], from_logits=True) == pytest.approx(np.log(2))
    np.testing.assert_array_equal(L.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


def test_sparse_accepts_column_labels_and_whole_floats() -> None:
    expected = L.sparse_categorical_cross_entropy(LABELS, PROBS)
    assert L.sparse_categorical_cross_entropy(LABELS[:, None], PROBS) == expected
    assert L.sparse_categorical_cross_entropy(LABELS.astype(float), PROBS) == expected


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="same shape"):
        L.mse(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="from_logits=True"):
        L.binary_cross_entropy(BIN_Y, BIN_LOGITS * 10)  # logits passed as probabilities
    with pytest.raises(ValueError, match="from_logits=True"):
        L.categorical_cross_entropy(ONE_HOT, LOGITS * 10)
    with pytest.raises(ValueError, match="sparse_categorical_cross_entropy"):
        L.categorical_cross_entropy(LABELS, PROBS)  # integer labels to the one-hot loss
    with pytest.raises(ValueError, match="categorical_cross_entropy"):
        L.sparse_categorical_cross_entropy(ONE_HOT, PROBS)  # one-hot to the sparse loss
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        L.sparse_categorical_cross_entropy(np.array([0, 1, 2, 3, 4, 0]), PROBS)
    with pytest.raises(ValueError, match="must be integers"):
        L.sparse_categorical_cross_entropy(np.full(N, 0.5), PROBS)
    with pytest.raises(ValueError, match=r"y_true \(binary labels\) must lie in \[0, 1\]"):
        L.binary_cross_entropy(BIN_Y * 2, BIN_PROBS)
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'"):
        L.mse(REG_TRUE, REG_PRED, reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum'; got 'none'"):
        L.mse_grad(REG_TRUE, REG_PRED, reduction="none")
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        L.one_hot([0], 0)
