"""The data layer's own exceptions, so a notebook can catch exactly the failure it expects.

Each error message says three things: what went wrong, which file or dataset it concerns,
and what the learner can do about it. A message that only says "failed" wastes an hour.
"""

from __future__ import annotations

from pathlib import Path


class DataIntegrityError(RuntimeError):
    """A file's bytes are not the ones the registry promises (corrupt, truncated or replaced).

    Attributes ``path``, ``expected`` and ``actual`` hold the file and the two sha256 digests,
    so tests and tools can inspect them without parsing the message.
    """

    def __init__(self, path: str | Path, expected: str, actual: str, fix: str,
                 detail: str = "") -> None:
        self.path = Path(path)
        self.expected = expected
        self.actual = actual
        self.fix = fix
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"data file {self.path} failed its integrity check{extra}: expected sha256 "
            f"{expected}, got {actual}. How to fix: {fix}"
        )


class DatasetUnavailableError(RuntimeError):
    """A dataset cannot be loaded here and now (no network, package missing, file absent).

    The message always lists the ways out, e.g. connect once so the cache fills, copy the
    files into the cache folder, or pass ``fallback='digits'`` to use a bundled dataset.
    """


class DatasetFallbackWarning(UserWarning):
    """Warned when a loader returns a different, bundled dataset because the caller asked
    for a fallback. Never raised silently: the switch is always announced."""
