"""labutils.memory: exact parsing of /proc lines and cgroup limits; the live readers agree
with the OS and see a freshly filled array."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from labutils import memory as M

STATUS = "Name:\tpython\nVmPeak:\t  123456 kB\nVmRSS:\t    2048 kB\nThreads:\t4\n"


def test_parse_kib_field_exact():
    assert M.parse_kib_field(STATUS, "VmRSS") == 2048 * 1024
    assert M.parse_kib_field(STATUS, "VmPeak") == 123456 * 1024
    assert M.parse_kib_field("MemTotal:       24683652 kB\n", "MemTotal") == 24683652 * 1024
    assert M.parse_kib_field("VmRSS: 0 kB", "VmRSS") == 0


def test_parse_kib_field_errors_name_the_field():
    with pytest.raises(ValueError, match="no field 'VmHWM'"):
        M.parse_kib_field(STATUS, "VmHWM")
    with pytest.raises(ValueError, match="'Threads' must read '<integer> kB'"):
        M.parse_kib_field(STATUS, "Threads")
    with pytest.raises(ValueError, match="no field 'VmRS'"):  # a prefix is not the field
        M.parse_kib_field(STATUS, "VmRS")


def test_memory_limit_from_cgroup_files(tmp_path):
    v2, v1 = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    v2.write_text("max\n")
    assert M.memory_limit_bytes((v2,)) is None
    v2.write_text("8589934592\n")
    assert M.memory_limit_bytes((v2, v1)) == 8 * 2**30
    v1.write_text("9223372036854771712\n")  # cgroup v1's "unlimited"
    assert M.memory_limit_bytes((tmp_path / "missing", v1)) is None
    v1.write_text("1073741824\n")
    assert M.memory_limit_bytes((tmp_path / "missing", v1)) == 2**30
    assert M.memory_limit_bytes((tmp_path / "missing",)) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sysconf pages on Linux")
def test_total_ram_is_pages_times_page_size():
    total, source = M.total_ram_bytes()
    assert total == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert source.startswith("os.sysconf")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_rss_sees_a_filled_array_and_peak_bounds_it():
    before, source = M.process_rss_bytes()
    assert source == "/proc/self/status VmRSS"
    n_bytes = 64 * 2**20
    block = np.ones(n_bytes, dtype=np.uint8)  # filled: every page touched
    grown = M.process_rss_bytes()[0] - before
    assert 0.9 * n_bytes <= grown <= 1.5 * n_bytes
    assert M.peak_rss_bytes() >= before + 0.9 * n_bytes
    del block
