"""Inference and serving: predict vs call vs compiled at batch 1 and 256; HTTP by concurrency.

Baselines: ``model.predict`` (in-process) and the server without micro-batching (HTTP).
Targets from the serving issue, for a small MLP on 2 cores: a compiled call >= 10x lower p50
than ``predict`` for one example; >= 300 requests/s over loopback; batching >= 2x the
throughput of no batching at 32 concurrent clients.
"""

from __future__ import annotations

# isort: off
import labutils  # noqa: F401  (TensorFlow process settings, before TF is imported)
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
# isort: on

from labutils.io import save_model
from labutils.models import build_mlp
from labutils.serve import ModelServer, run_load

NOTES = ("A 64-128-10 MLP (digits-sized, 9,610 parameters). In-process latencies are the "
         "median (p50) and p99 of 50 calls per round; HTTP rows send 600 requests per round "
         "from N concurrent keep-alive clients to a server on 127.0.0.1 (one per setting, "
         "started once), with the clients in the same 2-core machine as the server.")


def _model() -> keras.Model:
    return build_mlp(64, (128,), n_outputs=10, seed=0)


def run(h) -> None:
    model = _model()
    x1 = np.random.default_rng(0).normal(size=(1, 64)).astype("float32")
    x256 = np.random.default_rng(1).normal(size=(256, 64)).astype("float32")
    compiled = tf.function(model, reduce_retracing=True, jit_compile=False)
    quantized = _model()
    quantized.set_weights(model.get_weights())
    quantized.quantize("int8")
    compiled_q = tf.function(quantized, reduce_retracing=True)

    h.compare("batch 1", {
        "model.predict": h.timer(lambda: model.predict(x1, verbose=0)),
        "model(x)": h.timer(lambda: model(x1, training=False)),
        "tf.function": h.timer(lambda: compiled(x1)),
        "tf.function int8": h.timer(lambda: compiled_q(x1)),
    }, baseline="model.predict")

    def rate(fn, rows=256, calls=20):
        timed = h.timer(fn, calls)

        def case():
            p50 = timed()["p50"][0]
            return {"throughput": (rows / (p50 / 1e3), "samples/s")}
        return case

    h.compare("batch 256", {
        "model.predict": rate(lambda: model.predict(x256, verbose=0)),
        "model(x)": rate(lambda: model(x256, training=False)),
        "tf.function": rate(lambda: compiled(x256)),
        "tf.function int8": rate(lambda: compiled_q(x256)),
    }, baseline="model.predict")

    with tempfile.TemporaryDirectory() as tmp:
        path = save_model(model, Path(tmp) / "mlp.keras")
        body = {"instances": x1.tolist()}
        with ModelServer([path], batching=False) as plain, \
                ModelServer([path], batching=True) as batched:
            for clients in (1, 8, 32):
                def http(srv, c=clients):
                    def case():
                        r = run_load(srv.url, "/v1/models/mlp:predict", body, concurrency=c,
                                     requests=600, time_limit=60)
                        return {"throughput": (r.rps, "requests/s"),
                                "p50": (r.p50 * 1e3, "ms"), "p99": (r.p99 * 1e3, "ms"),
                                "failed": (r.server_errors + r.dropped, "count")}
                    return case
                h.compare(f"HTTP, {clients} clients", {
                    "no batching": http(plain), "micro-batching": http(batched),
                }, baseline="no batching", repeats=3)
