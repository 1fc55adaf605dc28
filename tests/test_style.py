"""ruff is clean on labutils, tests, notebooks and the scripts."""

from __future__ import annotations

import subprocess
import sys

from envspec import ROOT


def test_ruff_clean() -> None:
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
