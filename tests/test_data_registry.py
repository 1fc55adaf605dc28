"""Integrity layer: registry hashes, corrupt/truncated/missing files, verify_all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labutils.data import DataIntegrityError, DatasetUnavailableError, registry, verify_all
from labutils.data.notable import load_notable_models
from labutils.data.text import load_text

REAL = registry.data_dir()


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of data/ that the loaders use instead of the real one."""
    copy = tmp_path / "data"
    shutil.copytree(REAL, copy)
    monkeypatch.setenv("LABUTILS_DATA_DIR", str(copy))
    return copy


def test_registry_lists_every_shipped_file_and_hashes_match():
    reg = registry.load_registry()
    on_disk = {p.relative_to(REAL).as_posix() for p in REAL.rglob("*") if p.is_file()}
    assert on_disk - {"registry.json", "README.md"} == set(reg["files"])
    for name, entry in reg["files"].items():
        path = REAL / name
        assert registry.sha256_file(path) == entry["sha256"], name
        assert path.stat().st_size == entry["bytes"], name
        assert entry["source"] and entry["license"]


def test_packaged_entries_rehash_and_have_provenance():
    for key, entry in registry.load_registry()["packaged"].items():
        path, _, hashed = registry.packaged_file(key)
        assert hashed, f"{key}: installed {entry['package']} differs from the registry"
        assert registry.sha256_file(path) == entry["sha256"]
        assert entry["rows"] > 0 and entry["source"] and entry["license"]


def test_verify_all_counts_every_file():
    reg = registry.load_registry()
    assert verify_all() == len(reg["files"]) + len(reg["packaged"]) == 14
    assert verify_all(include_packaged=False) == 2


def test_doctor_import_path_works():
    from labutils.data import verify_all as imported

    assert imported is verify_all


def test_corrupt_file_raises_with_name_hashes_and_fix(data_copy):
    path = data_copy / "notable_models.csv"
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF  # same size, one byte flipped
    path.write_bytes(bytes(raw))
    expected = registry.load_registry()["files"]["notable_models.csv"]["sha256"]
    with pytest.raises(DataIntegrityError) as err:
        load_notable_models()
    exc = err.value
    assert exc.path == path and exc.expected == expected
    assert exc.actual == registry.sha256_file(path) != expected
    msg = str(exc)
    assert str(path) in msg and expected in msg and exc.actual in msg
    assert "git checkout -- data" in msg


def test_truncated_file_is_reported_as_truncated(data_copy):
    path = data_copy / "text" / "course_notes.txt"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataIntegrityError, match="truncated: 500 bytes, expected"):
        load_text()
    with pytest.raises(DataIntegrityError):
        verify_all()


def test_missing_file_and_missing_registry(data_copy):
    (data_copy / "notable_models.csv").unlink()
    with pytest.raises(DatasetUnavailableError, match="does not exist"):
        load_notable_models()
    (data_copy / "registry.json").unlink()
    with pytest.raises(DatasetUnavailableError, match="registry"):
        verify_all()


def test_unknown_shipped_name_lists_valid_ones():
    with pytest.raises(ValueError, match="notable_models.csv"):
        registry.shipped_file("nope.csv")
    with pytest.raises(ValueError, match="ames"):
        registry.packaged_file("nope")


def _edit_registry(data_copy: Path, key: str, **changes) -> None:
    path = data_copy / "registry.json"
    reg = json.loads(path.read_text())
    reg["packaged"][key].update(changes)
    path.write_text(json.dumps(reg))


def test_tampered_package_table_is_rejected_before_unpickling(data_copy, monkeypatch):
    from labutils.data import tabular

    _edit_registry(data_copy, "ames", sha256="0" * 64)
    tabular._cached.cache_clear()
    called = []
    monkeypatch.setattr(tabular.pd, "read_pickle", lambda *a, **k: called.append(a))
    with pytest.raises(DataIntegrityError, match="0{64}"):
        tabular.load_ames()
    assert called == []  # the pickle was never opened
    tabular._cached.cache_clear()


def test_other_package_version_falls_back_to_row_count(data_copy, monkeypatch):
    from labutils.data import tabular

    monkeypatch.setattr(registry, "installed_version", lambda dist: "0.0.0")
    tabular._cached.cache_clear()
    assert len(tabular.load_air_passengers()) == 144  # hash skipped, rows still checked
    _edit_registry(data_copy, "air_passengers", rows=145)
    tabular._cached.cache_clear()
    with pytest.raises(DataIntegrityError, match="144 rows, expected 145"):
        tabular.load_air_passengers()
    assert verify_all() == 2  # packaged tables are not counted when not hash-checked
    tabular._cached.cache_clear()


def test_verified_files_are_not_rehashed(monkeypatch):
    registry.shipped_file("notable_models.csv")
    monkeypatch.setattr(registry, "sha256_file", lambda p: pytest.fail("re-hashed"))
    registry.shipped_file("notable_models.csv")


def test_import_is_cheap_and_lazy():
    import subprocess
    import sys

    code = ("import sys, labutils.data as d; assert 'pandas' not in sys.modules; "
            "assert 'tensorflow' not in sys.modules; d.load_text; "
            "assert 'pandas' not in sys.modules; print(sorted(d.__all__)[:2])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "DataIntegrityError" in out


def test_command_line_check(capsys):
    from labutils.data.__main__ import main

    assert main() == 0
    assert "14 data files verified" in capsys.readouterr().out
