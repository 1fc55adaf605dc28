"""labutils.surfaces: exact gradients vs finite differences, trajectories, validation.
(The surface plots are tested in test_plots.py, the learning-rate slider in test_widgets.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from labutils import surfaces as S
from labutils.scratch import SGD, Adam, numerical_gradient, relative_error

SURFACES = {
    "quadratic": S.quadratic(),
    "quadratic_rotated": S.quadratic(a=0.5, b=7.0, angle=30.0),
    "rosenbrock": S.rosenbrock(),
    "rosenbrock_other": S.rosenbrock(a=2.0, b=10.0),
}
POINTS = np.random.default_rng(0).uniform(-2, 2, size=(6, 2))


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradient_matches_finite_differences(name: str) -> None:
    surface = SURFACES[name]
    for point in POINTS:
        w = point.copy()
        numeric = numerical_gradient(lambda v: surface.value(v), w)
        assert relative_error(surface.gradient(w), numeric) < 1e-8


@pytest.mark.parametrize("name", list(SURFACES))
def test_minimum_is_a_stationary_point_with_zero_loss(name: str) -> None:
    surface = SURFACES[name]
    m = np.array(surface.minimum)
    assert surface.value(m) == pytest.approx(0.0, abs=1e-14)
    np.testing.assert_allclose(surface.gradient(m), [0.0, 0.0], atol=1e-12)


def test_exact_values() -> None:
    q = S.quadratic(a=2.0, b=6.0)
    assert q.value(np.array([1.0, 1.0])) == 4.0  # (2 + 6) / 2
    np.testing.assert_array_equal(q.gradient(np.array([1.0, -1.0])), [2.0, -6.0])
    r = S.rosenbrock()
    assert r.value(np.array([0.0, 0.0])) == 1.0
    np.testing.assert_array_equal(r.gradient(np.array([0.0, 0.0])), [-2.0, 0.0])
    # A rotation by 90 degrees swaps the roles of the two axes.
    q90 = S.quadratic(a=1.0, b=9.0, angle=90.0)
    assert q90.value(np.array([1.0, 0.0])) == pytest.approx(4.5)


def test_vectorised_shapes() -> None:
    q = S.quadratic()
    pts = np.zeros((4, 3, 2))
    assert q.value(pts).shape == (4, 3)
    assert q.gradient(pts).shape == (4, 3, 2)
    X, Y, Z = q.grid(n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    with pytest.raises(ValueError, match=r"points must have shape \(\.\.\., 2\)"):
        q.value(np.zeros(3))


@pytest.mark.parametrize("name", S.OPTIMIZER_NAMES)
def test_trajectory_shape_start_and_progress(name: str) -> None:
    q = S.quadratic()
    lr = 0.05 if name in ("gd", "rmsprop") else 0.01 if name != "adam" else 0.2
    path = S.run_trajectory(q, name, learning_rate=lr, steps=30)
    assert path.shape == (31, 2)
    np.testing.assert_array_equal(path[0], q.start)
    assert np.all(np.isfinite(path))
    assert q.value(path[-1]) < q.value(path[0])


def test_gd_trajectory_is_the_update_rule() -> None:
    q = S.quadratic(a=1.0, b=4.0)
    path = S.run_trajectory(q, "gd", learning_rate=0.1, start=[1.0, 1.0], steps=3)
    # w <- w - 0.1 * (a w1, b w2): w1 shrinks by 0.9, w2 by 0.6 per step
    np.testing.assert_allclose(path, [[1.0, 1.0], [0.9, 0.6], [0.81, 0.36], [0.729, 0.216]],
                               rtol=1e-14)


def test_stability_threshold_of_gradient_descent() -> None:
    q = S.quadratic(a=1.0, b=20.0)  # stable iff lr < 2 / 20 = 0.1
    stable = S.run_trajectory(q, "gd", learning_rate=0.099, steps=2000)
    unstable = S.run_trajectory(q, "gd", learning_rate=0.101, steps=2000)
    assert q.value(stable[-1]) < 1e-6
    assert np.isnan(unstable[-1]).all() and np.isfinite(unstable[0]).all()
    first_nan = np.argmax(np.isnan(unstable[:, 0]))
    assert np.isnan(unstable[first_nan:]).all()  # once diverged, the rest stays NaN


def test_noise_and_seed() -> None:
    q = S.quadratic()
    a = S.run_trajectory(q, "gd", learning_rate=0.01, steps=10, noise=1.0, seed=1)
    b = S.run_trajectory(q, "gd", learning_rate=0.01, steps=10, noise=1.0, seed=1)
    c = S.run_trajectory(q, "gd", learning_rate=0.01, steps=10, noise=1.0, seed=2)
    clean = S.run_trajectory(q, "gd", learning_rate=0.01, steps=10)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, clean)


def test_optimizer_instance_and_make_optimizer() -> None:
    q = S.quadratic()
    via_name = S.run_trajectory(q, "adam", learning_rate=0.1, steps=5)
    via_obj = S.run_trajectory(q, Adam(learning_rate=0.1), steps=5)
    np.testing.assert_array_equal(via_name, via_obj)
    m = S.make_optimizer("momentum", 0.1)
    assert isinstance(m, SGD) and m.momentum == 0.9 and not m.nesterov
    assert S.make_optimizer("nesterov", 0.1, momentum=0.5).nesterov
    assert S.get_surface("rosenbrock", b=10.0).value(np.array([0.0, 1.0])) == 11.0


def test_argument_validation() -> None:
    q = S.quadratic()
    with pytest.raises(ValueError, match="optimizer must be one of 'gd', 'momentum'"):
        S.run_trajectory(q, "adagrad", learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate is required"):
        S.run_trajectory(q, "gd")
    with pytest.raises(ValueError, match="learning_rate must be None"):
        S.run_trajectory(q, Adam(), learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        S.run_trajectory(q, "gd", learning_rate=-1.0)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        S.run_trajectory(q, "gd", learning_rate=0.1, steps=0)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        S.run_trajectory(q, "gd", learning_rate=0.1, noise=-1.0)
    with pytest.raises(ValueError, match="start must be two finite numbers"):
        S.run_trajectory(q, "gd", learning_rate=0.1, start=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="b must be a finite number > 0"):
        S.quadratic(b=0.0)
    with pytest.raises(ValueError, match="angle must be a finite number"):
        S.quadratic(angle=float("nan"))
    with pytest.raises(ValueError, match="surface must be one of 'quadratic', 'rosenbrock'"):
        S.get_surface("himmelblau")
    with pytest.raises(ValueError, match="optimizer must be one of 'gd'"):
        S.make_optimizer("sgdd", 0.1)


def test_wrong_types_raise_type_error() -> None:
    q = S.quadratic()
    with pytest.raises(TypeError, match="surface must be a Surface"):
        S.run_trajectory("quadratic", "gd", learning_rate=0.1)
    with pytest.raises(TypeError, match="optimizer must be one of 'gd'.* or an Optimizer"):
        S.run_trajectory(q, 3, learning_rate=0.1)
    with pytest.raises(TypeError, match="steps must be a positive int"):
        S.run_trajectory(q, "gd", learning_rate=0.1, steps=10.0)
    with pytest.raises(TypeError, match="noise must be a finite number >= 0"):
        S.run_trajectory(q, "gd", learning_rate=0.1, noise="a little")
    with pytest.raises(TypeError, match="a must be a finite number > 0"):
        S.rosenbrock(a=True)
    with pytest.raises(TypeError, match="surface must be one of"):
        S.get_surface(None)
