"""labutils.widgets: the activation curves are exact, the plot is labelled, the widget builds."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labutils import widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", widgets.ACTIVATION_NAMES)
def test_curves_shape_and_derivative_matches_finite_differences(name) -> None:
    z, phi, dphi = widgets.activation_curves(name, z_max=4.0, n=801)
    assert z.shape == phi.shape == dphi.shape == (801,)
    assert z[0] == -4.0 and z[-1] == 4.0
    numeric = np.gradient(phi, z)
    # away from ReLU's kink at 0, the central difference matches the analytic derivative
    keep = np.abs(z) > 0.02
    assert np.allclose(dphi[keep][1:-1], numeric[keep][1:-1], atol=1e-4)


def test_two_class_softmax_is_the_sigmoid() -> None:
    _, s, ds = widgets.activation_curves("softmax", z_max=10.0)
    _, sig, dsig = widgets.activation_curves("sigmoid", z_max=10.0)
    assert np.allclose(s, sig, atol=1e-12) and np.allclose(ds, dsig, atol=1e-12)


def test_flat_fraction_exact_values() -> None:
    # ReLU: derivative 0 for z <= 0, i.e. 201 of the 401 grid points (z = 0 included).
    assert widgets.flat_fraction("relu", z_max=6.0) == pytest.approx(201 / 401)
    # sigmoid'(z) = s(1 - s) < 0.01 exactly when |z| > log(s*/(1 - s*)) with
    # s* = (1 + sqrt(0.96)) / 2, i.e. |z| > 4.5848; the grid step is 0.03, so the points
    # 4.59, 4.62, ..., 6.00 (48 of them) on each side are flat: 96 of 401.
    s_star = (1 + np.sqrt(0.96)) / 2
    assert np.log(s_star / (1 - s_star)) == pytest.approx(4.5848, abs=1e-4)
    assert widgets.flat_fraction("sigmoid", z_max=6.0) == pytest.approx(96 / 401)
    assert widgets.flat_fraction("sigmoid", z_max=2.0) == 0.0
    assert widgets.flat_fraction("tanh", 20.0) > widgets.flat_fraction("tanh", 6.0)


def test_plot_activation_is_labelled() -> None:
    ax = widgets.plot_activation("tanh", z_max=5.0)
    assert ax.get_xlabel() and ax.get_ylabel() and "tanh" in ax.get_title()
    assert len(ax.get_lines()) == 2
    assert ax.get_legend() is not None


def test_explorer_builds_and_redraws() -> None:
    w = widgets.activation_explorer("relu", 3.0)
    (menu, slider), image = w.children[0].children, w.children[1]
    assert list(menu.options) == list(widgets.ACTIVATION_NAMES) and menu.value == "relu"
    assert (slider.min, slider.max, slider.value) == (1.0, 20.0, 3.0)
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"      # drawn at once, as a PNG image
    menu.value = "softmax"            # each change re-draws, without any display
    second = image.value
    slider.value = 8.0
    assert second[:8] == first[:8] and len({first, second, image.value}) == 3
    assert plt.get_fignums() == []    # never opens a pyplot figure (no double display)


@pytest.mark.parametrize("call, match", [
    (lambda: widgets.activation_curves("rleu"), "name must be one of 'relu'"),
    (lambda: widgets.activation_curves("relu", z_max=0), "z_max must be a finite number > 0"),
    (lambda: widgets.activation_curves("relu", n=1), "n must be an int >= 2"),
    (lambda: widgets.flat_fraction("relu", threshold=0), "threshold must be a number > 0"),
    (lambda: widgets.activation_explorer(z_max=30.0), "z_max must lie in z_range"),
    (lambda: widgets.activation_explorer(z_range=(5.0, 2.0)), "low < high"),
])
def test_invalid_arguments_raise(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
