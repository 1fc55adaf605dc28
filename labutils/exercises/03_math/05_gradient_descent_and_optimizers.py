"""Chapter 3, notebook 05 (gradient descent and optimizers) exercises: one step of SGD with
momentum and one step of Adam, each run for several steps on fixed gradients next to
:mod:`labutils.scratch.optim` (itself proven equal to ``keras.optimizers``); the size of
Adam's very first step; and seed 004's ``Adam(lr=...)`` fixed for Keras 3. Ids are
``"03.05.<name>"``.

The learner's step function returns its new state, and the checker feeds that state back in,
so only the parameter path is compared: any correct way of writing the state (for momentum,
``v = mu v - lr g; p += v`` or ``v = mu v + g; p -= lr v``) passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register
from labutils.scratch.optim import SGD, Adam

_rng = np.random.default_rng(5)


def _grads(steps: int, n: int) -> np.ndarray:
    """Gradients of order 0.1-2 with both signs (no tiny ones, so that where epsilon sits —
    Keras' ``sqrt(v) + eps`` or the textbook ``sqrt(v_hat) + eps`` — cannot matter)."""
    g = _rng.uniform(0.1, 2.0, size=(steps, n)) * _rng.choice([-1.0, 1.0], size=(steps, n))
    return g


# (initial parameters, gradients for each step, hyperparameters...)
_MOMENTUM_CASES = [
    (np.array([1.0]), np.ones((3, 1)), 0.1, 0.9),
    (_rng.normal(size=4), _grads(5, 4), 0.05, 0.5),
    (_rng.normal(size=3), _grads(6, 3), 0.2, 0.0),
]
_ADAM_CASES = [
    (np.array([0.5]), np.ones((3, 1)), 0.01, 0.9, 0.999, 1e-7),
    (_rng.normal(size=4), _grads(5, 4), 0.001, 0.9, 0.999, 1e-7),
    (_rng.normal(size=3), _grads(6, 3), 0.1, 0.5, 0.75, 1e-7),
]


def _learner_path(step: Callable[..., Any], p0: np.ndarray, grads: np.ndarray,
                  n_state: int, *hyper: float) -> np.ndarray:
    """Run the learner's step function, threading its returned state; stack the params."""
    p = p0.copy()
    state = [np.zeros_like(p0) for _ in range(n_state)]
    path = []
    for t, g in enumerate(grads, start=1):
        args = [p, g.copy(), *state] + ([t] if n_state == 2 else []) + list(hyper)
        out = step(*args)
        if not isinstance(out, (tuple, list)) or len(out) != 1 + n_state:
            names = "(p, velocity)" if n_state == 1 else "(p, m, v)"
            raise ValueError(f"the step must return a tuple {names}")
        p = np.array(out[0], dtype=np.float64)
        state = [np.array(s, dtype=np.float64) for s in out[1:]]
        path.append(p.copy())
    return np.stack(path)


def _reference_path(opt: Any, p0: np.ndarray, grads: np.ndarray) -> np.ndarray:
    p = p0.copy()
    path = []
    for g in grads:
        opt.step([p], [g])
        path.append(p.copy())
    return np.stack(path)


def _no_answer(fn: Any, case: tuple[Any, ...], n_state: int) -> bool:
    """True when the learner's function is the untouched stub (returns None)."""
    if not callable(fn):
        return False
    p0, grads, *hyper = case
    state = [np.zeros_like(p0) for _ in range(n_state)]
    args = [p0.copy(), grads[0].copy(), *state] + ([1] if n_state == 2 else []) + hyper
    try:
        return fn(*args) is None
    except Exception:  # reported with its input by check_function
        return False


@register("momentum_step", "one step of SGD with momentum, returning (p, velocity)")
def _check_momentum_step(fn: Any, name: str) -> CheckResult:
    if _no_answer(fn, _MOMENTUM_CASES[0], 1):
        return not_yet(name)
    return check_function(
        (lambda p0, grads, lr, mu: _learner_path(fn, p0, grads, 1, lr, mu))
        if callable(fn) else fn,
        lambda p0, grads, lr, mu: _reference_path(SGD(lr, momentum=mu), p0, grads),
        _MOMENTUM_CASES, name=name, atol=1e-10, rtol=1e-10,
        hint="row k of the result is p after step k + 1. The velocity starts at zero and "
             "remembers past steps: velocity = momentum * velocity - learning_rate * g, then "
             "p = p + velocity. With momentum = 0 it must reduce to p - learning_rate * g.")


@register("adam_step", "one step of Adam with bias correction, returning (p, m, v)")
def _check_adam_step(fn: Any, name: str) -> CheckResult:
    if _no_answer(fn, _ADAM_CASES[0], 2):
        return not_yet(name)
    return check_function(
        (lambda p0, grads, *h: _learner_path(fn, p0, grads, 2, *h)) if callable(fn) else fn,
        lambda p0, grads, lr, b1, b2, eps: _reference_path(
            Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps), p0, grads),
        _ADAM_CASES, name=name, atol=1e-9, rtol=1e-6,
        hint="row k of the result is p after step k + 1 (t = k + 1, starting at 1). Update "
             "m = beta_1 m + (1 - beta_1) g and v = beta_2 v + (1 - beta_2) g**2, correct their "
             "bias towards zero: m_hat = m / (1 - beta_1**t), v_hat = v / (1 - beta_2**t), "
             "then p = p - learning_rate * m_hat / (sqrt(v_hat) + epsilon). A first step of "
             "size learning_rate (whatever |g|) is the sign the correction is right.")


