"""Fitting scaling laws (缩放定律): ``L(N) = E + A·N^-α`` and Hoffmann et al.'s surface
``L(N, D) = E + A/N^α + B/D^β``, with bootstrap confidence intervals.

Both fits follow Hoffmann et al. (2022, "Training Compute-Optimal Large Language Models",
approach 3): residuals are taken between *log* losses, so every point counts by its relative
error, and ``robust=True`` uses SciPy's ``soft_l1`` loss (quadratic for residuals below
``f_scale``, linear beyond) so one bad run cannot drag the curve. ``E >= 0`` is a bound; ``A``,
``α`` (and ``B``, ``β``) are fitted as logarithms, so they stay positive; ``N`` and ``D`` are
divided by their geometric means inside the fit for conditioning. Confidence intervals come
from a percentile bootstrap: the points are resampled with replacement ``n_boot`` times and
refitted. :func:`compute_optimal` minimises the fitted surface at fixed compute ``C = 6·N·D``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from labutils._validate import check_instance, check_scalar

_NAMES = {3: ("E", "A", "alpha"), 5: ("E", "A", "alpha", "B", "beta")}


def _positive_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a 1-D float array of finite numbers > 0, else ``ValueError``."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers; got shape {arr.shape}")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"{name} must hold finite numbers > 0; got {arr.tolist()}")
    return arr


def _terms(p: np.ndarray, logs: tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, float]]:
    """Each power-law term ``exp(a - α·log x)`` with its exponent α, for internal parameters
    ``p = [E, a, log α(, b, log β)]`` at the logs of the normalised sizes ``logs``."""
    return [(np.exp(p[1 + 2 * j] - np.exp(p[2 + 2 * j]) * lg), float(np.exp(p[2 + 2 * j])))
            for j, lg in enumerate(logs)]


def _solve(p0: np.ndarray, logs: tuple[np.ndarray, ...], log_loss: np.ndarray, robust: bool,
           f_scale: float) -> Any:
    """One ``least_squares`` fit of the log-residuals from ``p0``, with the exact Jacobian."""
    from scipy.optimize import least_squares

    def residuals(p: np.ndarray) -> np.ndarray:
        return np.log(p[0] + sum(t for t, _ in _terms(p, logs))) - log_loss

    def jacobian(p: np.ndarray) -> np.ndarray:
        terms = _terms(p, logs)
        pred = p[0] + sum(t for t, _ in terms)
        cols = [np.ones_like(pred)]
        for (t, expo), lg in zip(terms, logs, strict=True):
            cols += [t, -t * expo * lg]
        return np.column_stack(cols) / pred[:, None]

    lower = np.full(len(p0), -np.inf)
    upper = np.full(len(p0), np.inf)
    lower[0] = 0.0
    lower[2::2], upper[2::2] = np.log(1e-4), np.log(10.0)  # 1e-4 <= α, β <= 10
    p0 = np.clip(p0, lower + 1e-12, upper - 1e-12)
    return least_squares(residuals, p0, jac=jacobian, bounds=(lower, upper),
                         loss="soft_l1" if robust else "linear", f_scale=f_scale,
                         xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=2000)


def _starts(logs: tuple[np.ndarray, ...], loss: np.ndarray) -> list[np.ndarray]:
    """A few starting points: E at 0, half and 0.9 of the smallest loss; exponents from a
    small grid; prefactors by linear least squares given those."""
    starts = []
    grid = [(a,) for a in (0.1, 0.3, 1.0)] if len(logs) == 1 else \
        [(a, b) for a in (0.1, 0.3, 1.0) for b in (0.1, 0.3, 1.0)]
    for e in (0.0, 0.5 * loss.min(), 0.9 * loss.min()):
        for exps in grid:
            cols = np.column_stack([np.exp(-x * lg) for x, lg in zip(exps, logs, strict=True)])
            coef = np.linalg.lstsq(cols, loss - e, rcond=None)[0]
            coef = np.maximum(coef, 1e-3 * (loss.mean() - e + 1e-12))
            p = [e]
            for c, x in zip(coef, exps, strict=True):
                p += [np.log(c), np.log(x)]
            starts.append(np.array(p))
    return starts


def _fit(sizes: list[np.ndarray], loss: np.ndarray, robust: bool, f_scale: float,
         n_boot: int, seed: int, level: float) -> dict[str, Any]:
    """Fit, bootstrap, and return the public parameters plus everything the dataclasses hold."""
    k = 1 + 2 * len(sizes)
    norms = [float(np.exp(np.mean(np.log(s)))) for s in sizes]
    logs = tuple(np.log(s / c) for s, c in zip(sizes, norms, strict=True))
    log_loss = np.log(loss)
    best = min((_solve(p, logs, log_loss, robust, f_scale) for p in _starts(logs, loss)),
               key=lambda r: r.cost)

    def public(p: np.ndarray) -> np.ndarray:
        out = [p[0]]
        for j, c in enumerate(norms):  # A = A' · c^α, since A'(N/c)^-α = A' c^α N^-α
            expo = np.exp(p[2 + 2 * j])
            out += [np.exp(p[1 + 2 * j] + expo * np.log(c)), expo]
        return np.array(out)

    rng = np.random.default_rng(seed)
    boot, m = [], len(loss)
    key = np.column_stack(sizes)
    for _ in range(n_boot):
        for _attempt in range(100):  # need >= k distinct points to pin k parameters
            idx = rng.integers(0, m, m)
            if len(np.unique(key[idx], axis=0)) >= k:
                break
        r = _solve(best.x, tuple(lg[idx] for lg in logs), log_loss[idx], robust, f_scale)
        boot.append(public(r.x))
    boot_arr = np.array(boot).reshape(-1, k)
    q = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
    ci = {name: (tuple(float(v) for v in np.percentile(boot_arr[:, j], q)) if n_boot
                 else (float("nan"), float("nan"))) for j, name in enumerate(_NAMES[k])}
    res = best.fun
    weights = 1 / np.sqrt(1 + (res / f_scale) ** 2) if robust else np.ones_like(res)
    values = dict(zip(_NAMES[k], (float(v) for v in public(best.x)), strict=True))
    return dict(values, ci=ci, boot=boot_arr, residuals=res, weights=weights, robust=robust,
                level=level)


def _validate_common(robust: bool, n_boot: int, seed: int, f_scale: float,
                     level: float) -> tuple[int, int, float, float]:
    check_instance("robust", robust, bool, "True or False")
    return (check_scalar("n_boot", n_boot, "int", min=0), check_scalar("seed", seed, "int"),
            check_scalar("f_scale", f_scale, "real", min=0, include_min=False),
            check_scalar("level", level, "real", min=0, max=1, include_min=False,
                         include_max=False))


def _band(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if len(values) == 0:
        raise ValueError("band needs bootstrap resamples; fit with n_boot >= 1")
    lo, hi = np.percentile(values, 100 * np.array([(1 - level) / 2, (1 + level) / 2]), axis=0)
    return lo, hi


@dataclass(frozen=True)
class PowerLawFit:
    """``L(N) = E + A·N^-alpha``: the fitted values, their bootstrap percentile intervals
    ``ci[name] = (low, high)``, every resample's ``(E, A, alpha)`` in ``boot``, and per data
    point the log-residual and the weight the robust loss gave it (1 = full weight)."""

    E: float
    A: float
    alpha: float
    ci: dict[str, tuple[float, float]]
    boot: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    robust: bool = True
    level: float = 0.95

    def predict(self, n: Any) -> np.ndarray:
        """The fitted loss at ``n`` parameters."""
        return self.E + self.A * np.asarray(n, dtype=float) ** -self.alpha

    def band(self, n: Any) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edges of the bootstrap band (``level``, 2.5-97.5 % by default)."""
        n = np.asarray(n, dtype=float)
        b = self.boot
        return _band(b[:, :1] + b[:, 1:2] * n.reshape(1, -1) ** -b[:, 2:3], self.level)


