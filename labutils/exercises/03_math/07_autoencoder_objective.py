"""Chapter 3 exercises for notebook 03_math/07_autoencoder_objective: the reconstruction
error, the projection onto the top-k principal components (starting from seed 002's objective
without a bottleneck, whose least-squares solution is the identity), and the reparametrisation
``(A G, G^-1 B)`` of a linear autoencoder. Each checker compares the learner's function with a
reference on fixed inputs, after trying the usual slips (a sum instead of a mean, no
centering, principal directions taken from the wrong axis, no bottleneck at all) so that a
wrong answer gets the hint that fits it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function,
    check_function_or_slip,
    diagnose,
    not_yet,
    register,
)

_rng = np.random.default_rng(7)


def _reconstruction_mse(x: np.ndarray, x_hat: np.ndarray) -> float:
    """Mean of the squared error over every entry (examples and features), as Keras' 'mse'."""
    x, x_hat = np.asarray(x, dtype=float), np.asarray(x_hat, dtype=float)
    return float(np.mean((x - x_hat) ** 2))


# Several examples and features, so a per-example sum, a missing square or a square root
# all give a different number.
_MSE_CASES: list[tuple[Any, ...]] = [
    (np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]]), np.array([[0.5, 1.0, 0.0], [0.0, 0.0, 0.0]])),
    (_rng.uniform(size=(6, 64)), _rng.uniform(size=(6, 64))),
]


_MSE_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda x, xh: np.mean(np.sum((x - xh) ** 2, axis=1)),
     "you summed over the features: that is E||x - x_hat||^2, n_features times larger. Here "
     "(as in Keras' 'mse') average over every entry: np.mean((x - x_hat) ** 2)."),
    (lambda x, xh: np.sqrt(np.mean((x - xh) ** 2)),
     "that is the root of the MSE (RMSE); leave out the square root."),
    (lambda x, xh: np.mean(np.abs(x - xh)),
     "that is the mean absolute error; square the differences instead."),
    (lambda x, xh: np.mean(x - xh) ** 2,
     "you squared the mean difference; square each difference first, then average."),
    (lambda x, xh: np.mean((x - xh) ** 2, axis=1),
     "you returned one number per example; average over the examples too (one number)."),
]


@register("reconstruction_mse", "reconstruction mean squared error, averaged over every "
                                   "entry")
def _check_reconstruction_mse(fn: Any, name: str) -> CheckResult:
    hint = "square the differences x - x_hat, then average over every entry: one number."
    if callable(fn):
        hint = diagnose(fn, _MSE_CASES, _MSE_SLIPS, hint)
    return check_function(fn, _reconstruction_mse, _MSE_CASES, name=name,
                          hint=hint)


