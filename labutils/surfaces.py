"""Two-dimensional loss surfaces (损失曲面) for watching optimizers move.

A real network has millions of parameters, but the behaviour of gradient descent — zig-zags
across a narrow valley, divergence when the learning rate is too large, crawling when it is
too small — already shows with two. This module provides:

* surfaces with exact gradients: an ill-conditioned quadratic (:func:`quadratic`) and the
  Rosenbrock banana valley (:func:`rosenbrock`), both evaluated on points or whole grids;
* :func:`run_trajectory`, which runs any optimizer from :mod:`labutils.scratch.optim` on a
  surface and returns the path, with optional gradient noise to imitate mini-batch SGD;
* plots: :func:`plot_surface`, :func:`plot_trajectories`, :func:`plot_lr_grid` (one panel
  per learning rate) and :func:`lr_slider` (an ipywidgets slider that re-draws the path).

Only NumPy is imported at module level; matplotlib and ipywidgets load inside the plotting
functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labutils._validate import positive_int
from labutils.scratch.optim import SGD, Adam, Optimizer, RMSprop

__all__ = [
    "OPTIMIZER_NAMES", "Surface", "get_surface", "lr_slider", "make_optimizer",
    "plot_lr_grid", "plot_surface", "plot_trajectories", "quadratic", "render_trajectory_png",
    "rosenbrock", "run_trajectory",
]

OPTIMIZER_NAMES = ("gd", "momentum", "nesterov", "rmsprop", "adam")


@dataclass(frozen=True)
class Surface:
    """A loss ``f(w1, w2)`` with its exact gradient. ``value`` and ``gradient`` accept points
    of shape ``(..., 2)`` — one point, a path, or a whole grid — and return shapes ``(...)``
    and ``(..., 2)``. ``minimum`` is the global minimiser, ``start`` a default starting
    point, ``xlim``/``ylim`` the window the plots show.
    """

    name: str
    value_fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad_fn: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    minimum: tuple[float, float]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def value(self, w: np.ndarray) -> np.ndarray:
        """The loss at ``w`` (shape ``(..., 2)``); returns shape ``(...)``."""
        w = _points(w)
        return self.value_fn(w[..., 0], w[..., 1])

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """The exact gradient at ``w`` (shape ``(..., 2)``); returns the same shape."""
        w = _points(w)
        gx, gy = self.grad_fn(w[..., 0], w[..., 1])
        return np.stack([gx, gy], axis=-1)

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)`` on an ``n x n`` grid over ``xlim`` x ``ylim``, ready for contour plots."""
        n = positive_int("n", n)
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.value_fn(X, Y)


def _positive_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def _points(w: Any) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim < 1 or w.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2) (two parameters); got {w.shape}")
    return w


