"""Low-rank adaptation (LoRA, 低秩适配; Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
Language Models", ICLR 2022) by hand.

A frozen dense layer ``y = x W + b`` gets a trainable low-rank update: ``y = x W + b +
(alpha / r) · x A B`` with ``A`` of shape (d_in, r) and ``B`` of shape (r, d_out). ``B``
starts at zero, so before any training the adapted layer is exactly the base layer; only
``r · (d_in + d_out)`` numbers are trained instead of ``d_in · d_out``; after training,
``W + (alpha / r) · A B`` can be merged into one matrix so inference costs nothing extra.
Keras 3 has the same idea built in (``Dense.enable_lora``); the tests check ours against it.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from labutils._validate import check_scalar, positive


@keras.saving.register_keras_serializable("labutils")
class LoRADense(keras.layers.Layer):
    """A dense layer with an optional LoRA update: ``rank=0`` is a plain ``Dense``; with
    ``rank > 0`` the base kernel and bias are frozen and ``lora_a`` (random, He-uniform) and
    ``lora_b`` (zeros) are the only trainable weights."""

    def __init__(self, units: int, *, rank: int = 0, alpha: float | None = None,
                 activation: str | None = None, seed: int | None = None,
                 kernel_initializer: Any = "glorot_uniform", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_scalar("units", units, "int", min=1)
        self.rank = check_scalar("rank", rank, "int", min=0)
        self.alpha = float(self.rank if alpha is None else positive("alpha", alpha))
        self.seed = seed
        self.base = keras.layers.Dense(self.units, activation=activation, name="base",
                                       kernel_initializer=kernel_initializer)

    def build(self, input_shape: Any) -> None:
        self.base.build(input_shape)
        if self.rank:
            self.base.trainable = False
            d_in = int(input_shape[-1])
            self.lora_a = self.add_weight(
                name="lora_a", shape=(d_in, self.rank),
                initializer=keras.initializers.HeUniform(seed=self.seed))
            self.lora_b = self.add_weight(name="lora_b", shape=(self.rank, self.units),
                                          initializer="zeros")

    @property
    def scale(self) -> float:
        """The factor ``alpha / rank`` in front of ``A B`` (0 without LoRA)."""
        return self.alpha / self.rank if self.rank else 0.0

    def call(self, x: Any) -> Any:
        if not self.rank:
            return self.base(x)
        y = keras.ops.matmul(x, self.base.kernel) + self.base.bias
        y = y + self.scale * keras.ops.matmul(keras.ops.matmul(x, self.lora_a), self.lora_b)
        return self.base.activation(y)

    def merged_kernel(self) -> np.ndarray:
        """``W + (alpha / r) A B`` as a NumPy array: the kernel to serve with."""
        w = keras.ops.convert_to_numpy(self.base.kernel)
        if not self.rank:
            return w
        a = keras.ops.convert_to_numpy(self.lora_a)
        b = keras.ops.convert_to_numpy(self.lora_b)
        return w + self.scale * (a @ b)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update(units=self.units, rank=self.rank, alpha=self.alpha, seed=self.seed,
                   activation=keras.activations.serialize(self.base.activation))
        return cfg


def lora_parameter_count(d_in: int, d_out: int, rank: int) -> int:
    """Trainable numbers LoRA adds to one ``d_in x d_out`` layer: ``rank · (d_in + d_out)``."""
    return rank * (check_scalar("d_in", d_in, "int", min=1)
                   + check_scalar("d_out", d_out, "int", min=1))


def only_lora_trainable(model: keras.Model) -> int:
    """Freeze every weight of ``model`` except the LoRA matrices; return how many numbers
    remain trainable. Raises ``ValueError`` if the model has no LoRA layer."""
    layers = list(model._flatten_layers(include_self=False))
    if not any(isinstance(layer, LoRADense) and layer.rank for layer in layers):
        raise ValueError("the model has no LoRA layers; build it with lora_rank > 0")
    for layer in layers:
        # freeze the leaves (Dense, Embedding, LayerNorm, each LoRA layer's base); the LoRA
        # layers' own lora_a / lora_b stay trainable (freezing a parent would freeze them too)
        if not list(layer._flatten_layers(include_self=False)):
            layer.trainable = False
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))
