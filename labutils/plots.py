"""Every plot of the course, in one place, and the one plot style they share.

Each function draws one kind of figure - a training history, a confusion matrix, an
activation and its derivative, a loss surface with optimizer paths - with a title, axis
labels and units, so notebooks never hand-label the standard pictures. Functions that draw
into an ``ax`` return it (a new figure is made when ``ax`` is None); :func:`figure_png` and
:func:`render_trajectory_png` return PNG bytes for ``ipywidgets.Image``. The numbers come
from the math modules (:mod:`labutils.surfaces`, :mod:`labutils.scratch.activations`); the
interactive explorers that redraw these plots live in :mod:`labutils.widgets`. Only NumPy is
imported at module level; matplotlib loads when a plot is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labutils._validate import check_instance, positive_int
from labutils.scratch.activations import FLAT_THRESHOLD, activation_curves
from labutils.surfaces import Surface, run_trajectory

__all__ = ["figure_png", "plot_activation", "plot_confusion_matrix", "plot_history",
           "plot_lr_grid", "plot_surface", "plot_trajectories", "render_trajectory_png",
           "set_plot_style"]

_PARAM_LABELS = ("parameter $w_1$ (unitless)", "parameter $w_2$ (unitless)")


def set_plot_style() -> None:
    """One consistent, readable matplotlib style for every figure in the course;
    :func:`labutils.setup` applies it at the top of each notebook."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "savefig.bbox": "tight",
    })


def figure_png(fig: Any) -> bytes:
    """Render a matplotlib ``Figure`` to PNG bytes (tight bounding box) for an
    ``ipywidgets.Image``. Interactive plots in the course redraw this way rather than through
    an ``Output`` widget, which behaves the same in JupyterLab and also runs headless."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _axes(ax: Any, figsize: tuple[float, float] | None = None) -> Any:
    """``ax`` itself, or the axes of a new pyplot figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


# --- training --------------------------------------------------------------------------------

def plot_history(history: Any, metrics: tuple[str, ...] | list[str] | str = ("loss",),
                 ax: Any = None, title: str | None = None) -> Any:
    """Plot training (solid) and validation (dashed) curves of each metric against the epoch
    number - the first thing to look at for under- or overfitting (欠拟合/过拟合). Accepts a
    Keras ``History`` or its ``.history`` dict. Returns the matplotlib Axes.
    """
    logs = history.history if hasattr(history, "history") else history
    check_instance("history", logs, dict, "a keras History or a non-empty dict of lists")
    if not logs:
        raise ValueError("history must be a keras History or a non-empty dict of lists; "
                         "got an empty dict")
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [m for m in metrics if m not in logs]
    if unknown or not metrics:
        available = ", ".join(repr(k) for k in logs if not k.startswith("val_"))
        raise ValueError(f"metrics must be names recorded in the history ({available}); "
                         f"got {list(metrics)!r}")
    ax = _axes(ax)
    for i, name in enumerate(metrics):
        color = f"C{i}"
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], color=color, label=f"train {name}")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], color=color, linestyle="--",
                    label=f"validation {name}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metrics[0] if len(metrics) == 1 else "value")
    ax.set_title(title or "Training history: " + ", ".join(metrics))
    ax.legend()
    return ax


