"""labutils.scratch.gradcheck: finite differences on functions with known gradients."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.scratch.gradcheck import gradient_check, numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(a**2), x), 2 * x, rtol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(np.sin(a)), x), np.cos(x),
                               rtol=1e-8)
    # x is restored exactly after the perturbations
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])


def test_numerical_gradient_sees_x_through_a_closure() -> None:
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([1.0, -1.0])
    grad = numerical_gradient(lambda _w: float(v @ W @ v), W)  # d(v^T W v)/dW = v v^T
    np.testing.assert_allclose(grad, np.outer(v, v), atol=1e-9)


def test_relative_error_and_gradient_check() -> None:
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    x = np.linspace(-1.0, 1.0, 7)
    assert gradient_check(lambda a: np.sum(a**3), lambda a: 3 * a**2, x) < 1e-8
    assert gradient_check(lambda a: np.sum(a**3), lambda a: 2 * a**2, x) > 0.1  # a wrong one


def test_validation() -> None:
    with pytest.raises(ValueError, match="float64 numpy array"):
        numerical_gradient(lambda a: float(np.sum(a)), np.zeros(3, dtype=np.float32))
    with pytest.raises(TypeError, match="float64 numpy array"):
        numerical_gradient(lambda a: float(np.sum(a)), [1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        numerical_gradient(lambda a: float(np.sum(a)), np.zeros(3), eps=0.0)
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="must have the shape of x"):
        gradient_check(lambda a: float(np.sum(a)), lambda a: np.zeros(2), np.zeros(3))
