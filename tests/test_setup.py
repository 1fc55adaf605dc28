"""labutils.setup: seeds everything, validates its argument, reports the environment."""

from __future__ import annotations

import random

import numpy as np
import pytest

import labutils


def test_same_seed_same_numbers() -> None:
    labutils.setup(seed=7, tensorflow=False)
    a = (random.random(), np.random.rand())
    labutils.setup(seed=7, tensorflow=False)
    assert (random.random(), np.random.rand()) == a


def test_tensorflow_seeded_and_reported() -> None:
    import tensorflow as tf

    info = labutils.setup(seed=3)
    x = tf.random.uniform((3,)).numpy()
    labutils.setup(seed=3)
    np.testing.assert_array_equal(tf.random.uniform((3,)).numpy(), x)
    assert info.tensorflow == tf.__version__ and info.device in {"CPU"} | {
        f"GPU x{n}" for n in range(1, 9)}
    assert "seed 3" in str(info)


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                      ("0", TypeError), (True, TypeError)])
def test_bad_seed_is_refused(bad, err) -> None:
    with pytest.raises(err, match="seed"):
        labutils.setup(seed=bad, tensorflow=False)


@pytest.mark.parametrize("bad, err", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                      ("0", TypeError), (True, TypeError)])
def test_bad_seed_raises_the_same_everywhere(bad, err) -> None:
    """setup, reseed and seeded refuse a bad seed with the same exception type."""
    from labutils.env import reseed, seeded

    for call in (lambda: labutils.setup(seed=bad, tensorflow=False), lambda: reseed(bad),
                 lambda: seeded(bad).__enter__()):
        with pytest.raises(err, match=r"seed must be an int in \[0, 4294967296\)"):
            call()


def test_reseed_repeats_draws_globally() -> None:
    """reseed (like setup) deliberately reseeds the global generators."""
    from labutils.env import reseed

    reseed(5)
    a = (np.random.rand(), random.random())
    reseed(5)
    assert (np.random.rand(), random.random()) == a
    reseed(None)  # no-op
    assert np.random.rand() != a[0]


def test_seeded_repeats_inside_and_restores_python_and_numpy_after() -> None:
    """seeded(seed), which builders and fit use: the block is seeded like reseed, and the
    caller's Python and NumPy streams continue afterwards as if nothing had happened."""
    import tensorflow as tf

    from labutils.env import seeded

    np.random.seed(11)
    random.seed(11)
    expected = (np.random.rand(2).tolist(), random.random())
    np.random.seed(11)
    random.seed(11)
    with seeded(4):
        inside = (np.random.rand(), random.random(), tf.random.uniform(()).numpy())
    assert (np.random.rand(2).tolist(), random.random()) == expected
    with seeded(4):
        assert (np.random.rand(), random.random(), tf.random.uniform(()).numpy()) == inside
    with seeded(None):  # nothing seeded, nothing restored
        after_none = np.random.rand()
    np.random.seed(11)
    np.random.rand(2)
    assert np.random.rand() == after_none
    np.random.seed(11)
    with pytest.raises(RuntimeError), seeded(4):  # restored even when the block raises
        np.random.seed(99)
        raise RuntimeError
    assert np.random.rand() == np.random.RandomState(11).rand()


def test_setup_prints_no_tensorflow_startup_notices():
    """On CPUs where oneDNN is on, TensorFlow's C++ side prints two start-up notices at import
    even at TF_CPP_MIN_LOG_LEVEL=3; setup imports TensorFlow with exactly those filtered out,
    so a notebook's first cell shows no red stderr box."""
    import subprocess
    import sys

    from labutils._tfenv import STARTUP_NOTICES

    done = subprocess.run([sys.executable, "-c", "import labutils; print(labutils.setup(0))"],
                          capture_output=True, text=True, check=True)
    assert "seed 0" in done.stdout
    assert not any(n in done.stderr for n in STARTUP_NOTICES), done.stderr
