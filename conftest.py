"""Shared test set-up.

Exercise checks run strict here (a failing reference solution raises), and the setting is
inherited by the Jupyter kernels nbval and papermill start. Notebooks run in parallel with
``-n auto --dist loadfile``: every cell of one notebook stays on one worker (they share a
kernel). ``--dist loadgroup`` would balance better, but with pytest 9 pytest-xdist 3.8 cannot
rename node ids, so its groups are silently ignored and a notebook's cells get split up.
"""

from __future__ import annotations

import os

os.environ["LABUTILS_STRICT_CHECKS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
