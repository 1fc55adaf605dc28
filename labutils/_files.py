"""File-permission detail shared by the atomic writers (``nbtools``, ``io``).

``tempfile.mkstemp`` creates its file readable by the owner only (0600); renamed into place,
that would silently make a learner's notebook or model private. :func:`publish_mode` gives the
temporary file the mode the target had, or the usual ``0666 & ~umask`` for a new file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def publish_mode(tmp: str | os.PathLike, target: str | os.PathLike) -> None:
    """chmod ``tmp`` to ``target``'s permission bits if it exists, else to 0666 & ~umask."""
    try:
        mode = stat.S_IMODE(Path(target).stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
