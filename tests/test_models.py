"""labutils.models: exact parameter counts, consistent heads/losses, validation, smoke training."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from labutils import models as M
from labutils.scratch import sinusoidal_positional_encoding


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's bundled 8x8 digits (offline), scaled to [0, 1], stratified 75/25 split."""
    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    return train_test_split(x, d.target, test_size=0.25, stratify=d.target, random_state=0)


def _last_activation(model: keras.Model) -> str:
    return model.layers[-1].activation.__name__


# --- exact parameter counts (worked out by hand) --------------------------------------------

def test_mlp_param_count():
    # Dense 64->32: 64*32 + 32 = 2080; head 32->10: 32*10 + 10 = 330; total 2410
    assert M.build_mlp(64, (32,), n_outputs=10).count_params() == 2410
    # two hidden layers 4->8->8, regression head 8->1: (4*8+8) + (8*8+8) + (8*1+1) = 40+72+9
    m = M.build_mlp(4, (8, 8), n_outputs=1, task="regression", dropout=0.2, l2=1e-4)
    assert m.count_params() == 121
    assert M.count_params(m) == M.count_params(m, trainable_only=True) == 121


def test_cnn_param_count():
    # conv 3x3x1->16: 9*16 + 16 = 160; conv 3x3x16->32: 144*32 + 32 = 4640;
    # two 2x2 pools: 8x8 -> 2x2, flatten 2*2*32 = 128; head 128*10 + 10 = 1290; total 6090
    assert M.build_cnn((8, 8, 1), 10).count_params() == 6090
    # with a hidden Dense(32): 128*32 + 32 = 4128, head 32*10 + 10 = 330 -> 160+4640+4128+330
    cnn = M.build_cnn((8, 8, 1), 10, dense_units=32)
    assert cnn.count_params() == 9258
    # the seed's bug: a ReLU Dense(10) right before the output. Here the layer feeding the
    # head is the hidden Dense(32), and without dense_units it is Flatten.
    assert [type(layer).__name__ for layer in cnn.layers[-3:]] == ["Flatten", "Dense", "Dense"]
    assert cnn.layers[-2].units == 32


@pytest.mark.parametrize("cell, expected", [
    # LSTM, u=16, f=8: 4 * (16*(8+16) + 16) = 4 * 400 = 1600; head 16*10 + 10 = 170
    ("lstm", 1770),
    # GRU (reset_after=True): 3 * (16*(8+16) + 2*16) = 3 * 416 = 1248; + 170
    ("gru", 1418),
    # SimpleRNN: 16*(8+16) + 16 = 400; + 170
    ("simple", 570),
])
def test_rnn_param_count(cell, expected):
    assert M.build_rnn((8, 8), 16, cell=cell, n_outputs=10).count_params() == expected


def test_transformer_param_count():
    # vocab 20, d=16, heads 2 (d_k 8), ff 32, 2 classes.
    # embedding 20*16 = 320 (the sinusoidal encoding is a constant, no parameters)
    # attention: Q, K, V, O each 16*16 + 16 = 272 -> 1088; two LayerNorms 2*(2*16) = 64
    # FFN 16*32 + 32 = 544 and 32*16 + 16 = 528; one block = 1088 + 64 + 544 + 528 = 2224
    # head 16*2 + 2 = 34
    one = M.build_transformer_classifier(20, 12, 2, d_model=16, num_heads=2, ff_dim=32)
    assert one.count_params() == 320 + 2224 + 34 == 2578
    two = M.build_transformer_classifier(20, 12, 2, d_model=16, num_heads=2, ff_dim=32,
                                         num_layers=2)
    assert two.count_params() == 320 + 2 * 2224 + 34 == 4802
    table = M.describe(one)
    assert list(table.columns) == ["layer", "type", "output_shape", "params", "trainable"]
    assert int(table["params"].sum()) == 2578
    assert table.set_index("layer").loc["attention_1", "params"] == 1088
    assert table.set_index("layer").loc["embedding", "output_shape"] == (None, 12, 16)


