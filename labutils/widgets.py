"""Interactive explorers for the math chapter, and the static plots they are built on.

An explorer is an ``ipywidgets.interactive`` widget whose controls re-draw a plot. Widget
state is not stored in a saved notebook, so every explorer here is a thin wrapper around a
plain plotting function (:func:`plot_activation`) that a notebook also calls directly for
a few fixed settings: readers of the static notebook or the book see those plots.

:func:`activation_explorer` shows an activation function (激活函数) ``phi`` and its
derivative ``phi'`` over a chosen input range and shades where the derivative is almost
zero - the flat, saturated (饱和) parts where backpropagation passes almost no gradient.
Only NumPy is imported at module level; matplotlib and ipywidgets load when a plot or a
widget is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.scratch.activations import (
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_jacobian,
    tanh,
    tanh_grad,
)

__all__ = ["ACTIVATION_NAMES", "FLAT_THRESHOLD", "activation_curves", "activation_explorer",
           "flat_fraction", "plot_activation"]

ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "softmax")
FLAT_THRESHOLD = 0.01  # |phi'(z)| below this counts as "flat": almost no gradient passes


def _check_name(name: Any) -> str:
    if name not in ACTIVATION_NAMES:
        valid = ", ".join(repr(n) for n in ACTIVATION_NAMES)
        raise ValueError(f"name must be one of {valid}; got {name!r}")
    return name


def _check_z_max(z_max: Any) -> float:
    if isinstance(z_max, bool) or not isinstance(z_max, (int, float, np.integer, np.floating)) \
            or not np.isfinite(z_max) or z_max <= 0:
        raise ValueError(f"z_max must be a finite number > 0; got {z_max!r}")
    return float(z_max)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2 (grid points); got {n!r}")
    return int(n)


def activation_curves(name: str, z_max: float = 6.0,
                      n: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(z, phi(z), phi'(z))`` on ``n`` evenly spaced points of ``[-z_max, z_max]``.

    For the elementwise activations (``'relu'``, ``'sigmoid'``, ``'tanh'``) this is the
    function and its derivative from :mod:`labutils.scratch`. Softmax maps a vector to a
    vector, so it is shown in its two-class form: the first output of ``softmax([z, 0])``
    and its diagonal Jacobian entry ``ds_0/dz_0`` - which equal the sigmoid and its
    derivative, a fact worth seeing once.
    """
    name = _check_name(name)
    z = np.linspace(-_check_z_max(z_max), z_max, _check_n(n))
    if name == "softmax":
        logits = np.stack([z, np.zeros_like(z)], axis=-1)      # (n, 2): class 0 vs class 1
        return z, softmax(logits)[:, 0], softmax_jacobian(logits)[:, 0, 0]
    fn, grad = {"relu": (relu, relu_grad), "sigmoid": (sigmoid, sigmoid_grad),
                "tanh": (tanh, tanh_grad)}[name]
    return z, fn(z), grad(z)


def flat_fraction(name: str, z_max: float = 6.0, threshold: float = FLAT_THRESHOLD,
                  n: int = 401) -> float:
    """Fraction of the grid on ``[-z_max, z_max]`` where ``|phi'(z)| < threshold``.

    It measures how much of an input range an activation is flat on: ReLU's negative half
    (derivative exactly 0, a dead zone) or the saturated tails of sigmoid and tanh. The wider
    the range of pre-activations a layer produces, the larger this fraction.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) \
            or not threshold > 0:
        raise ValueError(f"threshold must be a number > 0; got {threshold!r}")
    _, _, d = activation_curves(name, z_max, n)
    return float(np.mean(np.abs(d) < threshold))


def plot_activation(name: str, z_max: float = 6.0, ax: Any = None, *, n: int = 401) -> Any:
    """Plot ``phi`` (solid) and ``phi'`` (dashed) of one activation on ``[-z_max, z_max]``,
    shading the inputs where ``|phi'| < 0.01`` (flat: no gradient gets through) and giving
    that fraction in the title. Returns the matplotlib Axes (a new figure if ``ax`` is None).
    """
    import matplotlib.pyplot as plt

    z, phi, dphi = activation_curves(name, z_max, n)
    if ax is None:
        _, ax = plt.subplots()
    flat = np.abs(dphi) < FLAT_THRESHOLD
    label = "two-class softmax s₀([z, 0])" if name == "softmax" else f"{name}(z)"
    ax.plot(z, phi, label=label)
    ax.plot(z, dphi, linestyle="--", label="derivative")
    if flat.any():
        ax.fill_between(z, 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                        color="grey", alpha=0.2, label=f"flat: |φ'| < {FLAT_THRESHOLD}")
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("φ(z) and φ'(z)")
    ax.set_title(f"{name} on [-{z_max:g}, {z_max:g}]: {flat.mean():.0%} of inputs flat")
    ax.legend(loc="best", fontsize=8)
    return ax


def activation_explorer(name: str = "sigmoid", z_max: float = 6.0, *,
                        z_range: tuple[float, float] = (1.0, 20.0)) -> Any:
    """An interactive widget: a menu to choose the activation and a slider for the input
    range ``[-z_max, z_max]``; every change re-draws :func:`plot_activation` into an image.
    Returns an ``ipywidgets.VBox`` (leave it as a cell's last line to display it). Widget
    state is not saved, so also show a few fixed settings with :func:`plot_activation`.

    The plot is rendered to PNG bytes in an ``ipywidgets.Image`` rather than captured by an
    ``Output`` widget: that works the same in JupyterLab, and it also executes headless
    (nbclient, papermill), where Output-widget capture can fail without stored widget state.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    name = _check_name(name)
    low, high = (_check_z_max(v) for v in z_range)
    if not low < high:
        raise ValueError(f"z_range must be (low, high) with low < high; got {z_range!r}")
    z_max = _check_z_max(z_max)
    if not low <= z_max <= high:
        raise ValueError(f"z_max must lie in z_range {z_range!r}; got {z_max!r}")

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


def figure_png(fig: Any) -> bytes:
    """Render a matplotlib ``Figure`` to PNG bytes (tight bounding box) for an
    ``ipywidgets.Image``. Interactive plots in the course redraw this way rather than through an
    ``Output`` widget, which behaves the same in JupyterLab and also runs headless."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
