"""Time and peak memory of one piece of code, measured in a fresh Python process.

A process's peak resident memory (``ru_maxrss``) only ever grows, so two engines compared in
one notebook process would share one high-water mark: whatever ran first hides what ran
second. :func:`run_measured` runs ``setup`` (imports, untimed) and then ``statement`` (timed)
in a new interpreter and reports the wall time of ``statement``, the process's RSS after
``setup`` and its peak RSS at the end, so ``peak_growth`` is the memory the statement itself
added on top of the interpreter and its imports. The peak is the child's own high-water mark
``VmHWM`` from ``/proc/self/status``: on Linux ``ru_maxrss`` survives ``exec``, so a child
started from a notebook holding 1 GB would report at least 1 GB (measured). The statement leaves its answer in a
variable named ``result``, which is sent back (pickled) so the caller can check that both
engines computed the same thing. ``MIMALLOC_PURGE_DELAY=0`` makes Arrow's allocator return
freed pages at once, so RSS follows the data actually held. :class:`FolderWatcher` records the
largest size a folder reaches while a block runs - e.g. how much a database spilled to disk.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labutils._validate import check_instance, positive

__all__ = ["FolderWatcher", "Measured", "folder_bytes", "run_measured"]

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """\
import pickle, sys, time
from pathlib import Path
from labutils.memory import parse_kib_field, peak_rss_bytes, process_rss_bytes
def _peak():
    status = Path("/proc/self/status")
    if status.exists():  # this process's own peak; ru_maxrss would include the parent's
        return parse_kib_field(status.read_text(), "VmHWM")
    return peak_rss_bytes()
_ns = {"__name__": "__measured__"}
exec(compile(sys.argv[2], "<setup>", "exec"), _ns)
_before = process_rss_bytes()[0]
_t0 = time.perf_counter()
exec(compile(sys.argv[3], "<statement>", "exec"), _ns)
_seconds = time.perf_counter() - _t0
_peak_bytes = _peak()
with open(sys.argv[1], "wb") as _fh:
    pickle.dump({"value": _ns.get("result"), "seconds": _seconds, "rss_before": _before,
                 "peak_rss": _peak_bytes}, _fh)
"""


@dataclass(frozen=True)
class Measured:
    """What :func:`run_measured` saw: ``value`` (the child's ``result``), ``seconds`` (wall
    time of the statement alone), ``rss_before`` (bytes resident after the setup) and
    ``peak_rss`` (the child's own highest RSS, in bytes, setup included)."""

    value: Any
    seconds: float
    rss_before: int
    peak_rss: int

    @property
    def peak_growth(self) -> int:
        """Bytes the statement added at its peak over the RSS after the setup."""
        return max(0, self.peak_rss - self.rss_before)


def run_measured(statement: str, setup: str = "", *, timeout: float = 300.0,
                 cwd: str | Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run ``setup`` and then ``statement`` (Python source; dedented) in a fresh interpreter
    and return a :class:`Measured`. ``statement`` should assign its answer to ``result``
    (any picklable object; None if it does not). An exception in the child raises
    ``RuntimeError`` carrying the end of its traceback; a child that runs longer than
    ``timeout`` seconds is killed and raises ``TimeoutError``. ``env`` adds variables to the
    child's environment."""
    check_instance("statement", statement, str, "Python source code as a string")
    check_instance("setup", setup, str, "Python source code as a string")
    timeout = positive("timeout", timeout)
    child_env = {**os.environ, "MIMALLOC_PURGE_DELAY": "0", **(env or {})}
    path = os.pathsep.join(p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p)
    child_env["PYTHONPATH"] = path
    fd, out = tempfile.mkstemp(suffix=".pkl", prefix="measured-")
    os.close(fd)
    try:
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, out, textwrap.dedent(setup),
                 textwrap.dedent(statement)],
                capture_output=True, text=True, timeout=timeout, cwd=cwd, env=child_env)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"the measured code ran longer than timeout={timeout:g} s and "
                               "was stopped; give it more time or less data") from None
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
            raise RuntimeError(f"the measured code failed (exit status {proc.returncode}):\n"
                               f"{tail}")
        with open(out, "rb") as fh:
            record = pickle.load(fh)  # written by our own child process just now
    finally:
        Path(out).unlink(missing_ok=True)
    return Measured(record["value"], float(record["seconds"]), int(record["rss_before"]),
                    int(record["peak_rss"]))


def folder_bytes(folder: str | Path) -> int:
    """Total size in bytes of the files under ``folder`` (0 if it does not exist); files that
    vanish while it is counting are skipped."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:  # deleted between listing and stat
                pass
    return total


class FolderWatcher:
    """``with FolderWatcher(folder) as w: ...`` samples the size of ``folder`` every
    ``interval`` seconds in a background thread while the block runs; ``w.peak_bytes`` is the
    largest size seen (``w.samples`` how many samples were taken). Sampling can miss a spike
    shorter than ``interval``, so the peak is a lower bound."""

    def __init__(self, folder: str | Path, interval: float = 0.01) -> None:
        check_instance("folder", folder, (str, Path), "a path")
        self.folder = Path(folder)
        self.interval = positive("interval", interval)
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, folder_bytes(self.folder))
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self) -> FolderWatcher:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
