"""Exercise checks: right answers confirmed, wrong ones explained, strict mode raises."""

from __future__ import annotations

import numpy as np
import pytest

from labutils import checks


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.setenv("LABUTILS_STRICT_CHECKS", "0")


def test_value_match_and_mismatch(lenient) -> None:
    assert checks.check_value(0.1 + 0.2, 0.3)
    res = checks.check_value([1.0, 2.0, 3.5], [1.0, 2.0, 3.0], name="v", hint="look at the end")
    assert not res
    assert "index (2,)" in res.message and "got 3.5, expected 3" in res.message
    assert "Hint: look at the end" in res.message


def test_value_reports_shape_nan_and_missing(lenient) -> None:
    assert "shape (2,) but expected (3,)" in checks.check_value([1, 2], [1, 2, 3]).message
    assert "NaN" in checks.check_value([np.nan], [1.0]).message
    assert "no answer yet" in checks.check_value(None, 1.0).message
    assert "expected a number" in checks.check_value(object(), 1.0).message


def test_function_names_the_failing_input(lenient) -> None:
    def wrong_relu(x):
        return np.abs(x)

    res = checks.check_function(wrong_relu, lambda x: np.maximum(0, x),
                                [(np.array([1.0, 2.0]),), (np.array([-1.0, 2.0]),)], name="relu")
    assert not res and "on input ([-1. 2.])" in res.message


def test_function_reports_exceptions_and_missing(lenient) -> None:
    res = checks.check_function(lambda x: 1 / 0, abs, [(1.0,)])
    assert "raised ZeroDivisionError" in res.message
    assert "no function yet" in checks.check_function(None, abs, [(1.0,)]).message


def test_strict_mode_raises(monkeypatch) -> None:
    monkeypatch.setenv("LABUTILS_STRICT_CHECKS", "1")
    with pytest.raises(checks.CheckFailed, match="Not yet"):
        checks.check_value(1.0, 2.0)
    assert checks.check_value(2.0, 2.0)  # passing never raises


def test_registered_exercise_and_unknown_id(lenient) -> None:
    good = checks.check("03.01.dense_relu", lambda x, W, b: np.maximum(0, x @ W + b))
    assert good and "3 inputs" in good.message and good.name == "03.01.dense_relu"
    bad = checks.check("03.01.dense_relu", lambda x, W, b: x @ W + b)  # forgot the ReLU
    assert not bad and "Hint" in bad.message
    with pytest.raises(KeyError, match="this notebook's ids: 03.01.dense_relu"):
        checks.check("03.01.nope", None)
    with pytest.raises(KeyError, match="no checks module for notebook '03.99'"):
        checks.check("03.99.dense_relu", None)
    with pytest.raises(KeyError, match="look like '03.04.dense_backward'"):
        checks.check("03.dense_relu", None)
    assert "03.01.dense_relu" in checks.exercises()


def test_not_yet_is_a_failure_without_hint(lenient) -> None:
    res = checks.not_yet("x.y.z")
    assert not res and "no answer yet" in res.message and "Hint" not in res.message
    assert not checks.check("03.04.dense_backward", lambda X, W, dZ: None)


def test_check_function_protects_inputs_from_the_learner(lenient) -> None:
    """A learner's function that writes into its input changes neither the reference's
    input nor the next case: each gets its own copy, the reference first."""
    x = np.array([1.0, -2.0])

    def vandal(a):
        a[:] = 99.0
        return np.maximum(0, a)

    res = checks.check_function(vandal, lambda a: np.maximum(0, a), [(x,), (x,)])
    assert not res and "on input ([ 1. -2.])" in res.message and "expected 0" in res.message
    np.testing.assert_array_equal(x, [1.0, -2.0])


def test_result_prints_with_mark(lenient) -> None:
    assert str(checks.check_value(1, 1, name="x")).startswith("✅ Correct — x")
    assert str(checks.check_value(1, 2, name="x")).startswith("❌ Not yet — x")


def test_diagnose_names_the_matching_slip() -> None:
    cases = [(np.array([1.0, -2.0]),), (np.array([0.5, 3.0]),)]
    slips = [(lambda x: x, "you forgot the ReLU"), (lambda x: np.abs(x), "abs is not ReLU")]
    assert checks.diagnose(np.abs, cases, slips, "general") == "abs is not ReLU"
    assert checks.diagnose(lambda x: 2 * x, cases, slips, "general") == "general"
    assert checks.diagnose(lambda x: 1 / 0, cases, slips, "general") == "general"


def test_missing_answer_gets_no_hint(lenient) -> None:
    res = checks.check_value(None, 1.0, hint="the answer is 1")
    assert "no answer yet" in res.message and "Hint" not in res.message
    res = checks.check_function(lambda x: None, abs, [(1.0,)], hint="use abs")
    assert "no answer yet" in res.message and "Hint" not in res.message


def test_try_call_swallows_failures() -> None:
    assert checks.try_call(lambda: 1 / 0) is None
    assert checks.try_call(lambda: None) is None
    np.testing.assert_array_equal(checks.try_call(lambda x: [x, 2], 1), [1.0, 2.0])
    assert np.isinf(checks.try_call(lambda: np.exp(np.float64(1000))))  # no warning raised


def test_check_function_or_slip(lenient) -> None:
    ref = lambda x: np.maximum(0, x)  # noqa: E731
    cases = [(np.array([1.0, -2.0]),), (np.array([-0.5, 3.0]),)]
    slips = [(lambda x: x, "you forgot the ReLU")]
    assert "no function yet" in checks.check_function_or_slip(None, "n", ref, cases, slips, "d").message
    assert "no answer yet" in checks.check_function_or_slip(lambda x: None, "n", ref, cases, slips,
                                                            "d").message
    res = checks.check_function_or_slip(lambda x: x, "n", ref, cases, slips, "general")
    assert not res and "forgot the ReLU" in res.message
    assert checks.check_function_or_slip(ref, "n", ref, cases, slips, "general")
