"""labutils.widgets: the explorers build, redraw into a PNG image and validate their ranges."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: F401  (a hard dependency: its absence must fail, not skip)
import matplotlib.pyplot as plt
import pytest

from labutils import surfaces as S
from labutils import widgets


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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


def test_lr_slider_builds_a_widget_that_redraws() -> None:
    w = widgets.lr_slider(S.quadratic(), "adam", steps=5, lr_range=(1e-3, 1.0), value=0.1)
    controls, image = w.children
    slider, menu = controls.children
    assert type(slider).__name__ == "FloatLogSlider" and slider.value == pytest.approx(0.1)
    assert type(menu).__name__ == "Dropdown" and menu.value == "adam"
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    slider.value = 0.5
    assert image.value != first  # moving the slider re-draws
    assert plt.get_fignums() == []  # nothing left open for pyplot to show inline


def test_lr_slider_starts_in_the_geometric_middle() -> None:
    w = widgets.lr_slider(S.quadratic(), steps=3, lr_range=(1e-4, 1.0))
    assert w.children[0].children[0].value == pytest.approx(1e-2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: widgets.activation_explorer("rleu"), ValueError,
     "name must be one of 'relu', 'sigmoid', 'tanh', 'softmax'; got 'rleu'"),
    (lambda: widgets.activation_explorer(z_max=30.0), ValueError, "z_max must lie in z_range"),
    (lambda: widgets.activation_explorer(z_range=(5.0, 2.0)), ValueError, "low < high"),
    (lambda: widgets.activation_explorer(z_max="6"), TypeError, "z_max must be a finite number"),
    (lambda: widgets.lr_slider(S.quadratic(), lr_range=(1.0, 0.1)), ValueError,
     "lr_range must be"),
    (lambda: widgets.lr_slider(S.quadratic(), "sgdd"), ValueError, "optimizer must be one of"),
    (lambda: widgets.lr_slider(S.quadratic(), value=2.0), ValueError,
     "value must lie in lr_range"),
    (lambda: widgets.lr_slider(S.quadratic(), steps=0), ValueError, "steps must be a positive"),
])
def test_invalid_arguments_raise(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
