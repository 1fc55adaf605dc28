"""Shared test set-up: strict exercise checks, and notebook cells kept on one xdist worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["LABUTILS_STRICT_CHECKS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """nbval turns each notebook cell into a test; the cells share one kernel, so they must
    run on the same worker. Grouping them by notebook lets ``--dist loadgroup`` spread whole
    notebooks, and every other test, across workers."""
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
