"""The README's lab command really brings JupyterLab up (headless, as root too)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from envspec import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_serves_lab_page(tmp_path) -> None:
    port = _free_port()
    cmd = [sys.executable, str(ROOT / "run.py"), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=",
           f"--ServerApp.runtime_dir={tmp_path}"]
    # run.py re-uses the current .venv (its stamp matches), so this starts at once.
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True,
                            env=dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path)))
    status, deadline = None, time.monotonic() + 90
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as r:
                    status = r.status
                    body = r.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert status == 200, f"JupyterLab did not answer 200 on /lab; its output:\n{out[-3000:]}"
    assert "JupyterLab" in body
