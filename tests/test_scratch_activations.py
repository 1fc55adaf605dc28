"""labutils.scratch.activations vs tf.nn and tf.GradientTape, in float64."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from labutils.scratch import activations as A

RNG = np.random.default_rng(0)
# Mixed signs, zeros avoided (ReLU's kink), plus a few large magnitudes.
Z = np.concatenate([RNG.normal(scale=3.0, size=(4, 6)), [[-50.0, -5.0, -0.5, 0.5, 5.0, 50.0]]])

TF_FUNCS = {"relu": tf.nn.relu, "sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh,
            "softmax": tf.nn.softmax, "linear": tf.identity}


# ---------------------------------------------------------------- exact values
def test_exact_values() -> None:
    np.testing.assert_array_equal(A.softmax(np.array([0.0, 0.0])), [0.5, 0.5])
    np.testing.assert_array_equal(A.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(A.relu_grad(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])
    assert A.sigmoid(np.array(0.0)) == 0.5
    assert A.sigmoid_grad(np.array(0.0)) == 0.25
    assert A.tanh_grad(np.array(0.0)) == 1.0
    np.testing.assert_array_equal(A.softmax_jacobian(np.array([0.0, 0.0])),
                                  [[0.25, -0.25], [-0.25, 0.25]])


def test_sigmoid_is_stable_for_large_inputs() -> None:
    with np.errstate(over="raise", invalid="raise"):  # any overflow would raise here
        s = A.sigmoid(np.array([-1000.0, -745.0, 745.0, 1000.0]))
    assert s[0] == 0.0 and s[-1] == 1.0 and np.all(np.isfinite(s))
    assert A.sigmoid(np.array([-30.0]))[0] == pytest.approx(np.exp(-30.0) / (1 + np.exp(-30.0)),
                                                           rel=1e-15)


def test_softmax_is_stable_and_shift_invariant() -> None:
    z = np.array([[1000.0, 1000.0], [1.0, 2.0]])
    with np.errstate(over="raise", invalid="raise"):
        s = A.softmax(z)
    np.testing.assert_allclose(s[0], [0.5, 0.5])
    np.testing.assert_allclose(A.softmax(z[1] + 123.0), A.softmax(z[1]), rtol=1e-14)
    np.testing.assert_allclose(A.softmax(Z).sum(axis=-1), 1.0, rtol=1e-14)


def test_integer_input_becomes_float() -> None:
    assert A.relu(np.array([-1, 2])).dtype == np.float64
    assert A.sigmoid(np.array([0])).dtype == np.float64


# ---------------------------------------------------------------- vs TensorFlow
@pytest.mark.parametrize("name", list(TF_FUNCS))
def test_forward_matches_tf(name: str) -> None:
    ours = A.get_activation(name)(Z)
    theirs = TF_FUNCS[name](tf.constant(Z, dtype=tf.float64)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "linear"])
def test_elementwise_derivative_matches_gradient_tape(name: str) -> None:
    z = tf.Variable(Z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(TF_FUNCS[name](z))
    expected = tape.gradient(total, z).numpy()
    ours = {"relu": A.relu_grad, "sigmoid": A.sigmoid_grad, "tanh": A.tanh_grad,
            "linear": A.linear_grad}[name](Z)
    # tanh' = 1 - tanh^2 cancels near |z| >> 1, so compare with an absolute floor too
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


def test_relu_grad_at_zero_matches_tf() -> None:
    z = tf.Variable([0.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.relu(z))
    assert tape.gradient(y, z).numpy()[0] == A.relu_grad(np.array([0.0]))[0] == 0.0


def test_softmax_jacobian_matches_tape_vector_and_batch() -> None:
    z1 = Z[0]
    zt = tf.constant(z1)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        s = tf.nn.softmax(zt)
    np.testing.assert_allclose(A.softmax_jacobian(z1), tape.jacobian(s, zt).numpy(),
                               rtol=1e-10, atol=1e-15)
    zb = tf.constant(Z[:3])
    with tf.GradientTape() as tape:
        tape.watch(zb)
        sb = tf.nn.softmax(zb)
    full = tape.batch_jacobian(sb, zb).numpy()  # (3, n, n)
    ours = A.softmax_jacobian(Z[:3])
    assert ours.shape == (3, 6, 6)
    np.testing.assert_allclose(ours, full, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(ours.sum(axis=-2), 0.0, atol=1e-15)  # columns sum to zero


def test_activation_backward_matches_tape_for_every_activation() -> None:
    upstream = RNG.normal(size=Z.shape)
    for name, fn in TF_FUNCS.items():
        z = tf.Variable(Z, dtype=tf.float64)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(fn(z) * upstream)
        expected = tape.gradient(loss, z).numpy()
        np.testing.assert_allclose(A.activation_backward(name, Z, upstream), expected,
                                   rtol=1e-10, atol=1e-14, err_msg=name)
    # softmax_vjp equals upstream @ J row by row
    J = A.softmax_jacobian(Z)
    np.testing.assert_allclose(A.softmax_vjp(Z, upstream),
                               np.einsum("bi,bij->bj", upstream, J), rtol=1e-10, atol=1e-15)


def _gelu_with_float32_constants(z: np.ndarray, approximate: bool) -> np.ndarray:
    """GELU as tf.nn.gelu computes it in float64: its constants 1/sqrt(2) (exact form) and
    0.044715 (tanh form) pass through ``math_ops.cast(python_float, float64)``, which makes
    a float32 tensor first, so they arrive rounded to float32."""
    from scipy.special import erfc

    if approximate:
        c = float(np.float32(0.044715))
        return 0.5 * z * (1.0 + np.tanh(0.7978845608028654 * (z + c * z**3)))
    return 0.5 * z * erfc(-z * float(np.float32(0.7071067811865476)))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_both_forms_match_keras_and_tape(approximate: bool) -> None:
    z = tf.Variable(Z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        out = keras.activations.gelu(z, approximate=approximate)
        total = tf.reduce_sum(out)
    keras_value, keras_grad = out.numpy(), tape.gradient(total, z).numpy()
    # Keras/TF round one constant to float32 even in float64: agreement to ~1e-7 ...
    np.testing.assert_allclose(A.gelu(Z, approximate=approximate), keras_value, rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(A.gelu_grad(Z, approximate=approximate), keras_grad,
                               rtol=1e-6, atol=1e-9)
    # ... and with that rounding reproduced, to float64 precision: it is the only difference.
    np.testing.assert_allclose(_gelu_with_float32_constants(Z, approximate), keras_value,
                               rtol=1e-12, atol=1e-14)  # 1 + tanh cancels in the tail
    upstream = RNG.normal(size=Z.shape)
    np.testing.assert_allclose(A.activation_backward("gelu", Z, upstream),
                               upstream * A.gelu_grad(Z), rtol=1e-15)


def test_gelu_exact_values() -> None:
    assert A.gelu(np.array(0.0)) == 0.0 and A.gelu_grad(np.array(0.0)) == 0.5
    assert A.gelu(np.array(0.0), approximate=True) == 0.0
    assert A.gelu_grad(np.array(0.0), approximate=True) == 0.5
    # z * Phi(z) with Phi(1) = 0.841344746068543 (the standard normal table)
    assert A.gelu(np.array(1.0)) == pytest.approx(0.841344746068543, rel=1e-14)
    # the minimum: gelu' = Phi(z) + z phi(z) = 0 near z = -0.7518, value about -0.16997
    z = np.linspace(-1.5, 0.0, 150001)
    assert z[np.argmin(A.gelu(z))] == pytest.approx(-0.7518, abs=1e-4)
    assert A.gelu(z).min() == pytest.approx(-0.16997, abs=1e-5)
    assert A.gelu(np.array(-40.0)) == pytest.approx(-40.0 * 3.655893540915e-350, abs=1e-300)
    with pytest.raises(TypeError, match="approximate must be True or False"):
        A.gelu(Z, approximate="tanh")


# ---------------------------------------------------------------- lookup and errors
def test_get_activation_and_errors() -> None:
    assert A.get_activation("relu") is A.relu
    assert A.get_activation(None) is A.linear
    assert set(A.ACTIVATIONS) == {"linear", "relu", "sigmoid", "tanh", "softmax", "gelu"}
    with pytest.raises(ValueError, match=r"activation must be one of .*'relu'.*got 'rleu'"):
        A.get_activation("rleu")
    with pytest.raises(ValueError, match="activation must be one of"):
        A.activation_backward("swish", Z, Z)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        A.softmax_jacobian(np.array(1.0))
