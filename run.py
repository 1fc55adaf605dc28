#!/usr/bin/env python3
"""Large Models Lab entry point: `python3 run.py lab` or `python3 run.py test` (see README).

This file stays parseable by any Python, even 2.7, so that a too-old interpreter gets a clear
message instead of a SyntaxError; the real work is in tools/bootstrap.py.
"""
import os
import sys

SUPPORTED = ((3, 11), (3, 13))

if not SUPPORTED[0] <= tuple(sys.version_info[:2]) <= SUPPORTED[1]:
    sys.stderr.write(
        "\n[run.py] This course needs Python 3.11 to 3.13; you ran it with Python %d.%d (%s).\n"
        "Install a supported Python (python.org, your package manager, or conda) and run this "
        "command with it, e.g. `python3.11 run.py lab`.\n\n"
        % (sys.version_info[0], sys.version_info[1], sys.executable))
    sys.exit(2)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
from bootstrap import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
