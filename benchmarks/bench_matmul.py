"""Matrix multiply 1024x1024: NumPy float64 (baseline) vs float32 vs TensorFlow float32.

Ratios > 1 are faster than the baseline. float32 halves the bytes moved and doubles the SIMD
width, which is why deep learning trains in 32 bits or fewer.
"""

# isort: off
import labutils  # noqa: F401  (TensorFlow process settings, before TF is imported)
import numpy as np
import tensorflow as tf
# isort: on

N = 1024
_rng = np.random.default_rng(0)
_a64, _b64 = _rng.standard_normal((N, N)), _rng.standard_normal((N, N))
_a32, _b32 = _a64.astype(np.float32), _b64.astype(np.float32)
_ta, _tb = tf.constant(_a32), tf.constant(_b32)

BASELINE = "numpy float64"
CASES = {
    "numpy float64": lambda: _a64 @ _b64,
    "numpy float32": lambda: _a32 @ _b32,
    "tensorflow float32": lambda: tf.matmul(_ta, _tb).numpy(),
}
