"""Chapter 0 (start here) exercises: a warm-up that shows how checks work."""

from __future__ import annotations

from typing import Any

from labutils.checks import CheckResult, check_value, register


@register("dense_params", "parameters of a Dense layer with 64 inputs and 32 units")
def _check_dense_params(answer: Any, name: str) -> CheckResult:
    return check_value(
        answer, 64 * 32 + 32, name=name, atol=0, rtol=0,
        hint="a Dense layer has one weight per (input, unit) pair plus one bias per unit.")
