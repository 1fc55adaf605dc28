"""Attention (注意力机制) and positional encoding (位置编码) from scratch, with NumPy only.

* :func:`scaled_dot_product_attention` is ``softmax(q k^T / sqrt(d_k)) v``. Dividing by
  ``sqrt(d_k)`` keeps the scores' variance near one whatever the head size, so the softmax
  does not saturate (one of the errors in a seed article is to leave it out).
* :class:`MultiHeadAttention` (多头注意力) projects queries, keys and values with learned
  weights into ``num_heads`` smaller heads, attends in each head separately, and projects
  the concatenated heads back. Its weights have the shapes ``keras.layers.MultiHeadAttention``
  uses, e.g. a query kernel ``(d_model, num_heads, key_dim)`` is just a
  ``(d_model, num_heads * key_dim)`` matrix with its columns grouped by head, so
  :meth:`MultiHeadAttention.from_keras` copies them unchanged and the tests compare outputs.
* :func:`split_heads` / :func:`merge_heads` move between (B, T, d) and per-head (B, H, T, d/H)
  arrays: reshape, *then* transpose, so that each head attends over the tokens.
* :func:`sinusoidal_positional_encoding` is the table of Vaswani et al. (2017), section 3.5;
  :func:`positional_rotation` is the block-diagonal rotation ``R_k`` with
  ``PE[p + k] = R_k @ PE[p]`` for every position ``p``.

Masks use the Keras convention: ``True`` (or 1) means "may attend", ``False`` means "masked".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils._validate import check_scalar, positive_int
from labutils.scratch.activations import softmax

__all__ = ["MultiHeadAttention", "causal_mask", "merge_heads", "positional_rotation",
           "scaled_dot_product_attention", "sinusoidal_positional_encoding", "split_heads"]

_LARGE_NEGATIVE = -1e9  # what Keras puts at masked positions before the softmax


def causal_mask(length: int) -> np.ndarray:
    """Boolean ``(length, length)`` mask (因果掩码), True where query ``i`` may attend to key
    ``j``, i.e. ``j <= i``: a token sees itself and the past, never the future. This is the
    convention of :func:`scaled_dot_product_attention` and Keras' ``attention_mask``.
    """
    return np.tril(np.ones((positive_int("length", length),) * 2, dtype=bool))


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                 mask: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention (缩放点积注意力): ``softmax(q k^T / sqrt(d_k)) v``.

    Shapes: ``q`` (..., T, d_k), ``k`` (..., S, d_k), ``v`` (..., S, d_v); any leading
    (batch, head) axes broadcast. ``mask`` broadcasts to (..., T, S); where it is False the
    score is replaced by -1e9 (as Keras does), so that key gets zero weight. Returns
    ``(output, weights)`` with output (..., T, d_v) and weights (..., T, S), each row of
    weights summing to one (a fully masked row becomes uniform).
    """
    q, k, v = (np.asarray(a, dtype=np.float64) if not np.issubdtype(np.asarray(a).dtype,
               np.floating) else np.asarray(a) for a in (q, k, v))
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"q, k and v need at least 2 dimensions (..., length, depth); got "
                         f"{q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same depth d_k (last axis); got {q.shape[-1]} "
                         f"and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length S (axis -2); got {k.shape[-2]} "
                         f"and {v.shape[-2]}")
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        mask = np.asarray(mask).astype(bool)
        try:
            np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            raise ValueError(f"mask must broadcast to the scores' shape {scores.shape}; got "
                             f"{mask.shape}") from None
        scores = np.where(mask, scores, _LARGE_NEGATIVE)
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """Split the feature axis of ``x`` (B, T, d) into ``num_heads`` heads (头) and put the head
    axis before the time axis: (B, H, T, d/H), so that attention over the last two axes lets
    each head attend over the T tokens. A reshape never moves numbers between axes, hence
    reshape to (B, T, H, d/H) first and transpose after; reshaping straight to (B, H, T, d/H),
    or to (-1, H, d/H) as a seed article does (each token then attends over its own heads),
    slices the features in the wrong places.
    """
    x = np.asarray(x)
    num_heads = positive_int("num_heads", num_heads)
    if x.ndim != 3 or x.shape[-1] % num_heads:
        raise ValueError(f"x must have shape (batch, length, d) with d divisible by num_heads="
                         f"{num_heads}; got {x.shape}")
    b, t, d = x.shape
    return x.reshape(b, t, num_heads, d // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """Undo :func:`split_heads`: (B, H, T, k) -> (B, T, H*k), transposing back to
    (B, T, H, k) before the reshape so that each token's heads end up side by side again.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (batch, heads, length, depth); got {x.shape}")
    b, h, t, k = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * k)


