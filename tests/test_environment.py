"""The set-up promises: pyproject and environment.yml agree, run.py refuses clearly, the
doctor gives a verdict."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
from envspec import ROOT, environment_requirements, pyproject_requirements
from packaging.utils import canonicalize_name


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


# --- the lock, the supported range, rebuilding .venv ---------------------------------------

def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_lock_satisfies_pyproject_and_environment_yml_uses_it() -> None:
    """Every requirement of pyproject (all extras) that applies on the lock's platform is
    pinned in requirements/lock.txt at a version the requirement allows; environment.yml
    installs with the same lock as constraints."""
    import tomllib

    from packaging.requirements import Requirement

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values()
                                         for r in extra]
    lock = _lock()
    env = {"sys_platform": "linux", "platform_machine": "x86_64"}  # where the lock was made
    for line in reqs:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} is required by pyproject.toml but not in the lock"
        assert req.specifier.contains(lock[name], prereleases=True), (
            f"lock pins {req.name}=={lock[name]}, outside pyproject's {req.specifier}")
    import yaml

    env_yml = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env_yml["dependencies"] if isinstance(d, dict))
    assert "-c requirements/lock.txt" in pip


def test_every_install_is_constrained_by_the_lock(monkeypatch, capsys) -> None:
    """run.py's installs pass the lock to pip as constraints (and `lock` itself does not)."""
    run_py = _load_run_py()
    calls = []

    class FakePopen:
        def __init__(self, cmd, **kw):
            calls.append(cmd)
            self.stdout = iter(["Collecting numpy\n", "Successfully installed numpy-2\n"])

        def wait(self):
            return 0

    monkeypatch.setattr(run_py.subprocess, "Popen", FakePopen)
    run_py.pip_install(run_py.Path("python"), "proj[dev]")
    run_py.pip_install(run_py.Path("python"), "proj[dev,book]", constrained=False)
    assert calls[0][calls[0].index("-c") + 1] == str(run_py.LOCK)
    assert "-c" not in calls[1]
    assert "installed." in capsys.readouterr().out


def test_supported_python_range_has_one_source() -> None:
    import tomllib

    run_py = _load_run_py()
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    lo, hi = run_py.supported_range()
    assert spec == f">={lo[0]}.{lo[1]},<{hi[0]}.{hi[1] + 1}"
    shim = subprocess.run([sys.executable, "-c",
                           "import runpy; g = runpy.run_path('run.py'); print(g['LOW'], g['HIGH'])"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert f"{lo} {hi}" in shim.stdout, shim.stdout + shim.stderr


def test_venv_made_by_another_python_is_rebuilt(monkeypatch, tmp_path, capsys) -> None:
    run_py = _load_run_py()
    venv_dir = tmp_path / ".venv"
    (venv_dir / "bin").mkdir(parents=True)
    (venv_dir / "bin" / "python").write_text("")
    (venv_dir / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.10.14\n")
    monkeypatch.setattr(run_py, "VENV", venv_dir)
    monkeypatch.setattr(run_py, "STAMP", venv_dir / ".lab-stamp")
    assert run_py.venv_made_by() == (3, 10)
    created = []

    class FakeBuilder:
        def __init__(self, **kw):
            pass

        def create(self, path):
            created.append(path)
            raise SystemExit("stop here")

    monkeypatch.setattr(run_py.venv, "EnvBuilder", FakeBuilder)
    with pytest.raises(SystemExit):
        run_py.ensure_env()
    out = capsys.readouterr().out
    assert "made by Python 3.10" in out and "rebuilding" in out
    assert created == [venv_dir] and not venv_dir.exists()  # the old one was removed first


def test_stamp_and_settings_are_written_atomically(tmp_path) -> None:
    run_py = _load_run_py()
    target = tmp_path / "a" / "stamp"
    run_py.write_atomic(target, "one")
    run_py.write_atomic(target, "two")
    assert target.read_text() == "two" and [p.name for p in target.parent.iterdir()] == ["stamp"]
    py = tmp_path / "venv" / "bin" / "python"
    run_py.install_lab_settings(py)
    settings = json.loads((tmp_path / "venv" / "share" / "jupyter" / "lab" / "settings" /
                           "overrides.json").read_text())
    note = settings["@jupyterlab/apputils-extension:notification"]
    assert note == {"checkForUpdates": False, "fetchNews": "false"}


def test_install_progress_lines() -> None:
    run_py = _load_run_py()
    assert run_py.progress_line("Collecting numpy>=2\n", 0).startswith("resolving: 1 packages")
    assert run_py.progress_line("Collecting scipy\n", 1) is None
    big = "  Downloading tensorflow_cpu-2.21.0-cp311.whl (274.3 MB)\n"
    assert run_py.progress_line(big, 5) == "downloading tensorflow_cpu-2.21.0-cp311.whl (274.3 MB)"
    assert run_py.progress_line("  Downloading six-1.17.0-py3-none-any.whl (11 kB)\n", 5) is None
    assert "installing 3 packages" in run_py.progress_line(
        "Installing collected packages: a, b, c\n", 9)


def test_doctor_advice_names_commands_that_exist() -> None:
    """Every `python3 run.py X` the doctor or README suggests is a real command."""
    import re

    run_py = _load_run_py()
    texts = [(ROOT / "labutils" / "doctor.py").read_text(), (ROOT / "README.md").read_text()]
    named = {m for t in texts for m in re.findall(r"python3 run\.py (\w+)", t)}
    assert named and named <= set(run_py.COMMANDS), named - set(run_py.COMMANDS)
    doctor = texts[0]
    for section in re.findall(r"README '([^']+)'", doctor):
        assert f"## {section}" in texts[1], f"README has no section {section!r}"
