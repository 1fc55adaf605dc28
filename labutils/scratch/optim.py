"""Optimizers (优化器) from scratch: gradient descent, SGD with momentum, RMSprop and Adam.

Each optimizer's ``step(params, grads)`` updates the parameter arrays *in place*, exactly as
``keras.optimizers.X.apply_gradients`` updates its variables; the formulas below are the
ones in Keras 3's source (``keras/src/optimizers/*.py``), step for step, including where
epsilon sits. State (momentum, running averages) is kept per parameter position, so call
``step`` with the same list of parameters, in the same order, every time.

The tests run five steps of each optimizer next to its Keras twin on float64 variables and
compare the parameters. One Keras detail they uncovered: even for float64 variables Keras
rounds the learning rate, SGD's momentum and Adam's betas through float32 (0.9 becomes
0.899999976), so with such values the two agree to about 1e-7, not 1e-15; here every
hyperparameter is used exactly as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "get_optimizer", "gradient_descent_step"]


def _check_rate(value: Any, name: str, *, high: float | None = None,
                low_inclusive: bool = True) -> float:
    """A finite hyperparameter >= 0 (> 0 unless ``low_inclusive``), below ``high`` if given."""
    return check_scalar(name, value, "real", min=0.0, max=high, include_min=low_inclusive,
                        include_max=False)


def _check_pairs(params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
    if len(params) != len(grads):
        raise ValueError(f"params and grads must have the same length; got {len(params)} "
                         f"and {len(grads)}")
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        check_instance(f"params[{i}]", p, np.ndarray,
                       "a floating-point numpy array (updated in place)")
        if not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"params[{i}] must be a floating-point numpy array (updated in "
                             f"place); got dtype {p.dtype}")
        if np.shape(g) != p.shape:
            raise ValueError(f"grads[{i}] must have shape {p.shape}; got {np.shape(g)}")


def gradient_descent_step(params: Sequence[np.ndarray], grads: Sequence[np.ndarray],
                          learning_rate: float = 0.01) -> None:
    """Plain gradient descent (梯度下降): ``p <- p - learning_rate * g`` for every pair, in
    place. It is the whole idea of training; every optimizer below refines it.
    """
    lr = _check_rate(learning_rate, "learning_rate", low_inclusive=False)
    _check_pairs(params, grads)
    for p, g in zip(params, grads, strict=True):
        p -= lr * np.asarray(g, dtype=p.dtype)


class Optimizer:
    """Base class: validates ``step`` arguments, counts iterations and keeps per-parameter
    state in lists created on the first step.
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_rate(learning_rate, "learning_rate", low_inclusive=False)
        self.iterations = 0
        self._shapes: list[tuple[int, ...]] | None = None

    def _slots(self, params: Sequence[np.ndarray]) -> list[np.ndarray]:
        return [np.zeros_like(p) for p in params]

    def _build(self, params: Sequence[np.ndarray]) -> None:
        """Create state arrays (subclasses override); called once, on the first step."""

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Apply one update to every parameter in place (like Keras' ``apply_gradients``)."""
        _check_pairs(params, grads)
        shapes = [p.shape for p in params]
        if self._shapes is None:
            self._shapes = shapes
            self._build(params)
        elif shapes != self._shapes:
            raise ValueError(f"step must receive the same parameters every time; first got "
                             f"shapes {self._shapes}, now {shapes}")
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self._update(i, p, np.asarray(g, dtype=p.dtype))
        self.iterations += 1

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent (随机梯度下降) with optional momentum, as in
    ``keras.optimizers.SGD``: ``m <- momentum * m - lr * g``, then ``p <- p + m``; with
    ``nesterov=True`` the step looks ahead: ``p <- p + momentum * m - lr * g``.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_rate(momentum, "momentum", high=1.0)
        self.nesterov = bool(nesterov)

    def _build(self, params: Sequence[np.ndarray]) -> None:
        self.velocities = self._slots(params)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        lr = self.learning_rate
        if self.momentum == 0.0:
            p -= g * lr
            return
        m = self.velocities[i]
        m[...] = m * self.momentum - g * lr
        if self.nesterov:
            p += m * self.momentum - g * lr
        else:
            p += m


class RMSprop(Optimizer):
    """RMSprop as in ``keras.optimizers.RMSprop``: keep ``v <- rho v + (1 - rho) g^2`` and step
    ``lr * g / sqrt(v + epsilon)`` (epsilon *inside* the square root, unlike Adam). With
    ``centered=True`` the running mean ``a`` of ``g`` is tracked too and the denominator is
    ``sqrt(v - a^2 + epsilon)``; with ``momentum > 0`` the steps are accumulated.
    """

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False) -> None:
        super().__init__(learning_rate)
        self.rho = _check_rate(rho, "rho", high=1.0)
        self.momentum = _check_rate(momentum, "momentum", high=1.0)
        self.epsilon = _check_rate(epsilon, "epsilon")
        self.centered = bool(centered)

    def _build(self, params: Sequence[np.ndarray]) -> None:
        self.velocities = self._slots(params)
        self.momentums = self._slots(params)
        self.average_gradients = self._slots(params)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        rho, v = self.rho, self.velocities[i]
        v[...] = rho * v + (1 - rho) * (g * g)
        if self.centered:
            a = self.average_gradients[i]
            a[...] = rho * a + (1 - rho) * g
            denominator = v - a * a + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = self.learning_rate * g / np.sqrt(denominator)
        if self.momentum > 0:
            m = self.momentums[i]
            m[...] = self.momentum * m + increment
            p -= m
        else:
            p -= increment


class Adam(Optimizer):
    """Adam as in ``keras.optimizers.Adam``. With ``t = iterations + 1``:
    ``m <- m + (g - m)(1 - beta_1)``, ``v <- v + (g^2 - v)(1 - beta_2)`` (the usual moving
    averages), ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`` (bias correction folded
    into the step size) and ``p <- p - alpha * m / (sqrt(v) + epsilon)``. Keras adds epsilon
    to the *uncorrected* ``sqrt(v)`` (the "epsilon hat" of Kingma & Ba, section 2), so its
    epsilon acts slightly differently from a textbook ``m_hat / (sqrt(v_hat) + eps)``.
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _check_rate(beta_1, "beta_1", high=1.0)
        self.beta_2 = _check_rate(beta_2, "beta_2", high=1.0)
        self.epsilon = _check_rate(epsilon, "epsilon")
        self.amsgrad = bool(amsgrad)

    def _build(self, params: Sequence[np.ndarray]) -> None:
        self.momentums = self._slots(params)
        self.velocities = self._slots(params)
        self.velocity_hats = self._slots(params)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        t = self.iterations + 1
        alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        m, v = self.momentums[i], self.velocities[i]
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        if self.amsgrad:
            v_hat = self.velocity_hats[i]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        p -= m * alpha / (np.sqrt(v) + self.epsilon)


_OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Create an optimizer by its Keras name (``'sgd'``, ``'rmsprop'``, ``'adam'``, any case),
    passing keyword arguments such as ``learning_rate=`` through.
    """
    key = check_choice("optimizer", name.lower() if isinstance(name, str) else name, _OPTIMIZERS)
    return _OPTIMIZERS[key](**kwargs)
