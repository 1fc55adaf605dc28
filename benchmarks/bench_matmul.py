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
NOTES = f"One {N}x{N} matrix product per call; GFLOP/s = 2·N³ / time."


def run(h) -> None:
    rng = np.random.default_rng(0)
    a64, b64 = rng.standard_normal((N, N)), rng.standard_normal((N, N))
    a32, b32 = a64.astype(np.float32), b64.astype(np.float32)
    ta, tb = tf.constant(a32), tf.constant(b32)

    def gflops(fn):
        timed = h.timer(fn, calls=10)

        def case():
            p50 = timed()["p50"][0] / 1e3
            return {"time": (p50 * 1e3, "ms"), "throughput": (2 * N**3 / p50 / 1e9, "GFLOP/s")}
        return case

    h.compare("matmul 1024", {
        "numpy float64": gflops(lambda: a64 @ b64),
        "numpy float32": gflops(lambda: a32 @ b32),
        "tensorflow float32": gflops(lambda: tf.matmul(ta, tb).numpy()),
    }, baseline="numpy float64")
