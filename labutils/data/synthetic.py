"""A deterministic generator of card transactions for the big-data track, of any size.

``make_transactions(n_rows, seed, out_dir)`` writes Parquet shards - by default one folder
per month, Hive style (``month=2024-03/part-00000.parquet``) - so DuckDB, Spark and
``tf.data`` can read them as one dataset. Rows are generated in fixed blocks of
``BLOCK_ROWS`` and written as they are made, so memory stays bounded whether you ask for a
thousand rows or a hundred million. Each block draws from its own random stream
``default_rng([seed, block])``: the same ``n_rows`` and ``seed`` give the same rows, and the
same arguments give byte-identical files.

The data are synthetic but shaped like the real thing: a few heavy customers, log-normal
amounts that depend on the merchant category, refunds (negative amounts), rare extreme
outliers, missing values in several columns, night-time and online fraud that is rare
(about 0.5%) but learnable from the columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labutils._validate import check_choice, check_scalar, positive_int

BLOCK_ROWS = 65_536
PARTITIONS = (None, "month")
# merchant category -> (share of transactions, median amount in dollars)
CATEGORIES = {
    "grocery": (0.24, 38.0), "restaurants": (0.16, 24.0), "fuel": (0.10, 45.0),
    "online_retail": (0.14, 52.0), "travel": (0.04, 310.0), "electronics": (0.05, 180.0),
    "health": (0.06, 60.0), "entertainment": (0.07, 30.0), "utilities": (0.06, 95.0),
    "cash_withdrawal": (0.08, 120.0),
}
COUNTRIES = {"US": 0.40, "CN": 0.18, "GB": 0.08, "DE": 0.07, "IN": 0.07, "JP": 0.05,
             "FR": 0.05, "BR": 0.04, "CA": 0.03, "AU": 0.03}
CHANNELS = {"in_store": 0.55, "online": 0.30, "mobile": 0.15}
COLUMNS = ("transaction_id", "timestamp", "customer_id", "customer_age", "merchant_category",
           "amount", "country", "channel", "is_fraud")


@dataclass(frozen=True)
class TransactionsResult:
    """What :func:`make_transactions` wrote: the folder, the shard files, rows and bytes."""

    out_dir: Path
    files: tuple[Path, ...]
    n_rows: int
    seed: int

    @property
    def total_bytes(self) -> int:
        """Size of all shards on disk."""
        return sum(f.stat().st_size for f in self.files)


def _block_table(seed: int, block: int, first: int, n: int, n_rows: int, start_us: int,
                 span_us: int):
    """Generate rows ``first .. first + n - 1`` as a pyarrow Table (one random stream)."""
    import pyarrow as pa

    rng = np.random.default_rng([seed, block])
    rows = np.arange(first, first + n, dtype=np.int64)
    # Row i falls in its own time slot [i, i + 1) * span / n_rows: sorted, like a real log.
    ts = start_us + ((rows + rng.random(n)) * (span_us / n_rows)).astype(np.int64)
    n_customers = max(100, n_rows // 40)
    customer = (1 + n_customers * rng.random(n) ** 2.5).astype(np.int32)  # a few heavy users
    age = (18 + (customer.astype(np.uint64) * 2654435761 % 2**32) % 70).astype(np.int16)
    cat_names = list(CATEGORIES)
    shares = np.array([s for s, _ in CATEGORIES.values()])
    category = rng.choice(len(cat_names), n, p=shares / shares.sum()).astype(np.int8)
    median = np.array([m for _, m in CATEGORIES.values()])[category]
    amount = np.round(median * np.exp(0.9 * rng.standard_normal(n)), 2)
    outlier = rng.random(n) < 0.001  # data-entry errors or genuinely huge purchases
    amount[outlier] *= rng.uniform(20, 200, outlier.sum()).round(0)
    refund = rng.random(n) < 0.003
    amount[refund] = -amount[refund]
    country = rng.choice(len(COUNTRIES), n, p=list(COUNTRIES.values())).astype(np.int8)
    channel = rng.choice(len(CHANNELS), n, p=list(CHANNELS.values())).astype(np.int8)
    hour = (ts // 3_600_000_000) % 24
    logit = (-7.1 + 1.5 * (channel > 0) + 1.3 * (hour < 5)
             + 0.9 * np.clip(np.log10(np.abs(amount) / median), 0, None)
             + 0.8 * (country >= 5))
    fraud = rng.random(n) < 1 / (1 + np.exp(-logit))
    missing = {c: rng.random(n) < p for c, p in
               (("amount", 0.005), ("country", 0.01), ("category", 0.005), ("age", 0.03))}

    def dictionary(indices: np.ndarray, names: list[str], mask: np.ndarray | None = None):
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int8(), mask=mask),
                                              pa.array(names, pa.string()))

    return pa.table({
        "transaction_id": pa.array(rows, pa.int64()),
        "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "customer_id": pa.array(customer, pa.int32()),
        "customer_age": pa.array(age, pa.int16(), mask=missing["age"]),
        "merchant_category": dictionary(category, cat_names, missing["category"]),
        "amount": pa.array(amount, pa.float64(), mask=missing["amount"]),
        "country": dictionary(country, list(COUNTRIES), missing["country"]),
        "channel": dictionary(channel, list(CHANNELS)),
        "is_fraud": pa.array(fraud, pa.bool_()),
    }), ts


class _ShardWriter:
    """Writes one shard at a time to a hidden temporary file and renames it when complete,
    so a crash never leaves a half-written file under a final name."""

    def __init__(self, schema) -> None:
        self.schema = schema
        self.writer = None
        self.final: Path | None = None
        self.tmp: Path | None = None
        self.rows = 0
        self.files: list[Path] = []

    def open(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.final, self.tmp, self.rows = path, path.with_name(f".{path.name}.tmp"), 0
        self.writer = pq.ParquetWriter(self.tmp, self.schema, compression="snappy")

    def write(self, table) -> None:
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            os.replace(self.tmp, self.final)
            self.files.append(self.final)
            self.writer = None


def make_transactions(n_rows: int, seed: int = 0, out_dir: str | Path = "transactions", *,
                      rows_per_shard: int = 1_000_000, partition_by: str | None = "month",
                      start: str = "2024-01-01", days: int = 366) -> TransactionsResult:
    """Write ``n_rows`` synthetic card transactions as Parquet shards under ``out_dir``.

    Columns: ``transaction_id`` (int64, 0..n-1 in time order), ``timestamp`` (UTC, spread
    over ``days`` from ``start``), ``customer_id`` (int32), ``customer_age`` (int16, 3%
    missing), ``merchant_category`` (10 categories, 0.5% missing), ``amount`` (dollars;
    log-normal, 0.3% refunds < 0, 0.1% outliers x20-x200, 0.5% missing), ``country`` (ISO
    code, 1% missing), ``channel`` (in_store/online/mobile) and ``is_fraud`` (bool).
    ``partition_by="month"`` makes Hive folders ``month=YYYY-MM``; None writes flat files.
    Refuses a non-empty ``out_dir``: existing files are never overwritten.
    """
    n_rows = positive_int("n_rows", n_rows)
    rows_per_shard = positive_int("rows_per_shard", rows_per_shard)
    days = positive_int("days", days)
    seed = check_scalar("seed", seed, "int", min=0)
    check_choice("partition_by", partition_by, PARTITIONS)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"out_dir {out} exists and is not an empty folder; choose a new "
                              f"folder (existing files are never overwritten)")
    start_us = int(np.datetime64(start, "us").astype(np.int64))
    span_us = days * 86_400_000_000
    writer, current, shard = None, None, 0
    for block, first in enumerate(range(0, n_rows, BLOCK_ROWS)):
        table, ts = _block_table(seed, block, first, min(BLOCK_ROWS, n_rows - first), n_rows,
                                 start_us, span_us)
        if writer is None:
            writer = _ShardWriter(table.schema)
        if partition_by == "month":
            months = ts.astype("datetime64[us]").astype("datetime64[M]")
            cuts = np.flatnonzero(months[1:] != months[:-1]) + 1  # sorted: contiguous runs
            runs = zip(np.r_[0, cuts], np.r_[cuts, len(ts)], strict=True)
            pieces = [(f"month={months[a]}", a, b) for a, b in runs]
        else:
            pieces = [("", 0, len(ts))]
        for key, a, b in pieces:
            while a < b:
                if key != current or writer.rows >= rows_per_shard:
                    shard = 0 if key != current else shard + 1
                    current = key
                    writer.open(out / key / f"part-{shard:05d}.parquet")
                take = min(b - a, rows_per_shard - writer.rows)
                writer.write(table.slice(a, take))
                a += take
    writer.close()
    return TransactionsResult(out, tuple(sorted(writer.files)), n_rows, seed)
