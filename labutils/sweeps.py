"""Many short training runs of one Keras model, without rebuilding or re-tracing anything.

A comparison over seeds and settings (learning rates, penalty strengths) trains the same
architecture dozens of times. Building a new model and optimizer for every run makes
``tf.function`` trace a new graph each time, which on a small model costs more than the
training itself. The cheaper recipe keeps one model, one optimizer and one compiled training
function, and before each run puts both back to a fresh state:

* :func:`initial_weights` draws new initial weights for a seed from each layer's own
  initializers (Glorot-uniform kernels and zero biases for a default ``Dense``), so run ``s``
  starts where a model freshly built with seed ``s`` would;
* :func:`reset_optimizer` returns an optimizer to its just-built state (step counter and
  every moment/velocity slot at zero) while keeping its learning rate (学习率) variable, which
  the caller may go on assigning;
* :func:`reseed_random_layers` restarts the random stream of every layer that draws random
  numbers while training (``Dropout``, ``GaussianNoise``...), so a run's dropout masks depend
  on its seed only, not on how many runs came before it.

Only NumPy is imported at module level; Keras loads when a function is called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.env import check_seed

__all__ = ["initial_weights", "reseed_random_layers", "reset_optimizer"]

_INITIALIZERS = {"kernel": "kernel_initializer", "bias": "bias_initializer"}


def _reseeded(initializer: Any, seed: int) -> Any:
    """A copy of a Keras initializer with ``seed`` set (unchanged if it takes no seed)."""
    config = initializer.get_config()
    if "seed" in config:
        config["seed"] = seed
    return type(initializer).from_config(config)


def initial_weights(model: Any, seed: int) -> list[np.ndarray]:
    """Fresh initial weights for ``model`` in ``model.get_weights()`` order, drawn from each
    layer's own ``kernel_initializer``/``bias_initializer`` re-seeded from ``seed`` (weight
    ``i`` gets seed ``seed * 1000 + i``). Same seed, same arrays; pass them to
    ``model.set_weights``. Layers with other kinds of weights (e.g. BatchNormalization) raise
    ``ValueError``: this helper covers the Dense-style models of the course.
    """
    seed = check_seed(seed)
    out: list[np.ndarray] = []
    for layer in model.layers:
        for weight in layer.weights:
            kind = weight.path.rsplit("/", 1)[-1]
            if kind not in _INITIALIZERS or not hasattr(layer, _INITIALIZERS[kind]):
                raise ValueError(f"initial_weights handles kernels and biases of Dense-style "
                                 f"layers only; got weight {weight.path!r} of layer "
                                 f"{layer.name!r}")
            init = _reseeded(getattr(layer, _INITIALIZERS[kind]), seed * 1000 + len(out))
            out.append(np.asarray(init(tuple(weight.shape), dtype=weight.dtype)))
    return out


def reset_optimizer(optimizer: Any) -> None:
    """Put a built Keras optimizer back to its just-built state: the step counter and every
    slot variable (momentum, velocity, ...) set to zero. The learning-rate variable keeps
    its value. Raises ``ValueError`` if the optimizer is not built yet (call
    ``optimizer.build(model.trainable_variables)`` first).
    """
    if not getattr(optimizer, "built", False):
        raise ValueError("reset_optimizer needs a built optimizer: call "
                         "optimizer.build(model.trainable_variables) first")
    for variable in optimizer.variables:
        if variable.path.rsplit("/", 1)[-1] != "learning_rate":
            variable.assign(np.zeros(tuple(variable.shape), dtype=variable.dtype))


def reseed_random_layers(model: Any, seed: int) -> int:
    """Set the state of every layer's ``seed_generator`` (Keras' ``SeedGenerator``, used by
    ``Dropout`` and the noise layers) to a state derived from ``seed`` (layer ``k`` gets
    ``seed * 1000 + k``), so the random masks of a run repeat exactly for the same seed.
    Returns how many generators were reseeded (0 for a model without random layers).
    """
    seed = check_seed(seed)
    count = 0
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is None:
            continue
        state = generator.state
        value = np.zeros(tuple(state.shape), dtype=np.asarray(state.numpy()).dtype)
        value[0] = seed * 1000 + count
        state.assign(value)
        count += 1
    return count
