"""The set-up and command logic behind ``run.py`` (Python 3.11+, standard library only).

One entry point for learners, instructors and CI (standard library only).

    python3 run.py lab [--no-browser] [--port N]   set up .venv if needed, open JupyterLab
    python3 run.py test [PYTEST ARGS...]           set up .venv if needed, run every test
    python3 run.py doctor                          environment report with a verdict
    python3 run.py reinstall                       delete .venv and set it up again
    python3 run.py lock                            re-resolve the newest versions into the lock
    python3 run.py notebooks [PATH...]             re-execute notebooks and store outputs
    python3 run.py lint [PATH...]                  check notebooks against the conventions
    python3 run.py student OUT_DIR [--chapter C]   write the student version (no solutions)
    python3 run.py bench                           run the benchmarks in benchmarks/
    python3 run.py book                            build the Jupyter Book into book/_build/html

Set-up creates `.venv` next to this file and installs the project with its test extras,
constrained to the tested versions in `requirements/lock.txt`. It is skipped when
`.venv/.lab-stamp` matches pyproject.toml, the lock and this Python, so a second run starts
at once; a `.venv` made by another Python is rebuilt. Nothing here needs anything but
Python 3.11+ to begin with.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".lab-stamp"
LOCK = ROOT / "requirements" / "lock.txt"
LAB_SETTINGS = ROOT / "tools" / "jupyter" / "overrides.json"
MIN_FREE_GB = 4.0  # tensorflow-cpu and friends take ~2.5 GB installed, pip needs room to unpack


def supported_range() -> tuple[tuple[int, int], tuple[int, int]]:
    """(lowest, highest) supported Python (major, minor), from the one place that says it:
    ``requires-python = ">=3.11,<3.14"`` in pyproject.toml."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    m = re.fullmatch(r">=(\d+)\.(\d+),\s*<(\d+)\.(\d+)", spec.strip())
    if m is None:
        raise ValueError(f"requires-python must look like '>=3.11,<3.14'; got {spec!r}")
    a, b, c, d = (int(g) for g in m.groups())
    return (a, b), (c, d - 1)


def die(msg: str, code: int = 2) -> None:
    """Print a message that says what is wrong and what to do, then exit."""
    print(f"\n[run.py] {msg}\n", file=sys.stderr)
    sys.exit(code)


def say(msg: str) -> None:
    print(f"[run.py] {msg}", flush=True)


def check_python() -> None:
    """Refuse a Python outside the tested range, naming the fix."""
    (lo, hi), v = supported_range(), tuple(sys.version_info[:2])
    if not lo <= v <= hi:
        die(
            f"This course needs Python {lo[0]}.{lo[1]} to {hi[0]}.{hi[1]}; "
            f"you ran it with Python {v[0]}.{v[1]} ({sys.executable}).\n"
            "Install a supported Python (python.org, your package manager, or conda) and run "
            f"this command with it, e.g. `python{lo[0]}.{lo[1]} run.py lab`."
        )


