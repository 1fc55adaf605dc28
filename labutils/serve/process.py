"""``ModelServer``: run ``python -m labutils serve`` as a child process from Python.

A notebook or a test cannot run uvicorn in its own (TensorFlow-laden, Jupyter-owned) event
loop, so the server is a separate process started with the very same command line
(``sys.executable -m labutils serve ... --port 0``). ``start()`` waits for the one line the
server prints once it accepts connections and takes the URL from it; if the child exits or the
line does not come in time, the error includes the child's stderr. ``stop()`` sends SIGTERM,
waits, and kills only as a last resort, always reaping the child (no zombies). Use it as a
context manager: ``with ModelServer(["model.keras"]) as srv: predict(srv.url, ...)``.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["ModelServer", "ServerStartError"]

_LINE = re.compile(r"^Serving .+ at (?P<url>http://\S+)$")


class ServerStartError(RuntimeError):
    """The server process died or did not report its URL in time (message has its stderr)."""


class ModelServer:
    """A model server in a child process (see the module docstring).

    ``models``: ``.keras`` files and/or SavedModel folders; ``name`` renames a single model;
    ``batching``, ``max_batch_size``, ``batch_timeout_ms``, ``max_body_bytes``, ``threads``
    are passed to the command line (``None`` keeps the server's default); ``port=0`` picks a
    free port; ``startup_timeout`` is in seconds (loading TensorFlow takes a few).
    """

    def __init__(self, models: Sequence[str | os.PathLike], *, name: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, batching: bool = False,
                 max_batch_size: int | None = None, batch_timeout_ms: float | None = None,
                 max_body_bytes: int | None = None, threads: int | None = None,
                 startup_timeout: float = 120.0) -> None:
        if isinstance(models, str | os.PathLike):
            models = [models]
        if not models:
            raise ValueError("models must list at least one .keras file or SavedModel folder")
        if not isinstance(startup_timeout, int | float) or startup_timeout <= 0:
            raise ValueError(f"startup_timeout must be a number of seconds > 0; "
                             f"got {startup_timeout!r}")
        cmd = [sys.executable, "-m", "labutils", "serve", *(os.fspath(m) for m in models),
               "--host", host, "--port", str(port),
               "--batching" if batching else "--no-batching"]
        for flag, value in (("--name", name), ("--max-batch-size", max_batch_size),
                            ("--batch-timeout-ms", batch_timeout_ms),
                            ("--max-body-bytes", max_body_bytes), ("--threads", threads)):
            if value is not None:
                cmd += [flag, str(value)]
        self.command = cmd
        self.startup_timeout = float(startup_timeout)
        self.url: str | None = None
        self.banner: str | None = None
        self.proc: subprocess.Popen | None = None
        self._stderr: tempfile._TemporaryFileWrapper | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._pump_thread: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id (``None`` before ``start``)."""
        return None if self.proc is None else self.proc.pid

    def stderr_text(self) -> str:
        """Everything the server wrote to stderr so far (its log)."""
        if self._stderr is None:
            return ""
        return Path(self._stderr.name).read_text(errors="replace")

    def spawn(self) -> ModelServer:
        """Start the child process without waiting for it (see ``wait_ready``)."""
        if self.proc is not None:
            raise RuntimeError("this ModelServer was already started; create a new one")
        self._stderr = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="labutils-serve-", suffix=".log", delete=False)
        # the child stops by itself if this process dies (no orphaned server on the port)
        env = dict(os.environ, PYTHONUNBUFFERED="1", LABUTILS_SERVE_PARENT=str(os.getpid()))
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env=env)
        self._pump_thread = threading.Thread(target=self._pump, args=(self.proc.stdout,),
                                             daemon=True, name=f"serve-stdout-{self.proc.pid}")
        self._pump_thread.start()
        return self

    def _pump(self, stream: IO[str]) -> None:
        """Reader thread: queue the child's stdout lines (None at end of file)."""
        try:
            for line in stream:
                self._lines.put(line.rstrip("\r\n"))
        finally:
            stream.close()
            self._lines.put(None)

    def wait_ready(self) -> ModelServer:
        """Block until the server prints its URL; ``ServerStartError`` if it exits first or
        ``startup_timeout`` passes (the server is then stopped)."""
        assert self.proc is not None, "call spawn() first"
        deadline = time.monotonic() + self.startup_timeout
        while self.url is None:
            try:
                line = self._lines.get(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
            except queue.Empty:
                line = ""
            if line is None or (line == "" and self.proc.poll() is not None):
                self.proc.wait()
                self._fail(f"the server exited with status {self.proc.returncode} before it "
                           "was ready")
            m = _LINE.match(line or "")
            if m:
                self.url, self.banner = m.group("url"), line
            elif time.monotonic() > deadline:
                self._fail(f"the server did not report its URL within {self.startup_timeout:g} s")
        return self

    def _fail(self, what: str) -> None:
        """Stop the child and raise ``ServerStartError`` with ``what`` and its stderr."""
        self.stop()
        err = self.stderr_text().strip()
        self.close()
        tail = "\n".join(err.splitlines()[-30:]) if err else "(nothing)"
        raise ServerStartError(f"{what}. Command: {' '.join(self.command)}\nIts stderr:\n{tail}")

    def start(self) -> ModelServer:
        """Start the server and wait until it accepts requests; returns ``self``."""
        return self.spawn().wait_ready()

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop the server: SIGTERM, wait up to ``timeout`` s, then SIGKILL; returns the exit
        status (``None`` if never started). Safe to call twice."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.terminate()  # SIGTERM on POSIX: uvicorn shuts down gracefully
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._pump_thread is not None:
            self._pump_thread.join(timeout=5)
        if self._stderr is not None and not self._stderr.closed:
            self._stderr.close()
        return proc.returncode

    def close(self) -> None:
        """``stop()`` and remove the stderr log file."""
        self.stop()
        if self._stderr is not None:
            Path(self._stderr.name).unlink(missing_ok=True)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "not started" if self.proc is None else (
            f"running at {self.url}" if self.proc.poll() is None and self.url
            else f"pid {self.proc.pid}, exit {self.proc.returncode}")
        return f"ModelServer({state})"