@dataclass(frozen=True)
class SurfaceFit:
    """``L(N, D) = E + A/N^alpha + B/D^beta`` (Hoffmann et al. 2022): fitted values, their
    bootstrap intervals ``ci``, every resample's ``(E, A, alpha, B, beta)`` in ``boot``,
    per-point log-residuals and robust weights."""

    E: float
    A: float
    alpha: float
    B: float
    beta: float
    ci: dict[str, tuple[float, float]]
    boot: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    robust: bool = True
    level: float = 0.95

    def predict(self, n: Any, d: Any) -> np.ndarray:
        """The fitted loss for ``n`` parameters trained on ``d`` tokens (broadcast)."""
        n, d = np.asarray(n, dtype=float), np.asarray(d, dtype=float)
        return self.E + self.A * n ** -self.alpha + self.B * d ** -self.beta

    def band(self, n: Any, d: Any) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edges of the bootstrap band at ``(n, d)`` (1-D, broadcast)."""
        n, d = np.broadcast_arrays(np.asarray(n, dtype=float).ravel(),
                                   np.asarray(d, dtype=float).ravel())
        b = self.boot
        return _band(b[:, :1] + b[:, 1:2] * n[None] ** -b[:, 2:3]
                     + b[:, 3:4] * d[None] ** -b[:, 4:5], self.level)

    def resamples(self) -> list[SurfaceFit]:
        """One :class:`SurfaceFit` per bootstrap resample (no resamples of their own), e.g.
        to see how :func:`compute_optimal` varies with the data."""
        empty = np.empty((0, 5))
        return [replace(self, **dict(zip(_NAMES[5], (float(v) for v in row), strict=True)),
                        boot=empty) for row in self.boot]


def fit_power_law(n: Any, loss: Any, *, robust: bool = True, n_boot: int = 200, seed: int = 0,
                  f_scale: float = 0.01, level: float = 0.95) -> PowerLawFit:
    """Fit ``L = E + A·N^-alpha`` to losses ``loss`` at sizes ``n`` (at least 4 points with
    at least 3 distinct sizes) and bootstrap ``n_boot`` resamples for the intervals.
    ``f_scale`` is the log-residual (≈ relative error) beyond which ``robust`` fitting stops
    squaring it."""
    n, loss = _positive_array("n", n), _positive_array("loss", loss)
    if len(n) != len(loss):
        raise ValueError(f"n and loss must have the same length; got {len(n)} and {len(loss)}")
    if len(n) < 4 or len(np.unique(n)) < 3:
        raise ValueError("fit_power_law needs at least 4 points and 3 distinct sizes "
                         f"(3 parameters); got {len(n)} points, {len(np.unique(n))} sizes")
    n_boot, seed, f_scale, level = _validate_common(robust, n_boot, seed, f_scale, level)
    return PowerLawFit(**_fit([n], loss, robust, f_scale, n_boot, seed, level))


def fit_loss_surface(n: Any, d: Any, loss: Any, *, robust: bool = True, n_boot: int = 200,
                     seed: int = 0, f_scale: float = 0.01, level: float = 0.95) -> SurfaceFit:
    """Fit Hoffmann et al.'s ``L(N, D) = E + A/N^alpha + B/D^beta`` to losses of models with
    ``n`` parameters trained on ``d`` tokens (at least 6 points, 3 distinct values of each)
    and bootstrap ``n_boot`` resamples for the intervals; see :func:`fit_power_law`."""
    n, d, loss = (_positive_array(k, v) for k, v in (("n", n), ("d", d), ("loss", loss)))
    if not len(n) == len(d) == len(loss):
        raise ValueError("n, d and loss must have the same length; got "
                         f"{len(n)}, {len(d)} and {len(loss)}")
    if len(n) < 6 or len(np.unique(n)) < 3 or len(np.unique(d)) < 3:
        raise ValueError("fit_loss_surface needs at least 6 points and 3 distinct values of "
                         f"both n and d (5 parameters); got {len(n)} points, "
                         f"{len(np.unique(n))} values of n, {len(np.unique(d))} of d")
    n_boot, seed, f_scale, level = _validate_common(robust, n_boot, seed, f_scale, level)
    return SurfaceFit(**_fit([n, d], loss, robust, f_scale, n_boot, seed, level))


@dataclass(frozen=True)
class ComputeOptimal:
    """The best split of a compute budget ``flops`` (C = 6·N·D) for a fitted surface:
    parameters ``n_opt``, tokens ``d_opt`` and their ratio ``tokens_per_param``."""

    flops: np.ndarray
    n_opt: np.ndarray
    d_opt: np.ndarray
    tokens_per_param: np.ndarray


def compute_optimal(fit: SurfaceFit, flops: Any) -> ComputeOptimal:
    """Minimise ``fit`` over N at fixed ``C = 6·N·D`` (``flops``, a number or array > 0):
    ``N_opt = G·(C/6)^(beta/(alpha+beta))`` with ``G = (alpha·A/(beta·B))^(1/(alpha+beta))``
    and ``D_opt = C/(6·N_opt)`` (Hoffmann et al. 2022)."""
    check_instance("fit", fit, SurfaceFit, "a SurfaceFit (from fit_loss_surface)")
    c = np.asarray(flops, dtype=float)
    if not np.all(np.isfinite(c) & (c > 0)):
        raise ValueError(f"flops must be finite numbers > 0; got {c.tolist()}")
    a, b = fit.alpha, fit.beta
    g = (a * fit.A / (b * fit.B)) ** (1 / (a + b))
    n_opt = g * (c / 6) ** (b / (a + b))
    d_opt = c / (6 * n_opt)
    return ComputeOptimal(c, n_opt, d_opt, d_opt / n_opt)
