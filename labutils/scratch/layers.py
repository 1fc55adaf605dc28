"""A Dense layer and a multi-layer perceptron (多层感知机) with hand-written backpropagation.

Conventions follow Keras so that weights copy across unchanged: inputs ``x`` are
``(batch, in_features)``, a kernel ``W`` is ``(in_features, out_features)``, a bias ``b`` is
``(out_features,)``, and a layer computes ``a = f(x @ W + b)``. ``MLP.get_weights()`` returns
``[W0, b0, W1, b1, ...]``, the order of ``keras_model.get_weights()``.

Backpropagation (反向传播), one layer at a time, given ``da = dL/da``:
``dz = da * f'(z)`` (a vector-Jacobian product for softmax), ``dW = x^T dz``,
``db = sum over the batch of dz``, ``dx = dz W^T``. The tests check these against finite
differences and ``tf.GradientTape`` on a Keras model holding the same weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labutils._validate import positive_int
from labutils.scratch.activations import activation_backward, get_activation

__all__ = ["MLP", "Dense", "dense_forward", "glorot_uniform", "he_normal"]

# Standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes a
# truncated draw have the intended variance (Keras' VarianceScaling uses the same constant).
_TRUNCATED_STD = 0.87962566103423978


def _check_input(x: np.ndarray, in_features: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != in_features:
        raise ValueError(f"x must have shape (batch, {in_features}); got {x.shape}")
    return x


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform initialisation (Keras' default for Dense kernels): draws from
    ``U(-l, l)`` with ``l = sqrt(6 / (fan_in + fan_out))``, i.e. variance
    ``2 / (fan_in + fan_out)``, a compromise between keeping the forward signal's variance
    (``1 / fan_in``) and the backward gradient's (``1 / fan_out``) for layers that act
    roughly linearly near zero, such as tanh.
    """
    fan_in, fan_out = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """He (Kaiming) normal initialisation (He et al., 2015), as ``keras.initializers.HeNormal``
    draws it: a normal distribution truncated at two standard deviations and rescaled so that
    the variance is exactly ``2 / fan_in``. A ReLU zeroes half of a symmetric input, which
    halves the mean square it passes on; the factor 2 makes up for that, so the
    pre-activations of a deep ReLU stack keep their variance instead of halving per layer.
    """
    fan_in, fan_out = positive_int("fan_in", fan_in), positive_int("fan_out", fan_out)
    std = np.sqrt(2.0 / fan_in) / _TRUNCATED_STD
    w = rng.normal(0.0, std, size=(fan_in, fan_out))
    outside = np.abs(w) > 2.0 * std
    while outside.any():  # redraw the values beyond two standard deviations
        w[outside] = rng.normal(0.0, std, size=int(outside.sum()))
        outside = np.abs(w) > 2.0 * std
    return w


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray,
                  activation: str | None = "linear") -> np.ndarray:
    """Forward propagation (前向传播) of one Dense layer: ``f(x @ W + b)``. Rows of ``x`` are
    examples, so the product is ``x @ W`` (not ``W @ x``) and ``b`` is added to every row.
    """
    x, W, b = np.asarray(x, dtype=np.float64), np.asarray(W), np.asarray(b)
    if W.ndim != 2 or b.shape != (W.shape[1],):
        raise ValueError(f"W must be (in, out) and b must be (out,); got W {W.shape}, "
                         f"b {b.shape}")
    x = _check_input(x, W.shape[0])
    return get_activation(activation)(x @ W + b)


class Dense:
    """A fully connected layer ``a = f(x @ W + b)`` that remembers its input during
    ``forward`` so that ``backward`` can compute ``dW``, ``db`` and ``dx``.
    """

    def __init__(self, in_features: int, out_features: int, activation: str | None = "linear",
                 *, seed: int | None = 0, rng: np.random.Generator | None = None) -> None:
        self.in_features = positive_int("in_features", in_features)
        self.out_features = positive_int("out_features", out_features)
        get_activation(activation)  # validate the name early
        self.activation = activation or "linear"
        rng = rng if rng is not None else np.random.default_rng(seed)
        self.W = glorot_uniform(self.in_features, self.out_features, rng)
        self.b = np.zeros(self.out_features)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None
        self._z: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"Dense({self.in_features}, {self.out_features}, "
                f"activation={self.activation!r})")

    @property
    def params(self) -> list[np.ndarray]:
        """The trainable arrays ``[W, b]`` (the same objects, so optimizers update in place)."""
        return [self.W, self.b]

    @property
    def grads(self) -> list[np.ndarray]:
        """The gradients ``[dW, db]`` from the last ``backward``, aligned with ``params``."""
        return [self.dW, self.db]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``f(x @ W + b)`` for a batch ``x`` of shape (batch, in_features), caching
        ``x`` and ``z`` for the backward pass.
        """
        x = _check_input(x, self.in_features)
        z = x @ self.W + self.b
        self._x, self._z = x, z
        return get_activation(self.activation)(z)

    __call__ = forward

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Given ``dL/da`` (shape (batch, out_features)), store ``dW``, ``db`` and return
        ``dL/dx`` for the previous layer. Call ``forward`` first.
        """
        if self._x is None or self._z is None:
            raise ValueError("backward needs the cached input: call forward first")
        grad_out = np.asarray(grad_out, dtype=np.float64)
        if grad_out.shape != self._z.shape:
            raise ValueError(f"grad_out must have shape {self._z.shape} (the output's shape); "
                             f"got {grad_out.shape}")
        dz = activation_backward(self.activation, self._z, grad_out)
        self.dW[...] = self._x.T @ dz  # write in place: grads lists stay valid
        self.db[...] = dz.sum(axis=0)
        return dz @ self.W.T


