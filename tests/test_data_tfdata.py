"""tf.data builders: batching, shuffling determinism, streaming Parquet shards."""

from __future__ import annotations

import types
from collections import deque

import numpy as np
import pyarrow.parquet as pq
import pytest
import tensorflow as tf

from labutils.data import make_transactions, tfdata
from labutils.data.tfdata import dataset_from_arrays, dataset_from_parquet, parquet_files


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    out = tmp_path_factory.mktemp("tfdata") / "tx"
    make_transactions(30_000, seed=5, out_dir=out, rows_per_shard=4_000)
    return out


def labels_of(ds):
    return np.concatenate([y.numpy() for _, y in ds])


def test_arrays_batches_and_order():
    x = np.arange(100, dtype=np.float32).reshape(50, 2)
    y = np.arange(50)
    ds = dataset_from_arrays(x, y, batch_size=16, shuffle=False)
    sizes = [int(b[0].shape[0]) for b in ds]
    assert sizes == [16, 16, 16, 2]
    assert labels_of(ds).tolist() == list(range(50))
    xb, yb = next(iter(ds))
    assert xb.shape == (16, 2) and xb.dtype == tf.float32 and yb.dtype == tf.int64
    dropped = dataset_from_arrays(x, y, batch_size=16, shuffle=False, drop_remainder=True)
    assert [int(b[0].shape[0]) for b in dropped] == [16, 16, 16]


def test_arrays_shuffle_is_seeded_and_changes_each_epoch():
    x = np.arange(64, dtype=np.float32)
    a = dataset_from_arrays(x, np.arange(64), batch_size=8, seed=1)
    b = dataset_from_arrays(x, np.arange(64), batch_size=8, seed=1)
    first, second = labels_of(a), labels_of(a)
    assert np.array_equal(first, labels_of(b))  # same seed, same first epoch
    assert not np.array_equal(first, second)  # reshuffled in epoch two
    assert sorted(first.tolist()) == list(range(64))
    only_x = next(iter(dataset_from_arrays(x, batch_size=4, shuffle=False)))
    assert only_x.numpy().tolist() == [0, 1, 2, 3]


def test_arrays_validation():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        dataset_from_arrays(np.zeros(3), batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        dataset_from_arrays(np.zeros(3), batch_size=2.0)
    with pytest.raises(ValueError, match="same number of rows"):
        dataset_from_arrays(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one row"):
        dataset_from_arrays(np.zeros((0, 2)))


def test_parquet_streams_every_row_in_fixed_batches(shards):
    ds = dataset_from_parquet(shards, ["amount", "customer_age"], "is_fraud", batch_size=1000)
    sizes, n_fraud, n_nan = [], 0, 0
    for xb, yb in ds:
        sizes.append(int(xb.shape[0]))
        n_fraud += int(tf.reduce_sum(tf.cast(yb, tf.int32)))
        n_nan += int(tf.reduce_sum(tf.cast(tf.math.is_nan(xb), tf.int32)))
        assert xb.dtype == tf.float32 and yb.dtype == tf.bool and xb.shape[1] == 2
    assert sum(sizes) == 30_000 and set(sizes) == {1000}
    assert n_fraud > 0 and n_nan > 0  # nulls arrive as NaN by default
    filled = dataset_from_parquet(shards, ["amount"], "is_fraud", batch_size=4096, fillna=0.0)
    assert not any(bool(tf.reduce_any(tf.math.is_nan(xb))) for xb, _ in filled)
    feats = next(iter(dataset_from_parquet(shards, ["customer_id"], batch_size=7)))
    assert feats.shape == (7, 1)


def test_parquet_shuffle_is_seeded_and_keeps_every_row(shards):
    def ids(seed):
        ds = dataset_from_parquet(shards, ["transaction_id"], "customer_id", batch_size=999,
                                  shuffle=True, seed=seed)
        return np.concatenate([x.numpy()[:, 0] for x, _ in ds])

    a, b, c = ids(0), ids(0), ids(1)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert sorted(a.astype(np.int64).tolist()) == list(range(30_000))
    assert not np.array_equal(a, np.sort(a))


def test_parquet_validation(shards, tmp_path):
    with pytest.raises(ValueError, match="must be numeric or bool"):
        dataset_from_parquet(shards, ["country"], "is_fraud")
    with pytest.raises(ValueError, match="not in the Parquet schema"):
        dataset_from_parquet(shards, ["amout"], "is_fraud")
    with pytest.raises(ValueError, match="at least one column"):
        dataset_from_parquet(shards, [], "is_fraud")
    with pytest.raises(FileNotFoundError):
        dataset_from_parquet(tmp_path / "nowhere", ["amount"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .parquet files"):
        parquet_files(tmp_path / "empty")
    with pytest.raises(ValueError, match="missing values"):
        dataset_from_parquet(shards, ["amount"], "customer_age", batch_size=512)
    assert len(parquet_files(shards)) == len(list(shards.rglob("part-*.parquet")))


def _counting_numpy(monkeypatch) -> list[int]:
    """Make tfdata's ``np.concatenate`` record how many rows each call copies."""
    copied: list[int] = []

    def concatenate(arrays, *args, **kwargs):
        arrays = list(arrays)
        copied.append(sum(len(a) for a in arrays))
        return np.concatenate(arrays, *args, **kwargs)

    proxy = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np)
                                     if not name.startswith("__")})
    proxy.concatenate = concatenate
    monkeypatch.setattr(tfdata, "np", proxy)
    return copied


@pytest.mark.parametrize("batch_size", [1, 100, 999, 5000])
def test_parquet_batching_copies_each_row_at_most_once(shards, monkeypatch, batch_size):
    """Batches are cut from the record batches without re-concatenating what is left over,
    so each row is copied at most once per array (features, labels): linear work. The old
    code re-joined the whole remainder for every batch - about 30,000 x 4,000 row copies
    per array for batch_size=1, and more than one copy per row for any batch size."""
    files = parquet_files(shards)
    expected = np.concatenate([pq.read_table(f, columns=["transaction_id"])
                               .column(0).to_numpy() for f in files]).astype(np.float32)
    copied = _counting_numpy(monkeypatch)
    batches = list(tfdata._batches(files, ["transaction_id"], "customer_id", batch_size,
                                   None, False, 0, [0]))
    rows = np.concatenate([np.asarray(b[0])[:, 0] for b in batches])
    np.testing.assert_array_equal(rows, expected)  # every row, in file order
    sizes = [len(b[0]) for b in batches]
    assert sizes[:-1] == [batch_size] * (len(sizes) - 1) and 0 < sizes[-1] <= batch_size
    assert all(len(x) == len(y) for x, y in batches)
    assert sum(copied) <= 2 * len(expected)  # two arrays per batch: features and labels
    assert len(copied) <= 2 * len(batches)


def test_take_joins_only_the_pieces_of_one_batch():
    pending = deque([(np.arange(0, 5),), (np.arange(5, 7),), (np.arange(7, 20),)])
    assert tfdata._take(pending, 3)[0].tolist() == [0, 1, 2]
    assert tfdata._take(pending, 6)[0].tolist() == [3, 4, 5, 6, 7, 8]
    assert [len(p[0]) for p in pending] == [11]  # the rest of the last piece, not copied
    assert tfdata._take(pending, 11)[0].tolist() == list(range(9, 20)) and not pending
