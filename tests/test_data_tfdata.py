"""tf.data builders: batching, shuffling determinism, streaming Parquet shards."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.data import make_transactions
from labutils.data.tfdata import dataset_from_arrays, dataset_from_parquet, parquet_files

tf = pytest.importorskip("tensorflow")


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
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        dataset_from_arrays(np.zeros(3), batch_size=0)
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
