"""Input pipeline: tf.data from Parquet shards vs Python generators, samples per second.

The same 200,000 generated transactions (Parquet shards by month), the same numeric features
(amount, customer age; label is_fraud), the same batch size, each source drained once per
round as Keras would read it (a ``tf.data.Dataset`` iterated in eager mode). Cases: a
per-example Python generator (the habit ``fit_generator`` taught), a vectorised generator
that slices whole Arrow record batches, and ``labutils.data.dataset_from_parquet`` (tf.data
with parallel reads and prefetch). Ratios are samples/s against the per-example generator.
"""

# isort: off
import labutils  # noqa: F401  (TensorFlow process settings, before TF is imported)
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import tensorflow as tf
# isort: on

from labutils.data.synthetic import make_transactions
from labutils.data.tfdata import dataset_from_parquet

N_ROWS = 200_000  # the per-example generator needs ~20 s for these
BATCH = 1024
FEATURES = ["amount", "customer_age"]
NOTES = (f"{N_ROWS:,} rows in Parquet shards; features {FEATURES}, label is_fraud, batch "
         f"{BATCH}; missing values filled with 0. samples/s = rows delivered as batches per "
         "second of draining the source once.")


def _batches_per_example(files):
    def gen():
        for f in files:
            t = ds.dataset(f, format="parquet").to_table(columns=[*FEATURES, "is_fraud"])
            cols = [np.nan_to_num(t[c].to_numpy(zero_copy_only=False).astype("float32"))
                    for c in FEATURES]
            y = t["is_fraud"].to_numpy(zero_copy_only=False).astype("float32")
            for i in range(len(y)):
                yield np.array([c[i] for c in cols], dtype="float32"), y[i]
    sig = (tf.TensorSpec((len(FEATURES),), tf.float32), tf.TensorSpec((), tf.float32))
    return tf.data.Dataset.from_generator(gen, output_signature=sig).batch(BATCH)


def _batches_vectorised(files):
    def gen():
        for f in files:
            for rb in ds.dataset(f, format="parquet").to_batches(
                    columns=[*FEATURES, "is_fraud"], batch_size=BATCH):
                x = np.stack([np.nan_to_num(rb.column(c).to_numpy(zero_copy_only=False)
                                            .astype("float32")) for c in FEATURES], axis=1)
                yield x, rb.column("is_fraud").to_numpy(zero_copy_only=False).astype("float32")
    sig = (tf.TensorSpec((None, len(FEATURES)), tf.float32), tf.TensorSpec((None,), tf.float32))
    return tf.data.Dataset.from_generator(gen, output_signature=sig)


def _drain(dataset) -> dict:
    t0 = time.perf_counter()
    n = 0
    for _, y in dataset:
        n += int(y.shape[0])
    seconds = time.perf_counter() - t0
    assert n == N_ROWS, n
    return {"throughput": (n / seconds, "samples/s"), "time": (seconds, "s")}


def run(h) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-tfdata-") as tmp:
        make_transactions(N_ROWS, seed=0, out_dir=Path(tmp) / "tx")
        files = sorted(str(p) for p in (Path(tmp) / "tx").rglob("*.parquet"))
        h.compare(f"{N_ROWS / 1e6:g}M rows, batch {BATCH}", {
            "per-example Python generator": lambda: _drain(_batches_per_example(files)),
            "vectorised Python generator": lambda: _drain(_batches_vectorised(files)),
            "tf.data from Parquet (labutils)": lambda: _drain(dataset_from_parquet(
                files, FEATURES, "is_fraud", batch_size=BATCH, fillna=0.0)),
        }, baseline="per-example Python generator", repeats=3)
