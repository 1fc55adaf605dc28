"""Machine ceiling: matrix multiply 1024x1024 in NumPy float64 (baseline), float32 and
TensorFlow float32; then the FLOP/s a real TinyGPT training run achieves against that
float32 ceiling (model FLOPs utilisation).

Ratios > 1 are faster than the baseline. float32 halves the bytes moved and doubles the SIMD
width, which is why deep learning trains in 32 bits or fewer. In the second group the ratio of
the TinyGPT case to its baseline *is* the model FLOPs utilisation (MFU) on this machine.
"""

# isort: off
import labutils  # noqa: F401  (TensorFlow process settings, before TF is imported)
import numpy as np
import tensorflow as tf
# isort: on

N = 1024
LM_STEPS = 40
NOTES = (f"One {N}x{N} matrix product per call; GFLOP/s = 2·N³ / time. TinyGPT: the course "
         f"recipe (labutils.lm.pretrained.RECIPE) trained for {LM_STEPS} steps per "
         "measurement with labutils.lm.train.train_lm (XLA-compiled step; the first, compiling "
         "step excluded); achieved GFLOP/s = exact matmul FLOPs of the steps "
         "(labutils.lm.flops.tiny_gpt_flops, forward + backward) / their time. Its ratio to "
         "the float32 matmul measured alongside is the model FLOPs utilisation.")


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

    from labutils.lm.flops import achieved_flops
    from labutils.lm.model import build_tiny_gpt
    from labutils.lm.pretrained import RECIPE, prepare
    from labutils.lm.train import train_lm

    r = RECIPE
    data = prepare("fine_foods", r["vocab_size"])
    model = build_tiny_gpt(data.tokenizer.vocab_size, r["context"], r["d_model"],
                           r["n_layers"], r["n_heads"], seed=0)

    def tiny_gpt():
        log = train_lm(model, data.train_ids, steps=LM_STEPS, batch_size=r["batch_size"],
                       learning_rate=r["learning_rate"], warmup=r["warmup"])
        flops = achieved_flops(log, model.config, r["batch_size"])
        return {"throughput": (flops / 1e9, "GFLOP/s"),
                "tokens/s": (log.tokens_per_second(r["batch_size"], r["context"]), "tokens/s")}

    h.compare("TinyGPT training vs matmul ceiling", {
        "numpy float32 matmul 1024": gflops(lambda: a32 @ b32),
        "TinyGPT training step (RECIPE)": tiny_gpt,
    }, baseline="numpy float32 matmul 1024", repeats=3)