def venv_python() -> Path:
    """Path of the interpreter inside .venv on this platform."""
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def venv_made_by() -> tuple[int, int] | None:
    """The (major, minor) of the Python that created .venv, from its pyvenv.cfg; None if
    there is no readable .venv."""
    try:
        cfg = (VENV / "pyvenv.cfg").read_text()
    except OSError:
        return None
    m = re.search(r"^(?:version|version_info)\s*=\s*(\d+)\.(\d+)", cfg, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def wanted_stamp() -> str:
    """Hash of everything that decides what gets installed: pyproject, lock, Python."""
    h = hashlib.sha256()
    h.update((ROOT / "pyproject.toml").read_bytes())
    if LOCK.exists():
        h.update(LOCK.read_bytes())
    h.update(f"{sys.version_info[:2]}".encode())
    return h.hexdigest()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_venv() -> None:
    """Delete .venv: first renamed aside (so a half-deleted .venv is never mistaken for a
    working one), then removed."""
    if not VENV.exists():
        return
    aside = VENV.with_name(f".venv-old-{os.getpid()}")
    os.replace(VENV, aside)
    shutil.rmtree(aside, ignore_errors=True)


def install_lab_settings(py: Path) -> None:
    """Ship JupyterLab settings that turn off news and update checks (the course works
    offline); everything else stays JupyterLab's default. They go into the venv's
    ``share/jupyter/lab/settings/overrides.json``."""
    target = py.parent.parent / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    text = LAB_SETTINGS.read_text()
    if not target.exists() or target.read_text() != text:
        write_atomic(target, text)


def ensure_env() -> Path:
    """Create and fill .venv unless it is already up to date; return its python."""
    check_python()
    py = venv_python()
    made_by, now = venv_made_by(), tuple(sys.version_info[:2])
    if py.exists() and made_by == now and STAMP.exists() \
            and STAMP.read_text().strip() == wanted_stamp():
        install_lab_settings(py)
        return py
    free_gb = shutil.disk_usage(ROOT).free / 1e9
    if free_gb < MIN_FREE_GB:
        die(
            f"Only {free_gb:.1f} GB free on the disk holding {ROOT}; setting up needs about "
            f"{MIN_FREE_GB:.0f} GB. Free some space (or clone the course onto a larger disk) "
            "and run the command again."
        )
    if VENV.exists() and made_by != now:
        was = f"Python {made_by[0]}.{made_by[1]}" if made_by else "an unknown Python"
        say(f"{VENV} was made by {was}, not this Python {now[0]}.{now[1]}: rebuilding it.")
        remove_venv()
    if not py.exists():
        say(f"creating {VENV} ...")
        try:
            venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
        except Exception as exc:  # ensurepip missing on some Linux distributions
            die(
                f"Could not create a virtual environment: {exc}\n"
                "On Debian/Ubuntu install it with `sudo apt install python3-venv` "
                "(or python3.11-venv), then run the command again."
            )
    say("installing the course and its dependencies (first time: a few minutes) ...")
    pip_install(py, f"{ROOT}[dev,book]")  # book: the test suite builds the book too
    install_lab_settings(py)
    write_atomic(STAMP, wanted_stamp())
    return py


def pip_install(py: Path, *targets: str, constrained: bool = True) -> None:
    """``pip install -e TARGET`` constrained to the lock, printing a line per phase (and per
    large download) instead of minutes of silence; a failure is turned into a diagnosis."""
    cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check",
           "--progress-bar", "off"]
    if constrained and LOCK.exists():
        cmd += ["-c", str(LOCK)]
    for t in targets:
        cmd += ["-e", t]
    output: list[str] = []
    start, collected = time.monotonic(), 0
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        phase = progress_line(line, collected)
        if line.startswith("Collecting "):
            collected += 1
        if phase:
            say(f"  {phase}  [{time.monotonic() - start:.0f} s]")
    if proc.wait() != 0:
        die(install_failure_message("".join(output)))


