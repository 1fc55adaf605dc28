"""The README's lab command really brings JupyterLab up (headless, as root too), offers no
news or update checks, and Ctrl-C stops it and its kernels cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from envspec import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hostile_sigint() -> None:
    """Start run.py as a careless parent might: SIGINT ignored and blocked (both are
    inherited). A CI worker once left SIGINT pending this way and Ctrl-C did nothing; run.py
    must restore it itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _start_lab(tmp_path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "run.py"), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
           "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.runtime_dir={tmp_path}"]
    # run.py re-uses the current .venv (its stamp matches), so this starts at once.
    # Output to a file, not a pipe: nothing can block on a full pipe or hold it open.
    log = open(tmp_path / "run-py.log", "w")  # noqa: SIM115 - closed by _stop_everything
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, preexec_fn=_hostile_sigint,
                            env=dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path)))
    proc.log = log  # type: ignore[attr-defined]
    return proc, port


def _get(url: str, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode("utf-8", "replace")


def _wait_for_lab(proc, port) -> tuple[int | None, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return _get(f"http://127.0.0.1:{port}/lab")
        except OSError:
            time.sleep(0.5)
    return None, ""


def _pid_with_arg(text: str) -> int | None:
    """The pid of a process whose command line contains ``text`` (Linux /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                return int(cmdline.parent.name)
        except OSError:
            continue
    return None


def _stop_everything(proc: subprocess.Popen, marker: str) -> str:
    """Stop run.py (which stops JupyterLab) and, should anything survive — JupyterLab runs in
    its own session — every process whose command line holds ``marker`` (the test's own
    runtime folder). Returns run.py's output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=45)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    # Survivors first: one that inherited run.py's output pipe would keep it open forever.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pid = _pid_with_arg(marker)
        while pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            time.sleep(1.0 if sig == signal.SIGTERM else 0.2)
            nxt = _pid_with_arg(marker)
            pid = None if nxt == pid and sig == signal.SIGTERM else nxt
    proc.log.close()
    return Path(proc.log.name).read_text(errors="replace")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return "zombie" not in open(f"/proc/{pid}/status").read().lower()
    except OSError:
        return True


def test_lab_command_serves_lab_page_without_news(tmp_path) -> None:
    proc, port = _start_lab(tmp_path)
    try:
        status, body = _wait_for_lab(proc, port)
        settings = ""
        if status == 200:
            _, settings = _get(f"http://127.0.0.1:{port}/lab/api/settings/"
                               "@jupyterlab/apputils-extension:notification")
    finally:
        out = _stop_everything(proc, str(tmp_path))
    assert status == 200, f"JupyterLab did not answer 200 on /lab; its output:\n{out[-3000:]}"
    assert "JupyterLab" in body
    defaults = json.loads(settings)["schema"]["properties"]  # overrides.json sets defaults
    assert defaults["fetchNews"]["default"] == "false"
    assert defaults["checkForUpdates"]["default"] is False


def test_ctrl_c_stops_lab_and_its_kernels_without_traceback(tmp_path) -> None:
    proc, port = _start_lab(tmp_path)
    kernel_pid = None
    try:
        status, _ = _wait_for_lab(proc, port)
        assert status == 200
        _, body = _get(f"http://127.0.0.1:{port}/api/kernels", method="POST")
        kernel_id = json.loads(body)["id"]
        connection = Path(f"kernel-{kernel_id}.json")
        deadline = time.monotonic() + 30
        while kernel_pid is None and time.monotonic() < deadline:
            kernel_pid = _pid_with_arg(connection.name)
            time.sleep(0.3)
        assert kernel_pid is not None and _alive(kernel_pid)
        # Wait until the kernel answers (a kernel interrupted while it is still importing
        # prints its own traceback: Jupyter's business, not run.py's).
        from jupyter_client import BlockingKernelClient

        args = Path(f"/proc/{kernel_pid}/cmdline").read_bytes().decode().split("\0")
        client = BlockingKernelClient(connection_file=args[args.index("-f") + 1])
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=90)
        finally:
            client.stop_channels()
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends run.py
        # Wait for run.py itself (generous: CI runs this beside notebooks), not for its output
        # pipe to close - a process that outlives run.py would hold it; that is checked below.
        proc.wait(timeout=120)
        deadline = time.monotonic() + 20
        while _alive(kernel_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        kernel_survived = _alive(kernel_pid)
    finally:
        out = _stop_everything(proc, str(tmp_path))
    assert "Traceback" not in out, out[-3000:]
    assert "JupyterLab stopped" in out, out[-3000:]
    assert proc.returncode == 0
    assert not kernel_survived, "the kernel outlived JupyterLab"