def _pca_reconstruct(x_train: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Reconstruct ``x`` from its coordinates on the top-``k`` principal components of
    ``x_train``: centre with the training mean, project, map back, add the mean again."""
    mean = x_train.mean(axis=0)
    _, _, vt = np.linalg.svd(x_train - mean, full_matrices=False)
    components = vt[:k]                                   # (k, n_features), orthonormal rows
    return (x - mean) @ components.T @ components + mean


def _pca_slip(centre: bool = True, fit_on_x: bool = False, axis: str = "rows",
              add_mean: bool = True) -> Callable[..., np.ndarray]:
    def wrong(x_train: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
        data = x if fit_on_x else x_train
        mean = data.mean(axis=0) if centre else np.zeros(data.shape[1])
        _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
        comps = vt[:k] if axis == "rows" else vt[:, :k].T
        out = (x - mean) @ comps.T @ comps
        return out + mean if add_mean else out
    return wrong


# Training data with a large mean and well-separated variances (so the top-k components are
# unambiguous); x differs from x_train so that fitting on x is caught.
_SCALES = np.array([3.0, 2.0, 1.0, 0.5, 0.2])
_X_TRAIN = 5.0 + _rng.normal(size=(40, 5)) * _SCALES @ np.linalg.qr(_rng.normal(size=(5, 5)))[0]
_X_NEW = 5.0 + _rng.normal(size=(6, 5)) * 2.0
_PCA_CASES: list[tuple[Any, ...]] = [(_X_TRAIN, _X_NEW, 1), (_X_TRAIN, _X_NEW, 3),
                                     (_X_TRAIN, _X_TRAIN[:4], 2)]

_PCA_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda x_train, x, k: np.asarray(x, dtype=float),
     "this reconstructs x perfectly because nothing forces it through a bottleneck: the best "
     "unconstrained Q is the identity (seed 002's objective, min over every Q). Keep only the "
     "top-k principal components: (x - mean) @ C.T @ C + mean with C = Vt[:k]."),
    (_pca_slip(centre=False),
     "centre first: subtract x_train.mean(axis=0) before the SVD and before projecting, then "
     "add it back (PCA describes variation around the mean)."),
    (_pca_slip(add_mean=False),
     "you projected the centred data but did not add the training mean back at the end."),
    (_pca_slip(fit_on_x=True),
     "fit the components (and the mean) on x_train only, then apply them to x — as with any "
     "preprocessing, the data you evaluate on must not shape the model."),
    (_pca_slip(axis="columns"),
     "np.linalg.svd returns Vt whose *rows* are the principal directions: use Vt[:k], not "
     "Vt[:, :k]."),
]


@register("pca_reconstruct", "reconstruct x from its projection on the top-k principal "
                                "components of x_train")
def _check_pca_reconstruct(fn: Any, name: str) -> CheckResult:
    hint = ("mean = x_train.mean(0); Vt from np.linalg.svd(x_train - mean, "
            "full_matrices=False); C = Vt[:k]; return (x - mean) @ C.T @ C + mean.")
    if callable(fn):
        hint = diagnose(fn, _PCA_CASES, _PCA_SLIPS, hint)
    return check_function(fn, _pca_reconstruct, _PCA_CASES, name=name,
                          atol=1e-8, rtol=1e-6, hint=hint)


# --- reparametrise: (A G, G^-1 B) reconstructs exactly like (A, B) ------------------------------
def _reparametrise(A: np.ndarray, B: np.ndarray, G: np.ndarray) -> np.ndarray:
    return np.concatenate([(A @ G).ravel(), np.linalg.solve(G, B).ravel()])


def _pair(fn: Callable[..., Any]) -> Callable[..., np.ndarray]:
    def call(A: np.ndarray, B: np.ndarray, G: np.ndarray) -> np.ndarray:
        out = fn(np.array(A, copy=True), np.array(B, copy=True), np.array(G, copy=True))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError("reparametrise must return the pair (A2, B2)")
        a2, b2 = (np.asarray(v, dtype=float) for v in out)
        if a2.shape != A.shape or b2.shape != B.shape:
            raise ValueError(f"A2 must have A's shape {A.shape} and B2 B's shape {B.shape}; got "
                             f"{a2.shape} and {b2.shape}")
        return np.concatenate([a2.ravel(), b2.ravel()])
    return call


# An encoder 6 -> 3 and decoder 3 -> 6 with a well-conditioned, non-symmetric G (so G, G^T
# and G^-1 all differ), and a second case with k = 2.
_REPARAM_CASES: list[tuple[Any, ...]] = [
    (_rng.normal(size=(6, 3)), _rng.normal(size=(3, 6)),
     np.eye(3) + 0.5 * _rng.normal(size=(3, 3))),
    (_rng.normal(size=(5, 2)), _rng.normal(size=(2, 5)), np.array([[2.0, 1.0], [0.5, 1.5]])),
]
_REPARAM_SLIPS: list[tuple[Callable[..., Any], str]] = [
    (lambda A, B, G: np.concatenate([(A @ np.linalg.inv(G)).ravel(), (G @ B).ravel()]),
     "(A G^-1, G B) reconstructs just as well, but the exercise asks for the other way round: "
     "(A G, G^-1 B)."),
    (lambda A, B, G: np.concatenate([(A @ G).ravel(), B.ravel()]),
     "the decoder must undo G: B2 = G^-1 B (np.linalg.solve(G, B)), so that A2 B2 = A B."),
    (lambda A, B, G: np.concatenate([(A @ G).ravel(), (G.T @ B).ravel()]),
     "G^T undoes G only when G is orthogonal; use the inverse, np.linalg.solve(G, B)."),
]


@register("reparametrise", "a linear autoencoder's other encoder/decoder pair (A G, G^-1 B)")
def _check_reparametrise(fn: Any, name: str) -> CheckResult:
    if callable(fn):
        try:
            if fn(*_REPARAM_CASES[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function_or_slip below
            pass
    result = check_function_or_slip(
        _pair(fn) if callable(fn) else fn, name, _reparametrise, _REPARAM_CASES, _REPARAM_SLIPS,
        "return (A @ G, np.linalg.solve(G, B)).", tol=1e-9)
    if result:
        A, B, G = _REPARAM_CASES[0]
        a2, b2 = fn(A.copy(), B.copy(), G.copy())
        gap = float(np.abs(np.asarray(a2) @ np.asarray(b2) - A @ B).max())
        return CheckResult(name, True, f"agrees with the reference on {len(_REPARAM_CASES)} "
                                       f"inputs; A2 B2 differs from A B by at most {gap:.1e}, "
                                       "so every reconstruction is unchanged.")
    return result
