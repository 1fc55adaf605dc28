"""labutils.train: the fit recipe (progress log, early stopping, seeds). The history plot is
tested in test_plots.py."""

from __future__ import annotations

import random

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from labutils import models as M
from labutils import train as T
from labutils.train import fit


@pytest.fixture(scope="module")
def small_digits():
    """A deliberately small training set (overfits quickly) and a validation set."""
    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    tr, va = order[:120], order[120:520]
    return x[tr], d.target[tr], x[va], d.target[va]


def test_fit_returns_history_and_prints_one_line_per_epoch(small_digits, capsys):
    x, y, xv, yv = small_digits
    model = M.build_mlp(64, (32,), n_outputs=10, seed=0)
    history = T.fit(model, x, y, validation_data=(xv, yv), epochs=3, batch_size=32, seed=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 3
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["epoch", "1/3"], ["epoch", "2/3"],
                                                        ["epoch", "3/3"]]
    assert "loss" in lines[0] and "val_accuracy" in lines[0] and "\r" not in lines[0]
    assert lines[-1].startswith("trained 3 epoch(s) in")


def test_progress_log_stays_short_for_many_epochs(small_digits, capsys):
    x, y, _, _ = small_digits
    model = M.build_mlp(64, (8,), n_outputs=10, seed=0)
    T.fit(model, x, y, epochs=60, batch_size=120, seed=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) <= 22  # about twenty epoch lines + the closing line
    assert lines[-2].split()[1] == "60/60"
    T.fit(model, x, y, epochs=2, batch_size=120, verbose_progress=False)
    assert capsys.readouterr().out == ""


def test_early_stopping_restores_best_weights(small_digits, capsys):
    x, y, xv, yv = small_digits
    # A wide net on 120 examples with a large learning rate overfits within a few epochs.
    model = M.build_mlp(64, (256,), n_outputs=10, learning_rate=1e-2, seed=0)
    history = T.fit(model, x, y, validation_data=(xv, yv), epochs=60, batch_size=16,
                    early_stopping_patience=2, seed=0)
    val = history.history["val_loss"]
    assert len(val) < 60  # it stopped early
    best = int(np.argmin(val))
    assert len(val) == best + 1 + 2  # patience 2 after the best epoch
    # restored: the final weights give the best epoch's validation loss
    now = model.evaluate(xv, yv, verbose=0, return_dict=True)["loss"]
    assert now == pytest.approx(min(val), rel=1e-4)
    out = capsys.readouterr().out
    assert f"kept the weights of epoch {best + 1}" in out


def test_seed_makes_training_repeatable(small_digits):
    x, y, _, _ = small_digits
    runs = []
    for _ in range(2):
        model = M.build_mlp(64, (16,), n_outputs=10, dropout=0.2, seed=3)
        h = T.fit(model, x, y, epochs=3, batch_size=16, seed=3, verbose_progress=False)
        runs.append(h.history["loss"])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-6)


def test_fit_seed_leaves_the_callers_generators_alone(small_digits):
    """fit(seed=...) seeds its own shuffling and dropout, then restores Python's and NumPy's
    global generators: the caller's next draws are the ones it would have got anyway."""
    x, y, _, _ = small_digits
    model = M.build_mlp(64, (16,), n_outputs=10, dropout=0.2, seed=3)
    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(3).tolist(), random.random())
    np.random.seed(123)
    random.seed(123)
    T.fit(model, x, y, epochs=1, batch_size=16, seed=3, verbose_progress=False)
    assert (np.random.rand(3).tolist(), random.random()) == expected


def test_fit_validates_arguments(small_digits):
    x, y, xv, yv = small_digits
    model = M.build_mlp(64, (8,), n_outputs=10)
    with pytest.raises(ValueError, match="must be compiled"):
        T.fit(M.build_mlp(64, (8,), n_outputs=10, compile=False), x, y)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        T.fit(model, x, y, epochs=0)
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        T.fit(model, x, y, batch_size=2.5)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        T.fit(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match=r"validation_split must be a number in \[0, 1\)"):
        T.fit(model, x, y, validation_split=1.5)
    with pytest.raises(ValueError, match="either validation_data or validation_split"):
        T.fit(model, x, y, validation_data=(xv, yv), validation_split=0.2)
    with pytest.raises(ValueError, match="early_stopping_patience"):
        T.fit(model, x, y, early_stopping_patience=0)
    with pytest.raises(ValueError, match="needs validation_data"):
        T.fit(model, x, y, early_stopping_patience=2, monitor="val_accuracy")
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        T.fit("model", x, y)
    with pytest.raises(TypeError, match=r"seed must be an int in \[0, 4294967296\) or None"):
        T.fit(model, x, y, seed=1.5)
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 4294967296\) or None"):
        T.fit(model, x, y, seed=-1)



def test_every_epoch_sees_a_new_order_even_under_a_global_seed():
    """Keras 3's own ``shuffle=True`` repeats one permutation every epoch once a global seed is
    set; fit feeds arrays through shuffled_dataset, whose order changes per epoch and repeats
    per seed."""
    import keras

    x = np.arange(40, dtype="float32").reshape(-1, 1)
    keras.utils.set_random_seed(0)

    def epoch_orders(seed):
        ds = T.shuffled_dataset(x, x, batch_size=40, seed=seed)
        return [tuple(xb.numpy().ravel()) for _ in range(3) for xb, _ in ds]

    first = epoch_orders(1)
    assert len(set(first)) == 3  # three different epoch orders
    assert all(sorted(o) == list(range(40)) for o in first)  # each a permutation
    assert epoch_orders(1) == first and epoch_orders(2) != first


def test_validation_split_takes_the_last_rows_like_keras(small_digits):
    x, y, _, _ = small_digits
    model = M.build_mlp(64, (8,), n_outputs=10, seed=0)
    h = T.fit(model, x, y, validation_split=0.25, epochs=1, batch_size=30, seed=0,
              verbose_progress=False)
    expected = model.evaluate(x[90:], y[90:], verbose=0, return_dict=True)["loss"]
    assert h.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="batch_size"):
        T.shuffled_dataset(x, y, batch_size=0)


def test_multi_input_model_accepts_a_list_or_a_dict_of_arrays():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=(40, 2)).astype("float32")
    y = (a[:, 0] + b[:, 0] > 0).astype("int32")
    ia, ib = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([ia, ib]))
    model = keras.Model([ia, ib], out)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for x in ([a, b], {"a": a, "b": b}):
        hist = fit(model, x, y, epochs=2, batch_size=8, seed=0, verbose_progress=False)
        assert len(hist.history["loss"]) == 2
