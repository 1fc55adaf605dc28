"""A DuckDB connection that stays inside a memory budget and spills to disk beyond it.

DuckDB is the course's "Hive on a laptop": SQL over Parquet and CSV files, vectorised and
multi-threaded, in-process, no server. Its operators (hash aggregation, joins, sorts) can work
on more data than fits in memory by spilling intermediate results to a temporary folder.
:func:`connect` sets that budget (``memory_limit``) and folder explicitly, so a query over a
dataset larger than the budget finishes instead of being killed, and a notebook can show it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from labutils._validate import check_instance, positive_int

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|KiB|MiB|GiB)\s*$", re.I)


def parse_size(text: str) -> int:
    """Bytes in a size such as ``"512MB"``, ``"1.5GiB"`` (decimal KB/MB/GB, binary KiB/MiB/GiB),
    as DuckDB reads them."""
    check_instance("memory_limit", text, str, "a size such as '512MB' or '1GiB'")
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"memory_limit must look like '512MB', '2GB' or '1GiB'; got {text!r}")
    unit = m.group(2).upper()
    scale = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    return int(float(m.group(1)) * scale[unit])


def connect(database: str | Path = ":memory:", *, memory_limit: str = "1GB",
            spill_dir: str | Path | None = None, threads: int | None = None,
            preserve_insertion_order: bool = False) -> Any:
    """A DuckDB connection limited to ``memory_limit``, spilling to ``spill_dir`` (a new
    temporary folder when None). ``threads`` defaults to DuckDB's choice (all cores).
    ``preserve_insertion_order=False`` lets large scans and aggregates use less memory (rows
    come back in no particular order unless the query says ``ORDER BY``)."""
    import duckdb

    parse_size(memory_limit)
    spill = Path(spill_dir) if spill_dir is not None else Path(tempfile.mkdtemp(prefix="duckdb-"))
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(database))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{spill.as_posix()}'")
    con.execute(f"SET preserve_insertion_order = {str(preserve_insertion_order).lower()}")
    if threads is not None:
        con.execute(f"SET threads = {positive_int('threads', threads)}")
    return con


def settings(con: Any) -> dict[str, str]:
    """The connection's memory limit, spill folder and thread count, as DuckDB reports them."""
    rows = con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                       "('memory_limit', 'temp_directory', 'threads', "
                       "'preserve_insertion_order')").fetchall()
    return dict(rows)