def test_autoencoder_param_counts():
    # dense: encoder 64*32+32 = 2080, 32*8+8 = 264 -> 2344; decoder 8*32+32 = 288,
    # 32*64+64 = 2112 -> 2400; autoencoder 4744
    ae, enc, dec = M.build_autoencoder(64, 8, hidden=(32,))
    assert (enc.count_params(), dec.count_params(), ae.count_params()) == (2344, 2400, 4744)
    assert enc.output.shape == (None, 8) and dec.output.shape == (None, 64)
    # conv on 8x8x1, filters (8, 16): encoder 9*8+8 = 80, 9*8*16+16 = 1168, flatten 2*2*16 = 64,
    # 64*8+8 = 520 -> 1768; decoder 8*64+64 = 576, deconv 9*16*16+16 = 2320,
    # 9*16*8+8 = 1160, conv 9*8*1+1 = 73 -> 4129
    ae, enc, dec = M.build_autoencoder((8, 8, 1), 8, kind="conv", filters=(8, 16))
    assert (enc.count_params(), dec.count_params(), ae.count_params()) == (1768, 4129, 5897)
    assert dec.output.shape == (None, 8, 8, 1)


# --- heads and losses always agree ------------------------------------------------------------

def test_logits_head_is_linear_with_from_logits_loss():
    builders = [
        M.build_mlp(4, (8,), n_outputs=3),
        M.build_cnn((8, 8, 1), 3),
        M.build_rnn((5, 2), 4, n_outputs=3),
        M.build_transformer_classifier(10, 6, 3, d_model=8, num_heads=2, ff_dim=8),
        M.build_mlp(4, (8,), n_outputs=1, task="binary"),
    ]
    for model in builders:
        assert _last_activation(model) == "linear", model.name
        assert model.loss.get_config()["from_logits"] is True, model.name


def test_probabilities_head_sums_to_one_and_no_from_logits():
    rng = np.random.default_rng(0)
    cases = [
        (M.build_mlp(4, (8,), n_outputs=3, output="probabilities"), rng.normal(size=(5, 4))),
        (M.build_cnn((8, 8, 1), 3, output="probabilities"), rng.normal(size=(5, 8, 8, 1))),
        (M.build_rnn((5, 2), 4, n_outputs=3, output="probabilities"), rng.normal(size=(5, 5, 2))),
        (M.build_transformer_classifier(10, 6, 3, d_model=8, num_heads=2, ff_dim=8,
                                        output="probabilities"), rng.integers(0, 10, (5, 6))),
    ]
    for model, x in cases:
        assert _last_activation(model) == "softmax"
        assert model.loss.get_config()["from_logits"] is False
        p = model.predict(x, verbose=0)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
        assert (p >= 0).all()
    binary = M.build_mlp(4, (8,), n_outputs=1, task="binary", output="probabilities")
    assert _last_activation(binary) == "sigmoid"
    assert binary.loss.get_config()["from_logits"] is False


def test_regression_reports_mae_not_accuracy():
    model = M.build_mlp(3, (4,), n_outputs=1, task="regression", seed=0)
    assert _last_activation(model) == "linear"
    assert isinstance(model.loss, keras.losses.MeanSquaredError)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    history = model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "mae"}


def test_binary_logits_accuracy_uses_threshold_zero():
    # The accuracy Keras reports must equal accuracy computed from logits >= 0 by hand.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = M.build_mlp(2, (8,), n_outputs=1, task="binary", learning_rate=1e-2, seed=0)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    reported = model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    by_hand = np.mean((model.predict(x, verbose=0)[:, 0] >= 0) == y)
    assert reported == pytest.approx(by_hand, abs=1e-6)
    assert by_hand > 0.8  # it learned something, so the threshold matters


# --- positional encoding and masking --------------------------------------------------------

def test_embedding_layer_refuses_odd_width():
    with pytest.raises(ValueError, match="d_model must be even"):
        M.TokenAndPositionEmbedding(vocab_size=7, max_len=5, d_model=5)


def test_embedding_layer_adds_scaled_tokens_and_encoding():
    layer = M.TokenAndPositionEmbedding(vocab_size=7, max_len=5, d_model=4)
    ids = np.array([[1, 2, 3, 0, 6]])
    out = keras.ops.convert_to_numpy(layer(ids))
    table = keras.ops.convert_to_numpy(layer.token_embedding.embeddings)
    np.testing.assert_allclose(out[0], table[ids[0]] * 2.0 + sinusoidal_positional_encoding(5, 4),
                               rtol=1e-6, atol=1e-6)
    assert layer.count_params() == 7 * 4


