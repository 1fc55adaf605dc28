"""Reproducible notebook start-up (seeds, determinism, plot style) and the seeding used by
the model builders and :func:`labutils.train.fit`.

Two ways to seed, on purpose: :func:`setup` and :func:`reseed` seed the *global* generators
of Python, NumPy and TensorFlow (a notebook's fresh start); :func:`seeded` seeds them for one
block of code and then puts Python's and NumPy's generators back, so a builder's ``seed=``
makes its own weights repeat without changing the notebook's later ``np.random`` draws.
TensorFlow's logging level and Keras' backend are set in :mod:`labutils._tfenv`.
"""

from __future__ import annotations

import os
import platform
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from labutils._validate import check_scalar

SEED_LIMIT = 2**32  # NumPy's legacy seed and Keras' set_random_seed take seeds below 2**32


@dataclass(frozen=True)
class EnvInfo:
    """What a notebook ran on: printed at its top so every stored output is traceable."""

    seed: int
    python: str
    numpy: str
    tensorflow: str | None
    keras: str | None
    device: str
    cpu_count: int
    extras: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        tf = f"TensorFlow {self.tensorflow} · Keras {self.keras}" if self.tensorflow else "no TF"
        return (f"Python {self.python} · NumPy {self.numpy} · {tf} · device {self.device} "
                f"({self.cpu_count} CPU cores) · seed {self.seed}")


def check_seed(seed: object, *, allow_none: bool = False) -> int | None:
    """``seed`` as an int in ``[0, 2**32)`` (or None when ``allow_none``): ``TypeError`` for a
    non-integer (``1.5``, ``"0"``, ``True``), ``ValueError`` for one out of range."""
    return check_scalar("seed", seed, "int", min=0, max=SEED_LIMIT, include_max=False,
                        allow_none=allow_none)


def reseed(seed: int | None) -> None:
    """Reseed Python's ``random``, NumPy's global generator, TensorFlow's global seed and
    Keras' global ``SeedGenerator`` with ``keras.utils.set_random_seed`` (no-op for None).
    This changes every later unseeded draw in the process, like :func:`setup`; to seed one
    piece of work without that side effect use :func:`seeded`.
    """
    seed = check_seed(seed, allow_none=True)
    if seed is None:
        return
    import keras

    keras.utils.set_random_seed(seed)


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run the ``with`` block seeded as by :func:`reseed`, then restore the states of Python's
    ``random`` and NumPy's global generator, so the caller's later draws are the ones it would
    have got anyway. The model builders' and ``fit``'s ``seed=`` use this: same seed, same
    initial weights, shuffling and dropout, and a notebook's ``np.random`` stream is untouched.
    TensorFlow's global seed and Keras' global ``SeedGenerator`` stay set (they have no public
    way to save and restore), exactly as ``keras.utils.set_random_seed`` leaves them.
    ``seed=None`` seeds and restores nothing.
    """
    seed = check_seed(seed, allow_none=True)
    if seed is None:
        yield
        return
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        reseed(seed)
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def setup(seed: int = 0, *, tensorflow: bool = True, deterministic: bool = True) -> EnvInfo:
    """Prepare a notebook: seed Python, NumPy and TensorFlow, make ops deterministic, quiet
    TensorFlow's logging and set the plot style. Pass ``tensorflow=False`` in notebooks that
    never touch TF to skip its ~2-4 s import. Returns an :class:`EnvInfo` record of versions
    and the device, which the notebook prints so its outputs say what produced them.
    """
    from labutils.plots import set_plot_style

    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only, documented as such
    set_plot_style()
    tf_version = keras_version = None
    device = "CPU"
    if tensorflow:
        from labutils._tfenv import import_tensorflow_quietly

        tf = import_tensorflow_quietly()
        import keras

        tf.get_logger().setLevel("ERROR")
        keras.utils.set_random_seed(seed)  # Python, NumPy and TF in one call
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        gpus = tf.config.list_physical_devices("GPU")
        device = f"GPU x{len(gpus)}" if gpus else "CPU"
        tf_version, keras_version = tf.__version__, keras.__version__
    return EnvInfo(
        seed=seed,
        python=platform.python_version(),
        numpy=np.__version__,
        tensorflow=tf_version,
        keras=keras_version,
        device=device,
        cpu_count=os.cpu_count() or 1,
    )
