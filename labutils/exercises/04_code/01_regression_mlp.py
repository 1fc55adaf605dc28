"""Chapter 4, notebook 01 (a regression network on house prices) exercises: compile a
regressor with metrics that mean something (seed 000 used ``accuracy``), turn log-price
predictions into dollar errors, and build an empirical prediction interval from residual
quantiles. Ids are ``"04.01.<name>"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, finish, not_yet, register

_rng = np.random.default_rng(401)


# --- compile_regressor (the seed's bug) ------------------------------------------------------

# A one-layer model with fixed weights on four fixed rows: predictions [-2.5, 5.5, 0.5, -1.5]
# against targets [0, 5, 1, -3], so residuals [-2.5, 0.5, -0.5, 1.5]: MAE 1.25, RMSE 1.5,
# MSE 2.25, Huber (delta 1) 0.8125. Each regression number is distinct, so the checker can
# tell which one a metric reports.
_X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0], [2.0, 2.0]], dtype="float32")
_Y = np.array([0.0, 5.0, 1.0, -3.0], dtype="float32")
_W = [np.array([[1.0], [-2.0]], dtype="float32"), np.array([0.5], dtype="float32")]
_MAE, _RMSE = 1.25, 1.5
_LOSSES = {"mean squared error": 2.25, "mean absolute error": 1.25, "Huber (delta 1)": 0.8125}


def _tiny_model() -> Any:
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="tiny_regressor")
    model.set_weights(_W)
    return model


def _result(name: str, passed: bool, message: str) -> CheckResult:
    return finish(CheckResult(name, passed, message))


@register("compile_regressor", "compile a regressor with MAE/RMSE metrics, not accuracy")
def _check_compile_regressor(fn: Any, name: str) -> CheckResult:
    import keras

    if not callable(fn):
        return not_yet(name, "function")
    model = _tiny_model()
    try:
        returned = fn(model)
    except Exception as exc:  # e.g. Adam(lr=...) raises in Keras 3
        return _result(name, False, f"calling it on a small model raised {type(exc).__name__}: "
                                    f"{exc}")
    if returned is not None and returned is not model:
        if isinstance(returned, keras.Model):
            return _result(name, False, "return the model you were given, compiled (do not "
                                        "build a new one).")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        return not_yet(name) if returned is None else _result(
            name, False, "the model is not compiled: call model.compile(...) inside.")
    try:
        scores = model.evaluate(_X, _Y, verbose=0, return_dict=True)
    except Exception as exc:
        return _result(name, False, f"evaluating the compiled model raised "
                                    f"{type(exc).__name__}: {exc}")
    accuracy = [k for k in scores if "acc" in k.lower()]
    if accuracy:
        return _result(name, False, f"it still reports {accuracy[0]!r}. For a model with one "
                       "output Keras turns 'accuracy' into BinaryAccuracy: the share of rows "
                       "where y_true equals (y_pred > 0.5). A price is never 0 or 1, so it "
                       "reads 0 for any regressor. Hint: report mean absolute error and/or "
                       "root mean squared error (keras.metrics.MeanAbsoluteError(), "
                       "keras.metrics.RootMeanSquaredError()).")
    loss = float(scores.get("loss", math.nan))
    if not any(math.isclose(loss, v, abs_tol=1e-4) for v in _LOSSES.values()):
        return _result(name, False, f"the loss reads {loss:.4g} on a test model where mean "
                       f"squared error would read {_LOSSES['mean squared error']}: use a "
                       "regression loss (mean squared error, mean absolute error or Huber).")
    metrics = {k: float(v) for k, v in scores.items() if k != "loss"}
    found = [k for k, v in metrics.items()
             if math.isclose(v, _MAE, abs_tol=1e-4) or math.isclose(v, _RMSE, abs_tol=1e-4)]
    if not found:
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()) or "no metric at all"
        return _result(name, False, f"it reports {shown}; on the test model MAE is {_MAE} and "
                       f"RMSE {_RMSE}. Hint: add keras.metrics.MeanAbsoluteError() or "
                       "keras.metrics.RootMeanSquaredError() - errors in the target's own "
                       "units, which a reader can compare with the prices.")
    return _result(name, True, f"reports {', '.join(found)} and no accuracy.")


# --- dollar_errors ---------------------------------------------------------------------------

def _dollar_errors(y_true_log: Any, y_pred_log: Any) -> tuple[float, float]:
    err = np.exp(np.asarray(y_pred_log, float)) - np.exp(np.asarray(y_true_log, float))
    return float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err ** 2)))


def _log_errors(t: Any, p: Any) -> tuple[float, float]:
    d = np.asarray(p, float) - np.asarray(t, float)
    return float(np.mean(np.abs(d))), float(np.sqrt(np.mean(d ** 2)))


_PRICES = np.log(_rng.uniform(60_000, 450_000, size=40))
_DOLLAR_CASES = [
    (np.log([100_000.0, 200_000.0]), np.log([110_000.0, 180_000.0])),
    (_PRICES, _PRICES + _rng.normal(0, 0.12, size=40)),
    (_PRICES[:10], _PRICES[:10] - 0.05),
]
_DOLLAR_SLIPS = [
    (_log_errors, "these are errors of the logarithms (unitless, roughly relative errors). "
                  "Undo the log first - np.exp of both arrays - then take the differences."),
    (lambda t, p: tuple(math.exp(v) for v in _log_errors(t, p)),
     "exp(MAE of logs) is not an error in dollars: exponentiate the predictions and the "
     "targets, then average the absolute differences."),
    (lambda t, p: (_dollar_errors(t, p)[0], _dollar_errors(t, p)[1] ** 2),
     "the second number is the mean squared error; RMSE is its square root, in dollars."),
]


@register("dollar_errors", "MAE and RMSE in dollars from log-price predictions")
def _check_dollar_errors(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _dollar_errors, _DOLLAR_CASES, _DOLLAR_SLIPS,
        "convert with np.exp, then MAE = mean(|e|) and RMSE = sqrt(mean(e**2)) of the "
        "dollar errors e; return them as a pair (mae, rmse).", tol=1e-6)


# --- residual_interval -----------------------------------------------------------------------

def _interval(residuals: Any, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(np.asarray(residuals, float), [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


_SKEWED = _rng.gamma(2.0, 0.05, size=300) - 0.1     # skewed: a normal approximation is off
_INTERVAL_CASES = [(_SKEWED, 0.8), (_rng.normal(0, 0.1, size=101), 0.9),
                   (np.arange(11.0), 0.5)]
_INTERVAL_SLIPS = [
    (lambda r, level: tuple(float(v) for v in np.quantile(r, [1 - level, level])),
     "for an 80% interval leave 10% below and 10% above: the quantiles at (1 - level) / 2 "
     "and (1 + level) / 2, not at 1 - level and level."),
    (lambda r, level: tuple(float(v) for v in np.quantile(r, [0.0, level])),
     "that interval is one-sided; put half of the excluded share in each tail."),
    (lambda r, level: (float(np.mean(r) - 1.2815515655446004 * np.std(r)),
                       float(np.mean(r) + 1.2815515655446004 * np.std(r))),
     "mean ± 1.28 std assumes normal residuals; the exercise asks for the empirical "
     "quantiles, which follow whatever shape the residuals have."),
    (lambda r, level: tuple(float(v) for v in np.percentile(r, [(1 - level) / 2,
                                                                 (1 + level) / 2])),
     "np.percentile takes percents (0-100); with fractions use np.quantile."),
]


@register("residual_interval", "an empirical prediction interval from residual quantiles")
def _check_residual_interval(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _interval, _INTERVAL_CASES, _INTERVAL_SLIPS,
        "return np.quantile(residuals, [(1 - level) / 2, (1 + level) / 2]) as two floats.",
        tol=1e-9)
