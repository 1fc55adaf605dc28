"""Two-dimensional loss surfaces (损失曲面) for watching optimizers move.

A real network has millions of parameters, but the behaviour of gradient descent — zig-zags
across a narrow valley, divergence when the learning rate is too large, crawling when it is
too small — already shows with two. This module provides:

* surfaces with exact gradients: an ill-conditioned quadratic (:func:`quadratic`) and the
  Rosenbrock banana valley (:func:`rosenbrock`), both evaluated on points or whole grids;
* :func:`run_trajectory`, which runs any optimizer from :mod:`labutils.scratch.optim` on a
  surface and returns the path, with optional gradient noise to imitate mini-batch SGD.

This module is the math only (NumPy). The pictures are in :mod:`labutils.plots`
(``plot_surface``, ``plot_trajectories``, ``plot_lr_grid``, ``render_trajectory_png``) and the
learning-rate slider in :mod:`labutils.widgets` (``lr_slider``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar, positive, positive_int
from labutils.scratch.optim import SGD, Adam, Optimizer, RMSprop

__all__ = ["OPTIMIZER_NAMES", "Surface", "get_surface", "make_optimizer", "quadratic",
           "rosenbrock", "run_trajectory"]

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
    a, b = positive("a", a), positive("b", b)
    angle = check_scalar("angle", angle, "real")  # degrees
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
    a, b = positive("a", a), positive("b", b)

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
    return _SURFACES[check_choice("surface", name, _SURFACES)](**kwargs)


def make_optimizer(name: str, learning_rate: float, **kwargs: Any) -> Optimizer:
    """A :mod:`labutils.scratch.optim` optimizer by short name: ``'gd'`` (plain gradient
    descent), ``'momentum'`` and ``'nesterov'`` (SGD with momentum 0.9 unless given),
    ``'rmsprop'``, ``'adam'``. Extra keyword arguments go to the optimizer.
    """
    check_choice("optimizer", name, OPTIMIZER_NAMES)
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
    check_instance("surface", surface, Surface, "a Surface (e.g. quadratic())")
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            raise ValueError("learning_rate must be None when optimizer is an Optimizer "
                             "instance (it already has one)")
        opt = optimizer
    else:
        names = ", ".join(map(repr, OPTIMIZER_NAMES))
        check_instance("optimizer", optimizer, str, f"one of {names} or an Optimizer")
        if learning_rate is None:
            raise ValueError("learning_rate is required when optimizer is given by name")
        opt = make_optimizer(optimizer, learning_rate)
    steps = positive_int("steps", steps)
    noise = check_scalar("noise", noise, "real", min=0.0)
    max_norm = positive("max_norm", max_norm)
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

