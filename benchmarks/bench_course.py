"""Course execution: wall time of every notebook, full and FAST, the total and the slowest.

Each notebook runs top to bottom in a fresh kernel (papermill, output into a temporary folder,
the source never touched), once with its stored parameters and once with FAST=True. The full
run is the baseline, so a notebook's ratio is how much faster its FAST path is. The budget is
60 s per full run on 2 cores; the table shows which notebooks are drifting towards it before
CI feels it. Slow (a few minutes per chapter): pass a name to time one chapter, e.g.
``python3 run.py bench course`` runs everything.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from labutils import nbtools

BUDGET_S = nbtools.TIME_BUDGET_S
NOTES = (f"One run of each notebook in each mode (a notebook takes up to a minute, so no "
         f"repetitions); budget {BUDGET_S:.0f} s per full run on 2 cores. Chapter filter: set "
         f"LABUTILS_BENCH_CHAPTER=03_math to time one chapter.")


def _run(path: Path, out_dir: Path, fast: bool) -> float:
    import nbformat
    import papermill as pm

    src = out_dir / f"{path.stem}-src-{int(fast)}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.write(nbtools.with_fast(nb) if fast else nb, src)  # FAST set inside the cell
    t0 = time.perf_counter()
    pm.execute_notebook(str(src), str(out_dir / f"{path.stem}-{int(fast)}.ipynb"),
                        kernel_name="python3", cwd=str(path.parent), progress_bar=False,
                        log_output=False, execution_timeout=600)
    return time.perf_counter() - t0


def run(h) -> None:
    chapter = os.environ.get("LABUTILS_BENCH_CHAPTER", "")
    notebooks = [p for p in nbtools.all_notebooks() if chapter in p.parent.name]
    totals = {"full": 0.0, "FAST": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for path in notebooks:
            name = str(path.relative_to(nbtools.NOTEBOOKS))

            def case(fast: bool, path: Path = path):
                def measure():
                    secs = _run(path, Path(tmp), fast)
                    totals["FAST" if fast else "full"] += secs
                    return {"wall": (secs, "s")}
                return measure

            h.compare(name, {"full": case(False), "FAST": case(True)}, baseline="full",
                      repeats=1, warmup=False)
    full = {r.group: r.median for r in h.rows if r.case == "full"}
    slow = sorted(full.items(), key=lambda kv: -kv[1])[:10]
    lines = [f"Total: full {totals['full']:.0f} s, FAST {totals['FAST']:.0f} s over "
             f"{len(notebooks)} notebooks. Ten slowest (full run):", ""]
    lines += [f"- {secs:.1f} s {name}" + (" — OVER the budget" if secs > BUDGET_S else "")
              for name, secs in slow]
    global NOTES
    NOTES = NOTES + "\n\n" + "\n".join(lines)  # run.py writes it above the table
    print("\n  " + "\n  ".join(lines))
