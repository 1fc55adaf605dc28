"""Argument checks shared by labutils modules, scikit-learn style: each names the argument,
the rule it broke and the value it got, so a wrong call explains itself."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_INT = (int, np.integer)
_REAL = (int, float, np.integer, np.floating)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int >= 1, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, _INT) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")
    return int(value)


def int_tuple(name: str, value: Any, *, allow_empty: bool = True) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ints) as a tuple of positive ints."""
    if isinstance(value, _INT) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"{name} must be a tuple of positive ints; got {value!r}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must contain at least one positive int; got {value!r}")
    return tuple(positive_int(f"each entry of {name}", v) for v in value)


def choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}; got {value!r}")
    return value


def fraction(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def nonneg(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    return float(value)


def positive(name: str, value: Any) -> float:
    """``value`` (returned unchanged) if it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, _REAL) or not math.isfinite(value) \
            or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return value
