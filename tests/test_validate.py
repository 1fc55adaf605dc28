"""labutils._validate: one validator, TypeError for a wrong type, ValueError for a broken rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labutils import _validate as V


@pytest.mark.parametrize("kind", ["int", "real"])
@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
def test_bool_is_refused_for_ints_and_reals(kind, flag):
    with pytest.raises(TypeError, match=r"x must be .*; got \S*(True|False)\S* \(bool_?\)"):
        V.check_scalar("x", flag, kind)


@pytest.mark.parametrize("value", [np.int8(3), np.int64(3), np.uint32(3), 3])
def test_numpy_integers_are_ints_and_come_back_as_python_int(value):
    out = V.check_scalar("n", value, "int", min=1)
    assert out == 3 and type(out) is int
    assert type(V.positive_int("n", value)) is int


@pytest.mark.parametrize("value", [np.float16(0.5), np.float32(0.5), np.float64(0.5), 0.5,
                                   np.int64(0)])
def test_numpy_reals_are_reals_and_come_back_as_python_float(value):
    out = V.check_scalar("rate", value, "real", min=0.0, max=1.0)
    assert out == float(value) and type(out) is float


@pytest.mark.parametrize("value", [1.0, 1.5, np.float64(2.0), "3", None, [1], 1 + 0j])
def test_non_integers_are_the_wrong_type_for_int(value):
    with pytest.raises(TypeError, match="n must be a positive int; got"):
        V.positive_int("n", value)


@pytest.mark.parametrize("value", ["0.5", None, [0.5], 1 + 0j])
def test_non_reals_are_the_wrong_type_for_real(value):
    with pytest.raises(TypeError, match="rate must be a finite number > 0"):
        V.positive("rate", value)


def test_bounds_inclusive_and_exclusive():
    # [0, 1): 0 allowed, 1 not
    assert V.check_scalar("p", 0.0, "real", min=0, max=1, include_max=False) == 0.0
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\); got 1"):
        V.check_scalar("p", 1, "real", min=0, max=1, include_max=False)
    # (0, 1]: 1 allowed, 0 not
    assert V.check_scalar("p", 1, "real", min=0, max=1, include_min=False) == 1.0
    with pytest.raises(ValueError, match=r"p must be a number in \(0, 1\]; got 0"):
        V.check_scalar("p", 0, "real", min=0, max=1, include_min=False)
    # one-sided bounds, ints
    assert V.check_scalar("k", 2, min=2) == 2
    with pytest.raises(ValueError, match="k must be an int >= 2; got 1"):
        V.check_scalar("k", 1, min=2)
    with pytest.raises(ValueError, match="k must be an int > 2; got 2"):
        V.check_scalar("k", 2, min=2, include_min=False)
    with pytest.raises(ValueError, match="k must be an int <= 5; got 6"):
        V.check_scalar("k", 6, max=5)
    with pytest.raises(ValueError, match="k must be an int < 5; got 5"):
        V.check_scalar("k", 5, max=5, include_max=False)
    assert V.check_scalar("k", -10**30) == -10**30  # no bounds: any int, exactly


def test_finite_refuses_nan_and_infinity_unless_asked():
    for bad in (math.nan, math.inf, -math.inf, np.float32("nan")):
        with pytest.raises(ValueError, match="x must be a finite number"):
            V.check_scalar("x", bad, "real")
    assert V.check_scalar("x", math.inf, "real", min=0, finite=False) == math.inf
    with pytest.raises(ValueError, match="x must be a number >= 0; got nan"):
        V.check_scalar("x", math.nan, "real", min=0, finite=False)  # NaN is never in range


def test_none_only_when_allowed():
    assert V.check_scalar("seed", None, allow_none=True) is None
    assert V.check_scalar("seed", 3, min=0, allow_none=True) == 3
    with pytest.raises(TypeError, match="seed must be an int; got None"):
        V.check_scalar("seed", None)
    with pytest.raises(ValueError, match="seed must be an int >= 0 or None; got -1"):
        V.check_scalar("seed", -1, min=0, allow_none=True)


def test_choice_message_lists_every_choice():
    with pytest.raises(ValueError) as err:
        V.check_choice("activation", "rleu", ("relu", "tanh"))
    assert str(err.value) == "activation must be one of 'relu', 'tanh'; got 'rleu'"
    assert V.choice("activation", "tanh", ["relu", "tanh"]) == "tanh"
    assert V.check_choice("dtype", "fp32", {"fp32": 32, "bf16": 16}) == "fp32"  # dict keys
    assert V.check_choice("partition_by", None, (None, "month")) is None


def test_choice_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"activation must be one of 'relu', 'tanh'; got 5 \(int\)"):
        V.check_choice("activation", 5, ("relu", "tanh"))
    with pytest.raises(TypeError):
        V.check_choice("flag", True, (0, 1))  # True == 1, but a bool is not a count
    with pytest.raises(ValueError):
        V.check_choice("n", 2, (0, 1))


def test_same_bad_value_same_exception_type_everywhere():
    """The rule of the module: TypeError for the wrong type, ValueError for a bad value."""
    wrappers = [V.positive_int, V.positive, V.nonneg, V.fraction]
    for wrapper in wrappers:
        with pytest.raises(TypeError):
            wrapper("x", "1")
        with pytest.raises(ValueError):
            wrapper("x", -1)


def test_thin_wrappers():
    assert V.fraction("dropout", 0) == 0.0
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\); got 1.0"):
        V.fraction("dropout", 1.0)
    assert V.nonneg("l2", 0) == 0.0
    with pytest.raises(ValueError, match="l2 must be a finite number >= 0"):
        V.nonneg("l2", math.inf)
    with pytest.raises(ValueError, match="lr must be a finite number > 0; got 0"):
        V.positive("lr", 0)
    with pytest.raises(ValueError, match="n must be a positive int; got 0"):
        V.positive_int("n", 0)


def test_int_tuple():
    assert V.int_tuple("hidden", 8) == (8,)
    assert V.int_tuple("hidden", [np.int64(4), 2]) == (4, 2)
    assert V.int_tuple("hidden", ()) == ()
    with pytest.raises(ValueError, match="at least one positive int"):
        V.int_tuple("filters", (), allow_empty=False)
    with pytest.raises(ValueError, match="each entry of hidden must be a positive int; got 0"):
        V.int_tuple("hidden", (8, 0))
    with pytest.raises(TypeError, match="each entry of hidden must be a positive int"):
        V.int_tuple("hidden", (8, 2.5))
    with pytest.raises(TypeError, match="hidden must be a tuple of positive ints"):
        V.int_tuple("hidden", "64")


def test_check_instance():
    assert V.check_instance("x", [1], list, "a list") == [1]
    with pytest.raises(TypeError, match="model must be a keras.Model; got str"):
        V.check_instance("model", "m", int, "a keras.Model")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of 'int', 'real'"):
        V.check_scalar("x", 1, "float")
