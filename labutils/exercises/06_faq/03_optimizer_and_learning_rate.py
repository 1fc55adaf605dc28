"""Chapter 6, notebook 03 (optimizer and learning rate) exercises: step decay, linear warm-up
followed by cosine decay (the formulas behind Keras' ``ExponentialDecay(staircase=True)`` and
``CosineDecay(warmup_target=...)``), and the bias-corrected moving average that smooths a
learning-rate range test. Ids are ``"06.03.<name>"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register

_rng = np.random.default_rng(63)


def _first_is_none(fn: Any, case: tuple[Any, ...]) -> bool:
    """True when the learner's function still returns None (the unedited stub)."""
    try:
        return fn(*case) is None
    except Exception:  # check_function reports the exception with its input
        return False


# --- step_decay ------------------------------------------------------------------------------

def _step_decay(step: Any, initial: float, decay_steps: int, rate: float) -> np.ndarray:
    return initial * rate ** np.floor(np.asarray(step, dtype=float) / decay_steps)


# Steps just before and at a boundary, step 0, an array of steps.
_SD_CASES = [
    (0, 0.1, 10, 0.5),
    (9, 0.1, 10, 0.5),
    (10, 0.1, 10, 0.5),
    (np.arange(0, 60, 7), 0.03, 25, 0.1),
]
_SD_SLIPS = [
    (lambda s, i, k, r: i * r ** (np.asarray(s, dtype=float) / k),
     "staircase=True drops the rate in steps: use the whole number of completed periods, "
     "floor(step / decay_steps), not the fraction."),
    (lambda s, i, k, r: i * r ** (np.floor(np.asarray(s, dtype=float) / k) + 1),
     "at step 0 the rate is the initial one: the exponent is floor(step / decay_steps), "
     "which starts at 0."),
    (lambda s, i, k, r: i * (1 - r) ** np.floor(np.asarray(s, dtype=float) / k),
     "each period multiplies the rate by decay_rate itself (0.5 halves it), not by "
     "1 - decay_rate."),
]


@register("step_decay", "step decay: initial * rate ** floor(step / decay_steps)")
def _check_step_decay(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _SD_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _SD_CASES, _SD_SLIPS,
                    "return initial * rate ** np.floor(step / decay_steps) (np.asarray(step) "
                    "first, so arrays of steps work too).") if callable(fn) else ""
    return check_function(fn, _step_decay, _SD_CASES, name=name, hint=hint)


# --- warmup_cosine ---------------------------------------------------------------------------

def _warmup_cosine(step: Any, peak: float, warmup_steps: int, decay_steps: int) -> np.ndarray:
    step = np.asarray(step, dtype=float)
    done = np.minimum(step - warmup_steps, decay_steps) / decay_steps
    return np.where(step < warmup_steps, peak * step / warmup_steps,
                    peak * 0.5 * (1 + np.cos(np.pi * done)))


# Inside the warm-up, at its end, mid-decay, the end of the decay and far past it (must stay 0).
_WC_CASES = [
    (0, 0.01, 10, 100),
    (5, 0.01, 10, 100),
    (10, 0.01, 10, 100),
    (np.arange(0, 160, 9), 0.003, 20, 100),
    (np.array([110, 111, 500]), 0.01, 10, 100),
]


def _no_clamp(step: Any, peak: float, w: int, d: int) -> np.ndarray:
    step = np.asarray(step, dtype=float)
    return np.where(step < w, peak * step / w, peak * 0.5 * (1 + np.cos(np.pi * (step - w) / d)))


def _no_shift(step: Any, peak: float, w: int, d: int) -> np.ndarray:
    step = np.asarray(step, dtype=float)
    return np.where(step < w, peak * step / w,
                    peak * 0.5 * (1 + np.cos(np.pi * np.minimum(step, d) / d)))


_WC_SLIPS = [
    (_no_clamp, "after warmup_steps + decay_steps the rate must stay at 0: clamp the decay "
                "step with np.minimum(step - warmup_steps, decay_steps), or the cosine "
                "climbs back up."),
    (_no_shift, "the cosine starts when the warm-up ends: use step - warmup_steps (then "
                "clamped to decay_steps) inside the cosine, not step itself."),
    (lambda s, p, w, d: _warmup_cosine(np.asarray(s) + 1, p, w, d),
     "count steps from 0: the warm-up rate at step 0 is 0 and reaches peak at step "
     "warmup_steps (peak * step / warmup_steps)."),
]


@register("warmup_cosine", "linear warm-up to peak, then cosine decay to 0 (Keras CosineDecay)")
def _check_warmup_cosine(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _WC_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _WC_CASES, _WC_SLIPS,
                    "for step < warmup_steps return peak * step / warmup_steps; after it, "
                    "with done = min(step - warmup_steps, decay_steps) / decay_steps, return "
                    "peak * 0.5 * (1 + cos(pi * done)). np.where handles arrays.") \
        if callable(fn) else ""
    return check_function(fn, _warmup_cosine, _WC_CASES, name=name, hint=hint)


# --- smooth_losses ---------------------------------------------------------------------------

def _smooth(losses: Any, beta: float) -> np.ndarray:
    m, out = 0.0, []
    for t, x in enumerate(np.asarray(losses, dtype=float), start=1):
        m = beta * m + (1 - beta) * x
        out.append(m / (1 - beta**t))
    return np.array(out)


def _uncorrected(losses: Any, beta: float) -> np.ndarray:
    m, out = 0.0, []
    for x in np.asarray(losses, dtype=float):
        m = beta * m + (1 - beta) * x
        out.append(m)
    return np.array(out)


def _swapped(losses: Any, beta: float) -> np.ndarray:
    return _smooth(losses, 1 - beta)


_SM_CASES = [
    (np.array([2.0, 2.0, 2.0]), 0.9),
    (np.array([3.0, 2.5, 2.6, 1.9, 2.2, 1.5]), 0.8),
    (2.3 - np.linspace(0, 1.5, 40) + _rng.normal(scale=0.2, size=40), 0.95),
]
_SM_SLIPS = [
    (_uncorrected, "divide by (1 - beta**t) at step t (t from 1): without this bias "
                   "correction the average starts near 0 because m starts at 0."),
    (_swapped, "beta is the weight of the old average: m = beta * m + (1 - beta) * x, so a "
               "beta near 1 smooths strongly."),
]


@register("smooth_losses", "bias-corrected exponential moving average (pandas ewm, adjust=True)")
def _check_smooth_losses(fn: Any, name: str) -> CheckResult:
    if callable(fn) and _first_is_none(fn, _SM_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _SM_CASES, _SM_SLIPS,
                    "loop over the losses with t = 1, 2, ...: m = beta * m + (1 - beta) * x, "
                    "and append m / (1 - beta**t).") if callable(fn) else ""
    return check_function(fn, _smooth, _SM_CASES, name=name, hint=hint, atol=1e-9, rtol=1e-9)
