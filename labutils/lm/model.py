"""A GPT-style decoder-only Transformer (仅解码器Transformer) small enough for a laptop CPU.

Token and learned position embeddings, ``n_layers`` pre-norm blocks (layer norm → causal
multi-head self-attention → residual; layer norm → 4x MLP with GELU → residual), a final layer
norm and an output layer tied to the token embedding (GPT-2's layout). Attention is written
out (one fused Q/K/V projection, scores scaled by 1/√d_head, a causal mask (因果掩码) so
position t sees only positions ≤ t, softmax, output projection), so the NumPy generator in
``labutils.lm.generate`` can reproduce it step by step with a key/value cache. The Q/K/V and
output projections are ``LoRADense`` layers: ``lora_rank > 0`` adds low-rank adapters.
``export_weights`` / ``import_weights`` move weights between models by name.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from labutils._validate import check_scalar, fraction
from labutils.lm.lora import LoRADense


@keras.saving.register_keras_serializable("labutils")
class CausalSelfAttention(keras.layers.Layer):
    """Multi-head self-attention in which position t attends only to positions 0..t."""

    def __init__(self, d_model: int, n_heads: int, *, lora_rank: int = 0,
                 lora_alpha: float | None = None, seed: int = 0, out_std: float = 0.02,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads = d_model, n_heads
        normal = keras.initializers.RandomNormal
        self.qkv = LoRADense(3 * d_model, rank=lora_rank, alpha=lora_alpha, seed=seed,
                             kernel_initializer=normal(stddev=0.02, seed=seed), name="qkv")
        self.proj = LoRADense(d_model, rank=lora_rank, alpha=lora_alpha, seed=seed + 1,
                              kernel_initializer=normal(stddev=out_std, seed=seed + 1),
                              name="proj")

    def build(self, input_shape: Any) -> None:
        self.qkv.build(input_shape)
        self.proj.build(input_shape)

    def call(self, x: Any) -> Any:
        ops = keras.ops
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        h, dh = self.n_heads, self.d_model // self.n_heads
        qkv = ops.reshape(self.qkv(x), (b, t, 3, h, dh))
        q, k, v = (ops.transpose(qkv[:, :, i], (0, 2, 1, 3)) for i in range(3))  # (b, h, t, dh)
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / float(np.sqrt(dh))
        causal = ops.tril(ops.ones((t, t), dtype="bool"))
        scores = ops.where(causal, scores, ops.full_like(scores, -1e9))
        y = ops.matmul(ops.softmax(scores, axis=-1), v)  # (b, h, t, dh)
        y = ops.reshape(ops.transpose(y, (0, 2, 1, 3)), (b, t, self.d_model))
        return self.proj(y)


@keras.saving.register_keras_serializable("labutils")
class TinyGPT(keras.Model):
    """Decoder-only Transformer language model: token ids (batch, time) → logits
    (batch, time, vocab_size) predicting each next token. Build with :func:`build_tiny_gpt`."""

    def __init__(self, vocab_size: int, context: int, d_model: int = 64, n_layers: int = 2,
                 n_heads: int = 4, *, dropout: float = 0.0, lora_rank: int = 0,
                 lora_alpha: float | None = None, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = dict(vocab_size=vocab_size, context=context, d_model=d_model,
                           n_layers=n_layers, n_heads=n_heads, dropout=dropout,
                           lora_rank=lora_rank, lora_alpha=lora_alpha, seed=seed)
        normal = keras.initializers.RandomNormal
        init = normal(stddev=0.02, seed=seed)
        # GPT-2's initialisation: N(0, 0.02) everywhere, the two projections that write into
        # the residual stream scaled down by 1/sqrt(2 n_layers) so its variance stays ~flat.
        out_std = 0.02 / float(np.sqrt(2 * n_layers))
        self.tok_emb = keras.layers.Embedding(vocab_size, d_model, embeddings_initializer=init,
                                              name="tok_emb")
        self.pos_emb = keras.layers.Embedding(context, d_model,
                                              embeddings_initializer=normal(0.0, 0.02, seed + 7),
                                              name="pos_emb")
        self.blocks = []
        for i in range(n_layers):
            self.blocks.append(dict(
                ln1=keras.layers.LayerNormalization(epsilon=1e-5, name=f"b{i}_ln1"),
                attn=CausalSelfAttention(d_model, n_heads, lora_rank=lora_rank,
                                         lora_alpha=lora_alpha, seed=seed + 10 * i + 1,
                                         out_std=out_std, name=f"b{i}_attn"),
                ln2=keras.layers.LayerNormalization(epsilon=1e-5, name=f"b{i}_ln2"),
                fc1=keras.layers.Dense(4 * d_model, activation="gelu", name=f"b{i}_fc1",
                                       kernel_initializer=normal(0.0, 0.02, seed + 10 * i + 3)),
                fc2=keras.layers.Dense(d_model, name=f"b{i}_fc2",
                                       kernel_initializer=normal(0.0, out_std, seed + 10 * i + 4)),
            ))
        self.drop = keras.layers.Dropout(dropout, seed=seed)
        self.ln_f = keras.layers.LayerNormalization(epsilon=1e-5, name="ln_f")

    def call(self, ids: Any, training: bool = False) -> Any:
        ops = keras.ops
        t = ops.shape(ids)[1]
        x = self.tok_emb(ids) + self.pos_emb(ops.arange(t))[None]
        x = self.drop(x, training=training)
        for blk in self.blocks:
            x = x + self.drop(blk["attn"](blk["ln1"](x)), training=training)
            x = x + self.drop(blk["fc2"](blk["fc1"](blk["ln2"](x))), training=training)
        x = self.ln_f(x)
        return ops.matmul(x, ops.transpose(self.tok_emb.embeddings))  # tied output layer

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.config}


def build_tiny_gpt(vocab_size: int, context: int, d_model: int = 64, n_layers: int = 2,
                   n_heads: int = 4, *, dropout: float = 0.0, lora_rank: int = 0,
                   lora_alpha: float | None = None, seed: int = 0) -> TinyGPT:
    """A built :class:`TinyGPT` (weights created, seeded by ``seed``); arguments validated.

    ``context`` is the longest sequence it reads (learned positions); ``d_model`` must be
    divisible by ``n_heads``. The parameter count equals :func:`tiny_gpt_params`.
    """
    vocab_size = check_scalar("vocab_size", vocab_size, "int", min=2)
    context = check_scalar("context", context, "int", min=1)
    d_model = check_scalar("d_model", d_model, "int", min=1)
    n_layers = check_scalar("n_layers", n_layers, "int", min=1)
    n_heads = check_scalar("n_heads", n_heads, "int", min=1)
    if d_model % n_heads:
        raise ValueError(f"d_model must be divisible by n_heads; got d_model={d_model}, "
                         f"n_heads={n_heads}")
    model = TinyGPT(vocab_size, context, d_model, n_layers, n_heads,
                    dropout=fraction("dropout", dropout), lora_rank=lora_rank,
                    lora_alpha=lora_alpha, seed=int(seed), name="tiny_gpt")
    model(np.zeros((1, context), dtype="int32"))
    return model


def tiny_gpt_params(vocab_size: int, context: int, d_model: int, n_layers: int,
                    *, embeddings: bool = True) -> int:
    """Exact parameter count of :func:`build_tiny_gpt` (without LoRA): per block
    ``12 d² + 13 d`` (Q/K/V, output projection, 4x MLP, two layer norms), a final layer norm
    ``2 d``, plus the embeddings ``(vocab_size + context) d`` unless ``embeddings=False``
    (the "non-embedding" count N of Kaplan et al. 2020). The output layer is tied."""
    d = check_scalar("d_model", d_model, "int", min=1)
    body = check_scalar("n_layers", n_layers, "int", min=1) * (12 * d * d + 13 * d) + 2 * d
    if not embeddings:
        return body
    return body + (check_scalar("vocab_size", vocab_size, "int", min=2)
                   + check_scalar("context", context, "int", min=1)) * d


def _named_layers(model: TinyGPT) -> dict[str, Any]:
    out: dict[str, Any] = {"tok_emb": model.tok_emb, "pos_emb": model.pos_emb,
                           "ln_f": model.ln_f}
    for i, blk in enumerate(model.blocks):
        out.update({f"b{i}.ln1": blk["ln1"], f"b{i}.qkv": blk["attn"].qkv,
                    f"b{i}.proj": blk["attn"].proj, f"b{i}.ln2": blk["ln2"],
                    f"b{i}.fc1": blk["fc1"], f"b{i}.fc2": blk["fc2"]})
    return out


def export_weights(model: TinyGPT) -> dict[str, np.ndarray]:
    """Every weight as ``{"b0.qkv.kernel": array, ...}`` (float64), LoRA updates merged into
    their kernels — what a server or the NumPy generator needs."""
    out: dict[str, np.ndarray] = {}
    for name, layer in _named_layers(model).items():
        if isinstance(layer, LoRADense):
            out[f"{name}.kernel"] = layer.merged_kernel()
            out[f"{name}.bias"] = keras.ops.convert_to_numpy(layer.base.bias)
        elif isinstance(layer, keras.layers.Embedding):
            out[f"{name}.embeddings"] = keras.ops.convert_to_numpy(layer.embeddings)
        elif isinstance(layer, keras.layers.LayerNormalization):
            out[f"{name}.gamma"] = keras.ops.convert_to_numpy(layer.gamma)
            out[f"{name}.beta"] = keras.ops.convert_to_numpy(layer.beta)
        else:
            out[f"{name}.kernel"] = keras.ops.convert_to_numpy(layer.kernel)
            out[f"{name}.bias"] = keras.ops.convert_to_numpy(layer.bias)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def import_weights(model: TinyGPT, weights: dict[str, np.ndarray]) -> None:
    """Set ``model``'s base weights from :func:`export_weights` output (LoRA matrices are
    left as they are). Names and shapes must match exactly; a mismatch names the weight."""
    for name, layer in _named_layers(model).items():
        target = layer.base if isinstance(layer, LoRADense) else layer
        for attr in ("embeddings", "gamma", "beta", "kernel", "bias"):
            var = getattr(target, attr, None)
            if var is None or not hasattr(var, "assign"):
                continue
            key = f"{name}.{attr}"
            if key not in weights:
                raise ValueError(f"weights has no {key!r}; was it exported from a TinyGPT "
                                 "of the same configuration?")
            if tuple(weights[key].shape) != tuple(var.shape):
                raise ValueError(f"{key}: shape {tuple(weights[key].shape)} does not match "
                                 f"the model's {tuple(var.shape)}")
            var.assign(weights[key].astype("float32"))
