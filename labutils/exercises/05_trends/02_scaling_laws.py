"""Chapter 5, notebook 02 (scaling laws) exercises: the exponent of a straight line in
log-log space, the compute-optimal model size of a fitted loss surface, and the Chinchilla
rule of thumb (about 20 tokens per parameter) for a compute budget. Ids are
``"05.02.<name>"``; each checker compares the learner's function with a reference on fixed
inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(502)


# --- loglog_exponent -------------------------------------------------------------------------

def _exponent(n: np.ndarray, loss: np.ndarray) -> float:
    return float(-np.polyfit(np.log(n), np.log(loss), 1)[0])


def _law_case(alpha: float, noise: float) -> tuple[np.ndarray, np.ndarray]:
    n = np.geomspace(1e4, 1e7, 7) * _rng.uniform(0.8, 1.25, 7)
    return n, 5.0 * (n / 1e4) ** -alpha * np.exp(_rng.normal(0, noise, 7))


# Exact power laws with different exponents and a noisy one (a straight line must be fitted,
# not read off two points).
_EXP_CASES = [_law_case(0.076, 0.0), _law_case(0.34, 0.0), _law_case(0.2, 0.02)]
_EXP_SLIPS = [
    (lambda n, loss: float(np.polyfit(np.log(n), np.log(loss), 1)[0]),
     "the slope of a falling curve is negative; the exponent alpha in L ∝ N^-alpha is minus "
     "the slope."),
    (lambda n, loss: float(-np.polyfit(np.log(n), loss, 1)[0]),
     "take the log of the loss too: only log(loss) against log(n) is a straight line."),
    (lambda n, loss: float(-np.polyfit(n, np.log(loss), 1)[0]),
     "take the log of n too: log(loss) against n itself is a curve."),
    (lambda n, loss: float(-1 / np.polyfit(np.log(loss), np.log(n), 1)[0]),
     "regress log(loss) on log(n), not the other way round: with noise the two slopes are "
     "not reciprocal."),
    (lambda n, loss: float(-np.log(loss[-1] / loss[0]) / np.log(n[-1] / n[0])),
     "use every point (a least-squares line, e.g. np.polyfit), not only the first and last."),
]


@register("loglog_exponent", "the exponent alpha of L ∝ N^-alpha from a log-log line fit")
def _check_exponent(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _exponent, _EXP_CASES, _EXP_SLIPS,
        "fit a straight line to (log n, log loss) with np.polyfit(..., 1) and return minus "
        "its slope.", tol=1e-6)


# --- optimal_params --------------------------------------------------------------------------

def _n_opt(a: float, alpha: float, b: float, beta: float, flops: float) -> float:
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return float(g * (flops / 6) ** (beta / (alpha + beta)))


# Hoffmann et al.'s fit at two budgets, unequal exponents both ways, equal prefactors.
_OPT_CASES = [(406.4, 0.34, 410.7, 0.28, 5.76e23), (406.4, 0.34, 410.7, 0.28, 1e18),
              (50.0, 0.5, 200.0, 0.25, 1e15), (30.0, 0.2, 30.0, 0.45, 3e20)]
_OPT_SLIPS = [
    (lambda a, al, b, be, c: _n_opt(a, al, b, be, 6 * c),
     "C = 6·N·D, so along the budget D = C / (6 N): use C/6, not C."),
    (lambda a, al, b, be, c: float((al * a / (be * b)) ** (1 / (al + be))
                                   * (c / 6) ** (al / (al + be))),
     "the budget's exponent for N is beta/(alpha+beta) (the data exponent on top); "
     "alpha/(alpha+beta) is the one for D."),
    (lambda a, al, b, be, c: c / (6 * _n_opt(a, al, b, be, c)),
     "that is D_opt, the number of tokens; return the number of parameters N_opt."),
    (lambda a, al, b, be, c: float((be * b / (al * a)) ** (1 / (al + be))
                                   * (c / 6) ** (be / (al + be))),
     "G is (alpha·A / (beta·B))^(1/(alpha+beta)): alpha·A on top."),
]


@register("optimal_params", "N_opt minimising E + A/N^alpha + B/D^beta at C = 6·N·D")
def _check_optimal_params(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _n_opt, _OPT_CASES, _OPT_SLIPS,
        "substitute D = C/(6N), set the derivative in N to zero and solve: "
        "N_opt = G·(C/6)^(beta/(alpha+beta)) with G = (alpha·A/(beta·B))^(1/(alpha+beta)).",
        tol=1e-6)


# --- chinchilla_split ------------------------------------------------------------------------

def _split(flops: float) -> tuple[float, float]:
    n = float(np.sqrt(flops / 120))
    return n, 20 * n


_SPLIT_CASES = [(3.14e23,), (5.76e23,), (1e18,), (6e15,)]
_SPLIT_SLIPS = [
    (lambda c: (float(np.sqrt(c / 20)), 20 * float(np.sqrt(c / 20))),
     "training costs 6 FLOPs per parameter per token: C = 6·N·D = 6·N·20N = 120·N²."),
    (lambda c: (float(np.sqrt(c / 40)), 20 * float(np.sqrt(c / 40))),
     "2·N·D is the cost of the forward pass only; training (forward + backward) is 6·N·D."),
    (lambda c: (20 * float(np.sqrt(c / 120)), float(np.sqrt(c / 120))),
     "N and D are swapped: about 20 *tokens* per parameter, so D = 20·N, and return (N, D)."),
    (lambda c: (float(np.sqrt(c / 6 / 20)), float(np.sqrt(c / 6 / 20)) / 20),
     "D = 20·N (tokens are 20 times the parameters), not N/20."),
]


@register("chinchilla_split", "(N, D) with D = 20·N on the budget C = 6·N·D")
def _check_chinchilla_split(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _split, _SPLIT_CASES, _SPLIT_SLIPS,
        "put D = 20·N into C = 6·N·D, solve for N = sqrt(C/120) and return (N, 20·N).",
        tol=1e-9)
