"""Read the dependency lists of pyproject.toml and environment.yml (shared by a test and a
generator, so the two files cannot drift apart silently)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def normalize(req: str) -> str:
    """Canonical form of a requirement line: lower-case, no spaces, quotes unified."""
    return re.sub(r"\s+", "", req).replace('"', "'").lower()


def pyproject_requirements() -> tuple[str, set[str]]:
    """(requires-python, every runtime and dev requirement) from pyproject.toml."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = set(meta["dependencies"]) | set(meta["optional-dependencies"]["dev"])
    return meta["requires-python"], {normalize(r) for r in reqs}


def environment_requirements() -> tuple[str, set[str]]:
    """(python spec, pip requirements other than the project itself) from environment.yml."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    reqs = {normalize(r) for r in pip if not r.startswith(("-e", "-c"))}
    return python.removeprefix("python").replace(" ", ""), reqs
