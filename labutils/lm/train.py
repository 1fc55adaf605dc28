"""Training and evaluating a language model on a stream of token ids.

Training batches are windows of ``context + 1`` tokens cut at random offsets (inputs are the
first ``context``, targets the same shifted by one), as nanoGPT does; validation uses
non-overlapping windows in order, so its loss is deterministic. The loss is the mean
cross-entropy (交叉熵) in nats per token; perplexity (困惑度) is ``exp(loss)``. The optimizer
is AdamW with a linear warm-up and cosine decay (chapter 3). ``ngram_loss`` gives the
unigram and bigram baselines a neural model has to beat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labutils._validate import check_scalar, nonneg, positive


def random_windows(ids: np.ndarray, context: int, batch_size: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` windows at random offsets: inputs and next-token targets, each
    (batch_size, context) int32."""
    ids = np.asarray(ids)
    if len(ids) < context + 1:
        raise ValueError(f"need at least context + 1 = {context + 1} tokens; got {len(ids)}")
    starts = rng.integers(0, len(ids) - context, size=batch_size)
    rows = ids[starts[:, None] + np.arange(context + 1)].astype(np.int32)
    return rows[:, :-1], rows[:, 1:]


def eval_windows(ids: np.ndarray, context: int,
                 max_windows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows from the start of ``ids`` (the last partial one dropped),
    at most ``max_windows`` of them, as inputs and targets."""
    ids = np.asarray(ids)
    n = (len(ids) - 1) // context
    if max_windows is not None:
        n = min(n, check_scalar("max_windows", max_windows, "int", min=1))
    if n < 1:
        raise ValueError(f"need at least context + 1 = {context + 1} tokens; got {len(ids)}")
    x = ids[: n * context].reshape(n, context).astype(np.int32)
    y = ids[1: n * context + 1].reshape(n, context).astype(np.int32)
    return x, y


def evaluate(model: Any, ids: np.ndarray, *, max_windows: int | None = None,
             batch_size: int = 64) -> float:
    """Mean next-token cross-entropy (nats) of ``model`` over ``eval_windows(ids, ...)``."""
    import keras

    x, y = eval_windows(ids, model.config["context"], max_windows)
    total = 0.0
    for i in range(0, len(x), batch_size):
        logits = model(x[i:i + batch_size], training=False)
        ce = keras.ops.sparse_categorical_crossentropy(y[i:i + batch_size], logits,
                                                       from_logits=True)
        total += float(keras.ops.sum(ce))
    return total / y.size


def ngram_loss(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int, n: int = 1,
               *, add: float = 0.1) -> float:
    """Cross-entropy (nats/token) on ``val_ids`` of an add-``add`` smoothed unigram (n=1) or
    bigram (n=2) model counted on ``train_ids``."""
    n = check_scalar("n", n, "int", min=1, max=2)
    add = positive("add", add)
    tr, va = np.asarray(train_ids), np.asarray(val_ids)
    if n == 1:
        p = np.bincount(tr, minlength=vocab_size) + add
        return float(-np.mean(np.log(p[va] / p.sum())))
    counts = np.bincount(tr[:-1].astype(np.int64) * vocab_size + tr[1:],
                         minlength=vocab_size * vocab_size).reshape(vocab_size, vocab_size) + add
    probs = counts[va[:-1], va[1:]] / counts.sum(axis=1)[va[:-1]]  # row sums once, not per token
    return float(-np.mean(np.log(probs)))


@dataclass
class TrainLog:
    """What :func:`train_lm` measured: per evaluation point the step, tokens seen, mean
    training loss since the previous point, validation loss and wall seconds so far."""

    step: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    first_step_seconds: float = 0.0
    train_seconds: float = 0.0

    def tokens_per_second(self, batch_size: int, context: int) -> float:
        """Training throughput over steps 2.. (the first step traces the graph)."""
        n = self.step[-1] - 1 if self.step else 0
        return n * batch_size * context / self.train_seconds if self.train_seconds else 0.0

    def as_frame(self) -> Any:
        """The log as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame({k: getattr(self, k) for k in
                             ("step", "tokens", "train_loss", "val_loss", "seconds")})


def train_lm(model: Any, train_ids: np.ndarray, *, steps: int, batch_size: int = 32,
             learning_rate: float = 3e-3, warmup: int = 20, weight_decay: float = 0.01,
             seed: int = 0, val_ids: np.ndarray | None = None, eval_every: int | None = None,
             eval_max_windows: int | None = 64, jit_compile: bool = True) -> TrainLog:
    """Train ``model`` (a TinyGPT) for ``steps`` steps of ``batch_size`` random windows with
    AdamW (warm-up ``warmup`` steps, then cosine decay to 10 % of ``learning_rate``) and
    per-variable gradient clipping at norm 1, one XLA-compiled step (``jit_compile``; about
    twice as fast on a CPU as plain graph mode for a model this small). Every ``eval_every`` steps (and at the end) log the
    validation loss on ``val_ids`` (first ``eval_max_windows`` windows). ``train_seconds``
    counts only training steps 2.. (the first traces the graph; evaluation is excluded),
    for throughput."""
    import keras
    import tensorflow as tf

    steps = check_scalar("steps", steps, "int", min=1)
    batch_size = check_scalar("batch_size", batch_size, "int", min=1)
    warmup = check_scalar("warmup", warmup, "int", min=0, max=steps - 1)
    every = steps if eval_every is None else check_scalar("eval_every", eval_every, "int", min=1)
    context = model.config["context"]
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else positive("learning_rate", learning_rate), steps - warmup,
        alpha=0.1, warmup_target=learning_rate if warmup else None, warmup_steps=warmup)
    opt = keras.optimizers.AdamW(learning_rate=schedule,
                                 weight_decay=nonneg("weight_decay", weight_decay),
                                 clipnorm=1.0)
    variables = model.trainable_variables
    opt.build(variables)

    @tf.function(reduce_retracing=True, jit_compile=jit_compile)
    def step_fn(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                y, logits, from_logits=True))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    log, running, start, train_s = TrainLog(), [], time.perf_counter(), 0.0
    for s in range(1, steps + 1):
        x, y = random_windows(train_ids, context, batch_size, rng)
        t0 = time.perf_counter()
        running.append(float(step_fn(x, y)))
        if s == 1:
            log.first_step_seconds = time.perf_counter() - t0  # includes tracing the graph
        else:
            train_s += time.perf_counter() - t0
        if s % every == 0 or s == steps:
            log.step.append(s)
            log.tokens.append(s * batch_size * context)
            log.train_loss.append(float(np.mean(running)))
            log.val_loss.append(float("nan") if val_ids is None else
                                evaluate(model, val_ids, max_windows=eval_max_windows))
            log.seconds.append(time.perf_counter() - start)
            running = []
    log.train_seconds = train_s
    return log
