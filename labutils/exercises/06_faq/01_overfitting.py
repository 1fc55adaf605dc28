"""Chapter 6, notebook 01 (overfitting) exercises: the L1/L2 weight penalty, Keras' early
stopping rule, and the pixel shift used for data augmentation. Ids are ``"06.01.<name>"``;
each checker compares the learner's function with a reference on fixed inputs and names the
usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register

_rng = np.random.default_rng(61)


# --- l1_l2_penalty ---------------------------------------------------------------------------

def _penalty(w: np.ndarray, l1: float, l2: float) -> float:
    return float(l1 * np.abs(w).sum() + l2 * np.square(w).sum())


# Negative weights (abs matters), a matrix (sum over both axes), l1 or l2 alone.
_PENALTY_CASES = [
    (np.array([[1.0, -2.0]]), 0.01, 0.1),
    (_rng.normal(size=(4, 3)), 1e-3, 0.0),
    (_rng.normal(size=(5, 2)), 0.0, 1e-2),
    (_rng.normal(scale=2.0, size=(3, 6)), 0.05, 0.02),
]
_PENALTY_SLIPS = [
    (lambda w, l1, l2: l1 * w.sum() + l2 * np.square(w).sum(),
     "the L1 term needs absolute values: l1 * sum(|w|); without abs, positive and negative "
     "weights cancel."),
    (lambda w, l1, l2: l1 * np.abs(w).mean() + l2 * np.square(w).mean(),
     "Keras sums over all weights (reduce_sum), it does not average them."),
    (lambda w, l1, l2: l1 * np.abs(w).sum() + l2 * np.sqrt(np.square(w).sum()),
     "the L2 term is the sum of squares, l2 * sum(w**2), not the Euclidean norm (no square "
     "root)."),
    (lambda w, l1, l2: l1 * np.abs(w).sum() + 0.5 * l2 * np.square(w).sum(),
     "Keras' L2 has no factor 1/2: the term is l2 * sum(w**2)."),
]


@register("l1_l2_penalty", "the penalty keras.regularizers.L1L2 adds: l1*sum|w| + l2*sum w^2")
def _check_l1_l2_penalty(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_PENALTY_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, _PENALTY_CASES, _PENALTY_SLIPS,
                    "add l1 times the sum of absolute values and l2 times the sum of squares "
                    "of every entry of w.") if callable(fn) else ""
    return check_function(fn, _penalty, _PENALTY_CASES, name=name, hint=hint)


# --- early_stopping --------------------------------------------------------------------------

def _early_stopping(val_losses: Any, patience: int) -> tuple[int, int]:
    best, best_epoch = np.inf, -1
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, len(val_losses)


def _never_stops(val_losses: Any, patience: int) -> tuple[int, int]:
    return int(np.argmin(val_losses)), len(val_losses)


def _stop_index(val_losses: Any, patience: int) -> tuple[int, int]:
    best_epoch, trained = _early_stopping(val_losses, patience)
    return best_epoch, trained - 1 if trained < len(val_losses) else trained


def _ties_improve(val_losses: Any, patience: int) -> tuple[int, int]:
    best, best_epoch = np.inf, -1
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch + 1
    return best_epoch, len(val_losses)


# Cases: stops after a plateau, never stops, a tie with the best (not an improvement),
# a late improvement that comes too late, patience 1.
_ES_CASES = [
    ([1.0, 0.8, 0.9, 0.7, 0.75, 0.72, 0.71, 0.6, 0.65], 3),
    ([1.0, 0.9, 0.8, 0.7, 0.6], 2),
    ([0.5, 0.4, 0.4, 0.4, 0.45, 0.3], 3),
    ([0.9, 0.5, 0.6, 0.7, 0.8, 0.2], 3),
    ([0.3, 0.2, 0.25, 0.1], 1),
]
_ES_SLIPS = [
    (_never_stops, "training must stop at the first epoch where `patience` epochs have passed "
                   "since the best one; a later, lower loss is never seen."),
    (_stop_index, "epochs_trained counts epochs, so it is the stopping epoch's index + 1 "
                  "(epochs are numbered from 0)."),
    (_ties_improve, "only a value strictly below the best is an improvement (Keras' "
                    "min_delta=0 compares with <); an equal value does not reset the wait."),
]


@register("early_stopping", "Keras' EarlyStopping rule: (best epoch, epochs trained)")
def _check_early_stopping(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_ES_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, _ES_CASES, _ES_SLIPS,
                    "track the best loss and its epoch; stop when epoch - best_epoch >= "
                    "patience without a new best, and return (best_epoch, epoch + 1).") \
        if callable(fn) else ""
    return check_function(fn, _early_stopping, _ES_CASES, name=name, hint=hint)


# --- shift_image -----------------------------------------------------------------------------

def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    h, w = image.shape
    out = np.zeros_like(image)
    if abs(dy) < h and abs(dx) < w:
        out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


# An 8x8 digit-like image with nonzero borders (so wrap-around shows), a non-square image,
# both signs, zero shifts and a shift in both directions at once.
_IMG = np.arange(1.0, 65.0).reshape(8, 8)
_RECT = _rng.uniform(size=(5, 7))
_SHIFT_CASES = [(_IMG, 1, 0), (_IMG, 0, -1), (_IMG, -2, 1), (_RECT, 1, 2), (_RECT, 0, 0),
                (_RECT, -1, -3)]
_SHIFT_SLIPS = [
    (lambda im, dy, dx: np.roll(im, (dy, dx), axis=(0, 1)),
     "np.roll wraps pixels around to the other side; a shifted digit must get zeros "
     "where pixels enter from the border."),
    (lambda im, dy, dx: _shift(im, -dy, -dx),
     "the direction is reversed: positive dy moves the content down (to higher row "
     "indices), positive dx moves it right."),
    (lambda im, dy, dx: _shift(im, dx, dy),
     "dy and dx are swapped: dy counts rows (axis 0), dx counts columns (axis 1)."),
]


@register("shift_image", "move a 2-D image by (dy, dx) pixels, filling with zeros")
def _check_shift_image(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_SHIFT_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    hint = diagnose(fn, _SHIFT_CASES, _SHIFT_SLIPS,
                    "start from np.zeros_like(image) and copy the overlapping block: rows "
                    "max(dy,0):h+min(dy,0) of the output receive rows max(-dy,0):h+min(-dy,0) "
                    "of the input (the same for columns with dx).") if callable(fn) else ""
    return check_function(fn, _shift, _SHIFT_CASES, name=name, hint=hint)
