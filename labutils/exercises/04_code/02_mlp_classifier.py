"""Chapter 4, notebook 02 (MLP classifier) exercises: compile a softmax model so it trains on
integer labels (seed 001's loss, fixed), one-hot encode integer labels (the other fix), and
per-class precision and recall from a multi-class confusion matrix. Ids are ``"04.02.<name>"``.
The first checker compiles nothing itself: it reads the loss the learner's function compiled
into a tiny Keras model and evaluates it on fixed integer labels, so it runs in well under a
second and names the seed's ``categorical_crossentropy`` when the learner keeps it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    diagnose,
    finish,
    not_yet,
    register,
)

_rng = np.random.default_rng(402)

# --- compile_for_integer_labels --------------------------------------------------------------

# Integer labels 0..3 and the probabilities a softmax output layer could give for them.
_Y_INT = np.array([0, 3, 1, 2, 2, 0])
_PROBS = np.array([[0.70, 0.10, 0.10, 0.10],
                   [0.05, 0.15, 0.20, 0.60],
                   [0.25, 0.40, 0.25, 0.10],
                   [0.10, 0.10, 0.70, 0.10],
                   [0.30, 0.30, 0.30, 0.10],
                   [0.40, 0.20, 0.20, 0.20]], dtype="float32")


def _tiny_softmax_model() -> Any:
    import keras

    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="softmax")],
                            name="tiny_softmax")


def _loss_value(loss: Any) -> float:
    """Mean of the compiled loss on (_Y_INT, _PROBS); raises what Keras raises."""
    import keras

    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    return float(np.mean(np.asarray(fn(_Y_INT, _PROBS))))


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


@register("compile_for_integer_labels",
          "compile a softmax classifier so it trains on integer labels 0..K-1")
def _check_compile(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    model = _tiny_softmax_model()
    try:
        out = fn(model)
    except Exception as exc:  # the learner's code failing is a hint, not a crash
        return _fail(name, f"calling it on a small softmax model raised "
                           f"{type(exc).__name__}: {exc}")
    if out is None:
        return not_yet(name)
    import keras

    if not isinstance(out, keras.Model):
        return _fail(name, f"return the compiled model; got {type(out).__name__}.")
    loss = getattr(out, "loss", None)
    if loss is None or getattr(out, "optimizer", None) is None:
        return _fail(name, "the model is not compiled: call model.compile(optimizer=..., "
                           "loss=..., metrics=[...]) and return the model.")
    expected = float(np.mean(-np.log(_PROBS[np.arange(len(_Y_INT)), _Y_INT])))
    try:
        got = _loss_value(loss)
    except Exception as exc:
        return _fail(name, f"the loss you compiled fails on integer labels ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0]}). That is seed 001's mistake: "
                           "'categorical_crossentropy' expects one-hot rows of shape (n, K); "
                           "for labels 0..K-1 use the sparse version of the loss.")
    if np.isclose(got, expected, rtol=1e-5, atol=1e-6):
        return finish(CheckResult(name, True, "the compiled loss is -mean(log p[label]) on "
                                               "integer labels: it trains as it should."))
    logits_value = _loss_value(keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    if np.isclose(got, logits_value, rtol=1e-5, atol=1e-6):
        return _fail(name, "from_logits=True treats the softmax outputs as logits and applies "
                           "softmax a second time; this model already outputs probabilities, "
                           "so keep from_logits=False (the default).")
    return _fail(name, f"on integer labels your loss gives {got:.6g}, but the cross-entropy "
                       f"-mean(log p[label]) is {expected:.6g}. Use a cross-entropy loss made "
                       "for integer labels.")


# --- one_hot ---------------------------------------------------------------------------------

# Cases: labels in order, labels in which the highest class never occurs (so the width must
# come from n_classes, not from the labels), a single label, and a long random vector.
_OH_CASES = [
    (np.array([0, 1, 2]), 3),
    (np.array([2, 0, 1, 1]), 5),
    (np.array([4]), 10),
    (_rng.integers(0, 10, size=40), 10),
]


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[np.asarray(labels)]


_OH_SLIPS = [
    (lambda labels, n: np.eye(n)[np.asarray(labels)].T,
     "the result is transposed: one row per label, one column per class, shape (n, n_classes)."),
    (lambda labels, n: np.eye(np.max(labels) + 1)[np.asarray(labels)],
     "the width must be n_classes, not labels.max() + 1: a batch in which the last class "
     "happens to be missing would get too few columns."),
]


@register("one_hot", "integer labels (n,) to one-hot rows (n, n_classes)")
def _check_one_hot(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(fn, name, _one_hot, _OH_CASES, _OH_SLIPS,
                                  "row i is all zeros except a 1 in column labels[i]; "
                                  "np.eye(n_classes) indexed by the labels does exactly that.")


# --- precision_recall_from_cm ----------------------------------------------------------------

def _safe(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(len(num))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _pr(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    return _safe(tp, cm.sum(axis=0)), _safe(tp, cm.sum(axis=1))


# Cases: an asymmetric 3x3 matrix (so swapping axes shows), a class never predicted (its
# precision has a zero denominator), a class that never occurs, a random 10x10 matrix.
_PR_CASES = [
    (np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]]),),
    (np.array([[4, 0, 2], [1, 0, 3], [0, 0, 6]]),),
    (np.array([[3, 1], [0, 0]]),),
    (_rng.integers(0, 20, size=(10, 10)) + np.diag(_rng.integers(20, 60, size=10)),),
]
_PR_SLIPS = [
    (lambda cm: _pr(cm)[::-1],
     "precision and recall are swapped. Rows are true classes and columns predicted ones: "
     "precision divides the diagonal by the column sums (how often a class was predicted), "
     "recall by the row sums (how often it is the truth)."),
    (lambda cm: (_pr(cm)[0], _pr(cm)[0]),
     "recall divides by the row sums (true-class counts), not the column sums."),
    (lambda cm: (_pr(cm)[1], _pr(cm)[1]),
     "precision divides by the column sums (predicted-class counts), not the row sums."),
]


@register("precision_recall_from_cm", "per-class precision and recall from a confusion matrix")
def _check_precision_recall(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_PR_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
    # Slips are recognised on the cases without empty rows or columns, where a learner's
    # unguarded division still gives numbers rather than NaN.
    hint = diagnose(fn, [_PR_CASES[0], _PR_CASES[3]], _PR_SLIPS,
                    "tp = np.diag(cm); precision = tp / column sums, recall = tp / row sums, "
                    "with 0 where a sum is 0.") if callable(fn) else ""
    return check_function(fn, _pr, _PR_CASES, name=name, hint=hint)
