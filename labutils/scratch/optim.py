"""Optimizers (优化器) from scratch: gradient descent, SGD with momentum, RMSprop, Adam and
AdamW, plus the cosine learning-rate schedule with linear warm-up (:class:`CosineDecay`).

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

``learning_rate`` may also be a schedule: any callable ``step -> rate`` such as
:class:`CosineDecay`. As in Keras, step ``k`` (counting from 0) uses ``schedule(k)``, and
AdamW's decoupled weight decay uses the same scheduled rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar

__all__ = ["SGD", "Adam", "AdamW", "CosineDecay", "Optimizer", "RMSprop", "get_optimizer",
           "gradient_descent_step"]


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


class CosineDecay:
    """Cosine learning-rate decay (学习率衰减) with an optional linear warm-up (预热), as
    ``keras.optimizers.schedules.CosineDecay`` computes it. Without warm-up the rate at step
    ``k`` is ``initial * ((1 - alpha) * (1 + cos(pi * min(k, D) / D)) / 2 + alpha)`` with
    ``D = decay_steps``. With ``warmup_target`` and ``warmup_steps = W`` it first climbs in a
    straight line from ``initial_learning_rate`` (often 0) to ``warmup_target`` over ``W``
    steps, then follows the same cosine from ``warmup_target`` down to
    ``alpha * warmup_target`` over the next ``D`` steps, and stays there.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate = check_scalar("initial_learning_rate",
                                                  initial_learning_rate, "real", min=0.0)
        self.decay_steps = check_scalar("decay_steps", decay_steps, "int", min=1)
        self.alpha = check_scalar("alpha", alpha, "real", min=0.0, max=1.0)
        self.warmup_target = check_scalar("warmup_target", warmup_target, "real", min=0.0,
                                          include_min=False, allow_none=True)
        self.warmup_steps = check_scalar("warmup_steps", warmup_steps, "int", min=0)
        if self.warmup_steps > 0 and self.warmup_target is None:
            raise ValueError(f"warmup_steps={self.warmup_steps} needs a warmup_target (the "
                             f"rate to reach at the end of the warm-up); got None")

    def __repr__(self) -> str:
        return (f"CosineDecay({self.initial_learning_rate:g}, {self.decay_steps}, "
                f"alpha={self.alpha:g}, warmup_target={self.warmup_target}, "
                f"warmup_steps={self.warmup_steps})")

    def _cosine(self, step: float, peak: float) -> float:
        fraction = step / self.decay_steps
        return peak * ((1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction))
                       + self.alpha)

    def __call__(self, step: int) -> float:
        """The learning rate at optimizer step ``step`` (0 for the first update)."""
        step = check_scalar("step", step, "int", min=0)
        if self.warmup_target is None:
            return self._cosine(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return rise * (step / self.warmup_steps) + self.initial_learning_rate
        return self._cosine(step - self.warmup_steps, self.warmup_target)


Schedule = Callable[[int], float]


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

    def __init__(self, learning_rate: float | Schedule) -> None:
        if callable(learning_rate):
            self.learning_rate: float | Schedule = learning_rate
        else:
            self.learning_rate = _check_rate(learning_rate, "learning_rate",
                                             low_inclusive=False)
        self.iterations = 0
        self._lr = 0.0
        self._shapes: list[tuple[int, ...]] | None = None

    @property
    def current_learning_rate(self) -> float:
        """The rate the next ``step`` uses: the constant, or the schedule at ``iterations``."""
        if not callable(self.learning_rate):
            return self.learning_rate
        return check_scalar("the scheduled learning rate", self.learning_rate(self.iterations),
                            "real", min=0.0)

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
        self._lr = self.current_learning_rate
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

    def __init__(self, learning_rate: float | Schedule = 0.01, momentum: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_rate(momentum, "momentum", high=1.0)
        self.nesterov = bool(nesterov)

    def _build(self, params: Sequence[np.ndarray]) -> None:
        self.velocities = self._slots(params)

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        lr = self._lr
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

    def __init__(self, learning_rate: float | Schedule = 0.001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False) -> None:
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
        increment = self._lr * g / np.sqrt(denominator)
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

    def __init__(self, learning_rate: float | Schedule = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False) -> None:
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
        alpha = self._lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        m, v = self.momentums[i], self.velocities[i]
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        if self.amsgrad:
            v_hat = self.velocity_hats[i]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        p -= m * alpha / (np.sqrt(v) + self.epsilon)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019) as in ``keras.optimizers.AdamW``: Adam plus
    *decoupled* weight decay (权重衰减). Before each Adam update every parameter shrinks by
    ``p <- p - p * weight_decay * lr`` (``lr`` the current, possibly scheduled, rate), so the
    pull towards zero is the same fraction for every weight. Adding an L2 penalty to the loss
    instead would send the decay term through Adam's division by ``sqrt(v)``, shrinking
    weights with small gradients much faster than weights with large ones. Keras' default
    ``weight_decay`` is 0.004 and it decays every variable, biases included.
    """

    def __init__(self, learning_rate: float | Schedule = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad)
        self.weight_decay = _check_rate(weight_decay, "weight_decay")

    def _update(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        p -= p * self.weight_decay * self._lr
        super()._update(i, p, g)


_OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam,
                                           "adamw": AdamW}


def get_optimizer(name: str, **kwargs: Any) -> Optimizer:
    """Create an optimizer by its Keras name (``'sgd'``, ``'rmsprop'``, ``'adam'``, ``'adamw'``,
    any case), passing keyword arguments such as ``learning_rate=`` through.
    """
    key = check_choice("optimizer", name.lower() if isinstance(name, str) else name, _OPTIMIZERS)
    return _OPTIMIZERS[key](**kwargs)
