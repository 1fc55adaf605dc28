"""The one argument validator of labutils, scikit-learn style (compare
``sklearn.utils.validation.check_scalar``): every message names the argument, the rule it
broke and the value it got, so a wrong call explains itself.

Two exception types, used the same way everywhere: a value of the wrong *type* (a string
where a number belongs, ``True`` for a count, a list for a model) raises ``TypeError``; a
value of the right type that breaks the rule (out of range, not finite, not one of the
choices) raises ``ValueError``. :func:`check_scalar` and :func:`check_choice` do the work;
``positive_int``, ``fraction``, ``nonneg``, ``positive``, ``int_tuple`` and ``choice`` are
thin wrappers for the common cases.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["check_choice", "check_instance", "check_scalar", "choice", "fraction", "int_tuple",
           "nonneg", "positive", "positive_int"]

T = TypeVar("T")


def _is_bool(value: Any) -> bool:
    """True for ``bool`` and NumPy's ``bool_`` (without importing NumPy)."""
    return isinstance(value, bool) or type(value).__name__ in ("bool_", "bool") \
        and type(value).__module__ == "numpy"


def _num(x: float) -> str:
    """A bound as written in a rule: ints exactly (``4294967296``), floats short (``0.5``)."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def _rule(kind: str, low: float | None, high: float | None, include_min: bool,
          include_max: bool, finite: bool, allow_none: bool) -> str:
    """The rule in words: 'a positive int', 'a finite number > 0', 'a number in [0, 1)'."""
    noun = "int" if kind == "int" else "number"
    if kind == "int" and low == 1 and include_min and high is None:
        text = "a positive int"
    else:
        article = "an" if kind == "int" else "a"
        if kind == "real" and finite and (low is None or high is None):
            article, noun = "a", "finite number"
        text = f"{article} {noun}"
        if low is not None and high is not None:
            text += (f" in {'[' if include_min else '('}{_num(low)}, {_num(high)}"
                     f"{']' if include_max else ')'}")
        elif low is not None:
            text += f" {'>=' if include_min else '>'} {_num(low)}"
        elif high is not None:
            text += f" {'<=' if include_max else '<'} {_num(high)}"
    return text + (" or None" if allow_none else "")


def check_scalar(name: str, value: Any, kind: str = "int", *, min: float | None = None,
                 max: float | None = None, include_min: bool = True, include_max: bool = True,
                 finite: bool = True, allow_none: bool = False) -> int | float | None:
    """Validate one scalar argument and return it as a Python ``int`` (``kind="int"``: any
    ``numbers.Integral``, NumPy integers included) or ``float`` (``kind="real"``: any
    ``numbers.Real``). ``bool`` is refused for both, since ``True`` is almost never a count or
    a rate. ``min``/``max`` bound the value, inclusive unless ``include_min``/``include_max``
    is False; ``finite`` (reals) refuses NaN and infinities; ``allow_none`` lets ``None``
    through unchanged. Wrong type: ``TypeError``; right type, broken rule: ``ValueError``;
    both messages state the rule, e.g. ``"dropout must be a number in [0, 1); got 1.0"``.
    """
    if kind not in ("int", "real"):
        raise ValueError(f"kind must be one of 'int', 'real'; got {kind!r}")
    if value is None and allow_none:
        return None
    rule = _rule(kind, min, max, include_min, include_max, finite, allow_none)
    expected = numbers.Integral if kind == "int" else numbers.Real
    if _is_bool(value) or not isinstance(value, expected):
        raise TypeError(f"{name} must be {rule}; got {value!r} ({type(value).__name__})")
    number = int(value) if kind == "int" else float(value)
    broken = (kind == "real" and (math.isnan(number) or (finite and math.isinf(number)))
              or min is not None and (number < min if include_min else number <= min)
              or max is not None and (number > max if include_max else number >= max))
    if broken:
        raise ValueError(f"{name} must be {rule}; got {value!r}")
    return number


def check_choice(name: str, value: T, choices: Iterable[Any]) -> T:
    """Return ``value`` if it is one of ``choices`` (a sequence, or a dict's keys), else raise
    with every valid choice listed: ``"activation must be one of 'relu', 'tanh'; got 'rleu'"``.
    A value of a type no choice has (``5`` among strings) raises ``TypeError``; a value of the
    right type that is not listed raises ``ValueError``.
    """
    options = tuple(choices)
    valid = ", ".join(repr(c) for c in options)
    types = tuple({type(c) for c in options})
    wrong_type = (not isinstance(value, types)
                  or _is_bool(value) and not any(_is_bool(c) for c in options))
    if wrong_type:
        raise TypeError(f"{name} must be one of {valid}; got {value!r} ({type(value).__name__})")
    if value not in options:
        raise ValueError(f"{name} must be one of {valid}; got {value!r}")
    return value


def check_instance(name: str, value: T, cls: type | tuple[type, ...], what: str) -> T:
    """Return ``value`` if it is an instance of ``cls``, else ``TypeError`` saying what was
    expected (``what``, e.g. ``"a keras.Model"``) and the type that came instead."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be {what}; got {type(value).__name__}")
    return value


# --- thin wrappers for the common cases ----------------------------------------------------

def positive_int(name: str, value: Any) -> int:
    """``value`` as an int >= 1 (``check_scalar(name, value, "int", min=1)``)."""
    return check_scalar(name, value, "int", min=1)


def fraction(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1), e.g. a dropout rate or a validation share."""
    return check_scalar(name, value, "real", min=0.0, max=1.0, include_max=False)


def nonneg(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0."""
    return check_scalar(name, value, "real", min=0.0)


def positive(name: str, value: Any) -> float:
    """``value`` as a finite float > 0."""
    return check_scalar(name, value, "real", min=0.0, include_min=False)


def choice(name: str, value: T, choices: Sequence[Any]) -> T:
    """``value`` if it is one of ``choices``; see :func:`check_choice`."""
    return check_choice(name, value, choices)


def int_tuple(name: str, value: Any, *, allow_empty: bool = True) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ints) as a tuple of positive ints."""
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{name} must be a tuple of positive ints; got {value!r} "
                        f"({type(value).__name__})")
    if not value and not allow_empty:
        raise ValueError(f"{name} must contain at least one positive int; got {value!r}")
    return tuple(positive_int(f"each entry of {name}", v) for v in value)
