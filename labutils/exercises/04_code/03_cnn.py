"""Chapter 4, notebook 03 (CNN) exercises: the parameter count of a ``Conv2D`` layer, the
output size of a convolution or pooling window, and a classification head without seed 002's
ReLU ``Dense(10)`` bottleneck. Ids are ``"04.03.<name>"``. The first two compare the learner's
formula with a reference on inputs that expose the usual slips; the third builds two tiny
Keras models from the learner's head function (no training) and inspects their layers.
"""

from __future__ import annotations

import math
from typing import Any

from labutils.checks import CheckResult, check_function_or_slip, finish, not_yet, register

# --- conv_params -----------------------------------------------------------------------------

# (kernel_size, in_channels, filters): a grey image, an RGB image, a deep layer, a 1x1 conv.
_P_CASES = [(3, 1, 16), (5, 3, 8), (3, 16, 32), (1, 64, 10), (7, 2, 1)]


def _conv_params(k: int, c_in: int, filters: int) -> int:
    return (k * k * c_in + 1) * filters


_P_SLIPS = [
    (lambda k, c, f: k * k * c * f,
     "each filter also has one bias: add filters biases ((k*k*c_in + 1) * filters)."),
    (lambda k, c, f: (k * k + 1) * f,
     "a filter spans all input channels: it has k*k*in_channels weights, not k*k."),
    (lambda k, c, f: (k * c + 1) * f,
     "the kernel is k x k (square), so it has k*k weights per input channel, not k."),
    (lambda k, c, f: k * k * c * f + k * k * c,
     "there is one bias per filter (per output channel), not one per kernel weight."),
]


@register("conv_params", "parameters of Conv2D(filters, kernel_size) on in_channels channels")
def _check_conv_params(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(fn, name, _conv_params, _P_CASES, _P_SLIPS,
                                  "count the weights of one filter (k * k * in_channels) plus "
                                  "its bias, then multiply by the number of filters.")


# --- conv_output_size ------------------------------------------------------------------------

# (n, kernel_size, stride, padding): same and valid, stride 1 and 2, sizes that do not divide
# evenly (where ceil and floor differ), a 2x2 max-pool (kernel 2, stride 2) on odd sizes.
_S_CASES = [(8, 3, 1, "same"), (8, 3, 1, "valid"), (28, 5, 2, "valid"), (7, 3, 2, "same"),
            (7, 2, 2, "valid"), (9, 3, 2, "valid"), (5, 5, 1, "valid"), (28, 3, 3, "same")]


def _out_size(n: int, k: int, s: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(n / s)
    return (n - k) // s + 1


_S_SLIPS = [
    (lambda n, k, s, p: n if p == "same" else (n - k) // s + 1,
     "'same' keeps the size only with stride 1; with stride s the output has ceil(n / s) "
     "positions."),
    (lambda n, k, s, p: math.ceil(n / s) if p == "same" else (n - k) // s,
     "a 'valid' window fits (n - k) // s + 1 times: the first position counts too."),
    (lambda n, k, s, p: math.ceil(n / s) if p == "same" else (n - k + 1) // s,
     "the window starts at positions 0, s, 2s, ... up to n - k: that is (n - k) // s + 1."),
    (lambda n, k, s, p: math.ceil(n / s) if p == "same" else math.ceil((n - k) / s) + 1,
     "Keras drops a last window that would run past the edge: use floor, (n - k) // s + 1."),
]


@register("conv_output_size", "output height/width of a conv or pooling window")
def _check_conv_output_size(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(fn, name, _out_size, _S_CASES, _S_SLIPS,
                                  "padding='valid': (n - k) // s + 1; padding='same': "
                                  "ceil(n / s).")


# --- fixed_head ------------------------------------------------------------------------------

def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


def _activation(layer: Any) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "linear")


@register("fixed_head", "a classification head without seed 002's ReLU Dense(10) bottleneck")
def _check_fixed_head(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    import keras

    for n_features, n_classes in ((32, 10), (20, 3)):
        inputs = keras.Input((n_features,))
        try:
            out = fn(inputs, n_classes)
        except Exception as exc:  # the learner's code failing is a hint, not a crash
            return _fail(name, f"fixed_head(keras.Input(({n_features},)), {n_classes}) raised "
                               f"{type(exc).__name__}: {exc}")
        if out is None:
            return not_yet(name)
        try:
            model = keras.Model(inputs, out)
        except Exception as exc:
            return _fail(name, f"return the output tensor of your last layer (built from "
                               f"`features`); keras.Model could not use it: "
                               f"{type(exc).__name__}: {exc}")
        if tuple(model.output.shape) != (None, n_classes):
            return _fail(name, f"with n_classes={n_classes} the output must have shape "
                               f"(None, {n_classes}); got {tuple(model.output.shape)}. Use "
                               "n_classes, not a fixed 10.")
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        if not dense:
            return _fail(name, "the head needs Dense layers: a hidden ReLU layer and an output "
                               "layer with one unit per class.")
        last = _activation(dense[-1])
        if last == "relu":
            return _fail(name, "the output layer must not use ReLU: it would set the scores of "
                               "some classes to exactly 0. Use softmax (or no activation, "
                               "i.e. logits).")
        if last not in ("softmax", "linear"):
            return _fail(name, f"the output layer's activation is {last!r}; use softmax for "
                               "probabilities or none for logits.")
        narrow = [layer for layer in dense[:-1]
                  if _activation(layer) == "relu" and layer.units <= n_classes]
        if narrow:
            return _fail(name, f"a hidden ReLU Dense({narrow[-1].units}) with no more units than "
                               "there are classes is seed 002's bottleneck: every piece of "
                               "information must squeeze through it, and a unit that outputs 0 "
                               "for every input (a dead unit) gets no gradient. Remove it: the "
                               "output layer should follow the wide hidden layer directly.")
        if not any(_activation(layer) == "relu" for layer in dense[:-1]):
            return _fail(name, "keep the hidden Dense(128, activation='relu') layer of the "
                               "seed's head; only the narrow ReLU layer after it has to go.")
    return finish(CheckResult(name, True, "a wide ReLU layer then the output layer, no "
                                           "bottleneck; the output has one score per class."))
