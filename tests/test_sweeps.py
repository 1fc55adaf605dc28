"""labutils.sweeps: fresh weights per seed, optimizer reset, reseeded dropout - each exact."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from labutils import sweeps


def _mlp(dropout: float = 0.0) -> keras.Model:
    layers = [keras.Input((5,)), keras.layers.Dense(7, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(3))
    return keras.Sequential(layers)


def test_initial_weights_are_seeded_glorot_kernels_and_zero_biases() -> None:
    model = _mlp()
    w0, w0_again, w1 = (sweeps.initial_weights(model, s) for s in (0, 0, 1))
    assert [w.shape for w in w0] == [w.shape for w in model.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(w0, w0_again, strict=True))
    assert not np.array_equal(w0[0], w1[0])
    # Kernel i has the values of GlorotUniform(seed=1000*seed + i); biases are zeros.
    expected = keras.initializers.GlorotUniform(seed=1000 * 1 + 2)((7, 3))
    np.testing.assert_array_equal(w1[2], np.asarray(expected))
    assert np.abs(w1[0]).max() <= np.sqrt(6 / (5 + 7))
    assert not w0[1].any() and not w0[3].any()


def test_initial_weights_refuses_layers_it_does_not_know() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization()])
    with pytest.raises(ValueError, match="Dense-style"):
        sweeps.initial_weights(model, 0)


def _three_steps(model, optimizer, x, y) -> list[np.ndarray]:
    loss_fn = keras.losses.MeanSquaredError()
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return model.get_weights()


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.Adam(learning_rate=0.01),
    lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: keras.optimizers.RMSprop(learning_rate=0.01),
])
def test_reset_optimizer_repeats_a_run_exactly_and_keeps_the_learning_rate(make) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    model = _mlp()
    start = sweeps.initial_weights(model, 3)
    optimizer = make()
    optimizer.build(model.trainable_variables)
    model.set_weights(start)
    first = _three_steps(model, optimizer, x, y)
    assert int(optimizer.iterations) == 3
    lr = float(optimizer.learning_rate)
    sweeps.reset_optimizer(optimizer)
    assert int(optimizer.iterations) == 0
    assert float(optimizer.learning_rate) == lr
    model.set_weights(start)
    second = _three_steps(model, optimizer, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_reset_optimizer_needs_a_built_optimizer() -> None:
    with pytest.raises(ValueError, match="built optimizer"):
        sweeps.reset_optimizer(keras.optimizers.Adam(learning_rate=0.01))


def test_reseed_random_layers_repeats_dropout_masks() -> None:
    model = _mlp(dropout=0.5)
    x = np.ones((8, 5), dtype="float32")
    model.set_weights(sweeps.initial_weights(model, 0))
    assert sweeps.reseed_random_layers(model, 4) == 1
    a = model(x, training=True).numpy()
    b = model(x, training=True).numpy()  # the stream moved on: another mask
    assert sweeps.reseed_random_layers(model, 4) == 1
    c = model(x, training=True).numpy()
    assert np.array_equal(a, c) and not np.array_equal(a, b)
    assert sweeps.reseed_random_layers(_mlp(), 0) == 0
