"""The benchmark harness: rotation, medians, ratios and the combined results table.

Benchmarks themselves measure (no pass/fail); this checks only the arithmetic and the files,
with fake cases whose values are known exactly.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "harness.py"


@pytest.fixture()
def harness(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_harness", HARNESS)
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_harness", mod)  # dataclasses look it up
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "RESULTS", tmp_path)
    return mod


def test_ratios_medians_and_rotation(harness) -> None:
    calls = []
    slow = itertools.cycle([4.0, 2.0, 3.0])  # median 3
    cases = {
        "base": lambda: calls.append("base") or {"time": (next(slow), "s"),
                                                 "throughput": (10.0, "rows/s")},
        "fast": lambda: calls.append("fast") or {"time": (1.0, "s"),
                                                 "throughput": (40.0, "rows/s")},
    }
    h = harness.Harness("demo", repeats=3)
    rows = {(r.case, r.metric): r for r in h.compare("g", cases, baseline="base")}
    assert calls == ["base", "fast", "base", "fast", "fast", "base", "base", "fast"]
    assert rows[("fast", "time")].ratio == 3.0  # cost: baseline / case
    assert rows[("fast", "throughput")].ratio == 4.0  # rate: case / baseline
    assert rows[("base", "time")].baseline and rows[("base", "time")].ratio == 1.0
    with pytest.raises(ValueError, match="baseline must be one of 'base', 'fast'"):
        h.compare("g", cases, baseline="nope")


def test_combined_table(harness, tmp_path) -> None:
    for name, value in (("alpha", 2.0), ("beta", 8.0)):
        h = harness.Harness(name, repeats=1)
        h.compare("g", {"b": lambda v=value: {"t": (v, "s")}, "c": lambda: {"t": (1.0, "s")}},
                  baseline="b", warmup=False)
        harness.write_results(name, h.rows)
    readme = harness.combine_results().read_text()
    assert "[alpha](alpha.md)" in readme and "[beta](beta.md)" in readme
    assert "| beta | g | c | t | 1 s | 8.00× |" in readme
    with open(tmp_path / "all.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["benchmark"], r["case"]) for r in rows] == \
        [("alpha", "b"), ("alpha", "c"), ("beta", "b"), ("beta", "c")]