class MLP:
    """A stack of Dense layers. ``sizes = [in, hidden..., out]``; ``activations`` gives one
    name per layer (default: ReLU in hidden layers, linear output, i.e. logits).
    """

    def __init__(self, sizes: Sequence[int], activations: Sequence[str | None] | None = None,
                 *, seed: int | None = 0) -> None:
        sizes = [positive_int("every layer size", s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size; got {sizes}")
        n = len(sizes) - 1
        if activations is None:
            activations = ["relu"] * (n - 1) + ["linear"]
        else:
            if isinstance(activations, str):
                raise TypeError(f"activations must be a list of {n} names (one per layer); "
                                f"got the single string {activations!r}")
            if len(activations) != n:
                raise ValueError(f"activations must be a list of {n} names (one per layer); "
                                 f"got {activations!r}")
        rng = np.random.default_rng(seed)
        self.layers = [Dense(sizes[i], sizes[i + 1], activations[i], rng=rng) for i in range(n)]

    def __repr__(self) -> str:
        return "MLP([" + ", ".join(repr(layer) for layer in self.layers) + "])"

    @property
    def sizes(self) -> list[int]:
        """Layer widths ``[in, hidden..., out]``."""
        return [self.layers[0].in_features] + [layer.out_features for layer in self.layers]

    @property
    def params(self) -> list[np.ndarray]:
        """All trainable arrays ``[W0, b0, W1, b1, ...]`` (live references)."""
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        """Gradients aligned with :attr:`params`, filled by :meth:`backward`."""
        return [g for layer in self.layers for g in layer.grads]

    def num_params(self) -> int:
        """Number of trainable numbers: ``sum(in * out + out)`` over layers, as Keras counts."""
        return sum(p.size for p in self.params)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Forward propagation through every layer; returns the output activations."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """Backpropagate ``dL/d(output)`` (e.g. from a loss's ``*_grad`` function) through every
        layer in reverse, filling :attr:`grads`; returns ``dL/dx``.
        """
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights in Keras order ``[W0, b0, W1, b1, ...]``, ready for
        ``keras_model.set_weights(...)``.
        """
        return [p.copy() for p in self.params]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy weights in Keras order ``[W0, b0, W1, b1, ...]`` (e.g. from
        ``keras_model.get_weights()``) into the layers, checking every shape.
        """
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(f"weights must hold {len(self.params)} arrays [W0, b0, ...]; "
                             f"got {len(weights)}")
        for i, (p, w) in enumerate(zip(self.params, weights, strict=True)):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"weights[{i}] must have shape {p.shape}; got {w.shape}")
            p[...] = w

    @classmethod
    def from_keras(cls, model: Any) -> MLP:
        """Build an MLP with the same sizes, activations and weights as a Keras model made
        only of Dense layers (with biases). Uses the model's public ``layers``,
        ``get_config()`` and ``get_weights()``, so no Keras import is needed here.
        """
        layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
        if not layers:
            raise ValueError("model must contain at least one Dense layer")
        sizes: list[int] = []
        activations: list[str] = []
        for layer in layers:
            if type(layer).__name__ != "Dense":
                raise ValueError(f"from_keras supports Dense layers only; got "
                                 f"{type(layer).__name__} ({layer.name!r})")
            config = layer.get_config()
            if not config.get("use_bias", True):
                raise ValueError(f"layer {layer.name!r} has use_bias=False; MLP layers need biases")
            kernel = layer.get_weights()[0]
            if not sizes:
                sizes.append(kernel.shape[0])
            sizes.append(kernel.shape[1])
            activation = config.get("activation") or "linear"
            if not isinstance(activation, str):
                raise ValueError(f"layer {layer.name!r} has a non-standard activation "
                                 f"{activation!r}")
            activations.append(activation)
        mlp = cls(sizes, activations)
        mlp.set_weights([w for layer in layers for w in layer.get_weights()])
        return mlp
