"""The one harness every benchmark uses: alternation, repetitions, ratios, the results table.

A benchmark module ``bench_<name>.py`` defines ``run(h: Harness) -> None`` and calls
``h.compare(group, cases, baseline=...)`` for each set of things measured side by side. A case
is a zero-argument callable that performs one measurement and returns ``{metric: value}``
(``h.timer(fn, calls)`` wraps a plain function into one that returns its median and p99
latency). ``compare`` runs a warm-up of every case, then ``repeats`` rounds, each round in a
rotated order so that no case always runs first or last (drift of the machine — turbo,
caches, other load — spreads over all of them); it reports per metric the median over
rounds, the spread (min–max) and the ratio to the baseline measured in the same run.

Ratios read "how many times better than the baseline": baseline/case for costs (time,
latency, bytes), case/baseline for rates (throughput). The report is written as Markdown and
CSV into ``benchmarks/results/``, headed by a description of the machine, so a number is never
separated from what produced it. No benchmark asserts anything: they measure.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
HIGHER_IS_BETTER = {"samples/s", "requests/s", "GFLOP/s", "rows/s", "x", "accuracy", "tokens/s"}


@dataclass
class Row:
    """One measured metric of one case: median over rounds, spread, ratio to the baseline."""

    benchmark: str
    group: str
    case: str
    metric: str
    unit: str
    median: float
    low: float
    high: float
    rounds: int
    ratio: float
    baseline: bool


@dataclass
class Harness:
    """Collects rows for one benchmark module; ``repeats`` rounds per comparison."""

    benchmark: str
    repeats: int = 5
    rows: list[Row] = field(default_factory=list)

    def compare(self, group: str, cases: dict[str, Callable[[], dict[str, tuple[float, str]]]],
                *, baseline: str, repeats: int | None = None, warmup: bool = True) -> list[Row]:
        """Measure every case ``repeats`` times in rotated order (after one warm-up each) and
        record each metric's median, min, max and ratio to ``baseline``. A case returns
        ``{metric: (value, unit)}``."""
        if baseline not in cases:
            raise ValueError(f"baseline must be one of {', '.join(map(repr, cases))}; "
                             f"got {baseline!r}")
        n = repeats or self.repeats
        names = list(cases)
        if warmup:
            for name in names:
                cases[name]()
        samples: dict[str, dict[str, list[float]]] = {k: {} for k in names}
        units: dict[str, str] = {}
        for r in range(n):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                for metric, (value, unit) in cases[name]().items():
                    samples[name].setdefault(metric, []).append(float(value))
                    units[metric] = unit
            progress(f"  {self.benchmark}/{group}: round {r + 1}/{n}")
        out = []
        for name in names:
            for metric, values in samples[name].items():
                med = statistics.median(values)
                base_values = samples[baseline].get(metric)
                base = statistics.median(base_values) if base_values else 0.0  # no ratio
                unit = units[metric]
                better_high = unit in HIGHER_IS_BETTER
                ratio = (med / base if better_high else base / med) if med and base else \
                    float("nan")
                out.append(Row(self.benchmark, group, name, metric, unit, med, min(values),
                               max(values), len(values), ratio, name == baseline))
        self.rows += out
        print_rows(out)
        return out

    @staticmethod
    def timer(fn: Callable[[], object], calls: int = 50) -> Callable[[], dict]:
        """A case that calls ``fn`` ``calls`` times and returns its p50 and p99 latency (ms)."""
        def measure() -> dict[str, tuple[float, str]]:
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            ms = np.array(times) * 1e3
            return {"p50": (float(np.percentile(ms, 50)), "ms"),
                    "p99": (float(np.percentile(ms, 99)), "ms")}
        return measure


def progress(msg: str) -> None:
    """One line of progress on stderr (long benchmarks should never look hung)."""
    print(msg, file=sys.stderr, flush=True)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def print_rows(rows: list[Row]) -> None:
    for r in rows:
        tag = " (baseline)" if r.baseline else ""
        print(f"  {r.group:<22} {r.case:<28} {r.metric:<10} {_fmt(r.median):>10} {r.unit:<9} "
              f"[{_fmt(r.low)}–{_fmt(r.high)}]  {r.ratio:6.2f}x{tag}", flush=True)


def machine() -> dict[str, str]:
    """CPU, cores, memory, OS and the versions that matter, for the results' header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for mod in ("numpy", "tensorflow", "keras", "pandas", "duckdb"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # not installed or broken: say so rather than fail
            versions[mod] = "-"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), **versions,
            # other work on the machine skews every number: state how busy it was
            "load average at the end (1 min)": f"{os.getloadavg()[0]:.1f}"
            if hasattr(os, "getloadavg") else "-",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def write_results(benchmark: str, rows: list[Row], notes: str = "") -> Path:
    """Write ``results/<benchmark>.csv`` and ``.md`` (atomically) and return the Markdown."""
    RESULTS.mkdir(exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["group", "case", "metric", "unit", "median", "min", "max", "rounds",
                "ratio_vs_baseline", "baseline"])
    for r in rows:
        w.writerow([r.group, r.case, r.metric, r.unit, f"{r.median:.6g}", f"{r.low:.6g}",
                    f"{r.high:.6g}", r.rounds, f"{r.ratio:.4g}", r.baseline])
    _atomic(RESULTS / f"{benchmark}.csv", buf.getvalue())
    m = machine()
    lines = [f"# Benchmark `{benchmark}`", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items()), ""]
    if notes:
        lines += [notes.strip(), ""]
    lines += ["| group | case | metric | median | spread (min–max) | vs baseline |",
              "| --- | --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        base = " (baseline)" if r.baseline else ""
        lines.append(f"| {r.group} | {r.case}{base} | {r.metric} | {_fmt(r.median)} {r.unit} | "
                     f"{_fmt(r.low)}–{_fmt(r.high)} | {r.ratio:.2f}× |")
    path = RESULTS / f"{benchmark}.md"
    _atomic(path, "\n".join(lines) + "\n")
    return path


def combine_results() -> Path:
    """Gather every ``results/<name>.csv`` into one table: ``results/all.csv`` and the index
    ``results/README.md`` (each benchmark's machine line, then one row per measured case and
    metric with its ratio to the baseline of its own group). Each benchmark keeps the date
    and machine it was measured on: the table never mixes runs within a group."""
    tables = sorted(p for p in RESULTS.glob("*.csv") if p.name != "all.csv")
    rows, machines = [], []
    for path in tables:
        name = path.stem
        md = RESULTS / f"{name}.md"
        line = next((ln for ln in md.read_text(encoding="utf-8").splitlines()
                     if ln.startswith("Machine: ")), "Machine: -") if md.exists() else "Machine: -"
        machines.append(f"- [{name}]({name}.md) — {line.removeprefix('Machine: ')}")
        with open(path, newline="", encoding="utf-8") as f:
            rows += [{"benchmark": name, **r} for r in csv.DictReader(f)]
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _atomic(RESULTS / "all.csv", buf.getvalue())
    lines = ["# Benchmark results", "",
             "Every table here was written by `python3 run.py bench NAME` on the machine it "
             "names; `python3 run.py bench` re-runs them all and rewrites this page. Ratios "
             "read \"times better than the baseline of the same group, measured in the same "
             "run\" (a rate divided by the baseline's, or the baseline's cost divided by the "
             "case's). All rows: [all.csv](all.csv).", "", "## Machines", "", *machines, "",
             "## Every measurement", "",
             "| benchmark | group | case | metric | median | vs baseline |",
             "| --- | --- | --- | --- | ---: | ---: |"]
    for r in rows:
        base = " (baseline)" if r["baseline"] == "True" else ""
        lines.append(f"| {r['benchmark']} | {r['group']} | {r['case']}{base} | {r['metric']} | "
                     f"{_fmt(float(r['median']))} {r['unit']} | "
                     f"{float(r['ratio_vs_baseline']):.2f}× |")
    path = RESULTS / "README.md"
    _atomic(path, "\n".join(lines) + "\n")
    return path


def _atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
