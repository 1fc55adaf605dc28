"""From-scratch NumPy versions of the math the course teaches, each proven equal to its
TensorFlow/Keras counterpart by the tests: activations and their derivatives, losses and
their gradients, a Dense layer and an MLP with hand-written backpropagation, the SGD,
RMSprop, Adam and AdamW optimizers with a warm-up + cosine schedule, scaled dot-product and
multi-head attention, positional encoding, and finite-difference gradient checking.

Only NumPy is imported here (GELU imports SciPy's ``erfc`` when first called), so
``import labutils.scratch`` is instant and works without TensorFlow. Typical use::

    from labutils.scratch import MLP, Adam, one_hot, softmax_cross_entropy_with_logits_grad
    net = MLP([64, 32, 10])
    logits = net.forward(x)
    net.backward(softmax_cross_entropy_with_logits_grad(one_hot(y, 10), logits))
    Adam(learning_rate=1e-3).step(net.params, net.grads)
"""

from __future__ import annotations

from labutils.scratch.activations import (
    ACTIVATIONS,
    FLAT_THRESHOLD,
    activation_backward,
    activation_curves,
    flat_fraction,
    gelu,
    gelu_grad,
    get_activation,
    linear,
    linear_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    tanh,
    tanh_grad,
)
from labutils.scratch.attention import (
    MultiHeadAttention,
    causal_mask,
    scaled_dot_product_attention,
    sinusoidal_positional_encoding,
)
from labutils.scratch.gradcheck import gradient_check, numerical_gradient, relative_error
from labutils.scratch.layers import MLP, Dense, dense_forward, glorot_uniform, he_normal
from labutils.scratch.losses import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    categorical_cross_entropy,
    categorical_cross_entropy_grad,
    logsumexp,
    mse,
    mse_grad,
    one_hot,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_grad,
    sparse_categorical_cross_entropy,
    sparse_categorical_cross_entropy_grad,
)
from labutils.scratch.optim import (
    SGD,
    Adam,
    AdamW,
    CosineDecay,
    Optimizer,
    RMSprop,
    get_optimizer,
    gradient_descent_step,
)

__all__ = [
    "ACTIVATIONS", "Adam", "AdamW", "CosineDecay", "Dense", "FLAT_THRESHOLD", "MLP",
    "MultiHeadAttention", "Optimizer", "RMSprop", "SGD", "activation_backward",
    "activation_curves", "binary_cross_entropy", "binary_cross_entropy_grad",
    "categorical_cross_entropy", "categorical_cross_entropy_grad", "causal_mask",
    "dense_forward", "flat_fraction", "gelu", "gelu_grad", "get_activation", "get_optimizer",
    "glorot_uniform", "gradient_check", "gradient_descent_step", "he_normal", "linear",
    "linear_grad", "logsumexp", "mse", "mse_grad", "numerical_gradient", "one_hot",
    "relative_error", "relu", "relu_grad", "scaled_dot_product_attention", "sigmoid",
    "sigmoid_grad", "sinusoidal_positional_encoding", "softmax",
    "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_grad",
    "softmax_jacobian", "softmax_vjp", "sparse_categorical_cross_entropy",
    "sparse_categorical_cross_entropy_grad", "tanh", "tanh_grad",
]
