"""labutils.scratch.layers: Dense/MLP backprop vs finite differences and vs tf.GradientTape
on a Keras model holding the same weights (float64 throughout)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from labutils.scratch import gradcheck as G
from labutils.scratch import losses as L
from labutils.scratch.layers import MLP, Dense, dense_forward, glorot_uniform, he_normal

RNG = np.random.default_rng(2)
X = RNG.normal(size=(5, 4))
LABELS = np.array([0, 2, 1, 2, 0])
Y_REG = RNG.normal(size=(5, 2))


def keras_twin(net: MLP) -> keras.Model:
    """A float64 Keras Sequential with the same sizes, activations and weights as ``net``."""
    model = keras.Sequential(
        [keras.Input(shape=(net.sizes[0],), dtype="float64")]
        + [keras.layers.Dense(layer.out_features, activation=layer.activation, dtype="float64")
           for layer in net.layers])
    model.set_weights(net.get_weights())
    return model


def loss_and_grad(net: MLP, kind: str) -> tuple[float, list[np.ndarray]]:
    """Our loss and parameter gradients for a classification or regression head."""
    out = net.forward(X)
    if kind == "logits":
        value = L.sparse_categorical_cross_entropy(LABELS, out, from_logits=True)
        net.backward(L.sparse_categorical_cross_entropy_grad(LABELS, out, from_logits=True))
    elif kind == "softmax":
        value = L.sparse_categorical_cross_entropy(LABELS, out)
        net.backward(L.sparse_categorical_cross_entropy_grad(LABELS, out))
    else:
        value = L.mse(Y_REG, out)
        net.backward(L.mse_grad(Y_REG, out))
    return value, [g.copy() for g in net.grads]


NETS = {
    "logits": lambda: MLP([4, 6, 5, 3], ["relu", "tanh", "linear"], seed=0),
    "softmax": lambda: MLP([4, 6, 3], ["sigmoid", "softmax"], seed=1),
    "mse": lambda: MLP([4, 5, 2], ["tanh", "linear"], seed=2),
}


@pytest.mark.parametrize("kind", list(NETS))
def test_backprop_matches_finite_differences(kind: str) -> None:
    net = NETS[kind]()
    _, grads = loss_and_grad(net, kind)
    for i, (param, grad) in enumerate(zip(net.params, grads, strict=True)):
        numeric = G.numerical_gradient(lambda _p: loss_and_grad(net, kind)[0], param)
        assert G.relative_error(grad, numeric) < 1e-6, f"param {i}"


@pytest.mark.parametrize("kind", list(NETS))
def test_backprop_matches_gradient_tape_on_keras_twin(kind: str) -> None:
    net = NETS[kind]()
    value, grads = loss_and_grad(net, kind)
    model = keras_twin(net)
    if kind == "mse":
        loss_fn, target = keras.losses.MeanSquaredError(dtype="float64"), Y_REG
    else:
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=kind == "logits",
                                                            dtype="float64")
        target = LABELS
    with tf.GradientTape() as tape:
        out = model(X)
        keras_value = loss_fn(target, out)
    keras_grads = tape.gradient(keras_value, model.trainable_variables)
    np.testing.assert_allclose(net.forward(X), out.numpy(), rtol=1e-12, atol=1e-14)
    assert value == pytest.approx(float(keras_value), rel=1e-12)
    for ours, theirs in zip(grads, keras_grads, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-14)


def test_input_gradient_matches_finite_differences() -> None:
    net = NETS["mse"]()
    x = X.copy()

    def f(xx: np.ndarray) -> float:
        return L.mse(Y_REG, net.forward(xx))

    net.forward(x)
    dx = net.backward(L.mse_grad(Y_REG, net.forward(x)))
    assert G.relative_error(dx, G.numerical_gradient(f, x)) < 1e-6


def test_from_keras_copies_sizes_activations_and_weights() -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(2)])
    net = MLP.from_keras(model)
    assert net.sizes == [3, 4, 2]
    assert [layer.activation for layer in net.layers] == ["relu", "linear"]
    assert net.num_params() == model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    x = RNG.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(net.forward(x), model(x).numpy(), rtol=1e-5, atol=1e-6)
    bad = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dropout(0.1)])
    with pytest.raises(ValueError, match="Dense layers only"):
        MLP.from_keras(bad)


def test_dense_forward_and_layer_exact_values() -> None:
    x = np.array([[1.0, -2.0]])
    W = np.array([[1.0, 0.0, 2.0], [1.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -3.0])
    np.testing.assert_array_equal(dense_forward(x, W, b), [[-0.5, -2.0, -1.0]])
    np.testing.assert_array_equal(dense_forward(x, W, b, "relu"), [[0.0, 0.0, 0.0]])
    layer = Dense(2, 3, "relu")
    layer.W[...], layer.b[...] = W, b + 1.0
    np.testing.assert_array_equal(layer.forward(x), [[0.5, 0.0, 0.0]])
    dx = layer.backward(np.ones((1, 3)))
    np.testing.assert_array_equal(layer.dW, [[1.0, 0.0, 0.0], [-2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(layer.db, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(dx, [[1.0, 1.0]])


def test_params_are_live_and_weights_round_trip() -> None:
    net = MLP([3, 4, 2], seed=5)
    assert [p.shape for p in net.params] == [(3, 4), (4,), (4, 2), (2,)]
    assert [layer.activation for layer in net.layers] == ["relu", "linear"]
    net.params[0][0, 0] = 42.0
    assert net.layers[0].W[0, 0] == 42.0
    other = MLP([3, 4, 2], seed=6)
    other.set_weights(net.get_weights())
    np.testing.assert_array_equal(other.forward(X[:, :3]), net.forward(X[:, :3]))
    limit = np.sqrt(6.0 / (3 + 4))
    assert np.all(np.abs(glorot_uniform(3, 4, np.random.default_rng(0))) <= limit)


def test_initialisers_variance_and_bounds() -> None:
    rng = np.random.default_rng(0)
    glorot = glorot_uniform(300, 200, rng)
    assert glorot.shape == (300, 200)
    assert glorot.var() == pytest.approx(2.0 / (300 + 200), rel=0.02)
    he = he_normal(300, 200, rng)
    assert he.shape == (300, 200)
    assert he.var() == pytest.approx(2.0 / 300, rel=0.02)          # the truncation is rescaled
    std = np.sqrt(2.0 / 300) / 0.87962566103423978
    assert np.abs(he).max() <= 2.0 * std                              # truncated at 2 std devs
    assert np.abs(he).max() > 1.9 * std
    np.testing.assert_array_equal(he_normal(4, 3, np.random.default_rng(7)),
                                  he_normal(4, 3, np.random.default_rng(7)))


def test_he_normal_has_the_statistics_of_keras_henormal() -> None:
    ours = he_normal(256, 400, np.random.default_rng(1))
    theirs = keras.initializers.HeNormal(seed=1)((256, 400), dtype="float64").numpy()
    assert theirs.var() == pytest.approx(ours.var(), rel=0.03)
    assert np.abs(theirs).max() == pytest.approx(np.abs(ours).max(), rel=0.02)


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="fan_in must be a positive int"):
        he_normal(0, 3, np.random.default_rng(0))
    with pytest.raises(TypeError, match="fan_out must be a positive int"):
        glorot_uniform(3, 2.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="activation must be one of"):
        Dense(2, 3, "rleu")
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        Dense(0, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 2\)"):
        Dense(2, 3).forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="call forward first"):
        Dense(2, 3).backward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="activations must be a list of 2 names"):
        MLP([3, 4, 2], ["relu"])
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([3])
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(4,\)"):
        MLP([3, 4, 2]).set_weights([np.zeros((3, 4)), np.zeros(5), np.zeros((4, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="W must be"):
        dense_forward(X, np.zeros((4, 2)), np.zeros(3))