def quadratic(a: float = 1.0, b: float = 20.0, angle: float = 0.0) -> Surface:
    """The quadratic bowl ``f = (a u^2 + b v^2) / 2`` in coordinates ``(u, v)`` rotated by
    ``angle`` degrees from ``(w1, w2)``. Its curvatures (Hessian eigenvalues) are ``a`` and
    ``b``; their ratio, the condition number (条件数), makes the valley narrow. Gradient
    descent is stable exactly when ``learning_rate < 2 / max(a, b)``.
    """
    a, b = _positive_float(a, "a"), _positive_float(b, "b")
    if isinstance(angle, bool) or not isinstance(angle, (int, float, np.integer, np.floating)) \
            or not np.isfinite(angle):
        raise ValueError(f"angle must be a finite number of degrees; got {angle!r}")
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (a * u * u + b * v * v)

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = c * x + s * y, -s * x + c * y
        return a * u * c - b * v * s, a * u * s + b * v * c

    name = f"quadratic (curvatures {a:g} and {b:g})"
    return Surface(name, value, grad, minimum=(0.0, 0.0), start=(-4.0, 1.5),
                   xlim=(-5.0, 5.0), ylim=(-2.5, 2.5))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's function ``f = (a - w1)^2 + b (w2 - w1^2)^2``: a curved, flat-bottomed
    valley (the "banana") with its minimum at ``(a, a^2)``. Finding the valley is easy;
    following it to the minimum is slow for plain gradient descent.
    """
    a, b = _positive_float(a, "a"), _positive_float(b, "b")

    def value(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = y - x * x
        return -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r

    return Surface(f"Rosenbrock (a={a:g}, b={b:g})", value, grad, minimum=(a, a * a),
                   start=(-1.2, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0))


_SURFACES: dict[str, Callable[..., Surface]] = {"quadratic": quadratic, "rosenbrock": rosenbrock}


def get_surface(name: str, **kwargs: Any) -> Surface:
    """A surface by name (``'quadratic'`` or ``'rosenbrock'``), keyword arguments passed on."""
    if name not in _SURFACES:
        raise ValueError(f"surface must be one of {', '.join(map(repr, _SURFACES))}; "
                         f"got {name!r}")
    return _SURFACES[name](**kwargs)


def make_optimizer(name: str, learning_rate: float, **kwargs: Any) -> Optimizer:
    """A :mod:`labutils.scratch.optim` optimizer by short name: ``'gd'`` (plain gradient
    descent), ``'momentum'`` and ``'nesterov'`` (SGD with momentum 0.9 unless given),
    ``'rmsprop'``, ``'adam'``. Extra keyword arguments go to the optimizer.
    """
    if name not in OPTIMIZER_NAMES:
        raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZER_NAMES))}; "
                         f"got {name!r}")
    if name == "gd":
        return SGD(learning_rate=learning_rate, **kwargs)
    if name in ("momentum", "nesterov"):
        kwargs.setdefault("momentum", 0.9)
        return SGD(learning_rate=learning_rate, nesterov=name == "nesterov", **kwargs)
    if name == "rmsprop":
        return RMSprop(learning_rate=learning_rate, **kwargs)
    return Adam(learning_rate=learning_rate, **kwargs)


def run_trajectory(surface: Surface, optimizer: str | Optimizer, *,
                   learning_rate: float | None = None, start: Sequence[float] | None = None,
                   steps: int = 100, noise: float = 0.0, seed: int = 0,
                   max_norm: float = 1e6) -> np.ndarray:
    """Run ``steps`` optimizer steps on ``surface`` from ``start`` (default: the surface's)
    and return every position, shape ``(steps + 1, 2)``, row 0 being the start.

    ``optimizer`` is a name from :data:`OPTIMIZER_NAMES` (then ``learning_rate`` is
    required) or a ready :class:`~labutils.scratch.optim.Optimizer` (then it must be None).
    ``noise > 0`` adds Gaussian noise of that standard deviation to every gradient,
    imitating the scatter of mini-batch gradients in SGD. A run that diverges (a position
    beyond ``max_norm`` or not finite) stops there; the remaining rows are NaN.
    """
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a Surface (e.g. quadratic()); got "
                         f"{type(surface).__name__}")
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            raise ValueError("learning_rate must be None when optimizer is an Optimizer "
                             "instance (it already has one)")
        opt = optimizer
    elif isinstance(optimizer, str):
        if learning_rate is None:
            raise ValueError("learning_rate is required when optimizer is given by name")
        opt = make_optimizer(optimizer, learning_rate)
    else:
        raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZER_NAMES))} "
                         f"or an Optimizer; got {optimizer!r}")
    steps = positive_int("steps", steps)
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}")
    max_norm = _positive_float(max_norm, "max_norm")
    w = np.array(surface.start if start is None else start, dtype=np.float64)
    if w.shape != (2,) or not np.all(np.isfinite(w)):
        raise ValueError(f"start must be two finite numbers; got {start!r}")
    rng = np.random.default_rng(seed)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = surface.gradient(w)
            if noise > 0:
                g = g + noise * rng.standard_normal(2)
            opt.step([w], [g])
            if not np.all(np.isfinite(w)) or np.linalg.norm(w) > max_norm:
                break  # diverged: leave the rest NaN
            path[t] = w
    return path


def _loss_label(surface: Surface, path: np.ndarray) -> str:
    last = surface.value(path[-1])
    return "diverged" if not np.isfinite(last) else f"loss {last:.3g}"


def plot_surface(surface: Surface, ax: Any = None, *, levels: int = 25) -> Any:
    """Contour plot of ``surface`` with log-spaced levels (so both the steep walls and the
    flat valley floor show) and a star at the minimum. Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    levels = positive_int("levels", levels)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
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
           xlabel="parameter $w_1$ (unitless)", ylabel="parameter $w_2$ (unitless)")
    return ax


