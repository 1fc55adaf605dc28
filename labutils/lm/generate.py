"""Text generation from a TinyGPT, in NumPy, with and without a key/value cache (KV缓存).

A decoder predicts one token at a time. Without a cache, every new token re-runs the model over
the whole prefix: step t costs O(t) tokens of work, so n tokens cost O(n²). With a cache, each
layer keeps the keys and values it computed for earlier positions (they never change, thanks
to the causal mask) and a step processes only the newest token against the stored ones. Both
paths compute the same numbers up to rounding (float64 here, so far below any sampling
boundary) and therefore produce identical tokens for the same seed. Sampling (采样) divides
the logits by a temperature (温度) and optionally keeps the ``top_k`` most likely tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import erf

from labutils._validate import check_scalar, nonneg


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def forward(weights: dict[str, np.ndarray], config: dict[str, Any], ids: Any, *,
            cache: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """Logits (len(ids), vocab) for tokens ``ids`` that follow the positions already in
    ``cache`` (a list with one ``(keys, values)`` pair per layer, each (heads, t, d_head);
    pass ``[]`` to start one, ``None`` for no cache). The cache is extended in place."""
    ids = np.asarray(ids, dtype=np.int64)
    h, d = config["n_heads"], config["d_model"]
    dh = d // h
    start = cache[0][0].shape[1] if cache else 0
    n = len(ids)
    if start + n > config["context"]:
        raise ValueError(f"the model reads at most context={config['context']} tokens; "
                         f"asked for {start + n}")
    x = weights["tok_emb.embeddings"][ids] + weights["pos_emb.embeddings"][start:start + n]
    # query j (absolute position start + j) may see keys 0 .. start + j
    allowed = np.arange(start + n)[None, :] <= (start + np.arange(n))[:, None]
    for i in range(config["n_layers"]):
        a = _layer_norm(x, weights[f"b{i}.ln1.gamma"], weights[f"b{i}.ln1.beta"])
        qkv = (a @ weights[f"b{i}.qkv.kernel"] + weights[f"b{i}.qkv.bias"]).reshape(n, 3, h, dh)
        q, k, v = (qkv[:, j].transpose(1, 0, 2) for j in range(3))  # (h, n, dh)
        if cache is not None:
            if len(cache) > i:
                k = np.concatenate([cache[i][0], k], axis=1)
                v = np.concatenate([cache[i][1], v], axis=1)
                cache[i] = (k, v)
            else:
                cache.append((k, v))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        scores = np.where(allowed, scores, -np.inf)
        p = np.exp(scores - scores.max(axis=-1, keepdims=True))
        y = (p / p.sum(axis=-1, keepdims=True)) @ v  # (h, n, dh)
        y = y.transpose(1, 0, 2).reshape(n, d)
        x = x + y @ weights[f"b{i}.proj.kernel"] + weights[f"b{i}.proj.bias"]
        a = _layer_norm(x, weights[f"b{i}.ln2.gamma"], weights[f"b{i}.ln2.beta"])
        m = _gelu(a @ weights[f"b{i}.fc1.kernel"] + weights[f"b{i}.fc1.bias"])
        x = x + m @ weights[f"b{i}.fc2.kernel"] + weights[f"b{i}.fc2.bias"]
    x = _layer_norm(x, weights["ln_f.gamma"], weights["ln_f.beta"])
    return x @ weights["tok_emb.embeddings"].T


def sample_next(logits: np.ndarray, rng: np.random.Generator, *, temperature: float = 1.0,
                top_k: int | None = None) -> int:
    """One token id from ``logits``: ``temperature=0`` takes the most likely token; otherwise
    softmax(logits / temperature) over the ``top_k`` largest logits (all if None), drawn with
    one uniform number from ``rng`` (inverse CDF, so equal logits give equal draws)."""
    if temperature == 0:
        return int(np.argmax(logits))
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None and top_k < len(z):
        z = np.where(z >= np.partition(z, -top_k)[-top_k], z, -np.inf)
    p = np.exp(z - z.max())
    cdf = np.cumsum(p / p.sum())
    return int(min(np.searchsorted(cdf, rng.random(), side="right"), len(z) - 1))


@dataclass
class Generation:
    """Generated ``tokens`` (prompt excluded), wall ``seconds`` and ``tokens_per_second``."""

    tokens: list[int]
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return len(self.tokens) / self.seconds if self.seconds else float("inf")


def generate(weights: dict[str, np.ndarray], config: dict[str, Any], prompt: list[int],
             n_new: int, *, temperature: float = 1.0, top_k: int | None = None, seed: int = 0,
             use_cache: bool = True) -> Generation:
    """Continue ``prompt`` (token ids) by ``n_new`` tokens. ``use_cache=True`` feeds the prompt
    once, then one token per step against the key/value cache; ``use_cache=False`` re-runs
    the whole sequence every step. Same seed → same tokens either way. ``weights`` and
    ``config`` come from ``export_weights(model)`` and ``model.config``."""
    n_new = check_scalar("n_new", n_new, "int", min=1)
    temperature = nonneg("temperature", temperature)
    if top_k is not None:
        top_k = check_scalar("top_k", top_k, "int", min=1)
    if not len(prompt):
        raise ValueError("prompt must hold at least one token id")
    if len(prompt) + n_new > config["context"]:
        raise ValueError(f"len(prompt) + n_new = {len(prompt) + n_new} exceeds the model's "
                         f"context of {config['context']} tokens")
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    seq, out = list(prompt), []
    # The products here are tiny: one BLAS thread is faster than several, and far steadier
    # on a busy machine, where threads wait for each other.
    with threadpool_limits(limits=1, user_api="blas"):
        t0 = time.perf_counter()
        cache: list[tuple[np.ndarray, np.ndarray]] = []
        logits = forward(weights, config, seq, cache=cache if use_cache else None)[-1]
        for step in range(n_new):
            tok = sample_next(logits, rng, temperature=temperature, top_k=top_k)
            out.append(tok)
            seq.append(tok)
            if step == n_new - 1:
                break
            logits = (forward(weights, config, [tok], cache=cache) if use_cache
                      else forward(weights, config, seq))[-1]
        seconds = time.perf_counter() - t0
    return Generation(out, seconds)