# --- adam_first_step ---------------------------------------------------------------------------

# Gradients over eight orders of magnitude, both signs; the tiny one is where epsilon shows.
_FIRST_CASES = [
    (np.array([1e-4, 0.1, -30.0]), 0.01, 0.9, 0.999, 1e-7),
    (np.array([[2.0, -1e-3], [5e2, -0.5]]), 0.001, 0.9, 0.999, 1e-7),
    (np.array([0.3, -7.0]), 0.1, 0.5, 0.75, 1e-7),
]


def _first_step_keras(g: np.ndarray, lr: float, b1: float, b2: float, eps: float) -> np.ndarray:
    p = np.zeros_like(g)
    Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps).step([p], [g])
    return p


def _first_step_textbook(g: np.ndarray, lr: float, b1: float, b2: float,
                         eps: float) -> np.ndarray:
    return -lr * g / (np.abs(g) + eps)   # m_hat = g, v_hat = g**2 at t = 1


_FIRST_SLIPS = [
    (lambda g, lr, b1, b2, eps: -lr * g,
     "that is plain gradient descent's step, -lr * g. Adam divides by sqrt(v_hat) + eps, "
     "and at t = 1 sqrt(v_hat) = |g|."),
    (lambda g, lr, b1, b2, eps: lr * g / (np.abs(g) + eps),
     "the step goes against the gradient: delta p = -lr * m_hat / (sqrt(v_hat) + eps)."),
    (lambda g, lr, b1, b2, eps: -lr * (1 - b1) * g / (np.sqrt(1 - b2) * np.abs(g) + eps),
     "without bias correction m = (1 - beta_1) g and sqrt(v) = sqrt(1 - beta_2) |g| are too "
     "small at t = 1; divide m by 1 - beta_1 and v by 1 - beta_2 first."),
]


@register("adam_first_step", "Adam's first update delta p: about -lr * sign(g), whatever |g|")
def _check_adam_first_step(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        unanswered = fn(*_FIRST_CASES[0]) is None
    except Exception:  # reported with its input by check_function
        unanswered = False
    if unanswered:
        return not_yet(name)
    # Either placement of epsilon is right (Keras' sqrt(v) + eps, or the textbook's
    # sqrt(v_hat) + eps); they differ only for |g| comparable to eps / sqrt(1 - beta_2).
    reference = _first_step_textbook if _matches(fn, _first_step_textbook) else _first_step_keras
    hint = diagnose(fn, _FIRST_CASES, _FIRST_SLIPS,
                    "at t = 1, m_hat = g and v_hat = g**2, so delta p = -lr * g / (|g| + eps): "
                    "almost exactly -lr * sign(g).")
    return check_function(fn, reference, _FIRST_CASES, name=name, atol=1e-12, rtol=1e-9,
                          hint=hint)


def _matches(fn: Any, reference: Any) -> bool:
    """True when ``fn`` reproduces ``reference`` on every first-step case."""
    try:
        return all(np.allclose(np.asarray(fn(*c), dtype=float), reference(*c), rtol=1e-9,
                               atol=1e-12) for c in _FIRST_CASES)
    except Exception:  # the check itself reports the exception
        return False


# --- fix_seed_optimizer: seed 004's Adam(lr=...) -------------------------------------------------

_RATES = [(0.001,), (0.25,)]


def _describe(fn: Any, rate: float) -> str | None:
    """What ``fn(rate)`` gives, as text: ``"Adam(learning_rate=0.001)"``, the exception it
    raised (``"ValueError: ..."``), or None for the unanswered stub."""
    import keras  # only for a real answer; the notebook has loaded keras already

    try:
        opt = fn(rate)
    except Exception as exc:  # the seed's own line raises; that is the point of the exercise
        return f"{type(exc).__name__}: {exc}"
    if opt is None:
        return None
    if not isinstance(opt, keras.optimizers.Optimizer):
        return f"a {type(opt).__name__}, not a Keras optimizer"
    got = float(keras.ops.convert_to_numpy(opt.learning_rate))   # stored as float32
    return f"{type(opt).__name__}(learning_rate={got:.6g})"


def _wanted(rate: float) -> str:
    return f"Adam(learning_rate={rate:.6g})"


@register("fix_seed_optimizer", "seed 004's Adam(lr=...) written for Keras 3")
def _check_fix_seed_optimizer(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    answers = [_describe(fn, *rate) for rate in _RATES]
    if any(a is None for a in answers):
        return not_yet(name)
    hint = "build keras.optimizers.Adam(learning_rate=learning_rate) and return it."
    if any("lr" in a and "Error" in a for a in answers):
        hint = ("that is seed 004's mistake: Keras 3 optimizers no longer accept `lr`; "
                "the keyword is learning_rate=.")
    elif any(a.startswith("Adam(") for a in answers):
        hint = "pass the function's argument on: Adam(learning_rate=learning_rate)."
    elif any(a.startswith(("AdamW(", "SGD(")) for a in answers):
        hint = "the seed uses plain Adam; keep keras.optimizers.Adam."
    return check_function(lambda rate: _describe(fn, rate), _wanted, _RATES, name=name,
                          hint=hint)
