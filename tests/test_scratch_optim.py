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
    "adamw": (O.AdamW, keras.optimizers.AdamW,
              {"learning_rate": 2**-3, "weight_decay": 2**-4, "beta_1": 0.875,
               "beta_2": 1 - 2**-10}),
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


def _run_both(ours: O.Optimizer, theirs: keras.optimizers.Optimizer,
              steps: int) -> tuple[list[np.ndarray], list[keras.Variable]]:
    params = [p.copy() for p in INIT]
    variables = [keras.Variable(p.copy(), dtype="float64") for p in INIT]
    for grads in (GRADS * 2)[:steps]:
        ours.step(params, grads)
        theirs.apply_gradients(zip([g.copy() for g in grads], variables, strict=True))
    return params, variables


COSINE_CONFIGS = [  # (initial, decay_steps, alpha, warmup_target, warmup_steps)
    (0.5, 10, 0.0, None, 0),
    (0.25, 7, 0.1, None, 0),
    (0.0, 10, 0.1, 0.5, 4),
    (1e-4, 20, 0.0, 3e-3, 5),
]


@pytest.mark.parametrize("config", COSINE_CONFIGS)
def test_cosine_decay_matches_keras(config: tuple) -> None:
    """Every step from 0 to past the end; Keras computes in float32, hence 1e-6."""
    initial, decay, alpha, target, warmup = config
    ours = O.CosineDecay(initial, decay, alpha=alpha, warmup_target=target, warmup_steps=warmup)
    theirs = keras.optimizers.schedules.CosineDecay(initial, decay, alpha=alpha,
                                                    warmup_target=target, warmup_steps=warmup)
    steps = range(decay + warmup + 4)
    np.testing.assert_allclose([ours(k) for k in steps],
                               [float(theirs(k)) for k in steps], rtol=1e-6, atol=1e-9)


def test_cosine_decay_exact_values() -> None:
    s = O.CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.5, warmup_steps=4)
    assert [s(k) for k in range(5)] == [0.0, 0.125, 0.25, 0.375, 0.5]   # straight warm-up
    assert s(9) == pytest.approx(0.5 * (0.9 * 0.5 + 0.1), rel=1e-15)     # cos(pi/2) = 0
    assert s(14) == s(15) == s(1000) == pytest.approx(0.05, rel=1e-15)  # alpha * target
    plain = O.CosineDecay(2.0, 4)
    assert [plain(k) for k in (0, 2, 4, 9)] == pytest.approx([2.0, 1.0, 0.0, 0.0], abs=1e-15)


def test_adamw_decay_alone_is_a_constant_shrink() -> None:
    """With zero gradients Adam's step is 0/(0 + eps) = 0: only the decay acts."""
    p = np.array([1.0, -4.0])
    opt = O.AdamW(learning_rate=0.5, weight_decay=0.25)
    for _ in range(3):
        opt.step([p], [np.zeros(2)])
    np.testing.assert_array_equal(p, np.array([1.0, -4.0]) * 0.875**3)


def test_scheduled_adamw_matches_keras() -> None:
    """AdamW driven by a warm-up + cosine schedule: the decay uses the scheduled rate too."""
    kwargs = {"weight_decay": 2**-2, "beta_1": 0.875, "beta_2": 1 - 2**-10}
    sched = (0.0, 6, 0.1, 2**-4, 3)
    ours = O.AdamW(O.CosineDecay(*sched[:3], warmup_target=sched[3], warmup_steps=sched[4]),
                   **kwargs)
    theirs = keras.optimizers.AdamW(
        keras.optimizers.schedules.CosineDecay(*sched[:3], warmup_target=sched[3],
                                               warmup_steps=sched[4]), **kwargs)
    params, variables = _run_both(ours, theirs, 10)
    for p, v in zip(params, variables, strict=True):
        np.testing.assert_allclose(p, v.numpy(), rtol=1e-6, atol=1e-12)
    assert ours.iterations == 10
    assert ours.current_learning_rate == pytest.approx(sched[3] * 0.1, rel=1e-15)


def test_step_zero_uses_the_schedule_at_zero() -> None:
    """A warm-up from 0: the first update does not move plain SGD at all, as in Keras."""
    p = np.array([1.0])
    opt = O.SGD(O.CosineDecay(0.0, 5, warmup_target=1.0, warmup_steps=2))
    opt.step([p], [np.array([1.0])])
    assert p[0] == 1.0
    opt.step([p], [np.array([1.0])])
    assert p[0] == 0.5   # step 1 uses rate 0.5


def test_schedule_and_adamw_validation() -> None:
    with pytest.raises(ValueError, match="decay_steps must be a positive int; got 0"):
        O.CosineDecay(0.1, 0)
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\]"):
        O.CosineDecay(0.1, 10, alpha=1.5)
    with pytest.raises(ValueError, match="warmup_steps=5 needs a warmup_target"):
        O.CosineDecay(0.0, 10, warmup_steps=5)
    with pytest.raises(ValueError, match="step must be an int >= 0; got -1"):
        O.CosineDecay(0.1, 10)(-1)
    with pytest.raises(TypeError, match="decay_steps must be a positive int"):
        O.CosineDecay(0.1, 10.5)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        O.AdamW(weight_decay=-0.1)
    assert isinstance(O.get_optimizer("AdamW", weight_decay=0.1), O.AdamW)
    with pytest.raises(ValueError, match="scheduled learning rate must be a finite number >= 0"):
        O.SGD(lambda step: -1.0).step([np.zeros(1)], [np.ones(1)])
