"""Keras 3 model builders whose output layer, loss and metrics always agree.

Every builder ends with the same recipe (:func:`compile_model`): the *task* picks the loss and
the metric, the *output* picks the last activation and ``from_logits``. So the seed articles'
traps cannot happen through these functions: a softmax output is never paired with
``from_logits=True``, a regression model never reports ``accuracy``, and classification always
uses **integer labels** ``0..n_classes-1`` with sparse categorical cross-entropy (no one-hot
encoding needed). ``output='logits'`` (the default) is the numerically safer choice; apply
``keras.ops.softmax`` (or ``sigmoid``) to ``model.predict`` when you need probabilities.

Every builder's ``seed=`` builds the layers inside :func:`labutils.env.seeded`: the same seed
gives the same initial weights, while the notebook's own ``random``/``np.random`` draws carry
on as if the builder had not been called (TensorFlow's global seed is left set to ``seed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras  # labutils/__init__ (via labutils._tfenv) has set the TF environment
import numpy as np
from keras import layers

from labutils._validate import check_instance as _check_instance
from labutils._validate import choice as _choice
from labutils._validate import fraction as _fraction
from labutils._validate import int_tuple as _int_tuple
from labutils._validate import nonneg as _nonneg
from labutils._validate import positive as _positive
from labutils._validate import positive_int as _positive_int
from labutils.env import seeded as _seeded
from labutils.layers import TokenAndPositionEmbedding

__all__ = [
    "TASKS", "OUTPUTS", "TokenAndPositionEmbedding", "compile_model",
    "build_mlp", "build_cnn", "build_rnn", "build_transformer_classifier",
    "build_autoencoder", "count_params", "describe",
]

TASKS = ("classification", "binary", "regression")
OUTPUTS = ("logits", "probabilities")
ACTIVATIONS = ("relu", "gelu", "tanh", "sigmoid", "elu", "selu", "swish", "linear")
CELLS = ("lstm", "gru", "simple")


def _check_head(task: str, n_outputs: int, output: str) -> None:
    """The output head rules shared by every builder."""
    _choice("task", task, TASKS)
    _choice("output", output, OUTPUTS)
    if task == "classification" and n_outputs < 2:
        raise ValueError("task='classification' needs n_outputs (classes) >= 2; "
                         f"got {n_outputs} (use task='binary' with n_outputs=1 for two classes)")
    if task == "binary" and n_outputs != 1:
        raise ValueError("task='binary' needs n_outputs=1 (one sigmoid/logit unit); "
                         f"got {n_outputs}")
    if task == "regression" and output != "logits":
        raise ValueError("task='regression' has a linear output: output must be 'logits' "
                         f"(meaning 'no final activation'); got {output!r}")


def _adam(learning_rate: Any) -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(learning_rate=_positive("learning_rate", learning_rate))


# --- the shared head + compile recipe ------------------------------------------------------

def _head(x: Any, n_outputs: int, task: str, output: str, name: str = "head") -> Any:
    """Final Dense layer: linear for logits/regression, softmax or sigmoid for probabilities."""
    activation = None
    if output == "probabilities":
        activation = "softmax" if task == "classification" else "sigmoid"
    return layers.Dense(n_outputs, activation=activation, name=name)(x)


def compile_model(model: keras.Model, *, task: str = "classification", output: str = "logits",
                  learning_rate: float = 1e-3) -> keras.Model:
    """Compile ``model`` with Adam and the loss/metric that match its task and output head.

    classification → ``SparseCategoricalCrossentropy`` (integer labels) + accuracy;
    binary → ``BinaryCrossentropy`` + accuracy (threshold 0 on logits, 0.5 on probabilities);
    regression → mean squared error + mean absolute error (never accuracy). ``from_logits`` is
    ``True`` exactly when ``output='logits'``. Use it for hand-made models so they follow the
    same contract as the builders; it refuses a last layer whose activation contradicts
    ``output`` (e.g. softmax with ``output='logits'``). Returns the model for chaining.
    """
    _choice("task", task, TASKS)
    _choice("output", output, OUTPUTS)
    optimizer = _adam(learning_rate)
    logits = output == "logits"
    last = getattr(getattr(model.layers[-1], "activation", None), "__name__", None)
    if task != "regression" and last is not None and (last in ("softmax", "sigmoid")) == logits:
        raise ValueError(f"the last layer's activation is {last!r} but output={output!r}: "
                         "use output='probabilities' after softmax/sigmoid and output='logits' "
                         "after a linear layer, so from_logits matches")
    if task == "classification":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    elif task == "binary":
        loss = keras.losses.BinaryCrossentropy(from_logits=logits)
        metrics = [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if logits else 0.5)]
    else:
        if not logits:
            raise ValueError("task='regression' has a linear output: output must be 'logits'")
        loss = keras.losses.MeanSquaredError()
        metrics = [keras.metrics.MeanAbsoluteError(name="mae")]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


# --- MLP ----------------------------------------------------------------------------------

def build_mlp(input_dim: int, hidden: Sequence[int] = (64,), *, n_outputs: int,
              task: str = "classification", activation: str = "relu", dropout: float = 0.0,
              l2: float = 0.0, output: str = "logits", compile: bool = True,
              learning_rate: float = 1e-3, seed: int | None = None) -> keras.Model:
    """A multilayer perceptron (多层感知机): ``Dense(h, activation)`` per entry of ``hidden``
    (each optionally followed by Dropout), then the task's head. ``l2`` adds an L2 weight
    penalty to every kernel. Parameters: sum of ``(fan_in + 1) * units`` over Dense layers.
    ``seed`` makes the initial weights repeatable (see the module docstring).
    """
    input_dim = _positive_int("input_dim", input_dim)
    hidden = _int_tuple("hidden", hidden)
    n_outputs = _positive_int("n_outputs", n_outputs)
    _choice("activation", activation, ACTIVATIONS)
    dropout = _fraction("dropout", dropout)
    l2 = _nonneg("l2", l2)
    _check_head(task, n_outputs, output)
    with _seeded(seed):
        reg = keras.regularizers.L2(l2) if l2 > 0 else None
        inputs = keras.Input(shape=(input_dim,), name="features")
        x = inputs
        for i, units in enumerate(hidden, start=1):
            x = layers.Dense(units, activation=activation, kernel_regularizer=reg,
                             name=f"dense_{i}")(x)
            if dropout > 0:
                x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
        model = keras.Model(inputs, _head(x, n_outputs, task, output), name="mlp")
    if compile:
        compile_model(model, task=task, output=output, learning_rate=learning_rate)
    return model


# --- CNN ----------------------------------------------------------------------------------

def build_cnn(input_shape: Sequence[int], n_classes: int, filters: Sequence[int] = (16, 32), *,
              kernel_size: int = 3, dense_units: int = 0, dropout: float = 0.0,
              output: str = "logits", compile: bool = True, learning_rate: float = 1e-3,
              seed: int | None = None) -> keras.Model:
    """A small convolutional network (卷积神经网络) for images ``(height, width, channels)``:
    per entry of ``filters`` a ``Conv2D(f, kernel_size, padding='same', relu)`` and a 2x2
    max-pool, then Flatten, an optional ReLU ``Dense(dense_units)``, and the classification
    head straight after. (The seed article squeezed a ReLU ``Dense(10)`` in front of the
    softmax, which can zero out classes; there is no such layer here.) Integer labels.
    """
    input_shape = _int_tuple("input_shape", input_shape, allow_empty=False)
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels); got {input_shape}")
    n_classes = _positive_int("n_classes", n_classes)
    filters = _int_tuple("filters", filters, allow_empty=False)
    kernel_size = _positive_int("kernel_size", kernel_size)
    if dense_units != 0:
        dense_units = _positive_int("dense_units (0 for none)", dense_units)
    dropout = _fraction("dropout", dropout)
    _check_head("classification", n_classes, output)
    if min(input_shape[:2]) < 2 ** len(filters):
        raise ValueError(f"input_shape {input_shape[:2]} is too small for {len(filters)} 2x2 "
                         f"poolings: height and width must be >= {2 ** len(filters)}")
    with _seeded(seed):
        inputs = keras.Input(shape=input_shape, name="image")
        x = inputs
        for i, f in enumerate(filters, start=1):
            x = layers.Conv2D(f, kernel_size, padding="same", activation="relu",
                              name=f"conv_{i}")(x)
            x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
        x = layers.Flatten(name="flatten")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name="dropout")(x)
        if dense_units:
            x = layers.Dense(dense_units, activation="relu", name="dense")(x)
        model = keras.Model(inputs, _head(x, n_classes, "classification", output), name="cnn")
    if compile:
        compile_model(model, task="classification", output=output, learning_rate=learning_rate)
    return model


# --- RNN ----------------------------------------------------------------------------------

def build_rnn(input_shape: Sequence[int], units: int = 32, *, cell: str = "lstm",
              n_outputs: int, task: str = "classification", dropout: float = 0.0,
              output: str = "logits", compile: bool = True, learning_rate: float = 1e-3,
              seed: int | None = None) -> keras.Model:
    """A recurrent network (循环神经网络) over sequences ``(timesteps, features)``: one LSTM,
    GRU or SimpleRNN layer whose last hidden state feeds the head. Parameters of the cell with
    ``u`` units and ``f`` features: SimpleRNN ``u(f+u)+u``; LSTM ``4[u(f+u)+u]`` (four gates);
    GRU ``3[u(f+u)+2u]`` (Keras' default ``reset_after=True`` keeps two bias vectors).
    """
    input_shape = _int_tuple("input_shape", input_shape, allow_empty=False)
    if len(input_shape) != 2:
        raise ValueError(f"input_shape must be (timesteps, features); got {input_shape}")
    units = _positive_int("units", units)
    _choice("cell", cell, CELLS)
    n_outputs = _positive_int("n_outputs", n_outputs)
    dropout = _fraction("dropout", dropout)
    _check_head(task, n_outputs, output)
    with _seeded(seed):
        rnn_class = {"lstm": layers.LSTM, "gru": layers.GRU, "simple": layers.SimpleRNN}[cell]
        inputs = keras.Input(shape=input_shape, name="sequence")
        x = rnn_class(units, name=cell)(inputs)
        if dropout > 0:
            x = layers.Dropout(dropout, name="dropout")(x)
        model = keras.Model(inputs, _head(x, n_outputs, task, output), name=f"rnn_{cell}")
    if compile:
        compile_model(model, task=task, output=output, learning_rate=learning_rate)
    return model


# --- Transformer --------------------------------------------------------------------------

def build_transformer_classifier(vocab_size: int, max_len: int, n_classes: int, *,
                                 d_model: int = 32, num_heads: int = 2, ff_dim: int = 64,
                                 num_layers: int = 1, dropout: float = 0.0,
                                 mask_padding: bool = False, output: str = "logits",
                                 compile: bool = True, learning_rate: float = 1e-3,
                                 seed: int | None = None) -> keras.Model:
    """A small Transformer encoder (Transformer 编码器) classifier over token ids.

    ``TokenAndPositionEmbedding`` → ``num_layers`` post-norm blocks, each
    ``x = LayerNorm(x + MultiHeadAttention(x, x))`` then ``x = LayerNorm(x + FFN(x))`` with a
    ReLU feed-forward of width ``ff_dim`` → global average pooling over positions → head.
    ``keras.layers.MultiHeadAttention`` has the Q/K/V/output projections and the
    ``1/sqrt(d_k)`` scaling, with ``d_k = d_model // num_heads``. Parameters per block:
    ``4(d²+d)`` attention + ``2(2d)`` LayerNorms + ``(d·ff+ff) + (ff·d+d)`` FFN. Set
    ``mask_padding=True`` when token 0 pads shorter sequences. Integer class labels.
    """
    vocab_size = _positive_int("vocab_size", vocab_size)
    max_len = _positive_int("max_len", max_len)
    n_classes = _positive_int("n_classes", n_classes)
    d_model = _positive_int("d_model", d_model)
    num_heads = _positive_int("num_heads", num_heads)
    ff_dim = _positive_int("ff_dim", ff_dim)
    num_layers = _positive_int("num_layers", num_layers)
    dropout = _fraction("dropout", dropout)
    if d_model % num_heads:
        raise ValueError(f"d_model must be divisible by num_heads; got d_model={d_model}, "
                         f"num_heads={num_heads}")
    _check_head("classification", n_classes, output)
    with _seeded(seed):
        inputs = keras.Input(shape=(max_len,), dtype="int32", name="token_ids")
        x = TokenAndPositionEmbedding(vocab_size, max_len, d_model, mask_zero=mask_padding,
                                      name="embedding")(inputs)
        for i in range(1, num_layers + 1):
            attn = layers.MultiHeadAttention(num_heads, key_dim=d_model // num_heads,
                                             dropout=dropout, name=f"attention_{i}")(x, x)
            x = layers.LayerNormalization(epsilon=1e-6, name=f"norm_attn_{i}")(
                layers.Add(name=f"residual_attn_{i}")([x, attn]))
            ff = layers.Dense(ff_dim, activation="relu", name=f"ffn_in_{i}")(x)
            ff = layers.Dense(d_model, name=f"ffn_out_{i}")(ff)
            if dropout > 0:
                ff = layers.Dropout(dropout, name=f"ffn_dropout_{i}")(ff)
            x = layers.LayerNormalization(epsilon=1e-6, name=f"norm_ffn_{i}")(
                layers.Add(name=f"residual_ffn_{i}")([x, ff]))
        x = layers.GlobalAveragePooling1D(name="pool")(x)
        model = keras.Model(inputs, _head(x, n_classes, "classification", output),
                            name="transformer_classifier")
    if compile:
        compile_model(model, task="classification", output=output, learning_rate=learning_rate)
    return model


# --- Autoencoder --------------------------------------------------------------------------

def build_autoencoder(input_shape: int | Sequence[int], latent_dim: int, *,
                      kind: str = "dense", hidden: Sequence[int] = (64,),
                      filters: Sequence[int] = (16, 32), output_activation: str = "sigmoid",
                      compile: bool = True, learning_rate: float = 1e-3,
                      seed: int | None = None) -> tuple[keras.Model, keras.Model, keras.Model]:
    """An autoencoder (自编码器) that learns ``x ≈ decoder(encoder(x))`` through a bottleneck
    of ``latent_dim`` numbers, trained with mean squared reconstruction error. ``kind='dense'``
    takes vectors (``input_shape`` an int) and mirrors ``hidden``; ``kind='conv'`` takes images
    ``(H, W, C)`` with stride-2 convolutions down and transposed convolutions up (H and W must
    be divisible by ``2**len(filters)``). ``output_activation='sigmoid'`` expects inputs scaled
    to [0, 1]; use ``'linear'`` for standardized data. Returns (autoencoder, encoder, decoder).
    """
    _choice("kind", kind, ("dense", "conv"))
    latent_dim = _positive_int("latent_dim", latent_dim)
    _choice("output_activation", output_activation, ("sigmoid", "linear"))
    if kind == "dense":
        if not isinstance(input_shape, (int, np.integer)):
            shape = _int_tuple("input_shape", input_shape, allow_empty=False)
            if len(shape) != 1:
                raise ValueError(f"kind='dense' needs input_shape an int (vector length); got "
                                 f"{input_shape!r}; use kind='conv' for images")
            input_shape = shape[0]
        input_dim = _positive_int("input_shape", input_shape)
        hidden = _int_tuple("hidden", hidden)
        with _seeded(seed):
            enc_in = keras.Input(shape=(input_dim,), name="x")
            h = enc_in
            for i, units in enumerate(hidden, start=1):
                h = layers.Dense(units, activation="relu", name=f"enc_dense_{i}")(h)
            z = layers.Dense(latent_dim, name="latent")(h)
            dec_in = keras.Input(shape=(latent_dim,), name="z")
            h = dec_in
            for i, units in enumerate(reversed(hidden), start=1):
                h = layers.Dense(units, activation="relu", name=f"dec_dense_{i}")(h)
            out = layers.Dense(input_dim, activation=output_activation, name="reconstruction")(h)
            full_shape: tuple[int, ...] = (input_dim,)
    else:
        shape = _int_tuple("input_shape", input_shape, allow_empty=False)
        if len(shape) != 3:
            raise ValueError(f"kind='conv' needs input_shape (height, width, channels); got "
                             f"{input_shape!r}")
        filters = _int_tuple("filters", filters, allow_empty=False)
        step = 2 ** len(filters)
        if shape[0] % step or shape[1] % step:
            raise ValueError(f"kind='conv' with {len(filters)} stride-2 layers needs height and "
                             f"width divisible by {step}; got {shape[:2]}")
        with _seeded(seed):
            enc_in = keras.Input(shape=shape, name="x")
            h = enc_in
            for i, f in enumerate(filters, start=1):
                h = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu",
                                  name=f"enc_conv_{i}")(h)
            small = (shape[0] // step, shape[1] // step, filters[-1])
            z = layers.Dense(latent_dim, name="latent")(layers.Flatten(name="flatten")(h))
            dec_in = keras.Input(shape=(latent_dim,), name="z")
            h = layers.Dense(int(np.prod(small)), activation="relu", name="dec_dense")(dec_in)
            h = layers.Reshape(small, name="reshape")(h)
            for i, f in enumerate(reversed(filters), start=1):
                h = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu",
                                           name=f"dec_deconv_{i}")(h)
            out = layers.Conv2D(shape[2], 3, padding="same", activation=output_activation,
                                name="reconstruction")(h)
            full_shape = shape
    encoder = keras.Model(enc_in, z, name="encoder")
    decoder = keras.Model(dec_in, out, name="decoder")
    x = keras.Input(shape=full_shape, name="input")
    autoencoder = keras.Model(x, decoder(encoder(x)), name=f"{kind}_autoencoder")
    if compile:
        autoencoder.compile(optimizer=_adam(learning_rate), loss=keras.losses.MeanSquaredError(),
                            metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    return autoencoder, encoder, decoder


# --- inspection ---------------------------------------------------------------------------

def count_params(model: keras.Model, *, trainable_only: bool = False) -> int:
    """Number of parameters (参数量) of a built model: all weights, or only the trainable ones.
    The same number as ``model.count_params()``, as a plain int for printing and asserts.
    """
    _check_instance("model", model, keras.Model, "a keras.Model")
    if trainable_only:
        return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    return int(model.count_params())


def describe(model: keras.Model) -> Any:
    """One row per layer - name, type, output shape, parameters, trainable - as a pandas
    DataFrame, a tidier and testable alternative to ``model.summary()``. Nested models (the
    autoencoder's encoder and decoder) appear as one row each with their total parameters.
    """
    import pandas as pd

    _check_instance("model", model, keras.Model, "a keras.Model")
    rows = []
    for layer in model.layers:
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError, RuntimeError):
            shape = None
        rows.append({"layer": layer.name, "type": type(layer).__name__,
                     "output_shape": shape, "params": int(layer.count_params()),
                     "trainable": bool(layer.trainable)})
    return pd.DataFrame(rows, columns=["layer", "type", "output_shape", "params", "trainable"])
