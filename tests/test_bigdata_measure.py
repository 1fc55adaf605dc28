"""labutils.bigdata.measure: code timed and its peak memory measured in a fresh process, and
the largest size a folder reaches while a block runs."""

from __future__ import annotations

import threading
import time

import pytest

from labutils.bigdata.measure import FolderWatcher, Measured, folder_bytes, run_measured


def test_the_result_comes_back_and_setup_is_not_timed():
    m = run_measured("result = sum(range(10))", setup="import time\ntime.sleep(0.3)")
    assert isinstance(m, Measured)
    assert m.value == 45
    assert 0 <= m.seconds < 0.3  # the sleep was in the setup
    assert m.rss_before > 0 and m.peak_rss >= m.rss_before


def test_peak_growth_counts_memory_freed_before_the_end():
    """A 200 MB array filled and deleted: the peak still shows it, the RSS before does not."""
    m = run_measured("""
        a = np.ones(25_000_000)  # 200 MB of float64, touched
        del a
        result = None
        """, setup="import numpy as np")
    assert m.value is None
    assert 190e6 < m.peak_growth < 260e6


def test_a_failing_statement_raises_with_its_message():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_measured("result = 1 / 0")


def test_a_slow_statement_is_stopped():
    with pytest.raises(TimeoutError, match="timeout=0.5"):
        run_measured("import time\ntime.sleep(5)", timeout=0.5)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="statement"):
        run_measured(42)
    with pytest.raises(ValueError, match="timeout"):
        run_measured("pass", timeout=0)


def test_folder_bytes_and_a_missing_folder(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"\0" * 1000)
    (tmp_path / "y.bin").write_bytes(b"\0" * 234)
    assert folder_bytes(tmp_path) == 1234
    assert folder_bytes(tmp_path / "nope") == 0


def test_the_watcher_sees_a_file_that_is_gone_at_the_end(tmp_path):
    def spill():
        f = tmp_path / "spill.tmp"
        f.write_bytes(b"\0" * 50_000)
        time.sleep(0.2)
        f.unlink()

    with FolderWatcher(tmp_path, interval=0.005) as w:
        t = threading.Thread(target=spill)
        t.start()
        t.join()
    assert w.peak_bytes == 50_000
    assert folder_bytes(tmp_path) == 0
    assert w.samples >= 2
    with pytest.raises(ValueError, match="interval"):
        FolderWatcher(tmp_path, interval=-1)


def test_the_peak_is_the_childs_own_not_the_parents():
    """Linux keeps ru_maxrss across exec: a child of a process holding 400 MB would report
    400 MB. The child's VmHWM does not inherit it."""
    import numpy as np

    held = np.ones(50_000_000)  # 400 MB, touched, in this (parent) process
    m = run_measured("result = None")
    assert m.peak_rss < 200e6
    assert held[-1] == 1.0