def plot_confusion_matrix(cm: Any, labels: Any = None, ax: Any = None, *,
                          normalize: bool = False, title: str | None = None) -> Any:
    """Draw a confusion matrix as a heat map with the count (or, with ``normalize=True``, the
    fraction of each true class) written in every cell; rows are true, columns predicted
    classes. Returns the matplotlib Axes.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"cm must be a square 2-D matrix; got shape {cm.shape}")
    k = cm.shape[0]
    labels = np.arange(k) if labels is None else np.asarray(labels)
    if len(labels) != k:
        raise ValueError(f"labels must have one entry per row of cm ({k}); got {len(labels)}")
    values = cm
    if normalize:  # each row divided by its total; an empty row stays 0
        totals = cm.sum(axis=1, keepdims=True).astype(np.float64)
        values = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals != 0)
    ax = _axes(ax, (1.0 + 0.45 * k, 0.6 + 0.45 * k) if k > 6 else (4, 3.4))
    image = ax.imshow(values, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, label="fraction of true class" if normalize else "count")
    threshold = values.max() / 2 if values.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else f"{int(values[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > threshold else "black")
    ax.set_xticks(range(k), [str(x) for x in labels])
    ax.set_yticks(range(k), [str(x) for x in labels])
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title or ("Confusion matrix (row-normalized)" if normalize
                           else "Confusion matrix"))
    ax.grid(False)
    return ax


# --- activations ------------------------------------------------------------------------------

def plot_activation(name: str, z_max: float = 6.0, ax: Any = None, *, n: int = 401) -> Any:
    """Plot ``phi`` (solid) and ``phi'`` (dashed) of one activation on ``[-z_max, z_max]``,
    shading the inputs where ``|phi'| < 0.01`` (flat: no gradient gets through) and giving
    that fraction in the title. Returns the matplotlib Axes (a new figure if ``ax`` is None).
    """
    z, phi, dphi = activation_curves(name, z_max, n)
    ax = _axes(ax)
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


# --- loss surfaces and optimizer paths ----------------------------------------------------------

def _path(label: str, path: Any) -> np.ndarray:
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"path {label!r} must have shape (steps + 1, 2); got {path.shape}")
    return path


def _loss_label(surface: Surface, path: np.ndarray) -> str:
    last = surface.value(path[-1])
    return "diverged" if not np.isfinite(last) else f"loss {last:.3g}"


def plot_surface(surface: Surface, ax: Any = None, *, levels: int = 25) -> Any:
    """Contour plot of ``surface`` with log-spaced levels (so both the steep walls and the
    flat valley floor show) and a star at the minimum. Returns the matplotlib axes.
    """
    from matplotlib.colors import LogNorm

    check_instance("surface", surface, Surface, "a Surface (e.g. quadratic())")
    levels = positive_int("levels", levels)
    ax = _axes(ax, (6.4, 4.0))
    X, Y, Z = surface.grid()
    height = Z - float(surface.value(np.array(surface.minimum)))  # >= 0, 0 at the minimum
    low = max(float(np.quantile(height, 0.002)), 1e-6)
    lv = np.geomspace(low, float(height.max()), levels)
    ax.contourf(X, Y, np.maximum(height, low), levels=lv, norm=LogNorm(), cmap="Blues_r",
                alpha=0.45)
    ax.contour(X, Y, height, levels=lv, colors="grey", linewidths=0.4, alpha=0.7)
    ax.plot(*surface.minimum, marker="*", color="gold", markersize=14,
            markeredgecolor="black", linestyle="none", label="minimum")
    ax.set(xlim=surface.xlim, ylim=surface.ylim, title=surface.name,
           xlabel=_PARAM_LABELS[0], ylabel=_PARAM_LABELS[1])
    return ax


def plot_trajectories(surface: Surface, paths: Mapping[str, np.ndarray], ax: Any = None, *,
                      title: str | None = None, legend_loc: str = "best") -> Any:
    """Draw each path (label -> array of shape ``(steps + 1, 2)``) over the contour plot of
    ``surface``; the legend gives each path's final loss, or "diverged". ``legend_loc`` is a
    matplotlib location or ``"outside"`` (to the right of the axes). The title is ``title``,
    or the surface's name. Returns the axes.
    """
    rule = "a non-empty mapping of label -> (steps + 1, 2) array"
    check_instance("paths", paths, Mapping, rule)
    if not paths:
        raise ValueError(f"paths must be {rule}; got an empty mapping")
    arrays = {label: _path(label, path) for label, path in paths.items()}
    ax = plot_surface(surface, ax)
    for label, path in arrays.items():
        ax.plot(path[:, 0], path[:, 1], marker="." if len(path) <= 150 else None,
                markersize=3, linewidth=1.2, label=f"{label} ({_loss_label(surface, path)})")
    ax.plot(*next(iter(arrays.values()))[0], marker="o", color="black", linestyle="none",
            label="start")
    if legend_loc == "outside":
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    else:
        ax.legend(fontsize=8, loc=legend_loc, frameon=True, framealpha=0.85)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_lr_grid(surface: Surface, optimizer: str, learning_rates: Sequence[float], *,
                 start: Sequence[float] | None = None, steps: int = 50) -> Any:
    """One panel per learning rate, side by side: the static counterpart of
    :func:`labutils.widgets.lr_slider`, so a reader without a live kernel still sees what the
    slider shows. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    rates = list(learning_rates)
    if not rates:
        raise ValueError("learning_rates must list at least one learning rate")
    fig, axes = plt.subplots(1, len(rates), figsize=(4.2 * len(rates), 3.6), squeeze=False)
    for ax, lr in zip(axes[0], rates, strict=True):
        path = run_trajectory(surface, optimizer, learning_rate=lr, start=start, steps=steps)
        plot_trajectories(surface, {optimizer: path}, ax,
                          title=f"{optimizer}, learning rate {lr:g}, {steps} steps")
    fig.tight_layout()
    return fig


def render_trajectory_png(surface: Surface, optimizer: str, learning_rate: float, *,
                          start: Sequence[float] | None = None, steps: int = 50) -> bytes:
    """Run one trajectory and return its plot as PNG bytes. Uses a standalone matplotlib
    ``Figure`` (not pyplot), so nothing is shown inline and no figure is left open; this is
    what :func:`labutils.widgets.lr_slider` puts in its image on every change.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), dpi=90)
    path = run_trajectory(surface, optimizer, learning_rate=learning_rate, start=start,
                          steps=steps)
    plot_trajectories(surface, {optimizer: path}, fig.add_subplot(),
                      title=f"{optimizer}, learning rate {learning_rate:.3g}, {steps} steps")
    return figure_png(fig)
