"""Big data: one aggregate over card transactions with pandas, chunked pandas, Parquet, DuckDB, Spark.

The data come from ``labutils.data.make_transactions`` (deterministic), written once as Parquet
shards and once as one CSV file. The question, as in the big-data notebooks: per merchant
category, the count, total and mean amount and the fraud rate. Each case runs in a fresh
Python process; the wall time is the child's own (imports excluded, Spark's session start
reported apart), and the peak memory is that of the whole process tree, sampled every 20 ms
with psutil (Spark's JVM is a child of the Python process). Sizes: 1M and 5M rows; set
``LABUTILS_BENCH_BIG=1`` for 20M too (a 1.5 GB CSV) and for a Parquet data set of about 2 GB
(100M rows) aggregated by DuckDB under a 1 GB memory limit - several minutes in all.
"""

# isort: off
import labutils  # noqa: F401
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
# isort: on

ROOT = Path(__file__).resolve().parents[1]
SIZES = [1_000_000, 5_000_000] + ([20_000_000] if os.environ.get("LABUTILS_BENCH_BIG") else [])
if os.environ.get("LABUTILS_BENCH_ROWS"):  # a quick smoke run: LABUTILS_BENCH_ROWS=50000
    SIZES = [int(os.environ["LABUTILS_BENCH_ROWS"])]
NOTES = ("Per merchant category: count, total and mean amount, fraud rate; the same answer from "
         "every engine (checked before timing). Time = the query in a fresh process, imports "
         "excluded; Spark's session start is its own row. Memory = peak RSS of the whole process "
         "tree (Python + JVM), sampled every 20 ms. Ratios are against pandas reading the CSV.")

_PANDAS_AGG = """
import pandas as pd
def agg(df):
    g = df.groupby("merchant_category", observed=True)
    out = g.agg(n=("amount", "size"), total=("amount", "sum"), mean=("amount", "mean"),
                fraud=("is_fraud", "mean"))
    return {k: [round(float(v), 4) for v in row] for k, row in out.iterrows()}
"""
COLS = '["merchant_category", "amount", "is_fraud"]'
CASES = {
    "pandas, CSV": ("", "df = pd.read_csv(CSV)\nresult = agg(df)"),
    "pandas, CSV in 1M-row chunks": ("", """
parts = [c.groupby("merchant_category").agg(n=("amount", "size"), counted=("amount", "count"),
                                           total=("amount", "sum"), fraud=("is_fraud", "sum"))
         for c in pd.read_csv(CSV, usecols=COLS, chunksize=1_000_000)]
s = pd.concat(parts).groupby(level=0).sum()
s["mean"] = s.total / s.counted  # like pandas' mean: missing amounts are skipped
s["fraud"] = s.fraud / s.n
result = {k: [round(float(r.n), 4), round(float(r.total), 4), round(float(r["mean"]), 4),
              round(float(r.fraud), 4)] for k, r in s.iterrows()}
"""),
    "pandas, Parquet (3 columns)": ("", "result = agg(pd.read_parquet(PQ, columns=COLS))"),
    "DuckDB, Parquet": ("import duckdb\ncon = duckdb.connect()", """
rows = con.execute(f\"\"\"SELECT merchant_category, count(*),
    sum(amount), avg(amount), avg(is_fraud::DOUBLE) FROM read_parquet('{PQ}/**/*.parquet',
    hive_partitioning=true) WHERE merchant_category IS NOT NULL GROUP BY 1\"\"\").fetchall()
result = {k: [round(float(v), 4) for v in (n, t, m, f)] for k, n, t, m, f in rows}
"""),
    "DuckDB, Parquet, 1 GB limit": ("import duckdb\ncon = duckdb.connect()\n"
                                    "con.execute(\"SET memory_limit = '1GB'\")", None),
    "Spark local[2], Parquet": ("""
import time as _t
from labutils.bigdata import spark_session
_s0 = _t.perf_counter()
spark = spark_session("local[2]")
START = _t.perf_counter() - _s0
from pyspark.sql import functions as F
""", """
df = spark.read.parquet(PQ).where(F.col("merchant_category").isNotNull())
rows = df.groupBy("merchant_category").agg(F.count("*"), F.sum("amount"), F.avg("amount"),
                                          F.avg(F.col("is_fraud").cast("double"))).collect()
result = {r[0]: [round(float(v), 4) for v in r[1:]] for r in rows}
result["__spark_start__"] = START
"""),
}

