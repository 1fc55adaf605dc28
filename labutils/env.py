"""Reproducible notebook start-up: seeds, determinism, quiet logs, one plot style."""

from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass, field

import numpy as np

# Must be set before TensorFlow is first imported. Level 3 also hides the C++ "E0000 ..."
# lines TF 2.21 prints for harmless graph-attribute mismatches; Python errors still surface.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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


def _validate_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    return int(seed)


def reseed(seed: int | None) -> None:
    """Re-seed Python, NumPy and TensorFlow via ``keras.utils.set_random_seed`` unless ``seed``
    is None. Model builders and ``labutils.train.fit`` call it so their ``seed=`` argument
    makes initial weights, shuffling and dropout repeat exactly."""
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0 or None; got {seed!r}")
    import keras

    keras.utils.set_random_seed(int(seed))


def set_plot_style() -> None:
    """One consistent, readable matplotlib style for every figure in the course."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.6),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.frameon": False,
        "savefig.bbox": "tight",
    })


def setup(seed: int = 0, *, tensorflow: bool = True, deterministic: bool = True) -> EnvInfo:
    """Prepare a notebook: seed Python, NumPy and TensorFlow, make ops deterministic, quiet
    TensorFlow's logging and set the plot style. Pass ``tensorflow=False`` in notebooks that
    never touch TF to skip its ~2-4 s import. Returns an :class:`EnvInfo` record of versions
    and the device, which the notebook prints so its outputs say what produced them.
    """
    seed = _validate_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # affects subprocesses only, documented as such
    set_plot_style()
    tf_version = keras_version = None
    device = "CPU"
    if tensorflow:
        import keras
        import tensorflow as tf

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