def test_padding_mask_makes_extra_padding_irrelevant():
    # Same weights, max_len 12 vs 6: with the mask, trailing zeros change nothing.
    kw = dict(d_model=16, num_heads=2, ff_dim=32, mask_padding=True)
    long = M.build_transformer_classifier(20, 12, 2, seed=0, **kw)
    short = M.build_transformer_classifier(20, 6, 2, seed=1, **kw)
    short.set_weights(long.get_weights())
    x = np.zeros((1, 12), dtype="int32")
    x[0, :3] = [3, 4, 5]
    np.testing.assert_allclose(long.predict(x, verbose=0), short.predict(x[:, :6], verbose=0),
                               atol=1e-5)


# --- argument validation ----------------------------------------------------------------------

@pytest.mark.parametrize("build, message", [
    (lambda: M.build_mlp(0, n_outputs=2), "input_dim must be a positive int"),
    (lambda: M.build_mlp(4, (8, -1), n_outputs=2), "entry of hidden must be a positive int"),
    (lambda: M.build_mlp(4, n_outputs=2, activation="rleu"), "activation must be one of"),
    (lambda: M.build_mlp(4, n_outputs=2, task="clasify"), "task must be one of"),
    (lambda: M.build_mlp(4, n_outputs=2, output="softmax"), "output must be one of"),
    (lambda: M.build_mlp(4, n_outputs=2, dropout=1.0), r"dropout must be a number in \[0, 1\)"),
    (lambda: M.build_mlp(4, n_outputs=2, l2=-1), "l2 must be a finite number >= 0"),
    (lambda: M.build_mlp(4, n_outputs=1), "needs n_outputs .classes. >= 2"),
    (lambda: M.build_mlp(4, n_outputs=2, task="binary"), "task='binary' needs n_outputs=1"),
    (lambda: M.build_mlp(4, n_outputs=1, task="regression", output="probabilities"),
     "regression.*output must be 'logits'"),
    (lambda: M.build_mlp(4, n_outputs=2, learning_rate=0),
     "learning_rate must be a finite number > 0"),
    (lambda: M.build_mlp(4, n_outputs=2, seed=-1), r"seed must be an int in \[0, 4294967296\)"),
    (lambda: M.build_cnn((8, 8), 10), r"input_shape must be \(height, width, channels\)"),
    (lambda: M.build_cnn((3, 3, 1), 10), "too small for 2 2x2 poolings"),
    (lambda: M.build_rnn((8, 8), 16, cell="transformer", n_outputs=2), "cell must be one of"),
    (lambda: M.build_rnn((8,), 16, n_outputs=2), r"input_shape must be \(timesteps, features\)"),
    (lambda: M.build_transformer_classifier(10, 6, 2, d_model=10, num_heads=3),
     "d_model must be divisible by num_heads"),
    (lambda: M.build_transformer_classifier(10, 0, 2), "max_len must be a positive int"),
    (lambda: M.build_autoencoder(64, 8, kind="vae"), "kind must be one of"),
    (lambda: M.build_autoencoder((6, 6, 1), 8, kind="conv"), "divisible by 4"),
    (lambda: M.build_autoencoder((8, 8, 1), 8), "kind='dense' needs input_shape an int"),
    (lambda: M.build_autoencoder(64, 8, output_activation="relu"), "output_activation must be"),
])
def test_invalid_arguments_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("build, message", [
    (lambda: M.count_params("model"), "model must be a keras.Model; got str"),
    (lambda: M.describe(None), "model must be a keras.Model; got NoneType"),
    (lambda: M.build_mlp(4.0, n_outputs=2), "input_dim must be a positive int"),
    (lambda: M.build_mlp(4, "64", n_outputs=2), "hidden must be a tuple of positive ints"),
    (lambda: M.build_mlp(4, n_outputs=2, activation=None), "activation must be one of"),
    (lambda: M.build_mlp(4, n_outputs=2, dropout="0.1"), "dropout must be a number"),
    (lambda: M.build_mlp(4, n_outputs=2, learning_rate=True), "learning_rate must be"),
    (lambda: M.build_mlp(4, n_outputs=2, seed=1.5), "seed must be an int"),
    (lambda: M.build_cnn((8, 8, 1), 10, filters=(16, 2.5)), "each entry of filters"),
])
def test_wrong_types_raise_type_error(build, message):
    with pytest.raises(TypeError, match=message):
        build()