CASES["DuckDB, Parquet, 1 GB limit"] = (CASES["DuckDB, Parquet, 1 GB limit"][0],
                                       CASES["DuckDB, Parquet"][1])

_CHILD = """
import json, sys, time
CSV, PQ = sys.argv[1], sys.argv[2]
COLS = {cols}
{agg}
{setup}
t0 = time.perf_counter()
{stmt}
seconds = time.perf_counter() - t0
start = result.pop("__spark_start__", None) if isinstance(result, dict) else None
print("RESULT " + json.dumps({{"seconds": seconds, "start": start, "result": result}}))
"""


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _run(case: str, csv: Path, pq: Path) -> dict:
    setup, stmt = CASES[case]
    code = _CHILD.format(cols=COLS, agg=_PANDAS_AGG, setup=setup, stmt=stmt)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MIMALLOC_PURGE_DELAY": "0"}
    child = subprocess.Popen([sys.executable, "-c", code, str(csv), str(pq)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc, peak, done = psutil.Process(child.pid), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(proc))
            except psutil.Error:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    out, err = child.communicate(timeout=1800)
    done.set()
    watcher.join()
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if child.returncode != 0 or line is None:
        raise RuntimeError(f"{case} failed: {err.strip()[-800:]}")
    res = json.loads(line[len("RESULT "):])
    res["peak"] = peak[0]
    return res


def _prepare(n_rows: int, folder: Path) -> tuple[Path, Path]:
    import pyarrow.csv as pv
    import pyarrow.dataset as ds

    from labutils.data.synthetic import make_transactions

    pq = folder / "parquet"
    make_transactions(n_rows, seed=0, out_dir=pq)
    csv = folder / "transactions.csv"
    table = ds.dataset(pq, format="parquet", partitioning="hive").to_table(
        columns=["merchant_category", "amount", "is_fraud", "customer_id", "timestamp",
                 "country", "channel", "customer_age"])
    pv.write_csv(table, csv)
    return csv, pq


def _two_gigabytes(h) -> None:
    """DuckDB over ~2 GB of Parquet (100M rows), memory limited to 1 GB: time and tree RSS."""
    from labutils.data.synthetic import make_transactions

    with tempfile.TemporaryDirectory(prefix="bench-bigdata-2g-") as tmp:
        pq = Path(tmp) / "parquet"
        make_transactions(100_000_000, seed=0, out_dir=pq)
        size = sum(p.stat().st_size for p in pq.rglob("*.parquet"))
        def measure():
            r = _run("DuckDB, Parquet, 1 GB limit", pq, pq)
            return {"time": (r["seconds"], "s"), "peak RSS": (r["peak"] / 2**20, "MiB")}

        h.compare(f"100M rows ({size / 2**30:.2f} GiB Parquet)",
                  {"DuckDB, Parquet, 1 GB limit": measure},
                  baseline="DuckDB, Parquet, 1 GB limit", repeats=2)


def run(h) -> None:
    if os.environ.get("LABUTILS_BENCH_BIG"):
        _two_gigabytes(h)
    for n_rows in SIZES:
        with tempfile.TemporaryDirectory(prefix="bench-bigdata-") as tmp:
            csv, pq = _prepare(n_rows, Path(tmp))
            answers = {case: _run(case, csv, pq)["result"] for case in CASES}
            ref = answers["pandas, CSV"]
            for case, ans in answers.items():  # the same groups and numbers from every engine
                assert ans.keys() == ref.keys(), (case, sorted(ans), sorted(ref))
                for k in ref:
                    assert all(abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in
                               zip(ans[k], ref[k], strict=True)), (case, k, ans[k], ref[k])

            starts: list[float] = []

            def case_fn(case, csv=csv, pq=pq, starts=starts):
                def measure():
                    r = _run(case, csv, pq)
                    if r.get("start") is not None:
                        starts.append(r["start"])
                    return {"time": (r["seconds"], "s"), "peak RSS": (r["peak"] / 2**20, "MiB")}
                return measure

            label = f"{n_rows / 1e6:g}M rows ({csv.stat().st_size / 2**20:,.0f} MiB CSV)"
            h.compare(label, {case: case_fn(case) for case in CASES}, baseline="pandas, CSV",
                      repeats=2, warmup=False)
            recorded = iter(starts)  # Spark's session start, measured in the runs above
            h.compare(f"{label}: Spark start-up", {"Spark local[2] session start": lambda r=recorded: {
                "time": (next(r), "s")}}, baseline="Spark local[2] session start", repeats=2,
                warmup=False)
