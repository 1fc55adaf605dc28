"""Interactive explorers: ipywidgets controls that redraw one of the course's plots.

Widget state is not stored in a saved notebook, so every explorer here is a thin wrapper
around a plain plotting function from :mod:`labutils.plots` that a notebook also calls
directly for a few fixed settings: readers of the static notebook or the book see those.

* :func:`activation_explorer` shows an activation function (激活函数) ``phi`` and its
  derivative ``phi'`` over a chosen input range and shades where the derivative is almost
  zero - the flat, saturated (饱和) parts where backpropagation passes almost no gradient
  (static twin: :func:`labutils.plots.plot_activation`);
* :func:`lr_slider` re-runs an optimizer on a loss surface for a chosen learning rate
  (static twin: :func:`labutils.plots.plot_lr_grid`).

Each redraw renders a standalone matplotlib ``Figure`` to PNG bytes in an
``ipywidgets.Image`` rather than capturing it in an ``Output`` widget: that works the same in
JupyterLab, and it also executes headless (nbclient, papermill), where Output-widget capture
fails without stored widget state. Only NumPy is imported at module level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labutils._validate import check_choice, positive, positive_int
from labutils.plots import figure_png, plot_activation, render_trajectory_png
from labutils.surfaces import OPTIMIZER_NAMES, Surface

__all__ = ["ACTIVATION_NAMES", "activation_explorer", "lr_slider"]

ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "softmax")  # the explorer's menu


def _range(name: str, low_high: tuple[float, float], value: float | None,
           value_name: str) -> tuple[float, float, float]:
    """Validate a slider's ``(low, high)`` range (both > 0) and its start ``value`` (None:
    the geometric middle, right for a log-scale slider)."""
    low, high = (positive(name, v) for v in low_high)
    if not low < high:
        raise ValueError(f"{name} must be (low, high) with low < high; got {low_high!r}")
    value = float(np.sqrt(low * high)) if value is None else positive(value_name, value)
    if not low <= value <= high:
        raise ValueError(f"{value_name} must lie in {name} {low_high!r}; got {value!r}")
    return low, high, value


def activation_explorer(name: str = "sigmoid", z_max: float = 6.0, *,
                        z_range: tuple[float, float] = (1.0, 20.0)) -> Any:
    """An interactive widget: a menu to choose the activation and a slider for the input
    range ``[-z_max, z_max]``; every change re-draws :func:`labutils.plots.plot_activation`
    into an image. Returns an ``ipywidgets.VBox`` (leave it as a cell's last line to display
    it). Widget state is not saved, so also show a few fixed settings with ``plot_activation``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    name = check_choice("name", name, ACTIVATION_NAMES)
    low, high, z_max = _range("z_range", z_range, z_max, "z_max")

    menu = widgets.Dropdown(options=list(ACTIVATION_NAMES), value=name, description="activation")
    slider = widgets.FloatSlider(value=z_max, min=low, max=high, step=0.5,
                                 description="range ±z", continuous_update=False)
    image = widgets.Image(format="png")

    def redraw(_change: Any = None) -> None:
        fig = Figure(figsize=(6.4, 3.6), dpi=100)   # not pyplot: never shown twice inline
        plot_activation(menu.value, slider.value, fig.subplots())
        image.value = figure_png(fig)

    menu.observe(redraw, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([menu, slider]), image])


def lr_slider(surface: Surface, optimizer: str = "gd", *, start: Sequence[float] | None = None,
              steps: int = 50, lr_range: tuple[float, float] = (1e-3, 1.0),
              value: float | None = None) -> Any:
    """An interactive widget: a log-scale learning-rate slider and an optimizer menu that
    re-run :func:`labutils.surfaces.run_trajectory` and re-draw the path on every change
    (:func:`labutils.plots.render_trajectory_png`). ``value`` defaults to the geometric
    middle of ``lr_range``. Returns an ``ipywidgets.VBox`` (display it, or leave it as a
    cell's last line). Widget state is not saved in notebooks, so always show
    :func:`labutils.plots.plot_lr_grid` too.
    """
    import ipywidgets as widgets

    optimizer = check_choice("optimizer", optimizer, OPTIMIZER_NAMES)
    low, high, value = _range("lr_range", lr_range, value, "value")
    steps = positive_int("steps", steps)

    slider = widgets.FloatLogSlider(value=value, base=10, min=np.log10(low),
                                    max=np.log10(high), step=0.05,
                                    description="learning rate", readout_format=".3g",
                                    continuous_update=False)
    menu = widgets.Dropdown(options=list(OPTIMIZER_NAMES), value=optimizer,
                            description="optimizer")
    image = widgets.Image(format="png")

    def redraw(_change: Any = None) -> None:
        image.value = render_trajectory_png(surface, menu.value, slider.value, start=start,
                                            steps=steps)

    slider.observe(redraw, names="value")
    menu.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([slider, menu]), image])