class MultiHeadAttention:
    """Multi-head attention with learned projections, shaped like Keras' layer.

    Weights: ``Wq`` (d_query, H, key_dim), ``Wk`` (d_key, H, key_dim), ``Wv`` (d_value, H,
    value_dim), ``Wo`` (H, value_dim, d_out), and biases ``bq`` (H, key_dim), ``bk``,
    ``bv`` (H, value_dim), ``bo`` (d_out,). A fresh instance is Glorot-initialised for inputs
    of width ``d_model``; :meth:`from_keras` copies a built Keras layer of any widths.
    """

    def __init__(self, num_heads: int, key_dim: int, d_model: int, value_dim: int | None = None,
                 output_dim: int | None = None, use_bias: bool = True, seed: int | None = 0) -> None:
        self.num_heads = positive_int("num_heads", num_heads)
        self.key_dim = positive_int("key_dim", key_dim)
        self.value_dim = positive_int("value_dim", value_dim if value_dim is not None else key_dim)
        d_model = positive_int("d_model", d_model)
        d_out = positive_int("output_dim", output_dim if output_dim is not None else d_model)
        self.use_bias = bool(use_bias)
        rng = np.random.default_rng(seed)
        h, kd, vd = self.num_heads, self.key_dim, self.value_dim

        def glorot(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-limit, limit, size=shape)

        self.Wq = glorot((d_model, h, kd), d_model, h * kd)
        self.Wk = glorot((d_model, h, kd), d_model, h * kd)
        self.Wv = glorot((d_model, h, vd), d_model, h * vd)
        self.Wo = glorot((h, vd, d_out), h * vd, d_out)
        self.bq, self.bk = np.zeros((h, kd)), np.zeros((h, kd))
        self.bv, self.bo = np.zeros((h, vd)), np.zeros(d_out)
        self.last_attention_weights: np.ndarray | None = None

    def __repr__(self) -> str:
        return (f"MultiHeadAttention(num_heads={self.num_heads}, key_dim={self.key_dim}, "
                f"value_dim={self.value_dim}, d_out={self.Wo.shape[-1]})")

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights in Keras' order: query, key, value, output, each kernel then
        bias (biases left out when ``use_bias=False``)."""
        pairs = [(self.Wq, self.bq), (self.Wk, self.bk), (self.Wv, self.bv), (self.Wo, self.bo)]
        return [a.copy() for w, b in pairs for a in ((w, b) if self.use_bias else (w,))]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set weights given in Keras' order (see :meth:`get_weights`), checking that the
        shapes fit together (heads, key_dim and value_dim must agree across kernels)."""
        weights = [np.array(w, dtype=np.float64) for w in weights]
        per = 2 if self.use_bias else 1
        if len(weights) != 4 * per:
            raise ValueError(f"weights must hold {4 * per} arrays (use_bias={self.use_bias}); "
                             f"got {len(weights)}")
        wq, wk, wv, wo = weights[::per]
        h, kd = wq.shape[1:] if wq.ndim == 3 else (None, None)
        if (wq.ndim != 3 or wk.ndim != 3 or wv.ndim != 3 or wo.ndim != 3 or wk.shape[1:] != (h, kd)
                or wv.shape[1] != h or wo.shape[:2] != (h, wv.shape[2])):
            raise ValueError("kernels must be shaped (d_q, H, key_dim), (d_k, H, key_dim), "
                             f"(d_v, H, value_dim), (H, value_dim, d_out); got {wq.shape}, "
                             f"{wk.shape}, {wv.shape}, {wo.shape}")
        self.num_heads, self.key_dim, self.value_dim = h, kd, wv.shape[2]
        self.Wq, self.Wk, self.Wv, self.Wo = wq, wk, wv, wo
        if self.use_bias:
            biases = weights[1::2]
            expected = [wq.shape[1:], wk.shape[1:], wv.shape[1:], wo.shape[2:]]
            for name, b, shape in zip("qkvo", biases, expected, strict=True):
                if b.shape != shape:
                    raise ValueError(f"bias b{name} must have shape {shape}; got {b.shape}")
            self.bq, self.bk, self.bv, self.bo = biases
        else:
            self.bq, self.bk = np.zeros((h, kd)), np.zeros((h, kd))
            self.bv, self.bo = np.zeros(wv.shape[1:]), np.zeros(wo.shape[2])

    @classmethod
    def from_keras(cls, layer: Any) -> MultiHeadAttention:
        """Copy the weights of a *built* ``keras.layers.MultiHeadAttention`` (call it once on
        data first). Only its public attributes are read, so Keras is not imported here.
        """
        if not getattr(layer, "built", False) or not layer.weights:
            raise ValueError("the Keras layer has no weights yet: call it once on data first")
        config = layer.get_config()
        if config.get("attention_axes") not in (None, (1,), [1]):
            raise ValueError(f"only attention over the sequence axis is supported; got "
                             f"attention_axes={config.get('attention_axes')!r}")
        use_bias = bool(config.get("use_bias", True))
        d_model = layer.get_weights()[0].shape[0]
        mha = cls(config["num_heads"], config["key_dim"], d_model, use_bias=use_bias)
        mha.set_weights(layer.get_weights())
        return mha

    def forward(self, query: np.ndarray, value: np.ndarray, key: np.ndarray | None = None,
                mask: np.ndarray | None = None,
                return_attention_scores: bool = False
                ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Multi-head attention of ``query`` (B, T, d_q) over ``value`` (B, S, d_v), with
        ``key`` defaulting to ``value`` (as in Keras). ``mask`` is (B, T, S) or broadcastable,
        True where attending is allowed. Returns (B, T, d_out), plus the weights
        (B, H, T, S) if ``return_attention_scores``. The weights are also kept in
        ``last_attention_weights`` for plotting.
        """
        key = value if key is None else key
        query, key, value = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
        for name, a, w in (("query", query, self.Wq), ("key", key, self.Wk),
                           ("value", value, self.Wv)):
            if a.ndim != 3 or a.shape[-1] != w.shape[0]:
                raise ValueError(f"{name} must have shape (batch, length, {w.shape[0]}); "
                                 f"got {a.shape}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(f"key and value must share batch and length, and query the batch; "
                             f"got query {query.shape}, key {key.shape}, value {value.shape}")
        # Project: (B, L, d) x (d, H, k) -> (B, L, H, k), then heads first: (B, H, L, k).
        q = np.einsum("bld,dhk->bhlk", query, self.Wq) + self.bq[None, :, None, :]
        k = np.einsum("bld,dhk->bhlk", key, self.Wk) + self.bk[None, :, None, :]
        v = np.einsum("bld,dhk->bhlk", value, self.Wv) + self.bv[None, :, None, :]
        if mask is not None:
            mask = np.asarray(mask).astype(bool)
            if mask.ndim == 3:
                mask = mask[:, None, :, :]  # the same mask for every head
        heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, v)
        out = np.einsum("bhtv,hvo->bto", heads, self.Wo) + self.bo
        self.last_attention_weights = weights
        return (out, weights) if return_attention_scores else out

    __call__ = forward


def sinusoidal_positional_encoding(length: int, depth: int, base: float = 10000.0) -> np.ndarray:
    """The sinusoidal positional-encoding table of Vaswani et al. (2017), shape
    (length, depth): ``PE[pos, 2i] = sin(pos / base**(2i / depth))`` and
    ``PE[pos, 2i + 1] = cos(pos / base**(2i / depth))``. Each pair of columns is a clock
    ticking at its own frequency, from one cycle per 2*pi positions down to one per
    ``2*pi*base``, so every position gets a distinct, bounded code, and the encoding of
    ``pos + k`` is a fixed rotation of that of ``pos``. (A seed article divides by exponents
    built from ``range(depth)`` starting at zero and drops ``pos`` altogether.)
    """
    length = positive_int("length", length)
    depth = positive_int("depth", depth)
    if depth % 2:
        raise ValueError(f"depth must be an even positive int (sin/cos pairs); got {depth!r}")
    base = check_scalar("base", base, "real", min=1.0, include_min=False)
    pos = np.arange(length, dtype=np.float64)[:, None]           # (length, 1)
    two_i = np.arange(0, depth, 2, dtype=np.float64)[None, :]     # (1, depth/2): 0, 2, 4, ...
    angles = pos / np.power(float(base), two_i / depth)           # (length, depth/2)
    pe = np.empty((int(length), int(depth)))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def positional_rotation(offset: int, depth: int, base: float = 10000.0) -> np.ndarray:
    """The (depth, depth) block-diagonal rotation matrix (旋转矩阵) ``R_k`` that shifts the
    sinusoidal encoding by ``k = offset`` positions: ``PE[p + k] = R_k @ PE[p]`` for every
    ``p``. Block ``i`` acts on the pair (sin, cos) of frequency ``w_i = base**(-2i/depth)``
    as ``[[cos(k w_i), sin(k w_i)], [-sin(k w_i), cos(k w_i)]]`` (the angle-addition
    formulas). It depends on the offset only, is orthogonal, and ``R_a R_b = R_(a+b)``;
    rotary position embeddings (RoPE) apply the same rotation to queries and keys.
    """
    offset = check_scalar("offset", offset, "int")
    depth = positive_int("depth", depth)
    if depth % 2:
        raise ValueError(f"depth must be an even positive int (sin/cos pairs); got {depth!r}")
    base = check_scalar("base", base, "real", min=1.0, include_min=False)
    omega = np.power(float(base), -np.arange(0, depth, 2, dtype=np.float64) / depth)
    c, s = np.cos(offset * omega), np.sin(offset * omega)
    rot = np.zeros((int(depth), int(depth)))
    even, odd = np.arange(0, depth, 2), np.arange(1, depth, 2)
    rot[even, even], rot[even, odd] = c, s
    rot[odd, even], rot[odd, odd] = -s, c
    return rot
