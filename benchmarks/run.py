#!/usr/bin/env python3
"""Run every benchmark in this folder and print each case as a ratio to its baseline.

    python3 run.py bench              # all benchmarks
    python3 run.py bench matmul       # only benchmarks whose name contains 'matmul'

A benchmark module ``bench_<name>.py`` defines ``BASELINE`` (a case name) and ``CASES``, a
dict of name -> zero-argument callable. Each case is timed ``REPEATS`` times after a warm-up
run and the best time is kept; ratios are computed against the baseline measured in the same
run on the same machine, so they mean something anywhere, unlike raw seconds.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEATS = 5


def best_time(fn, repeats: int = REPEATS) -> float:
    """Best wall time of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str]) -> int:
    wanted = argv[0] if argv else ""
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        print(f"\n{path.stem}: {mod.__doc__.strip().splitlines()[0]}")
        times = {name: best_time(fn) for name, fn in mod.CASES.items()}
        base = times[mod.BASELINE]
        for name, t in times.items():
            tag = "  (baseline)" if name == mod.BASELINE else ""
            print(f"  {name:<32} {t * 1e3:9.2f} ms   {base / t:6.2f}x{tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
