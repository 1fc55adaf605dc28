"""Chapter 2, notebook 03 (training vs inference) exercises: the day on which inference compute
overtakes training compute, the batch size to serve under a latency budget, and article 004's
claim that ``model.compile`` initializes a network's parameters. Ids are ``"02.03.<name>"``.
The first two are compared with reference formulas on fixed inputs; the third calls the
learner's function on freshly built Keras models and checks both its answer and that it really
compiled them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    check_value,
    diagnose,
    not_yet,
    register,
)

# --- breakeven_day -------------------------------------------------------------------------

# (n_params, train_tokens, tokens_per_day): sizes spread over orders of magnitude, and two
# cases with the same tokens but different n_params (the answer must not depend on it).
_BREAKEVEN_CASES = [
    (7e9, 2e12, 1e10),
    (7e10, 2e12, 1e10),
    (1e6, 1e9, 3e7),
    (1.75e11, 3e11, 4e9),
]


def _breakeven(n_params: float, train_tokens: float, tokens_per_day: float) -> float:
    return 6 * n_params * train_tokens / (2 * n_params * tokens_per_day)


_BREAKEVEN_SLIPS = [
    (lambda n, d, t: 2 * n * d / (2 * n * t),
     "training costs 6·N FLOPs per training token (2 forward + 4 backward), not 2·N."),
    (lambda n, d, t: 6 * n * d / (6 * n * t),
     "serving runs only the forward pass: 2·N FLOPs per token, not 6·N."),
    (lambda n, d, t: 6 * n * d / (2 * t),
     "both costs scale with N: inference is 2·N FLOPs per token, so N cancels."),
    (lambda n, d, t: 2 * n * t / (6 * n * d),
     "the ratio is upside down: days = (training FLOPs) / (inference FLOPs per day)."),
]


@register("breakeven_day", "days until inference FLOPs (2·N per token) equal training (6·N·D)")
def _check_breakeven_day(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(fn, name, _breakeven, _BREAKEVEN_CASES, _BREAKEVEN_SLIPS,
                                  "training once costs 6·N·D FLOPs; serving costs 2·N FLOPs per token, "
                                  "tokens_per_day tokens a day; divide the first by the daily cost.", tol=1e-9)


# --- best_batch ----------------------------------------------------------------------------

_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256]
# p50 latencies in ms: flat (overhead-bound) for small batches, then growing.
_P50 = [0.40, 0.41, 0.43, 0.47, 0.60, 0.95, 1.70, 3.30, 6.80]
_BATCH_CASES = [
    (_SIZES, _P50, 2.0),     # 64 rows: the largest batch within 2 ms
    (_SIZES, _P50, 0.5),     # 8 rows
    (_SIZES, _P50, 100.0),   # everything fits: the largest throughput wins
    # throughput falls again at the largest batch (e.g. caches overflow): 64 is best
    ([1, 8, 64, 512], [0.5, 0.6, 1.5, 30.0], 50.0),
    # not sorted, and a budget equal to a latency counts as within it
    ([32, 4, 16], [1.2, 0.5, 0.9], 0.9),
]


def _best_batch(batch_sizes: Any, p50_ms: Any, budget_ms: float) -> int:
    fits = [(b / t, b) for b, t in zip(batch_sizes, p50_ms, strict=True) if t <= budget_ms]
    return int(max(fits)[1])


_BATCH_SLIPS = [
    (lambda s, t, b: max(x for x, y in zip(s, t, strict=True) if y <= b),
     "the largest batch within the budget is not always the one with the highest "
     "throughput: compute samples/s = batch / latency for each candidate."),
    (lambda s, t, b: s[int(np.argmax(np.asarray(s) / np.asarray(t)))],
     "the batch must also respect the budget: drop every batch whose p50 exceeds budget_ms."),
    (lambda s, t, b: max((x for x, y in zip(s, t, strict=True) if y < b), default=0),
     "a latency equal to the budget is within it: use <=."),
]


@register("best_batch", "batch size with the highest samples/s whose p50 latency fits a budget")
def _check_best_batch(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_BATCH_CASES[0]) is None:
                return not_yet(name)
        except Exception:
            pass
    hint = diagnose(fn, _BATCH_CASES, _BATCH_SLIPS,
                    "keep the batches with p50 <= budget_ms, compute batch / p50 for each, "
                    "return the batch size of the largest.") if callable(fn) else ""
    return check_function(fn, _best_batch, _BATCH_CASES, name=name, atol=0.0, rtol=0.0,
                          hint=hint)


# --- compile_weight_change -----------------------------------------------------------------

def _seed_style_model(seed: int) -> Any:
    """Article 004's architecture pattern (Dense-ReLU, Dense-ReLU, softmax), built small."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(shape=(64,)),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


@register("compile_weight_change",
          "measure how much model.compile changes the weights (article 004, section 4.5)")
def _check_compile_weight_change(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    answers = []
    for seed in (1, 2):
        model = _seed_style_model(seed)
        before = [w.copy() for w in model.get_weights()]
        try:
            got = fn(model)
        except Exception as exc:  # the learner's code failing is a hint, not a crash
            return check_value(f"{type(exc).__name__}: {exc}", "a number", name=name,
                               hint="your function raised; it receives a built Keras model "
                                    "and should call model.compile(...) on it.")
        if got is None:
            return not_yet(name)
        if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
            return check_value("model not compiled", "model compiled", name=name,
                               hint="call model.compile(optimizer=keras.optimizers.Adam("
                                    "learning_rate=1e-3), loss='sparse_categorical_crossentropy')"
                                    " inside your function, between the two weight snapshots.")
        true_change = max(float(np.abs(a - b).max()) for a, b in
                          zip(before, model.get_weights(), strict=True))
        answers.append((got, true_change))
    for got, true_change in answers:
        result = check_value(got, true_change, name=name, atol=1e-12, rtol=0.0,
                             hint="snapshot [w.copy() for w in model.get_weights()] before "
                                  "compile, then take the largest |after - before| over all "
                                  "weight arrays.")
        if not result:
            return result
    return CheckResult(name, True,
                       "compile changed no weight (max change 0.0): the weights were "
                       "initialized when the layers were built. compile only attaches the loss, "
                       "optimizer and metrics that training needs, so article 004's heading "
                       "'初始化神经网络的参数' over model.compile(...) names the wrong step.")
