"""A thin, repeatable training recipe around ``model.fit``.

:func:`fit` adds three things to Keras' own loop: a seed, early stopping (早停) that keeps the
best weights, and a compact progress log of one short line per epoch (at most about twenty
lines however many epochs), which reads well in a stored notebook output where Keras' own
progress bars leave hundreds of lines or control characters. The history plot lives in
:func:`labutils.plots.plot_history`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras  # labutils/__init__ (via labutils._tfenv) has set the TF environment
import numpy as np

from labutils._validate import check_instance, fraction
from labutils._validate import positive_int as _positive_int
from labutils.env import check_seed, seeded

__all__ = ["EpochLogger", "fit", "shuffled_dataset"]


def _format_logs(logs: dict[str, float]) -> str:
    # loss first, then training metrics, then validation ones: "loss 0.1234 · accuracy 0.9620"
    keys = sorted(logs, key=lambda k: (k.startswith("val_"), k != "loss" and k != "val_loss", k))
    return " · ".join(f"{k} {float(logs[k]):.4f}" for k in keys if k != "learning_rate")


def _is_arrays(x: Any) -> bool:
    """True for a NumPy array, or a list/tuple/dict of them (a multi-input model's ``x``)."""
    if isinstance(x, np.ndarray):
        return True
    if isinstance(x, dict):
        return bool(x) and all(isinstance(v, np.ndarray) for v in x.values())
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(v, np.ndarray) for v in x)
    return False


def _rows(x: Any) -> int:
    first = x if isinstance(x, np.ndarray) else next(iter(x.values() if isinstance(x, dict) else x))
    return int(first.shape[0])


def _slice(x: Any, sl: slice) -> Any:
    if isinstance(x, np.ndarray):
        return x[sl]
    if isinstance(x, dict):
        return {k: v[sl] for k, v in x.items()}
    return type(x)(v[sl] for v in x)


def shuffled_dataset(x: Any, y: Any = None, *, batch_size: int = 32, seed: int = 0) -> Any:
    """A ``tf.data.Dataset`` of ``(x, y)`` batches in a new order every epoch, drawn from
    ``seed``: the same seed gives the same sequence of epoch orders. :func:`fit` uses it because
    Keras 3's own ``shuffle=True`` on arrays repeats one permutation in every epoch once a
    global seed is set (as ``keras.utils.set_random_seed`` and ``labutils.setup`` do), so
    minibatches never mix differently from epoch to epoch.
    """
    import tensorflow as tf

    batch_size = _positive_int("batch_size", batch_size)
    seed = check_seed(seed)
    n = _rows(x)
    if isinstance(x, list):  # tf.data would stack a list into one tensor; a tuple stays apart
        x = tuple(x)
    tensors = tf.nest.map_structure(tf.convert_to_tensor, (x,) if y is None else (x, y))
    order = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return order.batch(batch_size).map(
        lambda idx: tf.nest.map_structure(lambda t: tf.gather(t, idx), tensors),
        num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


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
    ``loss``, metrics and their ``val_`` twins). ``seed`` runs the training inside
    :func:`labutils.env.seeded`, so shuffling, dropout and any lazy initialisation repeat
    exactly while the caller's ``random``/``np.random`` streams are left as they were
    (TensorFlow's global seed stays set to ``seed``). With
    ``early_stopping_patience=p`` training stops after ``p`` epochs without improvement of
    ``monitor`` (default ``val_loss`` when there is validation data, else ``loss``) and the best
    epoch's weights are restored. Note: ``validation_split`` takes the *last* fraction of the
    arrays before shuffling, so shuffle sorted data first or pass ``validation_data``. Arrays
    are fed through :func:`shuffled_dataset`, so every epoch sees a new order.
    """
    check_instance("model", model, keras.Model, "a keras.Model")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled before fit: use a labutils.models builder "
                         "with compile=True, labutils.models.compile_model, or model.compile")
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    validation_split = fraction("validation_split", validation_split)
    if validation_data is not None and validation_split > 0:
        raise ValueError("pass either validation_data or validation_split, not both")
    if early_stopping_patience is not None:
        early_stopping_patience = _positive_int("early_stopping_patience (or None)",
                                                early_stopping_patience)
    seed = check_seed(seed, allow_none=True)
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
    with seeded(seed):
        if shuffle is True and _is_arrays(x) and (y is None or _is_arrays(y)):
            # Keras' own shuffle repeats one order every epoch under a global seed (see
            # shuffled_dataset); split off validation_split's *last* rows first, as Keras does.
            if validation_split > 0:
                n_train = int(_rows(x) * (1.0 - validation_split))  # Keras' own split point
                head, tail = slice(0, n_train), slice(n_train, None)
                validation_data = (_slice(x, tail),) if y is None else \
                    (_slice(x, tail), _slice(y, tail))
                x, y = _slice(x, head), (None if y is None else _slice(y, head))
                validation_split = 0.0
            shuffle_seed = seed if seed is not None else int(np.random.randint(2**31 - 1))
            x, y = shuffled_dataset(x, y, batch_size=batch_size, seed=shuffle_seed), None
            shuffle = False  # the dataset shuffles; Keras would only warn that it ignores it
        history = model.fit(x, y, validation_data=validation_data,
                            validation_split=validation_split, epochs=epochs,
                            batch_size=None if y is None and not _is_arrays(x) else batch_size,
                            callbacks=all_callbacks, shuffle=shuffle, verbose=0)
    if stopper is not None and verbose_progress and stopper.best_epoch is not None:
        stopped = f"stopped early at epoch {stopper.stopped_epoch + 1}; " \
            if stopper.stopped_epoch > 0 else ""
        print(f"{stopped}kept the weights of epoch {stopper.best_epoch + 1} "
              f"({monitor} {float(stopper.best):.4f})", flush=True)
    return history

