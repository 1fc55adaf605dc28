"""Chapter 6, notebook 04 (how long training takes) exercises: the matmul FLOPs of training a
Dense stack, the model-FLOPs utilisation of a run, and the days a run of given compute takes
on a cluster. Ids are ``"06.04.<name>"``; each checker compares with a reference on fixed
inputs and names the usual slip (a missing factor 2 or 3, a forward-only count, a forgotten
utilisation, seconds instead of days).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register
from labutils.compute import training_flops


def _pairs(sizes: list[int]) -> list[tuple[int, int]]:
    return list(pairwise(sizes))


def _probe_none(fn: Any, args: tuple[Any, ...]) -> bool:
    """True if the learner's function runs and returns None (the unedited stub)."""
    try:
        return fn(*args) is None
    except Exception:  # reported with its input by check_function
        return False


# --- dense_matmul_training_flops -------------------------------------------------------------

_SIZES = [([24, 128, 128, 1],), ([784, 256, 10],), ([8, 1],), ([64, 32, 16, 10],)]


def _matmul_flops(sizes: list[int]) -> int:
    return sum(6 * i * o for i, o in _pairs(sizes))


def _forward_only(sizes: list[int]) -> int:
    return sum(2 * i * o for i, o in _pairs(sizes))


def _multiply_adds(sizes: list[int]) -> int:
    return sum(3 * i * o for i, o in _pairs(sizes))


def _with_biases(sizes: list[int]) -> int:
    return sum(6 * (i + 1) * o for i, o in _pairs(sizes))


def _two_passes(sizes: list[int]) -> int:
    return sum(4 * i * o for i, o in _pairs(sizes))


_FLOP_SLIPS = [
    (_forward_only, "that is the forward pass only (2 per weight); training adds the two "
                    "backward products dW and dX, 2 each: 6 per weight per sample."),
    (_multiply_adds, "you counted multiply-adds; a multiply-add is 2 FLOPs (one multiply, one "
                     "add), so each product costs 2 * n_in * n_out."),
    (_with_biases, "leave the biases out: the exercise counts the matrix products only, "
                   "n_in * n_out weights per layer."),
    (_two_passes, "forward (2) plus one backward product (2) is 4 per weight; the backward "
                  "pass has two products, dW = X^T dZ and dX = dZ W^T."),
]


@register("dense_matmul_training_flops",
          "training FLOPs per sample of the matrix products of a Dense stack: 6 per weight")
def _check_dense_matmul_training_flops(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    if _probe_none(fn, _SIZES[0]):
        return not_yet(name)
    hint = diagnose(fn, _SIZES, _FLOP_SLIPS,
                    "for each consecutive pair (n_in, n_out) of layer_sizes add "
                    "3 products x 2 * n_in * n_out FLOPs, and sum over the layers.")
    return check_function(fn, _matmul_flops, _SIZES, name=name, atol=0, rtol=0, hint=hint)


# --- model_flops_utilization ---------------------------------------------------------------

_MFU_CASES = [(19_841, 20_000.0, 3e10), (1e6, 1_000.0, 1e12), (7e9, 2_000.0, 8 * 989e12)]


def _mfu(n_params: float, samples_per_second: float, peak_flops: float) -> float:
    return training_flops(n_params, samples_per_second) / peak_flops


def _mfu_forward(n_params: float, samples_per_second: float, peak_flops: float) -> float:
    return 2 * n_params * samples_per_second / peak_flops


def _mfu_inverted(n_params: float, samples_per_second: float, peak_flops: float) -> float:
    return peak_flops / (6 * n_params * samples_per_second)


_MFU_SLIPS = [
    (_mfu_forward, "training costs 6N FLOPs per sample (forward 2N + backward 4N), not 2N."),
    (_mfu_inverted, "the ratio is upside down: MFU = achieved FLOP/s / peak FLOP/s, a number "
                    "between 0 and 1."),
]


@register("model_flops_utilization", "MFU = 6 * N * samples per second / peak FLOP/s")
def _check_model_flops_utilization(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    if _probe_none(fn, _MFU_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _MFU_CASES, _MFU_SLIPS,
                    "achieved FLOP/s = 6 * n_params * samples_per_second; divide by "
                    "peak_flops.")
    return check_function(fn, _mfu, _MFU_CASES, name=name, rtol=1e-9, atol=0, hint=hint)


# --- days_to_train ---------------------------------------------------------------------------

_DAYS_CASES = [(3.14e23, 989e12, 1024, 0.4), (1e20, 3e10, 1, 0.5), (3.8e25, 989e12, 16384, 0.38)]


def _days(compute_flop: float, peak_flops: float, n_devices: int, mfu: float) -> float:
    return compute_flop / (peak_flops * n_devices * mfu) / 86_400


def _seconds(compute_flop: float, peak_flops: float, n_devices: int, mfu: float) -> float:
    return compute_flop / (peak_flops * n_devices * mfu)


def _no_mfu(compute_flop: float, peak_flops: float, n_devices: int, mfu: float) -> float:
    return compute_flop / (peak_flops * n_devices) / 86_400


def _hours(compute_flop: float, peak_flops: float, n_devices: int, mfu: float) -> float:
    return compute_flop / (peak_flops * n_devices * mfu) / 3_600


_DAYS_SLIPS = [
    (_seconds, "that is in seconds; divide by 86,400 seconds per day."),
    (_hours, "that is in hours; a day has 86,400 seconds, not 3,600."),
    (_no_mfu, "the devices only sustain mfu x their peak: divide by "
              "peak_flops * n_devices * mfu."),
]


@register("days_to_train", "days = compute / (peak x devices x MFU) / 86400")
def _check_days_to_train(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    if _probe_none(fn, _DAYS_CASES[0]):
        return not_yet(name)
    hint = diagnose(fn, _DAYS_CASES, _DAYS_SLIPS,
                    "seconds = compute_flop / (peak_flops * n_devices * mfu); days = seconds "
                    "/ 86,400.")
    return check_function(fn, _days, _DAYS_CASES, name=name, rtol=1e-9, atol=0, hint=hint)
