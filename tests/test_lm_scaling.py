"""Scaling-law fits: exact recovery, robustness to an outlier, bootstrap coverage, the
compute-optimal split, argument validation."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.lm.scaling import (
    ComputeOptimal,
    PowerLawFit,
    SurfaceFit,
    compute_optimal,
    fit_loss_surface,
    fit_power_law,
)

N = np.array([1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6])
TRUE = dict(E=1.7, A=40.0, alpha=0.3)
SURF = dict(E=1.69, A=406.4, alpha=0.34, B=410.7, beta=0.28)  # Hoffmann et al.'s fit


def law(n: np.ndarray) -> np.ndarray:
    return TRUE["E"] + TRUE["A"] * n ** -TRUE["alpha"]


def grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, d = (a.ravel() for a in np.meshgrid([1e4, 3e4, 1e5, 3e5, 1e6],
                                           [1e6, 3e6, 1e7, 3e7, 1e8]))
    return n, d, SURF["E"] + SURF["A"] * n ** -SURF["alpha"] + SURF["B"] * d ** -SURF["beta"]


@pytest.mark.parametrize("robust", [True, False])
def test_power_law_recovers_exact_parameters(robust: bool) -> None:
    fit = fit_power_law(N, law(N), robust=robust, n_boot=5)
    assert isinstance(fit, PowerLawFit)
    for k, v in TRUE.items():
        assert getattr(fit, k) == pytest.approx(v, rel=1e-6)
        lo, hi = fit.ci[k]  # every resample of exact data gives the same parameters
        assert lo == pytest.approx(v, rel=1e-6) and hi == pytest.approx(v, rel=1e-6)
    np.testing.assert_allclose(fit.predict(N), law(N), rtol=1e-9)
    np.testing.assert_allclose(fit.residuals, 0, atol=1e-9)
    lo, hi = fit.band([3e4, 3e6])
    np.testing.assert_allclose(lo, law(np.array([3e4, 3e6])), rtol=1e-6)
    np.testing.assert_allclose(hi, lo, rtol=1e-6)


def test_power_law_with_zero_floor() -> None:
    fit = fit_power_law(N, 40.0 * N ** -0.3, n_boot=0)
    assert fit.E == pytest.approx(0, abs=1e-6)
    assert fit.alpha == pytest.approx(0.3, rel=1e-6)
    assert np.isnan(fit.ci["alpha"][0])
    with pytest.raises(ValueError, match="n_boot >= 1"):
        fit.band(N)


def test_robust_fit_resists_one_gross_outlier() -> None:
    loss = law(N)
    loss[3] *= 1.3  # one run went badly wrong: 30 % above the law
    robust = fit_power_law(N, loss, n_boot=0)
    plain = fit_power_law(N, loss, robust=False, n_boot=0)
    assert abs(robust.alpha - TRUE["alpha"]) < 0.02
    assert abs(plain.alpha - TRUE["alpha"]) > 0.1
    assert abs(robust.E - TRUE["E"]) < 0.1 < abs(plain.E - TRUE["E"])
    # the outlier is the one point the robust loss down-weights
    assert int(np.argmin(robust.weights)) == 3 and robust.weights[3] < 0.1
    assert np.all(np.delete(robust.weights, 3) > 0.5)
    np.testing.assert_array_equal(plain.weights, 1.0)


def test_bootstrap_interval_covers_true_exponent() -> None:
    rng = np.random.default_rng(4)
    loss = law(N) * np.exp(rng.normal(0, 0.01, len(N)))
    fit = fit_power_law(N, loss, n_boot=200, seed=0)
    lo, hi = fit.ci["alpha"]
    assert lo < TRUE["alpha"] < hi and lo < fit.alpha < hi
    assert fit.boot.shape == (200, 3)
    band_lo, band_hi = fit.band(N)
    assert np.all(band_lo < band_hi)
    # the same seed gives the same resamples
    again = fit_power_law(N, loss, n_boot=200, seed=0)
    np.testing.assert_array_equal(fit.boot, again.boot)


def test_surface_recovers_exact_parameters() -> None:
    n, d, loss = grid()
    fit = fit_loss_surface(n, d, loss, n_boot=3)
    assert isinstance(fit, SurfaceFit)
    for k, v in SURF.items():
        assert getattr(fit, k) == pytest.approx(v, rel=1e-6)
    np.testing.assert_allclose(fit.predict(n, d), loss, rtol=1e-9)
    assert len(fit.resamples()) == 3 and fit.resamples()[0].boot.shape == (0, 5)
    lo, hi = fit.band(n[:4], d[:4])
    np.testing.assert_allclose(lo, loss[:4], rtol=1e-6)
    np.testing.assert_allclose(hi, loss[:4], rtol=1e-6)


def test_compute_optimal_is_analytic_and_on_budget() -> None:
    n, d, loss = grid()
    fit = fit_loss_surface(n, d, loss, n_boot=0)
    flops = np.array([1e15, 1e18, 5.76e23])
    opt = compute_optimal(fit, flops)
    assert isinstance(opt, ComputeOptimal)
    np.testing.assert_allclose(6 * opt.n_opt * opt.d_opt, flops, rtol=1e-12)
    a, b, big_a, big_b = SURF["alpha"], SURF["beta"], SURF["A"], SURF["B"]
    g = (a * big_a / (b * big_b)) ** (1 / (a + b))
    np.testing.assert_allclose(opt.n_opt, g * (flops / 6) ** (b / (a + b)), rtol=1e-6)
    np.testing.assert_allclose(opt.tokens_per_param, opt.d_opt / opt.n_opt, rtol=1e-12)
    # N_opt minimises the fitted loss along the budget line
    for c, n_star in zip(flops, opt.n_opt, strict=True):
        ns = n_star * np.array([0.9, 1.0, 1.1])
        losses = fit.predict(ns, c / (6 * ns))
        assert losses[1] < losses[0] and losses[1] < losses[2]
    # a scalar budget works too
    assert float(compute_optimal(fit, 1e18).n_opt) == pytest.approx(opt.n_opt[1])


@pytest.mark.parametrize("kwargs,match", [
    (dict(n=[1e4, 2e4, 3e4], loss=[3, 2, 1]), "at least 4 points"),
    (dict(n=[1e4, 1e4, 2e4, 2e4], loss=[3, 2, 1, 1]), "3 distinct sizes"),
    (dict(n=[1e4, 2e4, 3e4, 4e4], loss=[3, 2, 1]), "same length"),
    (dict(n=[1e4, -2e4, 3e4, 4e4], loss=[3, 2, 1, 1]), "n must hold finite numbers > 0"),
    (dict(n=[1e4, 2e4, 3e4, 4e4], loss=[3, 2, np.nan, 1]), "loss must hold finite"),
    (dict(n=[[1e4, 2e4, 3e4, 4e4]], loss=[3, 2, 1, 1]), "1-D"),
    (dict(n=N, loss=law(N), n_boot=-1), "n_boot must be an int >= 0"),
    (dict(n=N, loss=law(N), f_scale=0.0), "f_scale must be a finite number > 0"),
    (dict(n=N, loss=law(N), level=1.0), r"level must be a number in \(0, 1\)"),
])
def test_power_law_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit_power_law(**kwargs)


def test_bad_arguments_elsewhere() -> None:
    n, d, loss = grid()
    with pytest.raises(ValueError, match="at least 6 points"):
        fit_loss_surface(n[:5], d[:5], loss[:5])
    with pytest.raises(ValueError, match="3 distinct values of both n and d"):
        fit_loss_surface(n[:10], np.full(10, 1e6), loss[:10])
    with pytest.raises(ValueError, match="same length"):
        fit_loss_surface(n, d[:-1], loss)
    with pytest.raises(TypeError, match="robust must be True or False"):
        fit_power_law(N, law(N), robust="yes")
    fit = fit_loss_surface(n, d, loss, n_boot=0)
    with pytest.raises(ValueError, match="flops must be finite numbers > 0"):
        compute_optimal(fit, [1e18, 0.0])
    with pytest.raises(TypeError, match="fit must be a SurfaceFit"):
        compute_optimal(fit_power_law(N, law(N), n_boot=0), 1e18)
