"""Chapter 5, notebook 04 (efficiency) exercises: the trainable numbers LoRA adds to a TinyGPT,
the keep-mask of magnitude pruning, and the knowledge-distillation loss with temperature.
Ids are ``"05.04.<name>"``; each checker compares the learner's function with a reference on
fixed inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

_rng = np.random.default_rng(504)


# --- lora_params -----------------------------------------------------------------------------

def _lora(d_model: int, n_layers: int, rank: int) -> int:
    # per block: Q/K/V (d -> 3d) and output projection (d -> d), r * (d_in + d_out) each
    return n_layers * rank * ((d_model + 3 * d_model) + (d_model + d_model))


_LORA_CASES = [(96, 3, 4), (64, 2, 1), (128, 4, 16), (32, 1, 8)]
_LORA_SLIPS = [
    (lambda d, n, r: n * r * (d * 3 * d + d * d),
     "LoRA's matrices are A (d_in x r) and B (r x d_out): r * (d_in + d_out) numbers per "
     "layer, a sum, not r times the full d_in * d_out."),
    (lambda d, n, r: n * (d * 3 * d + d * d),
     "that is the size of the frozen projections themselves; LoRA trains only "
     "r * (d_in + d_out) per adapted layer."),
    (lambda d, n, r: n * r * 4 * d,
     "the fused Q/K/V projection has 3d outputs (d -> 3d), and the output projection d -> d "
     "is adapted too: r * (d + 3d) + r * (d + d) per block."),
    (lambda d, n, r: n * r * (2 * d + 2 * d),
     "the fused Q/K/V projection maps d inputs to 3d outputs, so its LoRA pair has "
     "r * (d + 3d) numbers, not r * (d + d)."),
    (lambda d, n, r: r * 6 * d,
     "every one of the n_layers blocks has its own adapters: multiply by n_layers."),
    (lambda d, n, r: n * r * 4 * d + n * r * 2 * d + 2 * n * d,
     "LoRA adds no biases: only the matrices A and B are trained."),
]


@register("lora_params", "trainable numbers of LoRA on every Q/K/V and output projection")
def _check_lora_params(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _lora, _LORA_CASES, _LORA_SLIPS,
        "per block, the Q/K/V projection (d -> 3d) gets r * (d + 3d) and the output "
        "projection (d -> d) gets r * (d + d); multiply by n_layers.")


# --- prune_mask ------------------------------------------------------------------------------

def _mask(w: np.ndarray, sparsity: float) -> np.ndarray:
    n_drop = int(round(sparsity * w.size))
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(np.abs(w).ravel(), kind="stable")[:n_drop]] = False
    return keep.reshape(w.shape)


def _mask_no_abs(w: np.ndarray, sparsity: float) -> np.ndarray:
    n_drop = int(round(sparsity * w.size))
    keep = np.ones(w.size, dtype=bool)
    keep[np.argsort(w.ravel(), kind="stable")[:n_drop]] = False
    return keep.reshape(w.shape)


# Distinct magnitudes (no ties), both signs, a matrix, sparsity 0 and a large sparsity.
_PRUNE_CASES = [
    (np.array([3.0, -1.0, 0.5, -4.0, 2.0]), 0.4),
    (_rng.normal(size=(6, 5)), 0.5),
    (_rng.normal(size=(8, 10)), 0.9),
    (_rng.normal(size=(4, 4)), 0.0),
    (_rng.normal(size=(10, 7)), 0.8),
]
_PRUNE_SLIPS = [
    (_mask_no_abs, "prune by magnitude |w|, not by value: without np.abs the most negative "
                   "weights, which matter as much as large positive ones, are removed."),
    (lambda w, s: ~_mask(w, s) if s else _mask(w, s),
     "the mask is True for the weights to KEEP (the large ones) and False for those removed."),
    (lambda w, s: _mask(w, 1 - s) if s else _mask(w, s),
     "sparsity is the fraction REMOVED: drop round(sparsity * w.size) weights, keep the rest."),
    (lambda w, s: np.abs(w) > np.quantile(np.abs(w), s),
     "np.quantile interpolates between values, so the count removed is not always exactly "
     "round(sparsity * w.size); sort |w| (np.argsort) and drop that many."),
]


@register("prune_mask", "keep-mask of magnitude pruning at a given sparsity")
def _check_prune_mask(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _mask, _PRUNE_CASES, _PRUNE_SLIPS,
        "n = round(sparsity * w.size); the n entries with the smallest np.abs(w) get False, "
        "all others True; return a boolean array shaped like w.")


# --- kd_loss ---------------------------------------------------------------------------------

def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _kd(labels: np.ndarray, s: np.ndarray, t: np.ndarray, temperature: float,
        alpha: float, square: bool = True, reverse: bool = False,
        soften_student: bool = True) -> float:
    hard = -_log_softmax(s)[np.arange(len(labels)), labels].mean()
    lt = _log_softmax(t / temperature)
    ls = _log_softmax(s / temperature if soften_student else s)
    p, q = (ls, lt) if reverse else (lt, ls)
    kl = (np.exp(p) * (p - q)).sum(axis=1).mean()
    return float(alpha * hard + (1 - alpha) * (temperature ** 2 if square else 1) * kl)


def _kd_case(n: int, k: int, temperature: float, alpha: float) -> tuple[Any, ...]:
    return (_rng.integers(0, k, size=n), _rng.normal(scale=3, size=(n, k)),
            _rng.normal(scale=3, size=(n, k)), temperature, alpha)


# Temperatures above 1 (T^2 visible), a pure soft loss (alpha = 0), a pure hard loss.
_KD_CASES = [_kd_case(5, 4, 4.0, 0.5), _kd_case(8, 10, 2.0, 0.1), _kd_case(6, 3, 3.0, 0.0),
             _kd_case(4, 5, 5.0, 1.0)]
_KD_SLIPS = [
    (lambda *a: _kd(*a, square=False),
     "multiply the soft term by T**2: softening by T shrinks its gradients by 1/T**2, and "
     "the factor restores their size."),
    (lambda *a: _kd(*a, reverse=True),
     "the KL divergence goes from the teacher's distribution p_T to the student's q_T: "
     "sum p_T * (log p_T - log q_T), not the other way round."),
    (lambda *a: _kd(*a, soften_student=False),
     "soften the student too: the soft term compares softmax(teacher / T) with "
     "softmax(student / T)."),
    (lambda lab, s, t, T, a: _kd(lab, s, t, T, 1 - a),
     "alpha weighs the hard-label cross-entropy and 1 - alpha the soft term."),
]


@register("kd_loss", "distillation loss: alpha CE(hard) + (1 - alpha) T^2 KL(soft)")
def _check_kd_loss(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _kd, _KD_CASES, _KD_SLIPS,
        "hard = mean(-log softmax(s)[label]); p = softmax(t / T), log q = log_softmax(s / T); "
        "loss = alpha * hard + (1 - alpha) * T**2 * mean(sum(p * (log p - log q))).", tol=1e-5)
