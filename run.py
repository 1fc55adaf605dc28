#!/usr/bin/env python3
"""Large Models Lab entry point: `python3 run.py lab` or `python3 run.py test` (see README).

This file stays parseable by any Python, even 2.7, so that a too-old interpreter gets a clear
message instead of a SyntaxError; the real work is in tools/bootstrap.py. The supported range
of Python versions is read from one place: `requires-python` in pyproject.toml.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def supported_range():
    """(lowest, highest) supported (major, minor), from pyproject's `requires-python`,
    written as ">=3.11,<3.14"."""
    with open(os.path.join(HERE, "pyproject.toml")) as f:
        text = f.read()
    m = re.search(r'requires-python\s*=\s*">=(\d+)\.(\d+),\s*<(\d+)\.(\d+)"', text)
    lo = (int(m.group(1)), int(m.group(2)))
    hi = (int(m.group(3)), int(m.group(4)) - 1)
    return lo, hi


LOW, HIGH = supported_range()

if not LOW <= tuple(sys.version_info[:2]) <= HIGH:
    sys.stderr.write(
        "\n[run.py] This course needs Python %d.%d to %d.%d; you ran it with Python %d.%d (%s).\n"
        "Install a supported Python (python.org, your package manager, or conda) and run this "
        "command with it, e.g. `python%d.%d run.py lab`.\n\n"
        % (LOW + HIGH + (sys.version_info[0], sys.version_info[1], sys.executable) + LOW))
    sys.exit(2)

sys.path.insert(0, os.path.join(HERE, "tools"))
from bootstrap import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
