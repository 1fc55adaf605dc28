"""The set-up promises: pyproject and environment.yml agree, run.py refuses clearly, the
doctor gives a verdict."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
from envspec import ROOT, environment_requirements, pyproject_requirements


def test_environment_yml_matches_pyproject() -> None:
    py_spec, py_reqs = pyproject_requirements()
    env_spec, env_reqs = environment_requirements()
    assert env_spec == py_spec
    assert env_reqs == py_reqs, (
        f"only in pyproject: {sorted(py_reqs - env_reqs)}; "
        f"only in environment.yml: {sorted(env_reqs - py_reqs)}")


def _load_run_py():
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "tools" / "bootstrap.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_run_py_refuses_old_python(monkeypatch, capsys) -> None:
    run_py = _load_run_py()
    monkeypatch.setattr(run_py.sys, "version_info", (3, 9, 18))
    with pytest.raises(SystemExit) as exc:
        run_py.check_python()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "needs Python 3.11 to 3.13" in err and "3.9" in err


def test_run_py_refuses_full_disk(monkeypatch, capsys, tmp_path) -> None:
    run_py = _load_run_py()
    monkeypatch.setattr(run_py, "VENV", tmp_path / "venv")
    monkeypatch.setattr(run_py, "STAMP", tmp_path / "venv" / ".lab-stamp")
    monkeypatch.setattr(run_py.shutil, "disk_usage", lambda p: run_py.shutil._ntuple_diskusage(100, 99, 10**8))
    with pytest.raises(SystemExit):
        run_py.ensure_env()
    assert "GB free" in capsys.readouterr().err


def _old_pythons() -> list[str]:
    """Interpreters older than 3.11 found on this machine (pyenv or PATH); may be none."""
    import glob
    import shutil

    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/[23].*/bin/python")))
    found += [p for p in (shutil.which(f"python{v}") for v in ("2.7", "3.6", "3.10")) if p]
    old = []
    for exe in found:
        res = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2] < (3, 11))"],
                             capture_output=True, text=True)
        if res.stdout.strip() == "True":
            old.append(exe)
    return old


def test_run_py_parses_on_any_python() -> None:
    """An old interpreter must reach the version message, not a SyntaxError: run.py uses no
    f-strings, annotations or __future__ imports (Python 2.7 grammar)."""
    import ast

    tree = ast.parse((ROOT / "run.py").read_text())
    assert not any(isinstance(n, ast.JoinedStr | ast.AnnAssign) for n in ast.walk(tree))
    assert not any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                   for n in ast.walk(tree))


def test_run_py_message_on_real_old_pythons() -> None:
    olds = _old_pythons()
    if not olds:
        pytest.skip("no Python older than 3.11 on this machine")
    for exe in olds:
        res = subprocess.run([exe, str(ROOT / "run.py"), "lab"], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 2, (exe, res.stderr)
        assert "needs Python 3.11 to 3.13" in res.stderr, (exe, res.stderr)


def test_run_py_unknown_command_lists_valid(capsys) -> None:
    run_py = _load_run_py()
    with pytest.raises(SystemExit):
        run_py.main(["labb"])
    assert "valid commands: lab, test" in capsys.readouterr().err


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in readme
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    assert commands[-1].strip().startswith("exec python3 run.py test")


def test_doctor_prints_a_verdict() -> None:
    res = subprocess.run([sys.executable, "-m", "labutils", "doctor", "--offline"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "VERDICT: ready" in res.stdout, res.stdout + res.stderr
    assert res.returncode == 0


def test_labutils_cli_unknown_command() -> None:
    res = subprocess.run([sys.executable, "-m", "labutils", "nope"], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert res.returncode == 2 and "valid commands: doctor" in res.stderr


def test_install_failure_messages_name_the_cause() -> None:
    run_py = _load_run_py()
    offline = ("WARNING: Retrying ... NewConnectionError ... Temporary failure in name resolution\n"
               "ERROR: No matching distribution found for pandas>=3.1.1\n")
    msg = run_py.install_failure_message(offline)
    assert "seems to be offline" in msg and "No matching distribution" in msg
    assert "Retrying" not in msg
    assert "disk is full" in run_py.install_failure_message("OSError: No space left on device")
    assert "re-running the command" in run_py.install_failure_message("ERROR: weird\n")
