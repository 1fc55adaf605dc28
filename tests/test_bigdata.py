"""labutils.bigdata: CSV to Parquet in bounded memory, DuckDB under a memory limit, Java
detection, and real Spark - a local session and a standalone cluster of two workers on
127.0.0.1. Spark tests share one session (module fixture) so the suite stays fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest

from labutils import bigdata
from labutils.bigdata import duck, java, spark


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    """A 600,000-row CSV (~17 MB): id, month (12 values), amount, category."""
    rng = np.random.default_rng(0)
    n = 600_000
    months = np.array([f"2024-{m:02d}" for m in range(1, 13)])
    table = pa.table({"id": np.arange(n), "month": months[rng.integers(0, 12, n)],
                      "amount": rng.normal(size=n).round(4),
                      "category": np.array(["a", "b", "c"])[rng.integers(0, 3, n)]})
    path = tmp_path_factory.mktemp("csv") / "tx.csv"
    pv.write_csv(table, path)
    return path, table


def test_csv_to_parquet_partitions_and_keeps_every_row(csv_file, tmp_path):
    path, table = csv_file
    report = bigdata.csv_to_parquet(path, tmp_path / "pq", partition_by="month",
                                    block_bytes=1 << 20, rows_per_file=20_000, progress=False)
    assert report.rows == table.num_rows
    folders = sorted(p.name for p in (tmp_path / "pq").iterdir())
    assert folders == [f"month=2024-{m:02d}" for m in range(1, 13)]
    back = pq.read_table(tmp_path / "pq", partitioning="hive")
    assert back.num_rows == table.num_rows
    assert back.column("amount").to_numpy().sum() == pytest.approx(
        table.column("amount").to_numpy().sum())
    assert report.files == len(list((tmp_path / "pq").rglob("*.parquet"))) > 12  # rolled files
    assert report.parquet_bytes < report.csv_bytes  # columnar + compressed


def _convert_in_fresh_process(csv, out) -> dict:
    code = (
        "import json, sys\n"
        "from labutils.bigdata import csv_to_parquet\n"
        "from labutils.memory import process_rss_bytes\n"
        "r = csv_to_parquet(sys.argv[1], sys.argv[2], partition_by='month',\n"
        "                   block_bytes=1 << 20, progress=False)\n"
        "base = process_rss_bytes()[0]\n"
        "import pandas as pd\n"
        "df = pd.read_csv(sys.argv[1])\n"
        "print(json.dumps({'growth': r.arrow_pool_peak, 'size': r.csv_bytes,\n"
        "                  'pandas': process_rss_bytes()[0] - base}))\n")
    # mimalloc (Arrow's allocator) returns freed pages to the OS after a delay, so RSS would
    # also count pages already freed; with the delay at 0 RSS shows the live working set.
    env = {**os.environ, "MIMALLOC_PURGE_DELAY": "0"}
    out = subprocess.run([sys.executable, "-c", code, str(csv), str(out)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_conversion_memory_does_not_grow_with_the_file(csv_file, tmp_path):
    """Each conversion runs in a fresh process. The data held at once (Arrow's pool high-water
    mark) is the same for a file four times larger, and a small fraction of it: the data pass
    through in 1 MiB blocks. pandas, reading the large file whole, grows by more than the
    file's size."""
    small, table = csv_file
    big = tmp_path / "big.csv"
    pv.write_csv(pa.concat_tables([table] * 4), big)
    a = _convert_in_fresh_process(small, tmp_path / "a")
    b = _convert_in_fresh_process(big, tmp_path / "b")
    assert abs(b["growth"] - a["growth"]) < 4 << 20, (a, b)
    assert b["growth"] < 0.25 * b["size"] < b["pandas"], (a, b)


