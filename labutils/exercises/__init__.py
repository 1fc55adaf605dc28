"""Where each notebook's exercise checkers live, and how an id finds them.

The checkers of ``notebooks/03_math/04_backpropagation.ipynb`` are in
``labutils/exercises/03_math/04_backpropagation.py``: the same path, no lookup table. Their
ids carry the notebook: ``"03.04.dense_backward"`` is chapter ``03_*``, notebook ``04_*``,
exercise ``dense_backward`` (the prefix is each name up to its first ``_``, so the appendix's
notebooks are ``"appendix.01.<name>"``). In the module a checker is declared with
``@register("dense_backward", "one-line description")`` and receives ``(answer, exercise_id)``.

Modules are discovered from the files on disk and loaded one notebook at a time, on first
use, so a broken module or a duplicate name breaks only its own notebook's checks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent.parent / "notebooks"

Checker = Callable[[Any, str], Any]
_LOADED: dict[Path, dict[str, tuple[Checker, str]]] = {}


def prefix_of(notebook_or_module: Path) -> str:
    """The id prefix of a notebook or checks module: ``03_math/04_x.py`` → ``"03.04"``."""
    p = Path(notebook_or_module)
    return f"{p.parent.name.split('_')[0]}.{p.stem.split('_')[0]}"


def modules() -> list[Path]:
    """Every checks module on disk, sorted (``<chapter>/<notebook>.py``)."""
    return sorted(p for p in HERE.glob("*/*.py") if not p.name.startswith("_"))


def module_for(exercise_id: str) -> Path:
    """The checks module an id belongs to; ``KeyError`` naming the valid prefixes if none."""
    parts = exercise_id.split(".") if isinstance(exercise_id, str) else []
    if len(parts) != 3 or not all(parts):
        raise KeyError(f"exercise ids look like '03.04.dense_backward' (chapter, notebook, "
                       f"name); got {exercise_id!r}")
    prefix = f"{parts[0]}.{parts[1]}"
    hits = [m for m in modules() if prefix_of(m) == prefix]
    if len(hits) != 1:
        valid = ", ".join(sorted({prefix_of(m) for m in modules()}))
        found = "no" if not hits else "more than one"
        raise KeyError(f"{found} checks module for notebook {prefix!r} (from id "
                       f"{exercise_id!r}); notebooks with exercises: {valid}")
    return hits[0]


def _import(path: Path) -> ModuleType:
    name = f"labutils.exercises._nb_{prefix_of(path).replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> dict[str, tuple[Checker, str]]:
    """The checkers of one module as ``{full id: (checker, description)}`` (cached). A name
    declared twice in the module raises ``ValueError``."""
    path = Path(path).resolve()
    if path not in _LOADED:
        found: dict[str, tuple[Checker, str]] = {}
        for obj in vars(_import(path)).values():
            name, description = getattr(obj, "exercise", (None, ""))
            if name is None or not callable(obj):
                continue
            full = f"{prefix_of(path)}.{name}"
            if full in found:
                raise ValueError(f"exercise {name!r} is declared twice in {path.name}")
            found[full] = (obj, description)
        _LOADED[path] = found
    return _LOADED[path]


def checker_for(exercise_id: str) -> Checker:
    """The checker registered for ``exercise_id``; ``KeyError`` listing that notebook's ids."""
    registered = load(module_for(exercise_id))
    if exercise_id not in registered:
        valid = ", ".join(sorted(registered)) or "(none)"
        raise KeyError(f"unknown exercise {exercise_id!r}; this notebook's ids: {valid}")
    return registered[exercise_id][0]


def all_exercises() -> dict[str, str]:
    """Every exercise id of every notebook with its one-line description."""
    out: dict[str, str] = {}
    for m in modules():
        out.update({k: d for k, (_, d) in load(m).items()})
    return dict(sorted(out.items()))


def notebook_for(module: Path) -> Path:
    """The notebook a checks module belongs to (it need not exist; the tests check that)."""
    return NOTEBOOKS / module.parent.name / f"{module.stem}.ipynb"