def test_builder_seed_repeats_weights_and_leaves_global_generators_alone():
    """seed= makes the initial weights repeat; it does not reseed the caller's Python and
    NumPy generators (labutils.env.seeded restores them), so later np.random draws in a
    notebook are the same whether or not a model was built in between."""
    import random

    np.random.seed(123)
    random.seed(123)
    expected = (np.random.rand(3).tolist(), random.random())
    np.random.seed(123)
    random.seed(123)
    a = M.build_mlp(4, (8,), n_outputs=3, dropout=0.1, seed=7)
    assert (np.random.rand(3).tolist(), random.random()) == expected
    b = M.build_mlp(4, (8,), n_outputs=3, dropout=0.1, seed=7)
    c = M.build_mlp(4, (8,), n_outputs=3, dropout=0.1, seed=8)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
    ae1, _, _ = M.build_autoencoder(6, 2, hidden=(4,), seed=1)
    ae2, _, _ = M.build_autoencoder(6, 2, hidden=(4,), seed=1)
    for wa, wb in zip(ae1.get_weights(), ae2.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_uncompiled_builder():
    model = M.build_mlp(4, (8,), n_outputs=2, compile=False)
    assert not model.compiled
    M.compile_model(model, task="classification", output="logits", learning_rate=1e-2)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    # the from_logits trap is refused for hand-made models too
    inputs = keras.Input(shape=(4,))
    softmax_model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    with pytest.raises(ValueError, match="activation is 'softmax' but output='logits'"):
        M.compile_model(softmax_model, output="logits")
    with pytest.raises(ValueError, match="activation is 'linear' but output='probabilities'"):
        M.compile_model(model, output="probabilities")
    M.compile_model(softmax_model, output="probabilities")
    assert softmax_model.loss.get_config()["from_logits"] is False


# --- smoke training: each builder learns its task --------------------------------------------

def test_mlp_learns_digits(digits):
    x_tr, x_te, y_tr, y_te = digits
    model = M.build_mlp(64, (64,), n_outputs=10, seed=0)
    model.fit(x_tr, y_tr, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x_te, y_te, verbose=0, return_dict=True)["accuracy"] >= 0.93


def test_cnn_learns_digits(digits):
    x_tr, x_te, y_tr, y_te = digits
    model = M.build_cnn((8, 8, 1), 10, seed=0)
    model.fit(x_tr.reshape(-1, 8, 8, 1), y_tr, epochs=8, batch_size=32, verbose=0)
    acc = model.evaluate(x_te.reshape(-1, 8, 8, 1), y_te, verbose=0, return_dict=True)["accuracy"]
    assert acc >= 0.9


def test_rnn_learns_digit_rows_as_a_sequence(digits):
    x_tr, x_te, y_tr, y_te = digits  # each image = 8 time steps of 8 pixels
    model = M.build_rnn((8, 8), 32, cell="gru", n_outputs=10, learning_rate=3e-3, seed=0)
    model.fit(x_tr.reshape(-1, 8, 8), y_tr, epochs=10, batch_size=32, verbose=0)
    acc = model.evaluate(x_te.reshape(-1, 8, 8), y_te, verbose=0, return_dict=True)["accuracy"]
    assert acc >= 0.8


def test_transformer_learns_whether_token_1_appears():
    rng = np.random.default_rng(0)
    n, length = 1200, 10
    tokens = rng.integers(2, 10, size=(n, length))
    labels = rng.integers(0, 2, size=n)
    where = rng.integers(0, length, size=n)
    tokens[labels == 1, where[labels == 1]] = 1  # class 1: token 1 appears somewhere
    model = M.build_transformer_classifier(10, length, 2, d_model=16, num_heads=2, ff_dim=32,
                                           learning_rate=3e-3, seed=0)
    model.fit(tokens[:900], labels[:900], epochs=6, batch_size=32, verbose=0)
    acc = model.evaluate(tokens[900:], labels[900:], verbose=0, return_dict=True)["accuracy"]
    assert acc >= 0.9


def test_autoencoder_reconstruction_error_decreases(digits):
    x_tr, x_te, _, _ = digits
    ae, enc, dec = M.build_autoencoder(64, 8, hidden=(32,), seed=0)
    before = ae.evaluate(x_te, x_te, verbose=0, return_dict=True)["loss"]
    history = ae.fit(x_tr, x_tr, epochs=5, batch_size=32, verbose=0)
    after = ae.evaluate(x_te, x_te, verbose=0, return_dict=True)["loss"]
    losses = history.history["loss"]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert after < 0.5 * before
    codes = enc.predict(x_te[:4], verbose=0)
    np.testing.assert_allclose(dec.predict(codes, verbose=0), ae.predict(x_te[:4], verbose=0),
                               rtol=1e-5, atol=1e-6)
