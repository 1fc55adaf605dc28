"""Measured memory: this process's resident set size (RSS, 常驻内存), its peak, and the RAM
of the machine, so notebooks can check a memory estimate against what the OS reports.

Each reader says where its number comes from, because the sources differ in meaning: Linux's
``/proc/self/status`` gives the current RSS (``VmRSS``) and ``resource.getrusage`` only the
peak (``ru_maxrss``, in KiB on Linux but bytes on macOS); ``os.sysconf`` gives the physical
RAM of the machine, which a container's memory limit (cgroup) may lower. Standard library
only; ``psutil`` is used as a fallback when it is installed and ``/proc`` is not there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["parse_kib_field", "process_rss_bytes", "peak_rss_bytes", "total_ram_bytes",
           "memory_limit_bytes"]

_STATUS = Path("/proc/self/status")
_MEMINFO = Path("/proc/meminfo")
_CGROUP_FILES = (Path("/sys/fs/cgroup/memory.max"),                     # cgroup v2
                 Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))   # cgroup v1
_NO_LIMIT = 1 << 60  # cgroup v1 writes a huge number (about 2**63) for "no limit"


def parse_kib_field(text: str, field: str) -> int:
    """Bytes of one ``Field:  123 kB`` line of a ``/proc`` file's ``text``:
    ``parse_kib_field("VmRSS:\\t  2048 kB\\n", "VmRSS") == 2_097_152`` (the kernel's "kB" is
    KiB, 1024 bytes). Raises ``ValueError`` naming the field if it is absent or malformed.
    """
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name.strip() == field:
            parts = rest.split()
            if len(parts) == 2 and parts[0].isdigit() and parts[1] == "kB":
                return int(parts[0]) * 1024
            raise ValueError(f"field {field!r} must read '<integer> kB'; got {rest.strip()!r}")
    raise ValueError(f"no field {field!r} in the given text")


def process_rss_bytes() -> tuple[int, str]:
    """This process's current resident set size in bytes and its source: ``VmRSS`` of
    ``/proc/self/status`` on Linux, else ``psutil`` if installed. RSS counts the pages of
    memory the process has actually touched, so it grows when arrays are filled, not when
    they are only reserved. Raises ``RuntimeError`` when neither source exists.
    """
    if _STATUS.exists():
        return parse_kib_field(_STATUS.read_text(), "VmRSS"), "/proc/self/status VmRSS"
    try:
        import psutil
    except ImportError:
        raise RuntimeError("current RSS needs Linux's /proc/self/status or the psutil "
                           "package (pip install psutil)") from None
    return int(psutil.Process().memory_info().rss), "psutil memory_info().rss"


def peak_rss_bytes() -> int:
    """The highest RSS this process has had so far, in bytes, from
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux, bytes on macOS). It never
    goes down, so it shows the transient copies an operation made even after they are freed.
    """
    import resource  # POSIX only

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def total_ram_bytes() -> tuple[int, str]:
    """Physical RAM of the machine in bytes and the source it was read from: ``os.sysconf``
    (page size x number of pages), else ``psutil``, else ``MemTotal`` of ``/proc/meminfo``.
    """
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and page_size > 0:
            return int(pages) * int(page_size), "os.sysconf(SC_PHYS_PAGES x SC_PAGE_SIZE)"
    except (AttributeError, ValueError, OSError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().total), "psutil.virtual_memory().total"
    except ImportError:
        pass
    return parse_kib_field(_MEMINFO.read_text(), "MemTotal"), "/proc/meminfo MemTotal"


def memory_limit_bytes(files: tuple[Path, ...] = _CGROUP_FILES) -> int | None:
    """The memory limit a container (Linux cgroup) puts on this process, in bytes, or None if
    there is none (no such file, ``max``, or cgroup v1's near-``2**63`` "unlimited"). When it
    is set, it, not the machine's RAM, bounds what this process can hold.
    """
    for path in files:
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text == "max" or not text.isdigit():
            return None
        value = int(text)
        return None if value >= _NO_LIMIT else value
    return None
