"""labutils.scratch.activations.activation_curves / flat_fraction: exact curves on a grid."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.scratch.activations import ACTIVATIONS, activation_curves, flat_fraction


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_curves_shape_and_derivative_matches_finite_differences(name) -> None:
    z, phi, dphi = activation_curves(name, z_max=4.0, n=801)
    assert z.shape == phi.shape == dphi.shape == (801,)
    assert z[0] == -4.0 and z[-1] == 4.0
    numeric = np.gradient(phi, z)
    # away from ReLU's kink at 0, the central difference matches the analytic derivative
    keep = np.abs(z) > 0.02
    assert np.allclose(dphi[keep][1:-1], numeric[keep][1:-1], atol=1e-4)


def test_two_class_softmax_is_the_sigmoid() -> None:
    _, s, ds = activation_curves("softmax", z_max=10.0)
    _, sig, dsig = activation_curves("sigmoid", z_max=10.0)
    assert np.allclose(s, sig, atol=1e-12) and np.allclose(ds, dsig, atol=1e-12)


def test_flat_fraction_exact_values() -> None:
    # ReLU: derivative 0 for z <= 0, i.e. 201 of the 401 grid points (z = 0 included).
    assert flat_fraction("relu", z_max=6.0) == pytest.approx(201 / 401)
    # sigmoid'(z) = s(1 - s) < 0.01 exactly when |z| > log(s*/(1 - s*)) with
    # s* = (1 + sqrt(0.96)) / 2, i.e. |z| > 4.5848; the grid step is 0.03, so the points
    # 4.59, 4.62, ..., 6.00 (48 of them) on each side are flat: 96 of 401.
    s_star = (1 + np.sqrt(0.96)) / 2
    assert np.log(s_star / (1 - s_star)) == pytest.approx(4.5848, abs=1e-4)
    assert flat_fraction("sigmoid", z_max=6.0) == pytest.approx(96 / 401)
    assert flat_fraction("sigmoid", z_max=2.0) == 0.0
    assert flat_fraction("tanh", 20.0) > flat_fraction("tanh", 6.0)
    assert flat_fraction("linear") == 0.0


@pytest.mark.parametrize("call, error, match", [
    (lambda: activation_curves("rleu"), ValueError, "name must be one of 'linear', 'relu'"),
    (lambda: activation_curves(3), TypeError, "name must be one of"),
    (lambda: activation_curves("relu", z_max=0), ValueError, "z_max must be a finite number > 0"),
    (lambda: activation_curves("relu", n=1), ValueError, r"n \(grid points\) must be an int >= 2"),
    (lambda: activation_curves("relu", n=10.0), TypeError, r"n \(grid points\) must be an int"),
    (lambda: flat_fraction("relu", threshold=0), ValueError, "threshold must be a finite number > 0"),
])
def test_invalid_arguments_raise(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
