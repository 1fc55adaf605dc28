"""``tf.data`` input pipelines: from in-memory arrays, and streamed from Parquet shards.

The order of steps matters and is chosen once, here, so notebooks get it right:

* ``cache`` comes before ``shuffle``, so the cheap, fixed data are cached once and the
  order still changes every epoch;
* ``shuffle`` comes before ``batch``, so batches mix examples rather than whole batches;
* ``prefetch(AUTOTUNE)`` comes last, so the next batch is prepared while the model trains.

Parquet shards are read with pyarrow one record batch at a time inside a Python generator,
so memory holds a few batches, never the whole dataset.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labutils._validate import positive_int


def dataset_from_arrays(x: Any, y: Any = None, *, batch_size: int = 32, shuffle: bool = True,
                        seed: int = 0, cache: bool = True, drop_remainder: bool = False):
    """A batched ``tf.data.Dataset`` of ``x`` (and ``y``) held in memory.

    Shuffles over the whole array (buffer = number of rows) with ``seed``, reshuffling each
    epoch; caches the unbatched tensors; prefetches with AUTOTUNE. Use ``shuffle=False`` for
    validation and test sets, so metrics are computed in a fixed order.
    """
    import tensorflow as tf

    batch_size = positive_int("batch_size", batch_size)
    x = np.asarray(x)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(f"x and y must have the same number of rows; got {len(x)} and "
                             f"{len(y)}")
    if len(x) == 0:
        raise ValueError("x must have at least one row")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def parquet_files(paths_or_dir: str | Path | Sequence[str | Path]) -> list[Path]:
    """Expand a folder (searched recursively for ``*.parquet``), a file, or a list of files
    into a sorted list of Parquet paths; hidden files (temporary shards) are skipped."""
    items = [paths_or_dir] if isinstance(paths_or_dir, (str, Path)) else list(paths_or_dir)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            files += [f for f in p.rglob("*.parquet")
                      if not any(part.startswith(".") for part in f.relative_to(p).parts)]
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no Parquet file or folder at {p}")
    if not files:
        raise FileNotFoundError(f"no .parquet files found in {paths_or_dir}")
    return sorted(files)


def _take(pending: deque[tuple[np.ndarray, ...]], n: int) -> tuple[np.ndarray, ...]:
    """Remove the first ``n`` rows from ``pending`` (a queue of column groups, each a tuple of
    equally long arrays) and return them as one group. Only the pieces that make up this
    batch are concatenated and a partly used piece is kept as a view, so every row is copied
    at most once: producing all batches takes time linear in the number of rows."""
    taken: list[tuple[np.ndarray, ...]] = []
    while n:
        head = pending[0]
        size = len(head[0])
        if size <= n:
            taken.append(pending.popleft())
            n -= size
        else:
            taken.append(tuple(a[:n] for a in head))
            pending[0] = tuple(a[n:] for a in head)
            n = 0
    if len(taken) == 1:
        return taken[0]
    return tuple(np.concatenate(columns) for columns in zip(*taken, strict=True))


def _batches(files: list[Path], features: list[str], label: str | None, batch_size: int,
             fillna: float | None, shuffle: bool, seed: int,
             epoch: list[int]) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield fixed-size (features, label) batches by streaming record batches from files."""
    import pyarrow.parquet as pq

    rng = np.random.default_rng([seed, epoch[0]])
    epoch[0] += 1
    order = rng.permutation(len(files)) if shuffle else range(len(files))
    columns = features + ([label] if label else [])
    pending: deque[tuple[np.ndarray, ...]] = deque()  # rows read but not yet yielded
    held = 0
    for i in order:
        for rb in pq.ParquetFile(files[i]).iter_batches(batch_size=max(batch_size, 8192),
                                                        columns=columns):
            xs = np.column_stack([rb.column(c).to_numpy(zero_copy_only=False)
                                  .astype(np.float32) for c in features])
            ys = None
            if label:
                if rb.column(label).null_count:
                    raise ValueError(f"label column {label!r} has missing values in "
                                     f"{files[i]}; drop or fill them before training")
                ys = rb.column(label).to_numpy(zero_copy_only=False)
            if fillna is not None:
                xs = np.where(np.isnan(xs), np.float32(fillna), xs)
            if shuffle:  # a windowed shuffle: rows move within each record batch
                perm = rng.permutation(len(xs))
                xs, ys = xs[perm], (ys[perm] if ys is not None else None)
            pending.append((xs, ys) if label else (xs,))
            held += len(xs)
            while held >= batch_size:
                yield _take(pending, batch_size)
                held -= batch_size
    if held:
        yield _take(pending, held)


def _check_label_has_no_nulls(files: list[Path], label: str) -> None:
    """Read only the Parquet footers: their per-row-group null counts answer this for free."""
    import pyarrow.parquet as pq

    for f in files:
        meta = pq.ParquetFile(f).metadata
        col = meta.schema.names.index(label)
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(col).statistics
            if stats is not None and stats.has_null_count and stats.null_count:
                raise ValueError(f"label column {label!r} has missing values in {f}; drop or "
                                 f"fill them before training")


def dataset_from_parquet(paths_or_dir: str | Path | Sequence[str | Path],
                         feature_columns: Sequence[str], label_column: str | None = None, *,
                         batch_size: int = 1024, shuffle: bool = False, seed: int = 0,
                         fillna: float | None = None):
    """Stream Parquet shards into a ``tf.data.Dataset`` of ``(features, label)`` batches.

    ``features`` is float32 of shape (batch, len(feature_columns)); the label keeps its
    column's type (bool becomes tf.bool, cast it for a loss). Nulls become NaN, or
    ``fillna``. ``shuffle=True`` shuffles the file order and rows within each record batch
    anew every epoch - a bounded-memory approximation of a full shuffle. The last batch may
    be smaller. Only numeric or bool columns are accepted.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import tensorflow as tf

    batch_size = positive_int("batch_size", batch_size)
    files = parquet_files(paths_or_dir)
    features = list(feature_columns)
    if not features:
        raise ValueError("feature_columns must name at least one column")
    schema = pq.read_schema(files[0])
    for col in features + ([label_column] if label_column else []):
        if col not in schema.names:
            raise ValueError(f"column {col!r} is not in the Parquet schema; valid columns: "
                             f"{schema.names}")
        typ = schema.field(col).type
        if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)
                or pa.types.is_boolean(typ)):
            raise ValueError(f"column {col!r} must be numeric or bool to feed a model; it is "
                             f"{typ}. Encode it first (e.g. category codes)")
    if label_column:
        _check_label_has_no_nulls(files, label_column)
    x_spec = tf.TensorSpec(shape=(None, len(features)), dtype=tf.float32)
    if label_column:
        label_dtype = tf.as_dtype(schema.field(label_column).type.to_pandas_dtype())
        signature: tuple = (x_spec, tf.TensorSpec(shape=(None,), dtype=label_dtype))
    else:
        signature = (x_spec,)
    epoch = [0]
    ds = tf.data.Dataset.from_generator(
        lambda: _batches(files, features, label_column, batch_size, fillna, shuffle, seed,
                         epoch),
        output_signature=signature)
    if not label_column:
        ds = ds.map(lambda x: x)
    return ds.prefetch(tf.data.AUTOTUNE)