def test_converter_refuses_bad_input_and_never_overwrites(csv_file, tmp_path):
    path, _ = csv_file
    with pytest.raises(FileNotFoundError, match="no CSV file at .*nope.csv"):
        bigdata.csv_to_parquet(tmp_path / "nope.csv", tmp_path / "out", progress=False)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['price'\]"):
        bigdata.csv_to_parquet(path, tmp_path / "out", columns=["amount", "price"],
                               progress=False)
    assert not (tmp_path / "out").exists()
    keep = tmp_path / "busy"
    keep.mkdir()
    (keep / "mine.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        bigdata.csv_to_parquet(path, keep, progress=False)
    assert [p.name for p in keep.iterdir()] == ["mine.txt"]
    with pytest.raises(ValueError, match="block_bytes"):
        bigdata.csv_to_parquet(path, tmp_path / "o2", block_bytes=0, progress=False)


def test_duckdb_aggregates_more_data_than_its_memory_limit(tmp_path):
    con = bigdata.duckdb_connect(memory_limit="64MB", spill_dir=tmp_path / "spill", threads=2)
    s = duck.settings(con)
    assert s["threads"] == "2" and "spill" in s["temp_directory"]
    # 3 million groups of 12 million rows: the hash table alone needs well over 64 MB.
    n_groups, total = con.execute(
        "SELECT count(*), sum(s) FROM (SELECT i % 3000000 AS k, sum(i) AS s "
        "FROM range(12000000) t(i) GROUP BY k)").fetchone()
    assert n_groups == 3_000_000 and total == 12_000_000 * (12_000_000 - 1) // 2
    with pytest.raises(ValueError, match="memory_limit must look like"):
        bigdata.duckdb_connect(memory_limit="lots")


def test_parse_size_and_java_version_parsing():
    assert duck.parse_size("512MB") == 512 * 10**6 and duck.parse_size("1GiB") == 2**30
    assert java.parse_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert java.parse_major('java version "1.8.0_392"') == 8
    assert java.parse_major('openjdk version "21" 2023-09-19') == 21
    assert java.parse_major("no version here") == 0


def test_missing_java_gives_one_clear_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    info = java.java_info()
    assert not info.ok and "JAVA_HOME points to no bin/java" in info.problem
    with pytest.raises(java.JavaUnavailableError, match="install Java 17 or 21"):
        spark.spark_session("local[1]")


def test_master_comes_from_argument_then_environment(monkeypatch):
    monkeypatch.delenv(spark.MASTER_ENV, raising=False)
    assert spark.resolve_master() == "local[2]"
    monkeypatch.setenv(spark.MASTER_ENV, "spark://127.0.0.1:7077")
    assert spark.resolve_master() == "spark://127.0.0.1:7077"
    assert spark.resolve_master("local[1]") == "local[1]"
    with pytest.raises(ValueError, match="master must be"):
        spark.resolve_master("yarn")


needs_spark = pytest.mark.skipif(not java.java_info().ok, reason="no Java 17/21 for Spark")


@pytest.fixture(scope="module")
def local_spark():
    pytest.importorskip("pyspark", reason="PySpark is not installed")
    s = spark.spark_session("local[2]", app_name="labutils-tests")
    yield s
    s.stop()


@needs_spark
def test_local_spark_session_runs_a_job_on_parquet(local_spark, csv_file, tmp_path):
    path, table = csv_file
    bigdata.csv_to_parquet(path, tmp_path / "pq", partition_by="month", progress=False)
    df = local_spark.read.parquet(str(tmp_path / "pq"))
    rows = df.groupBy("month").count().orderBy("month").collect()
    assert len(rows) == 12 and sum(r["count"] for r in rows) == table.num_rows
    assert local_spark.conf.get("spark.sql.shuffle.partitions") == "4"
    assert local_spark.conf.get("spark.ui.enabled") == "false"
    pdf = df.groupBy("category").count().toPandas()  # Arrow path, pandas 3
    assert int(pdf["count"].sum()) == table.num_rows


@needs_spark
def test_standalone_cluster_runs_a_job_on_two_workers():
    pytest.importorskip("pyspark", reason="PySpark is not installed")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # one SparkContext per process: the cluster job needs its own
        active.stop()
    with spark.standalone_cluster(workers=2, cores=1, memory="512m") as cluster:
        state = cluster.state()
        assert [w["state"] for w in state["workers"]] == ["ALIVE", "ALIVE"]
        s = spark.spark_session(cluster.master_url, app_name="labutils-cluster-test",
                                executor_memory="512m")
        try:
            total = s.range(0, 200_000, numPartitions=8).selectExpr("sum(id) AS t").first()["t"]
            assert total == 200_000 * 199_999 // 2
            apps = cluster.state()["activeapps"]
            assert len(apps) == 1 and apps[0]["cores"] == 2  # one core on each worker
        finally:
            s.stop()
