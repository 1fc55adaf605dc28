"""labutils.interpret: exact saliency and integrated gradients on a linear model, the
completeness axiom on a small nonlinear one, the integration rules, and argument checks."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labutils.interpret import class_output, integrated_gradients, path_weights, saliency

# Values exactly representable in float32, so float32 gradients are exact.
W = np.array([[0.5, -1.25, 2.0], [-0.75, 0.25, 1.5], [1.0, 3.0, -0.5], [-2.0, 0.125, 0.75]])
B = np.array([0.25, -0.5, 1.0])
X = np.array([[1.0, -2.0, 0.5, 3.0], [0.25, 0.0, -1.5, 2.0]])


@pytest.fixture(scope="module")
def linear() -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.set_weights([W.astype(np.float32), B.astype(np.float32)])
    return model


@pytest.fixture(scope="module")
def tanh_net() -> keras.Model:
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(3)])


@pytest.mark.parametrize("method", ["trapezoid", "riemann"])
@pytest.mark.parametrize("steps", [1, 7])
def test_linear_model_ig_is_weight_times_input(linear, method, steps) -> None:
    ig = integrated_gradients(linear, X, [0, 2], steps=steps, method=method)
    expected = np.stack([X[0] * W[:, 0], X[1] * W[:, 2]])
    np.testing.assert_allclose(ig, expected, atol=1e-6, rtol=0)


def test_linear_model_saliency_is_abs_weight_and_output_is_exact(linear) -> None:
    np.testing.assert_allclose(saliency(linear, X, 1), np.abs(np.stack([W[:, 1]] * 2)),
                               atol=1e-6, rtol=0)
    np.testing.assert_allclose(class_output(linear, X, [1, 0]),
                               [X[0] @ W[:, 1] + B[1], X[1] @ W[:, 0] + B[0]], atol=1e-6)


def test_linear_model_with_a_baseline(linear) -> None:
    base = np.array([1.0, 1.0, -1.0, 0.5])  # one example's shape: used for every example
    ig = integrated_gradients(linear, X, 1, baseline=base, steps=3)
    np.testing.assert_allclose(ig, (X - base) * W[:, 1], atol=1e-6, rtol=0)


def test_completeness_on_a_nonlinear_model(tanh_net) -> None:
    x = np.random.default_rng(0).normal(size=(6, 5))
    target = class_output(tanh_net, x, 2) - class_output(tanh_net, np.zeros_like(x), 2)
    gaps = []
    for steps in (4, 16, 64):
        ig = integrated_gradients(tanh_net, x, 2, steps=steps)
        gaps.append(np.abs(ig.sum(axis=1) - target).max())
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3 * max(1.0, np.abs(target).max())
    small_batches = integrated_gradients(tanh_net, x, 2, steps=64, batch_size=7)
    np.testing.assert_allclose(small_batches, integrated_gradients(tanh_net, x, 2, steps=64),
                               atol=1e-6)


def test_path_weights_exact() -> None:
    alphas, weights = path_weights(4, "trapezoid")
    np.testing.assert_allclose(alphas, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(weights, [0.125, 0.25, 0.25, 0.25, 0.125])
    alphas, weights = path_weights(4, "riemann")
    np.testing.assert_allclose(alphas, [0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(weights, [0.25] * 4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="simpson"), "method must be one of 'trapezoid', 'riemann'; got 'simpson'"),
    (dict(steps=0), "steps must be a positive int"),
    (dict(class_index=3), r"class_index must be in \[0, 3\)"),
    (dict(class_index=[0, 1, 2]), "class_index must be one int or 2 ints"),
    (dict(baseline=np.zeros(3)), "baseline must have the shape of x"),
    (dict(x=X[0]), r"x must be a batch of shape \(n, ...\)"),
    (dict(x=np.full((1, 4), np.nan)), "x must contain only finite numbers"),
])
def test_bad_arguments_raise_value_error(linear, kwargs, match) -> None:
    args = dict(x=X, class_index=0) | kwargs
    with pytest.raises(ValueError, match=match):
        integrated_gradients(linear, **args)


def test_bad_types_and_bad_models() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(TypeError, match="class_index must be an int"):
        saliency(model, X, 1.5)
    with pytest.raises(ValueError, match="model must return a"):
        saliency(lambda t: t[:, 0], X, 0)
