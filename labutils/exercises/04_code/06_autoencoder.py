"""Chapter 4, notebook 06 (autoencoders) exercises: ROC AUC counted from pairs of scores,
an alarm threshold for a target false-positive rate, and a "find the bug" on the classic
denoising-autoencoder mistake (noisy targets instead of clean ones). Ids are
``"04.06.<name>"``. The first two compare the learner's function with a reference after
trying the usual slips; the third checks the properties a pair of training arrays must have,
since the noise itself is random. (The seeds show no autoencoder code, so none of these is a
seed mistake.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, finish, not_yet, register

_rng = np.random.default_rng(406)

# --- pairwise_auc ------------------------------------------------------------------------------


def _auc(normal: Any, anomaly: Any) -> float:
    a, n = np.asarray(anomaly, dtype=float)[:, None], np.asarray(normal, dtype=float)[None, :]
    return float(np.mean((a > n) + 0.5 * (a == n)))


# Ties (which count one half), unequal group sizes, a perfect and a reversed ranking.
_AUC_CASES: list[tuple[Any, ...]] = [
    (np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.35, 0.5, 0.2])),
    (np.array([1.0, 2.0, 2.0]), np.array([2.0, 3.0])),
    (np.array([0.1, 0.2]), np.array([0.5, 0.6, 0.7])),
    (np.array([0.5, 0.6, 0.7]), np.array([0.1, 0.2])),
    (_rng.normal(size=30), _rng.normal(0.8, 1.0, size=12)),
]
_AUC_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda n, a: float(np.mean(np.asarray(a)[:, None] > np.asarray(n)[None, :])),
     "a tie between an anomaly and a normal example counts one half (the ranking is a coin "
     "flip there), not zero."),
    (lambda n, a: float(np.mean(np.asarray(a)[:, None] >= np.asarray(n)[None, :])),
     "a tie counts one half, not a whole win."),
    (lambda n, a: _auc(a, n),
     "the roles are swapped: count the pairs in which the *anomaly* has the higher score."),
    (lambda n, a: float(np.mean(a) > np.mean(n)),
     "compare every anomaly with every normal example (all pairs), not the two means."),
]


@register("pairwise_auc", "ROC AUC as the share of (anomaly, normal) pairs ranked correctly")
def _check_pairwise_auc(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _auc, _AUC_CASES, _AUC_SLIPS,
        "for every pair (anomaly a, normal n) score 1 if a > n, 0.5 if a == n, 0 otherwise, and "
        "average over all pairs.", tol=1e-12)


# --- threshold_at_fpr --------------------------------------------------------------------------

def _threshold(normal: Any, fpr: float) -> float:
    s = np.sort(np.asarray(normal, dtype=float))[::-1]
    return float(s[int(np.floor(fpr * len(s) + 1e-9))])


# fpr * n well away from an integer except where it is exact (0.25 * 8); fpr = 0 must give the
# largest score (no normal example flagged).
_TH_CASES: list[tuple[Any, ...]] = [
    (np.arange(1.0, 9.0), 0.25),
    (_rng.uniform(size=50), 0.05),
    (_rng.uniform(size=37), 0.1),
    (_rng.normal(size=20), 0.0),
    (_rng.normal(size=101), 0.33),
]
_TH_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda s, f: float(np.quantile(s, 1 - f)),
     "np.quantile interpolates between two scores; here the threshold is itself one of the "
     "normal scores, the (k+1)-th largest with k = floor(fpr * n)."),
    (lambda s, f: float(np.sort(s)[::-1][max(int(np.floor(f * len(s))) - 1, 0)]),
     "off by one: with the k-th largest score as threshold only k - 1 normal scores lie "
     "strictly above it. Take the (k+1)-th largest, index k of the scores sorted high to low."),
    (lambda s, f: float(np.sort(s)[int(np.floor(f * len(s)))]),
     "sort from high to low (np.sort(scores)[::-1]): the alarms are the *largest* scores."),
    (lambda s, f: float(np.quantile(s, f)),
     "that is the fpr-quantile from the bottom; alarms are scores above the threshold, so "
     "count from the top."),
]


@register("threshold_at_fpr", "alarm threshold that flags at most a fraction fpr of normal "
                              "scores")
def _check_threshold_at_fpr(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _threshold, _TH_CASES, _TH_SLIPS,
        "sort the normal scores from high to low and return the one at index "
        "k = floor(fpr * n): exactly k scores lie above it.", tol=1e-12)


# --- make_denoising_pairs: find the bug --------------------------------------------------------

_CLEAN = np.clip(_rng.uniform(-0.3, 1.3, size=(200, 8, 8)), 0.0, 1.0)  # some pixels 0 or 1
_MID = np.full((400, 16), 0.5)                                          # far from 0 and 1


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


@register("denoising_pairs", "find the bug: (noisy input, clean target) pairs for a "
                             "denoising autoencoder")
def _check_denoising_pairs(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        out = fn(_CLEAN.copy(), 0.3, 0)
        again = fn(_CLEAN.copy(), 0.3, 0)
        mid = fn(_MID.copy(), 0.1, 1)
    except Exception as exc:  # the learner's code failing is a hint, not a crash
        return _fail(name, f"calling it raised {type(exc).__name__}: {exc}")
    if out is None:
        return not_yet(name)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return _fail(name, "return the pair (inputs, targets).")
    inputs, targets = (np.asarray(v, dtype=float) for v in out)
    if inputs.shape != _CLEAN.shape or targets.shape != _CLEAN.shape:
        return _fail(name, f"inputs and targets must keep the images' shape {_CLEAN.shape}; got "
                           f"{inputs.shape} and {targets.shape}.")
    if np.allclose(targets, inputs) and not np.allclose(targets, _CLEAN):
        return _fail(name, "the targets are the noisy inputs themselves, so the network is "
                           "trained to reproduce the noise (the identity does that best). The "
                           "target must be the clean image: return (noisy, x_clean).")
    if not np.array_equal(targets, _CLEAN):
        return _fail(name, "the targets must be the clean images, unchanged.")
    if np.allclose(inputs, _CLEAN):
        return _fail(name, "the inputs carry no noise: add Gaussian noise of standard "
                           "deviation sigma to the clean images.")
    if inputs.min() < 0.0 or inputs.max() > 1.0:
        return _fail(name, "clip the noisy inputs to the pixel range [0, 1] (np.clip), as "
                           "the buggy version did.")
    if not np.array_equal(inputs, np.asarray(again[0], dtype=float)):
        return _fail(name, "the same seed must give the same noise: draw it from "
                           "np.random.default_rng(seed).")
    noise_sd = float(np.std(np.asarray(mid[0], dtype=float) - _MID))
    if not 0.09 < noise_sd < 0.11:
        return _fail(name, f"with sigma=0.1 on mid-grey images the added noise has standard "
                           f"deviation {noise_sd:.3f}; it should be about 0.1 (rng.normal(0, "
                           f"sigma, size=x_clean.shape)).")
    return finish(CheckResult(name, True, "noisy, clipped inputs paired with the clean "
                                           "images: the network must learn to remove noise."))
