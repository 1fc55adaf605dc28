"""``python -m labutils serve``: help, and every refusal with a clear message and exit status,
all before TensorFlow is imported; ``ModelServer`` reporting a child that dies or does not
come up in time, with its stderr, and leaving no process behind. (Loading errors that need
TensorFlow are tested in-process in test_serve.py.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile

import pytest
from envspec import ROOT

from labutils.serve import ModelServer, ServerStartError


def run_cli(*args: str, cwd=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labutils", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=timeout,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_serve_help() -> None:
    res = run_cli("serve", "--help")
    assert res.returncode == 0, res.stderr
    for flag in ("MODEL", "--name", "--host", "--port", "--max-body-bytes", "--batching",
                 "--no-batching", "--max-batch-size", "--batch-timeout-ms"):
        assert flag in res.stdout
    assert "usage: python -m labutils serve" in res.stdout


def test_main_lists_commands() -> None:
    res = run_cli("bogus")
    assert res.returncode == 2
    assert "valid commands: doctor" in res.stderr and "serve (" in res.stderr
    res = run_cli("--help")
    assert res.returncode == 0 and "serve" in res.stdout and "doctor" in res.stdout


@pytest.fixture
def files(tmp_path):
    for name in ("a.keras", "b.keras"):  # valid-looking (zip) but empty: never loaded here
        with zipfile.ZipFile(tmp_path / name, "w"):
            pass
    (tmp_path / "old.h5").write_bytes(b"")
    (tmp_path / "broken.keras").write_bytes(b"not a zip archive")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty_dir").mkdir()
    shutil.copy(tmp_path / "a.keras", tmp_path / "bad name.keras")
    return tmp_path


REFUSALS = [
    (["missing.keras"], "no model file or folder at 'missing.keras'"),
    (["old.h5"], "legacy HDF5 ('.h5') file"),
    (["a.keras", "b.keras", "--name", "x"], "--name can only be used with one MODEL; got 2"),
    (["broken.keras"], "is not a valid .keras file (a .keras file is a zip archive)"),
    (["empty_dir"], "is a folder but not a SavedModel: it has no 'saved_model.pb'"),
    (["notes.txt"], "neither a '.keras' file nor a SavedModel folder"),
    (["a.keras", "a.keras"], "would both be served as 'a'"),
    (["bad name.keras"], "model name 'bad name' may only contain"),
    (["a.keras", "--port", "70000"], "must be 0 (any free port) to 65535"),
    (["a.keras", "--max-batch-size", "0"], "must be a positive whole number"),
    (["a.keras", "--batch-timeout-ms", "-1"], "milliseconds in [0, 10000]"),
    (["a.keras", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ([], "the following arguments are required: MODEL"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS, ids=[f"r{i}" for i in range(len(REFUSALS))])
def test_cli_refuses_with_a_clear_message(files, monkeypatch, capsys, args, message) -> None:
    """In-process (the same main() the command runs): usage error, exit status 2."""
    from labutils.__main__ import main

    monkeypatch.chdir(files)
    with pytest.raises(SystemExit) as exc:
        main(["serve", *args])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and message in err and out == "", err
    assert "usage: python -m labutils serve" in err


@pytest.mark.parametrize(("args", "message"), REFUSALS[:4], ids=["missing", "h5", "name", "zip"])
def test_cli_refuses_as_a_command(files, args, message) -> None:
    """The real command: refused in about a second, before TensorFlow is imported."""
    t0 = time.monotonic()
    res = run_cli("serve", *args, cwd=files)
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert res.stdout == "" and "Traceback" not in res.stderr
    assert time.monotonic() - t0 < 30


def test_cli_port_in_use(files) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run_cli("serve", "a.keras", "--port", str(port), cwd=files)
    assert res.returncode == 1 and res.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr and "--port 0" in res.stderr


def test_model_server_reports_the_childs_error(files) -> None:
    srv = ModelServer([files / "missing.keras"])
    with pytest.raises(ServerStartError) as err:
        srv.start()
    text = str(err.value)
    assert "exited with status 2 before it was ready" in text
    assert "no model file or folder" in text and "Its stderr" in text
    assert srv.proc.returncode == 2  # reaped


def test_model_server_startup_timeout_kills_and_reaps(files) -> None:
    srv = ModelServer([files / "a.keras"], startup_timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(ServerStartError, match=r"did not report its URL within 0\.3 s"):
        srv.start()
    assert time.monotonic() - t0 < 20
    assert srv.proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(srv.proc.pid, 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"models": []}, "models must list at least one"),
    ({"models": ["a.keras"], "startup_timeout": 0}, "startup_timeout must be"),
])
def test_model_server_validates_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        ModelServer(**kwargs)
