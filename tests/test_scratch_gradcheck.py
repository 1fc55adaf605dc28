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


def test_a_kink_within_eps_spoils_the_check_of_a_correct_gradient() -> None:
    # sum(relu(x)) has derivative 1 for x > 0; with x = 0.3 eps the central difference sees
    # the kink: (1.3 eps - 0) / (2 eps) = 0.65. One eps further away it is exact again.
    relu_sum = lambda a: float(np.maximum(a, 0.0).sum())  # noqa: E731
    right = lambda a: (a > 0).astype(float)  # noqa: E731
    near = np.array([0.3e-6, 1.0, -1.0])
    np.testing.assert_allclose(numerical_gradient(relu_sum, near), [0.65, 1.0, 0.0], atol=1e-9)
    expected = 0.35 / (np.sqrt(2.0) + np.sqrt(0.65**2 + 1.0))  # ([1, 1, 0] vs [0.65, 1, 0])
    assert gradient_check(relu_sum, right, near) == pytest.approx(expected, rel=1e-6)
    assert gradient_check(relu_sum, right, np.array([1e-3, 1.0, -1.0])) < 1e-9


def test_a_slip_in_a_small_share_of_the_gradient_gives_a_small_error() -> None:
    # The gradient of sum(x**2) is 2x; a slip in one entry of 10,000 is diluted by the rest:
    # ||a - b|| / (||a|| + ||b||) = 2 / (2 * sqrt(10,000) + 2 * sqrt(10,000 - 1 + 4)), about 0.005.
    x = np.ones(10_000)
    wrong = lambda a: np.where(np.arange(a.size) == 0, 4.0 * a, 2.0 * a)  # noqa: E731
    expected = 2.0 / (2.0 * np.sqrt(10_000) + 2.0 * np.sqrt(10_000 - 1 + 4))
    assert relative_error(wrong(x), 2.0 * x) == pytest.approx(expected, rel=1e-12)
    assert 1e-3 < expected < 1e-2