def progress_line(line: str, collected: int) -> str | None:
    """What to show of one line of pip's output: every 20th package resolved, downloads of
    more than 10 MB, the install step and the end; None for the rest."""
    if line.startswith("Collecting ") and collected % 20 == 0:
        return f"resolving: {collected + 1} packages so far ({line.split()[1]})"
    m = re.match(r"\s*Downloading (\S+) \(([\d.]+) (MB|GB)\)", line)
    if m and (m.group(3) == "GB" or float(m.group(2)) >= 10):
        return f"downloading {m.group(1)} ({m.group(2)} {m.group(3)})"
    if line.startswith("Installing collected packages:"):
        n = len(line.split(":", 1)[1].split(","))
        return f"installing {n} packages (unpacking takes a minute) ..."
    if line.startswith("Successfully installed"):
        return "installed."
    return None


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
    extra = ["--ServerApp.root_dir=" + str(ROOT / "notebooks"),
             # offline course: no news feed, no update checks (see tools/jupyter/overrides.json)
             "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if "--no-browser" in args:
        args.remove("--no-browser")
        extra.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # JupyterLab refuses to start as root without it
    return run_until_interrupted([str(py), "-m", "jupyterlab", *extra, *args])


def run_until_interrupted(cmd: list[str]) -> int:
    """Run a server in its own process group and stop it cleanly on Ctrl-C (or SIGTERM /
    SIGHUP to run.py): the server gets SIGTERM, on which Jupyter shuts its kernels down and
    exits; a second Ctrl-C, or 30 s without exiting, kills it. No traceback either way."""
    new_group: dict = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                       else {"start_new_session": True})
    # Ctrl-C must reach us even if whatever started run.py ignored or blocked SIGINT (a
    # process inherits both, and so would JupyterLab; Python installs its Ctrl-C handler only
    # when SIGINT was not ignored at start-up). Seen in CI: SIGINT stayed pending for minutes
    # while SIGTERM got through.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    proc = subprocess.Popen(cmd, cwd=ROOT, **new_group)

    def interrupt(signum, frame):  # SIGTERM/SIGHUP to run.py: same as Ctrl-C
        raise KeyboardInterrupt

    for sig in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, sig):
            signal.signal(getattr(signal, sig), interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print(file=sys.stderr)
        say("stopping JupyterLab and its kernels ...")
        try:
            proc.send_signal(signal.CTRL_BREAK_EVENT if os.name == "nt" else signal.SIGTERM)
            code = proc.wait(timeout=30)
            say("JupyterLab stopped.")
            return 0 if code in (0, -signal.SIGTERM) else code
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
            say("JupyterLab killed.")
            return 130


def cmd_test(args: list[str]) -> int:
    py = ensure_env()
    env = dict(os.environ, LABUTILS_STRICT_CHECKS="1", PYTHONHASHSEED="0")
    # conftest.py schedules the work: each notebook's nbval cells stay on one worker, every
    # other test (papermill and student runs included) is spread over all workers.
    return run([py, "-m", "pytest", "-n", "auto", "--dist", "loadscope",
                "--nbval-lax", "--nbval-current-env", *args], env=env)


def cmd_tool(args: list[str]) -> int:
    py = ensure_env()
    return run([py, "-m", "labutils.nbtools", *args])


def cmd_reinstall(args: list[str]) -> int:
    """Delete .venv and build it again (the cure for a broken or half-upgraded install)."""
    check_python()
    say(f"removing {VENV} ...")
    remove_venv()
    ensure_env()
    say("reinstalled. `python3 run.py doctor` checks the result.")
    return 0


def cmd_lock(args: list[str]) -> int:
    """Resolve the newest versions that pyproject.toml allows (all extras) in a scratch venv
    and write them to requirements/lock.txt; every install then uses them as constraints.
    Run the tests afterwards: the lock is only as good as the suite that passed with it."""
    check_python()
    with tempfile.TemporaryDirectory(prefix="lab-lock-") as tmp:
        scratch = Path(tmp) / "venv"
        say(f"resolving the newest allowed versions in a scratch venv ({scratch}) ...")
        venv.EnvBuilder(with_pip=True).create(scratch)
        spy = scratch / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        pip_install(spy, f"{ROOT}[dev,book]", constrained=False)
        frozen = subprocess.run([str(spy), "-m", "pip", "freeze", "--exclude-editable",
                                 "--disable-pip-version-check"],
                                capture_output=True, text=True, check=True).stdout
    pins = sorted((ln for ln in frozen.splitlines() if "==" in ln), key=str.lower)
    v = sys.version_info
    header = ("# Tested versions: every install (`python3 run.py ...`) uses this file as pip\n"
              "# constraints (-c). Refresh with `python3 run.py lock`, then run the tests.\n"
              f"# Resolved on Python {v[0]}.{v[1]}, {sys.platform}.\n")
    write_atomic(LOCK, header + "\n".join(pins) + "\n")
    say(f"wrote {LOCK.relative_to(ROOT)} ({len(pins)} pins). Now run `python3 run.py test`.")
    return 0


def cmd_book(args: list[str]) -> int:
    """Build the static book from the notebooks' stored outputs (Jupyter Book 1.x, offline;
    warnings are errors). The site lands in book/_build/html."""
    py = ensure_env()
    if subprocess.call([str(py), "-c", "import jupyter_book"], cwd=ROOT,
                       stderr=subprocess.DEVNULL) != 0:
        say("installing jupyter-book (first time only) ...")
        pip_install(py, f"{ROOT}[book]")
    return run([py, "-m", "labutils.book", "build", *args])


COMMANDS = ("lab", "test", "doctor", "reinstall", "lock", "notebooks", "lint", "student",
            "bench", "book")


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
    if what == "reinstall":
        return cmd_reinstall(rest)
    if what == "lock":
        return cmd_lock(rest)
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
    die(f"unknown command {what!r}; valid commands: {', '.join(COMMANDS)}")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
