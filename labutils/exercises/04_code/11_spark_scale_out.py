"""Chapter 4, notebook 11 (Spark scale-out) exercises: a pandas group-by that answers exactly
what SQL's ``GROUP BY`` answers (NULL keys, ``count(*)`` vs ``count(col)``, the sum of only
NULLs), and the tasks and waves of a two-stage Spark group-by. Ids are ``"04.11.<name>"``.
The first checker runs the real SQL in DuckDB on the same small tables as its reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, check_value, not_yet, register

# --- sql_group_by ----------------------------------------------------------------------------

SQL = ("SELECT country, count(*) AS n, count(amount) AS n_amount, sum(amount) AS total "
       "FROM t GROUP BY country")
COLUMNS = ["country", "n", "n_amount", "total"]


def _tables() -> list[Any]:
    """Small tables with a NULL country, a country whose amounts are all NULL, and one
    without any NULL (so the ordinary case is tested too)."""
    import pandas as pd

    a = pd.DataFrame({"country": ["US", "CN", None, "US", "DE", None, "DE"],
                      "amount": [10.0, 2.5, 4.0, None, None, 1.0, None]})
    b = pd.DataFrame({"country": ["GB", "GB", "FR"], "amount": [1.0, 2.0, 3.0]})
    rng = np.random.default_rng(11)
    c = pd.DataFrame({"country": rng.choice(["US", "CN", "IN", None], 40),
                      "amount": np.where(rng.random(40) < 0.2, np.nan,
                                         rng.normal(50, 20, 40).round(2))})
    return [a, b, c]


def _duckdb(df: Any) -> Any:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("t", df)
        return con.execute(SQL).df()
    finally:
        con.close()


def _canonical(df: Any) -> tuple[str, np.ndarray]:
    """Rows sorted by country (NULL shown as 'NULL', last): the keys as one string, the
    three numbers as a float array (NULL -> NaN)."""
    import pandas as pd

    keys = ["NULL" if pd.isna(k) else str(k) for k in df["country"]]
    order = sorted(range(len(keys)), key=lambda i: (keys[i] == "NULL", keys[i]))
    values = df[["n", "n_amount", "total"]].astype(float).to_numpy()[order]
    return ", ".join(keys[i] for i in order), values


def _pandas_default(df: Any) -> Any:
    g = df.groupby("country")["amount"]
    return (g.size().rename("n").to_frame().assign(n_amount=g.count(), total=g.sum())
            .reset_index())


def _count_swapped(df: Any) -> Any:
    g = df.groupby("country", dropna=False)["amount"]
    return (g.count().rename("n").to_frame()
            .assign(n_amount=g.size(), total=g.sum(min_count=1)).reset_index())


def _sum_zero(df: Any) -> Any:
    g = df.groupby("country", dropna=False)["amount"]
    return (g.size().rename("n").to_frame().assign(n_amount=g.count(), total=g.sum())
            .reset_index())


_SLIPS = [
    (_pandas_default, "pandas' groupby drops rows whose key is missing (dropna=True by default) "
                      "while SQL keeps them as a NULL group: pass dropna=False."),
    (_count_swapped, "count(*) counts rows (pandas .size()), count(amount) counts non-missing "
                     "values (pandas .count()): the two are swapped."),
    (_sum_zero, "SQL's sum over only NULLs is NULL, pandas' sum of only NaN is 0: use "
                ".sum(min_count=1)."),
]


@register("sql_group_by", "pandas for SELECT country, count(*), count(amount), sum(amount) "
                          "... GROUP BY country, NULLs included")
def _check_sql_group_by(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    tables = _tables()
    try:
        first = fn(tables[0].copy())
    except Exception as exc:  # the learner's error is the message, not a crash
        return check_value(f"{type(exc).__name__}: {exc}", "a DataFrame", name=name)
    if first is None:
        return not_yet(name)
    for table in tables:
        try:
            got = fn(table.copy())
            missing = [c for c in COLUMNS if c not in getattr(got, "columns", [])]
        except Exception as exc:  # reported, with the slip hint if one matches
            return check_value(f"{type(exc).__name__}: {exc}", "a DataFrame", name=name)
        if missing:
            return check_value(f"columns {list(getattr(got, 'columns', []))}",
                               f"columns {COLUMNS}", name=name,
                               hint="return a DataFrame with the key as a column "
                                    "(.reset_index()) and the columns n, n_amount, total.")
        keys, values = _canonical(got)
        want_keys, want_values = _canonical(_duckdb(table))
        got_text, want_text = _difference(keys, values, want_keys, want_values)
        if got_text != want_text:
            return check_value(got_text, want_text, name=name, hint=_hint(table, keys, values))
    return CheckResult(name, True, f"agrees with DuckDB running the SQL on {len(tables)} "
                                   "tables (NULL keys and all-NULL sums included).")


def _difference(keys: str, values: np.ndarray, want_keys: str,
                want_values: np.ndarray) -> tuple[str, str]:
    """The first difference as (what the learner's answer says, what SQL says); two equal
    strings when the answers agree."""
    if keys != want_keys:
        return f"groups {keys}", f"groups {want_keys}"
    for i, key in enumerate(keys.split(", ")):
        for j, col in enumerate(COLUMNS[1:]):
            got, want = values[i, j], want_values[i, j]
            if np.isnan(got) != np.isnan(want) or not (np.isnan(want) or np.isclose(got, want)):
                return f"{col} = {_show(got)} for {key}", f"{col} = {_show(want)} for {key}"
    return "", ""


def _show(v: float) -> str:
    return "NULL" if np.isnan(v) else f"{v:g}"


def _hint(table: Any, keys: str, values: np.ndarray) -> str:
    for slip, text in _SLIPS:
        s_keys, s_values = _canonical(slip(table.copy()))
        if s_keys == keys and s_values.shape == values.shape and np.allclose(
                s_values, values, equal_nan=True):
            return text
    return ("group with dropna=False; n is the group's size, n_amount its count of non-missing "
            "amounts, total its sum with min_count=1.")


# --- tasks_and_waves -------------------------------------------------------------------------

def _plan(input_partitions: int, shuffle_partitions: int, workers: int,
          cores_per_worker: int) -> tuple[int, int]:
    cores = workers * cores_per_worker
    return (input_partitions + shuffle_partitions,
            math.ceil(input_partitions / cores) + math.ceil(shuffle_partitions / cores))


_PLAN_CASES = [(12, 4, 2, 1), (5, 4, 2, 1), (100, 200, 10, 4), (3, 3, 2, 1), (1, 1, 1, 1),
               (17, 6, 3, 2), (5, 5, 4, 1)]
_PLAN_SLIPS = [
    (lambda p, s, w, c: (p + s, p // (w * c) + s // (w * c)),
     "a last, partly filled wave is still a wave: round up (math.ceil), not down."),
    (lambda p, s, w, c: (p + s, math.ceil(p / w) + math.ceil(s / w)),
     "each worker runs as many tasks at once as it has cores: divide by workers * cores."),
    (lambda p, s, w, c: (p, math.ceil(p / (w * c))),
     "a group-by has two stages: the shuffle's reduce side adds one task per shuffle "
     "partition."),
    (lambda p, s, w, c: (p + s, math.ceil((p + s) / (w * c))),
     "the reduce stage cannot start before the map stage has finished (it needs all of the "
     "shuffle's input), so the waves of the two stages add up separately."),
]


@register("tasks_and_waves", "tasks and waves of a two-stage group-by on W workers x C cores")
def _check_tasks_and_waves(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _plan, _PLAN_CASES, _PLAN_SLIPS,
        "tasks = input partitions + shuffle partitions; each stage needs ceil(its tasks / "
        "(workers * cores)) waves, and the stages run one after the other.")
