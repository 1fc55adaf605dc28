"""The set-up and command logic behind ``run.py`` (Python 3.11+, standard library only).

One entry point for learners, instructors and CI (standard library only).

    python3 run.py lab [--no-browser] [--port N]   set up .venv if needed, open JupyterLab
    python3 run.py test [PYTEST ARGS...]           set up .venv if needed, run every test
    python3 run.py doctor                          environment report with a verdict
    python3 run.py notebooks [PATH...]             re-execute notebooks and store outputs
    python3 run.py lint [PATH...]                  check notebooks against the conventions
    python3 run.py student OUT_DIR                 write the student version (no solutions)
    python3 run.py bench                           run the benchmarks in benchmarks/
    python3 run.py book                            build the Jupyter Book into book/_build/html

Set-up creates `.venv` next to this file and installs the project with its test extras.
It is skipped when `.venv/.lab-stamp` matches the current `pyproject.toml`, so a second
run starts at once. Nothing here needs anything but Python 3.11+ to begin with.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".lab-stamp"
MIN_PY, MAX_PY = (3, 11), (3, 13)
MIN_FREE_GB = 4.0  # tensorflow-cpu and friends take ~2.5 GB installed, pip needs room to unpack


def die(msg: str, code: int = 2) -> None:
    """Print a message that says what is wrong and what to do, then exit."""
    print(f"\n[run.py] {msg}\n", file=sys.stderr)
    sys.exit(code)


def check_python() -> None:
    """Refuse a Python outside the tested range, naming the fix."""
    v = sys.version_info[:2]
    if v < MIN_PY or v > MAX_PY:
        die(
            f"This course needs Python {MIN_PY[0]}.{MIN_PY[1]} to {MAX_PY[0]}.{MAX_PY[1]}; "
            f"you ran it with Python {v[0]}.{v[1]} ({sys.executable}).\n"
            "Install a supported Python (python.org, your package manager, or conda) and run "
            "this command with it, e.g. `python3.11 run.py lab`."
        )


def venv_python() -> Path:
    """Path of the interpreter inside .venv on this platform."""
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def wanted_stamp() -> str:
    """Hash of everything that decides what gets installed."""
    h = hashlib.sha256()
    h.update((ROOT / "pyproject.toml").read_bytes())
    h.update(f"{sys.version_info[:2]}".encode())
    return h.hexdigest()


def ensure_env() -> Path:
    """Create and fill .venv unless it is already up to date; return its python."""
    check_python()
    py = venv_python()
    if py.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted_stamp():
        return py
    free_gb = shutil.disk_usage(ROOT).free / 1e9
    if free_gb < MIN_FREE_GB:
        die(
            f"Only {free_gb:.1f} GB free on the disk holding {ROOT}; setting up needs about "
            f"{MIN_FREE_GB:.0f} GB. Free some space (or clone the course onto a larger disk) "
            "and run the command again."
        )
    if not py.exists():
        print(f"[run.py] creating {VENV} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except Exception as exc:  # ensurepip missing on some Linux distributions
            die(
                f"Could not create a virtual environment: {exc}\n"
                "On Debian/Ubuntu install it with `sudo apt install python3-venv` "
                "(or python3.11-venv), then run the command again."
            )
    print("[run.py] installing the course and its dependencies (first time: a few minutes) ...",
          flush=True)
    cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check",
           "--progress-bar", "off", "-e", f"{ROOT}[dev]"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        die(install_failure_message(res.stdout + res.stderr))
    STAMP.write_text(wanted_stamp())
    return py


NETWORK_SIGNS = ("NewConnectionError", "Temporary failure in name resolution",
                 "Network is unreachable", "Connection refused", "Read timed out",
                 "ProxyError", "SSLError")


def install_failure_message(pip_output: str) -> str:
    """Turn pip's output into a short diagnosis: the cause (offline, disk full, or pip's own
    error lines) and what to do, without pip's pages of retry warnings."""
    lines = [ln for ln in pip_output.strip().splitlines()
             if ln.strip() and not ln.startswith("WARNING:")]
    errors = [ln for ln in lines if ln.startswith("ERROR:")] or lines[-8:]
    shown = "\n".join(errors[-8:])
    if any(sign in pip_output for sign in NETWORK_SIGNS):
        cause = ("pip could not reach the package index: this machine seems to be offline. "
                 "Connect once to install (afterwards the course works offline), or point pip "
                 "at a local mirror with PIP_INDEX_URL, then run the command again.")
    elif "No space left on device" in pip_output:
        cause = "The disk is full. Free a few GB and run the command again."
    else:
        cause = ("Read pip's error above; re-running the command retries the install. "
                 "If it persists, report it with the output of `python3 run.py doctor`.")
    return f"Installing the dependencies failed.\n\n{shown}\n\n{cause}"


def run(cmd: list[str | Path], **kw) -> int:
    """Run a command in the project folder and return its exit code."""
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def cmd_lab(args: list[str]) -> int:
    py = ensure_env()
    extra = ["--ServerApp.root_dir=" + str(ROOT / "notebooks")]
    if "--no-browser" in args:
        args.remove("--no-browser")
        extra.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # JupyterLab refuses to start as root without it
    return run([py, "-m", "jupyterlab", *extra, *args])


def cmd_test(args: list[str]) -> int:
    py = ensure_env()
    env = dict(os.environ, LABUTILS_STRICT_CHECKS="1", PYTHONHASHSEED="0")
    return run([py, "-m", "pytest", "-n", "auto", "--dist", "loadfile",
                "--nbval-lax", "--nbval-current-env", *args], env=env)


def cmd_tool(args: list[str]) -> int:
    py = ensure_env()
    return run([py, "-m", "labutils.nbtools", *args])


def cmd_book(args: list[str]) -> int:
    """Build the static book from the notebooks' stored outputs (Jupyter Book 1.x, offline)."""
    py = ensure_env()
    if subprocess.call([str(py), "-c", "import jupyter_book"], cwd=ROOT,
                       stderr=subprocess.DEVNULL) != 0:
        print("[run.py] installing jupyter-book (first time only) ...", flush=True)
        res = subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check",
                              "--progress-bar", "off", "-e", f"{ROOT}[book]"],
                             cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0:
            die(install_failure_message(res.stdout + res.stderr))
    jb = py.parent / ("jupyter-book.exe" if os.name == "nt" else "jupyter-book")
    return run([jb, "build", ".", "--config", "book/_config.yml",
                "--toc", "book/_toc.yml", "--path-output", "book", *args])


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    what, rest = argv[0], argv[1:]
    if what == "lab":
        return cmd_lab(rest)
    if what == "test":
        return cmd_test(rest)
    if what == "doctor":
        return run([ensure_env(), "-m", "labutils", "doctor", *rest])
    if what == "notebooks":
        return cmd_tool(["execute", *rest])
    if what == "lint":
        return cmd_tool(["lint", *rest])
    if what == "student":
        return cmd_tool(["student", *rest])
    if what == "bench":
        return run([ensure_env(), str(ROOT / "benchmarks" / "run.py"), *rest])
    if what == "book":
        return cmd_book(rest)
    die(f"unknown command {what!r}; valid commands: lab, test, doctor, notebooks, lint, student, "
        "bench, book")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
