"""A thin, repeatable training recipe around ``model.fit`` and a labelled history plot.

:func:`fit` adds three things to Keras' own loop: a seed, early stopping (早停) that keeps the
best weights, and a compact progress log of one short line per epoch (at most about twenty
lines however many epochs), which reads well in a stored notebook output where Keras' own
progress bars leave hundreds of lines or control characters.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

from labutils._validate import positive_int as _positive_int  # noqa: E402
from labutils.env import reseed  # noqa: E402

__all__ = ["EpochLogger", "fit", "plot_history"]


def _format_logs(logs: dict[str, float]) -> str:
    # loss first, then training metrics, then validation ones: "loss 0.1234 · accuracy 0.9620"
    keys = sorted(logs, key=lambda k: (k.startswith("val_"), k != "loss" and k != "val_loss", k))
    return " · ".join(f"{k} {float(logs[k]):.4f}" for k in keys if k != "learning_rate")


class EpochLogger(keras.callbacks.Callback):
    """Prints ``epoch  k/N  loss … · accuracy … · val_loss …`` every ``every`` epochs (and the
    first and last), then one closing line with the total time. ``every=None`` picks a step
    that keeps the log to about twenty lines.
    """

    def __init__(self, epochs: int, every: int | None = None) -> None:
        super().__init__()
        self.epochs = _positive_int("epochs", epochs)
        self.every = every if every is not None else max(1, math.ceil(self.epochs / 20))
        self._start = 0.0
        self._last_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._last_epoch = epoch + 1
        n = epoch + 1
        stopping = bool(getattr(self.model, "stop_training", False))
        if n == 1 or n == self.epochs or n % self.every == 0 or stopping:
            width = len(str(self.epochs))
            print(f"epoch {n:>{width}}/{self.epochs}  {_format_logs(logs or {})}", flush=True)

    def on_train_end(self, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self._start
        print(f"trained {self._last_epoch} epoch(s) in {seconds:.1f} s", flush=True)


def fit(model: keras.Model, x: Any, y: Any = None, *, validation_data: Any = None,
        validation_split: float = 0.0, epochs: int = 10, batch_size: int = 32,
        early_stopping_patience: int | None = None, monitor: str | None = None,
        verbose_progress: bool = True, seed: int | None = None,
        callbacks: list[keras.callbacks.Callback] | None = None,
        shuffle: bool = True) -> keras.callbacks.History:
    """Train a compiled model and return its ``History`` (``history.history`` holds per-epoch
    ``loss``, metrics and their ``val_`` twins). ``seed`` calls ``keras.utils.set_random_seed``
    so shuffling, dropout and any lazy initialisation repeat exactly. With
    ``early_stopping_patience=p`` training stops after ``p`` epochs without improvement of
    ``monitor`` (default ``val_loss`` when there is validation data, else ``loss``) and the best
    epoch's weights are restored. Note: ``validation_split`` takes the *last* fraction of the
    arrays before shuffling, so shuffle sorted data first or pass ``validation_data``.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model; got {type(model).__name__}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled before fit: use a labutils.models builder "
                         "with compile=True, labutils.models.compile_model, or model.compile")
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be a number in [0, 1); got {validation_split!r}")
    if validation_data is not None and validation_split > 0:
        raise ValueError("pass either validation_data or validation_split, not both")
    if early_stopping_patience is not None:
        early_stopping_patience = _positive_int("early_stopping_patience (or None)",
                                                early_stopping_patience)
    reseed(seed)
    has_validation = validation_data is not None or validation_split > 0
    if monitor is None:
        monitor = "val_loss" if has_validation else "loss"
    elif monitor.startswith("val_") and not has_validation:
        raise ValueError(f"monitor={monitor!r} needs validation_data or validation_split > 0")

    all_callbacks = list(callbacks or [])
    stopper = None
    if early_stopping_patience is not None:
        # mode="auto": Keras reads from the metric whether larger or smaller is better.
        stopper = keras.callbacks.EarlyStopping(monitor=monitor, mode="auto",
                                                patience=early_stopping_patience,
                                                restore_best_weights=True)
        all_callbacks.append(stopper)
    if verbose_progress:
        all_callbacks.append(EpochLogger(epochs))
    history = model.fit(x, y, validation_data=validation_data, validation_split=validation_split,
                        epochs=epochs, batch_size=batch_size, callbacks=all_callbacks,
                        shuffle=shuffle, verbose=0)
    if stopper is not None and verbose_progress and stopper.best_epoch is not None:
        stopped = f"stopped early at epoch {stopper.stopped_epoch + 1}; " \
            if stopper.stopped_epoch > 0 else ""
        print(f"{stopped}kept the weights of epoch {stopper.best_epoch + 1} "
              f"({monitor} {float(stopper.best):.4f})", flush=True)
    return history


def plot_history(history: Any, metrics: tuple[str, ...] | list[str] | str = ("loss",),
                 ax: Any = None, title: str | None = None) -> Any:
    """Plot training (solid) and validation (dashed) curves of each metric against the epoch
    number - the first thing to look at for under- or overfitting (欠拟合/过拟合). Accepts a
    Keras ``History`` or its ``.history`` dict. Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    logs = history.history if hasattr(history, "history") else history
    if not isinstance(logs, dict) or not logs:
        raise ValueError("history must be a keras History or a non-empty dict of lists")
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [m for m in metrics if m not in logs]
    if unknown or not metrics:
        available = ", ".join(repr(k) for k in logs if not k.startswith("val_"))
        raise ValueError(f"metrics must be names recorded in the history ({available}); "
                         f"got {list(metrics)!r}")
    if ax is None:
        _, ax = plt.subplots()
    for i, name in enumerate(metrics):
        color = f"C{i}"
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], color=color, label=f"train {name}")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], color=color, linestyle="--",
                    label=f"validation {name}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metrics[0] if len(metrics) == 1 else "value")
    ax.set_title(title or "Training history: " + ", ".join(metrics))
    ax.legend()
    return ax
