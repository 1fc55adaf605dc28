"""Shared test set-up: strict checks, how work is spread over the cores, the slowest notebooks.

Exercise checks run strict here (a failing reference solution raises), and the setting is
inherited by the Jupyter kernels nbval starts. ``python3 run.py test`` runs pytest with
``-n auto --dist loadscope`` and the scheduler below decides what must stay together:

- all nbval cells of one notebook share a kernel, so they form one unit (one worker);
- each test parametrized by a notebook (papermill and student-release runs) is a unit of
  its own, so with ~40 notebooks those runs spread over every worker;
- any other test stays with its module (module-scoped fixtures such as a server are started
  once per worker that needs them).

(``--dist loadgroup`` would express this with marks, but under pytest 9 pytest-xdist 3.8
cannot rename node ids, so its groups are silently ignored.) At the end the ten slowest
notebooks are listed, adding up each notebook's nbval cells and its other runs.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict

import pytest

import labutils  # noqa: F401  (sets the TensorFlow process settings before any test imports TF)

os.environ["LABUTILS_STRICT_CHECKS"] = "1"

_NOTEBOOK_PARAM = re.compile(r"\[([^\[\]]*\.ipynb)\]$")


def scope_of(nodeid: str) -> str:
    """The unit of work a test id belongs to (see the module docstring)."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb") or not _NOTEBOOK_PARAM.search(nodeid):
        return path
    return nodeid


def notebook_of(nodeid: str) -> str | None:
    """The notebook a test id runs (``03_math/01_x.ipynb``), or None for other tests."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path.split("notebooks/", 1)[-1]
    m = _NOTEBOOK_PARAM.search(nodeid)
    return m.group(1) if m else None


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return NotebookScheduling(config, log)


_SECONDS: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up the time spent executing each notebook (nbval cells, tests marked notebook)."""
    nb = notebook_of(report.nodeid)
    executes = report.nodeid.split("::", 1)[0].endswith(".ipynb") or "notebook" in report.keywords
    if nb is not None and executes and report.when == "call":
        _SECONDS[nb] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _SECONDS:
        return
    top = sorted(_SECONDS.items(), key=lambda kv: -kv[1])[:10]
    terminalreporter.section("ten slowest notebooks (nbval + papermill/student runs, seconds)")
    for nb, secs in top:
        terminalreporter.write_line(f"{secs:7.1f} s  {nb}")
    terminalreporter.write_line(f"{sum(_SECONDS.values()):7.1f} s  all {len(_SECONDS)} notebooks")
