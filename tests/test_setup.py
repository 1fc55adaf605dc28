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


def test_reseed_repeats_draws_and_validates() -> None:
    from labutils.env import reseed

    reseed(5)
    a = np.random.rand()
    reseed(5)
    assert np.random.rand() == a
    reseed(None)  # no-op
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        reseed(-1)
