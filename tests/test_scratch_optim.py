"""labutils.scratch.optim vs keras.optimizers: five steps on float64 variables must agree.

Keras rounds some hyperparameters through float32 even for float64 variables: the learning
rate lives in a float32 variable, and ``ops.cast(0.9, "float64")`` first makes a float32
tensor, so a momentum or beta of 0.9 arrives as 0.899999976. The exact comparisons (1e-12)
therefore use values that float32 holds exactly (2**-k, 0.875, 1 - 2**-10); a second test uses
Keras' defaults and allows the 1e-7-level difference that rounding causes.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from labutils.scratch import optim as O

RNG = np.random.default_rng(3)
SHAPES = [(3, 2), (2,)]
INIT = [RNG.normal(size=s) for s in SHAPES]
STEPS = 5
# A different gradient at every step (as in training), some entries tiny, some large.
GRADS = [[RNG.normal(scale=s, size=shape) for shape, s in zip(SHAPES, (1.0, 1e-3), strict=True)]
         for _ in range(STEPS)]

CONFIGS = {
    "sgd": (O.SGD, keras.optimizers.SGD, {"learning_rate": 2**-4}),
    "sgd_momentum": (O.SGD, keras.optimizers.SGD, {"learning_rate": 2**-4, "momentum": 0.875}),
    "sgd_nesterov": (O.SGD, keras.optimizers.SGD,
                     {"learning_rate": 2**-4, "momentum": 0.875, "nesterov": True}),
    "rmsprop": (O.RMSprop, keras.optimizers.RMSprop, {"learning_rate": 2**-7}),
    "rmsprop_momentum_centered": (O.RMSprop, keras.optimizers.RMSprop,
                                  {"learning_rate": 2**-7, "rho": 0.8, "momentum": 0.5,
                                   "centered": True, "epsilon": 1e-3}),
    "adam": (O.Adam, keras.optimizers.Adam,
             {"learning_rate": 2**-7, "beta_1": 0.875, "beta_2": 1 - 2**-10}),
    "adam_big_eps": (O.Adam, keras.optimizers.Adam,
                     {"learning_rate": 2**-3, "beta_1": 0.5, "beta_2": 0.75, "epsilon": 0.1}),
    "adam_amsgrad": (O.Adam, keras.optimizers.Adam,
                     {"learning_rate": 2**-7, "beta_1": 0.75, "beta_2": 0.9375, "amsgrad": True}),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_five_steps_match_keras(name: str) -> None:
    ours_cls, keras_cls, kwargs = CONFIGS[name]
    params = [p.copy() for p in INIT]
    variables = [keras.Variable(p.copy(), dtype="float64") for p in INIT]
    ours, theirs = ours_cls(**kwargs), keras_cls(**kwargs)
    for step, grads in enumerate(GRADS, start=1):
        ours.step(params, grads)
        theirs.apply_gradients(zip([g.copy() for g in grads], variables, strict=True))
        for p, v in zip(params, variables, strict=True):
            np.testing.assert_allclose(p, v.numpy(), rtol=1e-12, atol=1e-15,
                                       err_msg=f"{name}, step {step}")
    assert ours.iterations == int(theirs.iterations.numpy()) == STEPS
    assert not np.allclose(params[0], INIT[0])  # the parameters really moved


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_keras_defaults_agree_to_float32_rounding(name: str) -> None:
    """Default hyperparameters (0.001, 0.9, 0.999, ...) on float64 variables."""
    ours_cls, keras_cls, _ = CONFIGS[name]
    extra = {"momentum": 0.9, "nesterov": True} if name == "sgd" else {}
    params = [p.copy() for p in INIT]
    variables = [keras.Variable(p.copy(), dtype="float64") for p in INIT]
    ours, theirs = ours_cls(**extra), keras_cls(**extra)
    for grads in GRADS:
        ours.step(params, grads)
        theirs.apply_gradients(zip([g.copy() for g in grads], variables, strict=True))
    for p, v in zip(params, variables, strict=True):
        np.testing.assert_allclose(p, v.numpy(), rtol=1e-6, atol=1e-9)


def test_float32_keras_defaults_agree_to_float32_precision() -> None:
    """With Keras' default learning rate (0.001, stored in float32) and float32 variables."""
    params = [p.copy() for p in INIT]
    variables = [keras.Variable(p.astype("float32")) for p in INIT]
    ours, theirs = O.Adam(), keras.optimizers.Adam()
    for grads in GRADS:
        ours.step(params, grads)
        theirs.apply_gradients(zip([g.astype("float32") for g in grads], variables, strict=True))
    for p, v in zip(params, variables, strict=True):
        np.testing.assert_allclose(p, v.numpy(), rtol=1e-5, atol=1e-6)


def test_exact_values() -> None:
    p = np.array([1.0, -2.0])
    O.gradient_descent_step([p], [np.array([0.5, 1.0])], learning_rate=0.5)
    np.testing.assert_array_equal(p, [0.75, -2.5])
    # SGD momentum: m1 = -lr g = -0.1, p = 0.9; m2 = 0.9 * -0.1 - 0.1 = -0.19, p = 0.71
    q = np.array([1.0])
    sgd = O.SGD(learning_rate=0.1, momentum=0.9)
    sgd.step([q], [np.array([1.0])])
    sgd.step([q], [np.array([1.0])])
    np.testing.assert_allclose(q, [0.71], rtol=1e-15)
    # Adam's first step moves every coordinate by about learning_rate, whatever |g|
    r = np.zeros(3)
    O.Adam(learning_rate=0.01).step([r], [np.array([1e-2, 1.0, -1e3])])
    np.testing.assert_allclose(r, [-0.01, -0.01, 0.01], rtol=1e-3)


def test_get_optimizer() -> None:
    opt = O.get_optimizer("Adam", learning_rate=0.5)
    assert isinstance(opt, O.Adam) and opt.learning_rate == 0.5
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'rmsprop', 'adam'"):
        O.get_optimizer("adagrad")
    with pytest.raises(TypeError, match="optimizer must be one of 'sgd'"):
        O.get_optimizer(None)


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0; got 0.0"):
        O.SGD(learning_rate=0.0)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        O.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"beta_2 must be a number in \[0, 1\)"):
        O.Adam(beta_2=1.0)
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0"):
        O.RMSprop(epsilon=float("inf"))
    with pytest.raises(TypeError, match="learning_rate must be a finite number > 0; got 'fast'"):
        O.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="same length"):
        O.Adam().step([np.zeros(2)], [])
    with pytest.raises(ValueError, match=r"grads\[0\] must have shape \(2,\)"):
        O.Adam().step([np.zeros(2)], [np.zeros(3)])
    with pytest.raises(ValueError, match="floating-point numpy array.*got dtype int"):
        O.SGD().step([np.zeros(2, dtype=int)], [np.zeros(2)])
    with pytest.raises(TypeError, match=r"params\[0\] must be a floating-point numpy array"):
        O.SGD().step([[0.0, 0.0]], [np.zeros(2)])
    opt = O.RMSprop()
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="same parameters every time"):
        opt.step([np.zeros(3)], [np.ones(3)])
