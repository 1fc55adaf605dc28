#!/usr/bin/env python3
"""Run the benchmarks in this folder and write their results tables.

    python3 run.py bench              # every benchmark
    python3 run.py bench serving      # only benchmarks whose name contains 'serving'

Each ``bench_<name>.py`` defines ``run(h)`` (and optionally ``NOTES``, a paragraph for its
table); the harness (``harness.py``) alternates the cases, repeats them and reports every
metric as a ratio against the baseline measured in the same run. Results go to
``benchmarks/results/<name>.md`` and ``.csv``; ``benchmarks/results/README.md`` and
``all.csv`` gather every benchmark's rows into one table. Nothing here passes or fails: it measures.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Harness, combine_results, write_results  # noqa: E402


def main(argv: list[str]) -> int:
    modules = sorted(HERE.glob("bench_*.py"))
    names = [p.stem.removeprefix("bench_") for p in modules]
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    if not wanted:
        print(f"no benchmark matches {argv}; valid names: {', '.join(names)}", file=sys.stderr)
        return 2
    for name in wanted:
        path = HERE / f"bench_{name}.py"
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        print(f"\n{name}: {mod.__doc__.strip().splitlines()[0]}", flush=True)
        h = Harness(name)
        t0 = time.perf_counter()
        mod.run(h)
        out = write_results(name, h.rows, getattr(mod, "NOTES", ""))
        print(f"  -> {out.relative_to(HERE.parent)} ({time.perf_counter() - t0:.0f} s)")
    combine_results()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
