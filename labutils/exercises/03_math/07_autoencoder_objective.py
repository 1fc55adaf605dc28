"""Chapter 3 exercises for notebook 03_math/07_autoencoder_objective: the reconstruction
error and the projection onto the top-k principal components. Each checker compares the
learner's function with a reference on fixed inputs, after trying the usual slips (a sum
instead of a mean, no centering, principal directions taken from the wrong axis) so that a
wrong answer gets the hint that fits it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, register

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
