"""Chapter 4, notebook 08 (export and quantize) exercises: the int8 codes of an array for a
given step, and the per-output-unit step of a ``Dense`` kernel. Ids are ``"04.08.<name>"``.
The first checker also verifies the half-step error bound on the learner's own codes; the second
compares the codes that the learner's steps give with the int8 kernel of a real Keras ``Dense``
layer after ``quantize("int8")``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, check_value, diagnose, not_yet, register

_rng = np.random.default_rng(408)

# --- quantize_int8 ---------------------------------------------------------------------------

# Cases: values well inside the range, a column hitting +-127 exactly, values far outside the
# range on both sides (clipping, and -128 vs -127), and a larger random array. Random values
# never sit exactly on a .5 tie, so every rounding rule that rounds to nearest agrees.
_Q_CASES = [
    (np.array([0.0, 0.013, -0.021, 0.5, -0.49]), 0.01),
    (np.array([-1.27, -0.6, 0.0, 0.61, 1.27]), 0.01),
    (np.array([3.0, -2.0, 1.2, -1.3, 0.004]), 0.01),
    (_rng.normal(scale=0.3, size=(6, 4)), 0.3 * 3 / 127),
]


def _quantize(w: Any, step: float) -> np.ndarray:
    return np.clip(np.round(np.asarray(w) / step), -127, 127).astype(np.int8)


def _truncate(w: Any, step: float) -> np.ndarray:
    return np.clip(np.trunc(np.asarray(w) / step), -127, 127)


def _no_clip(w: Any, step: float) -> np.ndarray:
    return np.round(np.asarray(w) / step)


def _cast_then_clip(w: Any, step: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.clip(np.round(np.asarray(w) / step).astype(np.int64).astype(np.int8), -127, 127)


def _clip_128(w: Any, step: float) -> np.ndarray:
    return np.clip(np.round(np.asarray(w) / step), -128, 127)


def _times(w: Any, step: float) -> np.ndarray:
    return np.clip(np.round(np.asarray(w) * step), -127, 127)


_Q_SLIPS = [
    (_truncate, "you truncate toward zero (int() or astype before rounding): that can move a "
                "weight by almost a whole step; use np.round first."),
    (_no_clip, "values beyond +-127 steps must be clipped: np.clip(..., -127, 127), otherwise "
               "they do not fit in int8."),
    (_cast_then_clip, "cast after clipping: astype(np.int8) on 300 wraps around to 44, and "
                      "clipping afterwards cannot undo that."),
    (_clip_128, "symmetric int8 uses [-127, 127], not [-128, 127], so that +x and -x get codes "
                "of equal size and zero stays exactly zero."),
    (_times, "divide by the step (w / step), do not multiply: the code counts how many steps "
             "fit in w."),
]


@register("quantize_int8", "int8 codes of an array for a given step: round(w/step), clipped")
def _check_quantize_int8(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        first = fn(*_Q_CASES[0])
    except Exception:  # reported with its input by check_function below
        first = ()
    if first is None:
        return not_yet(name)
    hint = diagnose(fn, _Q_CASES, _Q_SLIPS,
                    "q = np.clip(np.round(w / step), -127, 127).astype(np.int8).")
    result = check_function(fn, _quantize, _Q_CASES, name=name, atol=0, rtol=0, hint=hint)
    if not result:
        return result
    dtypes = {np.asarray(fn(*case)).dtype for case in _Q_CASES}
    if dtypes != {np.dtype(np.int8)}:
        return check_value(str(sorted(map(str, dtypes))), "['int8']", name=name,
                           hint="the values are right; return them as np.int8 (one byte each) "
                                "with .astype(np.int8) after clipping.")
    # The bound the notebook states: inside the range, dequantized values are within step/2.
    worst = 0.0
    for w, step in _Q_CASES:
        w = np.asarray(w, dtype=float)
        inside = np.abs(w) <= 127 * step
        err = np.abs(np.asarray(fn(w, step), dtype=float) * step - w)[inside]
        worst = max(worst, float(err.max() / (step / 2)) if err.size else 0.0)
    return CheckResult(name, True, f"agrees with the reference on {len(_Q_CASES)} inputs; on "
                                   f"values inside the range your codes are at most "
                                   f"{worst:.3f} half-steps from the weights (bound: 1).")


# --- per_channel_step ------------------------------------------------------------------------

_S_CASES = [
    (np.array([[0.5, -2.0, 0.1], [-1.0, 1.5, 0.2]]),),   # a negative extreme in column 0
    (_rng.normal(size=(5, 3)),),
    (_rng.normal(scale=0.1, size=(8, 4)),),
]


def _step(W: Any) -> np.ndarray:
    return np.max(np.abs(np.asarray(W)), axis=0) / 127


def _rows(W: Any) -> np.ndarray:
    return np.max(np.abs(np.asarray(W)), axis=1) / 127


def _no_abs(W: Any) -> np.ndarray:
    return np.max(np.asarray(W), axis=0) / 127


def _reciprocal(W: Any) -> np.ndarray:
    return 127 / np.max(np.abs(np.asarray(W)), axis=0)


def _global(W: Any) -> np.ndarray:
    W = np.asarray(W)
    return np.full(W.shape[1], np.max(np.abs(W)) / 127)


_S_SLIPS = [
    (_rows, "your result has one entry per input row; the step belongs to each output unit, "
            "i.e. to each column of W: reduce over axis=0."),
    (_no_abs, "take the absolute value first: a column whose extreme weight is negative needs "
              "that magnitude, np.max(np.abs(W), axis=0)."),
    (_reciprocal, "that is 127 / max|W|, the reciprocal that Keras stores as kernel_scale; the "
                  "step is max|W| / 127."),
    (_global, "one step for the whole kernel is per-tensor quantization; per channel means one "
              "step per output unit (column): reduce over axis=0 only."),
]


def _keras_int8_kernel(W: np.ndarray) -> np.ndarray:
    """The int8 kernel of a Keras ``Dense`` layer holding ``W`` after ``quantize('int8')``."""
    import keras

    layer = keras.layers.Dense(W.shape[1], use_bias=False)
    layer.build((None, W.shape[0]))
    layer.kernel.assign(W.astype("float32"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.quantize("int8")
    return np.asarray(layer._kernel.numpy())


@register("per_channel_step", "per-output-unit int8 step of a Dense kernel: max|W[:, j]| / 127")
def _check_per_channel_step(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        first = fn(*_S_CASES[0])
    except Exception:  # reported with its input by check_function below
        first = ()
    if first is None:
        return not_yet(name)
    hint = diagnose(fn, _S_CASES, _S_SLIPS,
                    "the kernel has shape (inputs, units); each unit j is a column: "
                    "np.max(np.abs(W), axis=0) / 127 gives one step per column.")
    result = check_function(fn, _step, _S_CASES, name=name, rtol=1e-6, atol=1e-12, hint=hint)
    if not result:
        return result
    W = np.asarray(_S_CASES[1][0], dtype=np.float32)
    step = np.asarray(fn(W), dtype=np.float64)
    yours = np.clip(np.round(W / step), -127, 127).astype(np.int8)
    keras_q = _keras_int8_kernel(W)
    differ = int(np.sum(yours != keras_q))
    if differ:
        return CheckResult(name, False, f"your steps match the reference, yet {differ} codes "
                                        "differ from Keras' int8 kernel; check the dtype of W.")
    return CheckResult(name, True, f"agrees with the reference on {len(_S_CASES)} kernels, and "
                                   f"the codes round(W / step) equal the int8 kernel of a real "
                                   f"Keras Dense layer after quantize('int8') "
                                   f"({keras_q.size} of {keras_q.size} entries).")
