"""Custom Keras layers the course's models share (registered, so ``.keras`` files reload)."""

from __future__ import annotations

import math
from typing import Any

import keras  # labutils/__init__ (via labutils._tfenv) has set the TF environment
from keras import layers, ops

from labutils._validate import positive_int as _positive_int
from labutils.scratch.attention import sinusoidal_positional_encoding

__all__ = ["TokenAndPositionEmbedding"]


@keras.saving.register_keras_serializable(package="labutils")
class TokenAndPositionEmbedding(layers.Layer):
    """Token embedding (词嵌入) scaled by ``sqrt(d_model)`` plus the fixed sinusoidal positional
    encoding. Trainable parameters: ``vocab_size * d_model`` (the encoding is a constant).
    With ``mask_zero=True`` token id 0 is padding and downstream attention/pooling ignore it.
    """

    def __init__(self, vocab_size: int, max_len: int, d_model: int, mask_zero: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocab_size = _positive_int("vocab_size", vocab_size)
        self.max_len = _positive_int("max_len", max_len)
        self.d_model = _positive_int("d_model", d_model)
        self.mask_zero = bool(mask_zero)
        self.token_embedding = layers.Embedding(vocab_size, d_model, name="token_embedding")
        self.supports_masking = self.mask_zero
        if self.d_model % 2:
            raise ValueError(f"d_model must be even (sin/cos pairs); got {d_model!r}")
        self._pe = sinusoidal_positional_encoding(max_len, d_model).astype("float32")

    def build(self, input_shape: Any) -> None:
        self.token_embedding.build(input_shape)
        super().build(input_shape)

    def call(self, token_ids: Any) -> Any:
        length = ops.shape(token_ids)[-1]
        x = self.token_embedding(token_ids) * math.sqrt(self.d_model)
        pe = ops.convert_to_tensor(self._pe, dtype=x.dtype)
        return x + pe[None, :length, :]

    def compute_mask(self, token_ids: Any, mask: Any = None) -> Any:
        return ops.not_equal(token_ids, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape, self.d_model)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocab_size": self.vocab_size, "max_len": self.max_len,
                "d_model": self.d_model, "mask_zero": self.mask_zero}
