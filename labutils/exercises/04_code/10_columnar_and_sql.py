"""Chapter 4, notebook 10 (columnar files and SQL) exercises: which Parquet row groups a range
filter must read, given their min/max statistics; a DuckDB query for the fraud rate per
channel; and what a file costs on HDFS (blocks, block replicas, raw bytes). Ids are
``"04.10.<name>"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labutils.checks import (
    CheckResult,
    check_function_or_slip,
    check_value,
    finish,
    not_yet,
    register,
)

# --- row_groups_to_read ----------------------------------------------------------------------


def _row_groups(mins: Any, maxs: Any, lo: float, hi: float) -> list[int]:
    return [i for i, (a, b) in enumerate(zip(mins, maxs, strict=True)) if a <= hi and b >= lo]


_rng = np.random.default_rng(410)
_starts = np.sort(_rng.integers(0, 1000, 12))
# Sorted, touching ranges (a time-sorted file); unsorted overlapping ranges (a customer id in
# a time-sorted file); a filter that touches a boundary exactly; one that matches nothing.
_RG_CASES = [
    ([0, 100, 200, 300, 400], [99, 199, 299, 399, 499], 150, 250),
    ([0, 100, 200, 300, 400], [99, 199, 299, 399, 499], 199, 200),
    ([0, 100, 200, 300, 400], [99, 199, 299, 399, 499], 500, 600),
    ([5, 1, 7, 3], [90, 40, 95, 60], 41, 50),
    (list(_starts), list(_starts + _rng.integers(0, 200, 12)), 300, 420),
    ([10, 10, 10], [10, 10, 10], 10, 10),
]
_RG_SLIPS = [
    (lambda mins, maxs, lo, hi: [i for i, (a, b) in enumerate(zip(mins, maxs, strict=True))
                                 if lo <= a and b <= hi],
     "a row group must be read when its range [min, max] *overlaps* [lo, hi], not only when "
     "it lies inside it: min <= hi and max >= lo."),
    (lambda mins, maxs, lo, hi: [i for i, (a, b) in enumerate(zip(mins, maxs, strict=True))
                                 if a < hi and b > lo],
     "the filter includes its bounds (lo <= x <= hi): a row group whose max equals lo, or "
     "whose min equals hi, may hold a matching row - use <= and >=."),
    (lambda mins, maxs, lo, hi: [i for i, a in enumerate(mins) if lo <= a <= hi],
     "looking at the minimum alone misses row groups that start before lo but reach into "
     "the range; compare both statistics with the filter."),
]


@register("row_groups_to_read", "indices of the row groups whose [min, max] overlaps [lo, hi]")
def _check_row_groups(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _row_groups, _RG_CASES, _RG_SLIPS,
        "keep row group i when mins[i] <= hi and maxs[i] >= lo; return the indices as a list "
        "in increasing order.")


# --- fraud_rate_sql --------------------------------------------------------------------------

_TX = [("online", 12.0, True), ("online", 30.0, False), ("online", 8.5, False),
       ("online", 99.0, True), ("in_store", 40.0, False), ("in_store", 12.0, False),
       ("in_store", 7.0, False), ("in_store", 60.0, True), ("in_store", 3.0, False),
       ("mobile", 25.0, True), ("mobile", 18.0, True), ("mobile", 5.0, False)]
_REFERENCE_SQL = """SELECT channel, count(*) AS n, count_if(is_fraud) AS frauds,
       count_if(is_fraud) / count(*) AS fraud_rate