def plot_trajectories(surface: Surface, paths: Mapping[str, np.ndarray], ax: Any = None, *,
                      title: str | None = None, legend_loc: str = "best") -> Any:
    """Draw each path (label -> array of shape ``(steps + 1, 2)``) over the contour plot of
    ``surface``; the legend gives each path's final loss, or "diverged". ``legend_loc`` is a
    matplotlib location or ``"outside"`` (to the right of the axes). Returns the axes.
    """
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError("paths must be a non-empty mapping of label -> (steps + 1, 2) array")
    ax = plot_surface(surface, ax)
    for label, path in paths.items():
        path = _points(path)
        if path.ndim != 2:
            raise ValueError(f"path {label!r} must have shape (steps + 1, 2); got {path.shape}")
        ax.plot(path[:, 0], path[:, 1], marker="." if len(path) <= 150 else None,
                markersize=3, linewidth=1.2, label=f"{label} ({_loss_label(surface, path)})")
    first = _points(next(iter(paths.values())))
    ax.plot(*first[0], marker="o", color="black", linestyle="none", label="start")
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
    :func:`lr_slider`, so a reader without a live kernel still sees what the slider shows.
    Returns the matplotlib figure.
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
    what :func:`lr_slider` puts in its image on every change.
    """
    from matplotlib.figure import Figure

    from labutils.widgets import figure_png

    fig = Figure(figsize=(6.4, 4.0), dpi=90)
    ax = fig.add_subplot()
    path = run_trajectory(surface, optimizer, learning_rate=learning_rate, start=start,
                          steps=steps)
    plot_trajectories(surface, {optimizer: path}, ax,
                      title=f"{optimizer}, learning rate {learning_rate:.3g}, {steps} steps")
    return figure_png(fig)


def lr_slider(surface: Surface, optimizer: str = "gd", *, start: Sequence[float] | None = None,
              steps: int = 50, lr_range: tuple[float, float] = (1e-3, 1.0),
              value: float | None = None) -> Any:
    """An interactive widget: a log-scale learning-rate slider and an optimizer menu that
    re-run :func:`run_trajectory` and re-draw the path on every change. Returns an
    ``ipywidgets.VBox`` (display it, or leave it as a cell's last line).

    The plot lives in an ``Image`` widget rather than an ``Output`` widget: an Output widget
    captures the kernel's output messages, which headless executors (nbclient with widget
    state off) cannot store. Widget state is not saved in notebooks either way, so always
    show :func:`plot_lr_grid` too.
    """
    import ipywidgets as widgets

    if optimizer not in OPTIMIZER_NAMES:
        raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZER_NAMES))}; "
                         f"got {optimizer!r}")
    low, high = (_positive_float(v, "lr_range") for v in lr_range)
    if not low < high:
        raise ValueError(f"lr_range must be (low, high) with low < high; got {lr_range!r}")
    value = float(np.sqrt(low * high)) if value is None else _positive_float(value, "value")
    if not low <= value <= high:
        raise ValueError(f"value must lie in lr_range {lr_range!r}; got {value!r}")
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
