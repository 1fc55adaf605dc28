"""make_transactions: schema, determinism, partitioning, safety and bounded memory."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.data import make_transactions, sha256_file
from labutils.data.synthetic import BLOCK_ROWS, COLUMNS


def read_all(out):
    return pads.dataset(out, format="parquet", partitioning="hive").to_table()


def test_rows_schema_and_partitions(tmp_path):
    res = make_transactions(40_000, seed=7, out_dir=tmp_path / "tx")
    assert res.n_rows == 40_000 and res.seed == 7 and res.total_bytes > 0
    months = sorted(p.name for p in (tmp_path / "tx").iterdir())
    assert months == [f"month=2024-{m:02d}" for m in range(1, 13)]
    assert [f.name for f in res.files][:2] == ["part-00000.parquet"] * 2
    table = read_all(tmp_path / "tx")
    assert table.num_rows == 40_000
    assert tuple(table.schema.names) == (*COLUMNS, "month")
    df = table.to_pandas()
    assert df["transaction_id"].sort_values().tolist() == list(range(40_000))
    assert df.sort_values("transaction_id")["timestamp"].is_monotonic_increasing
    assert str(df["timestamp"].min().date()) == "2024-01-01"
    assert str(df["timestamp"].max().date()) == "2024-12-31"


def test_realistic_quirks_present(tmp_path):
    make_transactions(200_000, seed=0, out_dir=tmp_path / "tx", partition_by=None)
    df = read_all(tmp_path / "tx").to_pandas()
    missing = df.isna().mean()
    assert 0.003 < missing["amount"] < 0.008 and 0.007 < missing["country"] < 0.013
    assert 0.02 < missing["customer_age"] < 0.04 and missing["channel"] == 0
    amount = df["amount"].dropna()
    assert (amount < 0).mean() > 0.002  # refunds
    assert amount.max() > 50 * amount.median()  # outliers
    assert 0.003 < df["is_fraud"].mean() < 0.008
    online = df["channel"] != "in_store"
    assert df.loc[online, "is_fraud"].mean() > 2 * df.loc[~online, "is_fraud"].mean()
    ages = df.dropna(subset=["customer_age"]).groupby("customer_id")["customer_age"].nunique()
    assert (ages == 1).all()  # one age per customer
    assert df["customer_age"].dropna().between(18, 87).all()


def test_same_seed_same_bytes_and_layout_independent_content(tmp_path):
    a = make_transactions(150_000, 3, tmp_path / "a", rows_per_shard=5_000)
    b = make_transactions(150_000, 3, tmp_path / "b", rows_per_shard=5_000)
    assert [sha256_file(f) for f in a.files] == [sha256_file(f) for f in b.files]
    c = make_transactions(150_000, 3, tmp_path / "c", rows_per_shard=1_000_000,
                          partition_by=None)
    make_transactions(150_000, 4, tmp_path / "d", partition_by=None)
    ta = read_all(tmp_path / "a").drop_columns(["month"]).sort_by("transaction_id")
    tc = read_all(tmp_path / "c").sort_by("transaction_id")
    assert ta.equals(tc)  # the rows depend on (n_rows, seed), not on the shard layout
    assert not tc.equals(read_all(tmp_path / "d").sort_by("transaction_id"))
    assert max(pq.ParquetFile(f).metadata.num_rows for f in a.files) <= 5_000
    assert len(c.files) == 1 and len(a.files) >= 36


def test_refuses_non_empty_out_dir_and_keeps_user_files(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("precious")
    with pytest.raises(FileExistsError, match="never overwritten"):
        make_transactions(10, 0, out)
    assert keep.read_text() == "precious" and sorted(out.iterdir()) == [keep]
    make_transactions(10, 0, tmp_path / "empty_ok")  # a new folder is fine
    (tmp_path / "empty").mkdir()
    make_transactions(10, 0, tmp_path / "empty")  # so is an existing empty one
    assert not list(tmp_path.rglob(".*.tmp"))  # no temporary shards left behind


@settings(max_examples=40, deadline=None)
@given(bad=st.one_of(st.integers(max_value=0), st.floats(), st.booleans(), st.text(max_size=2)),
       which=st.sampled_from(["n_rows", "rows_per_shard", "days"]))
def test_bad_sizes_raise(tmp_path_factory, bad, which):
    kwargs = {"n_rows": 10, "rows_per_shard": 5, "days": 3, which: bad}
    n_rows = kwargs.pop("n_rows")
    error = ValueError if type(bad) is int else TypeError  # range vs type
    with pytest.raises(error, match=f"{which} must be a positive int"):
        make_transactions(n_rows, 0, tmp_path_factory.mktemp("x"), **kwargs)


def test_bad_seed_and_partition(tmp_path):
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        make_transactions(10, -1, tmp_path / "a")
    with pytest.raises(ValueError, match="partition_by must be one of"):
        make_transactions(10, 0, tmp_path / "b", partition_by="week")


def test_memory_stays_bounded_on_five_million_rows(tmp_path):
    """Peak RSS growth while writing 5M rows stays far below what holding them would take."""
    n = 5_000_000
    script = textwrap.dedent(f"""
        import re
        from labutils.data.synthetic import make_transactions
        def mb(key):
            text = open("/proc/self/status").read()
            return int(re.search(key + r":\\s+(\\d+) kB", text).group(1)) / 1024
        make_transactions(100_000, 1, r"{tmp_path}/warm")  # load every library first
        try:
            open("/proc/self/clear_refs", "w").write("5")  # reset the peak counter
        except OSError:
            pass
        base = mb("VmRSS")
        make_transactions({n}, 0, r"{tmp_path}/big")
        print("DELTA", mb("VmHWM") - base)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    delta_mb = float(re.search(r"DELTA ([\d.]+)", out).group(1))
    first = next((tmp_path / "big").rglob("*.parquet"))
    table = pq.read_table(first)
    materialised_mb = table.nbytes / table.num_rows * n / 2**20  # ~160 MB as Arrow
    assert materialised_mb > 150
    assert delta_mb < 0.5 * materialised_mb, (delta_mb, materialised_mb)
    total = sum(pq.ParquetFile(f).metadata.num_rows for f in (tmp_path / "big").rglob("*.parquet"))
    assert total == n and n > 50 * BLOCK_ROWS