FROM tx GROUP BY channel ORDER BY fraud_rate DESC"""


def _run_sql(sql: str) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE tx (channel VARCHAR, amount DOUBLE, is_fraud BOOLEAN)")
    con.executemany("INSERT INTO tx VALUES (?, ?, ?)", _TX)
    return con.sql(sql).df()


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


@register("fraud_rate_sql", "SQL: n, frauds and fraud_rate per channel, highest rate first")
def _check_fraud_rate_sql(sql: Any, name: str) -> CheckResult:
    if sql is None:
        return not_yet(name, "query")
    if not isinstance(sql, str):
        return _fail(name, f"expected the query as a string, got {type(sql).__name__}.")
    try:
        got = _run_sql(sql)
    except Exception as exc:  # the learner's SQL failing is a hint, not a crash
        hint = (" DuckDB's avg() does not take a BOOLEAN: use count_if(is_fraud) / count(*) "
                "or avg(is_fraud::DOUBLE).") if "avg(BOOLEAN)" in str(exc) else ""
        return _fail(name, f"DuckDB could not run it: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0]}{hint}")
    want = _run_sql(_REFERENCE_SQL)
    missing = [c for c in want.columns if c not in got.columns]
    if missing:
        return _fail(name, f"the result lacks the column(s) {missing}; it has "
                           f"{list(got.columns)}. Name them with AS.")
    if len(got) != len(want):
        return _fail(name, f"expected one row per channel ({len(want)} rows), got {len(got)}: "
                           "GROUP BY channel.")
    if list(got["channel"]) != list(want["channel"]):
        if sorted(got["channel"]) == sorted(want["channel"]):
            return _fail(name, f"the rows come in the order {list(got['channel'])}; sort them "
                               "by fraud_rate, highest first: ORDER BY fraud_rate DESC.")
        return _fail(name, f"channels {list(got['channel'])}, expected {list(want['channel'])}.")
    if np.array_equal(got["frauds"].to_numpy(float), got["n"].to_numpy(float)):
        return _fail(name, "frauds equals n on every row: count(is_fraud) counts the non-missing "
                           "values, true or false. Count only the true ones: "
                           "count_if(is_fraud) or sum(is_fraud::INT).")
    for col in want.columns[1:]:
        result = check_value(got[col].to_numpy(float), want[col].to_numpy(float), name=name,
                             hint=f"column {col!r}: fraud_rate is frauds / n, a fraction "
                                  "between 0 and 1.")
        if not result:
            return result
    return finish(CheckResult(name, True, "same rows, columns and order as the reference "
                                           "query on a 12-row test table."))


# --- hdfs_footprint --------------------------------------------------------------------------

_MiB = 2**20


def _footprint(file_bytes: int, block_bytes: int = 128 * _MiB,
               replication: int = 3) -> tuple[int, int, int]:
    blocks = math.ceil(file_bytes / block_bytes)
    return blocks, blocks * replication, file_bytes * replication


_HDFS_CASES = [(1_000_000_000,), (128 * _MiB,), (300 * _MiB, 64 * _MiB, 2), (1, 128 * _MiB, 3),
               (5 * 2**30 + 17, 256 * _MiB, 3)]
_HDFS_SLIPS = [
    (lambda f, b=128 * _MiB, r=3: (f // b, f // b * r, f * r),
     "a file that does not fill its last block still needs that block: round the number of "
     "blocks up (math.ceil), not down."),
    (lambda f, b=128 * _MiB, r=3: (math.ceil(f / b), math.ceil(f / b) * r,
                                   math.ceil(f / b) * b * r),
     "HDFS does not pad the last block: a 1 MB tail stores 1 MB per replica, not a whole "
     "block. Raw bytes are file_bytes * replication."),
    (lambda f, b=128 * _MiB, r=3: (math.ceil(f / b), math.ceil(f / b), f),
     "every block is stored `replication` times (on different machines): multiply both the "
     "block count and the bytes by replication."),
]


@register("hdfs_footprint", "HDFS blocks, block replicas and raw bytes for one file")
def _check_hdfs_footprint(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _footprint, _HDFS_CASES, _HDFS_SLIPS,
        "blocks = ceil(file_bytes / block_bytes); replicas = blocks * replication; raw bytes "
        "= file_bytes * replication.")
