"""The instructor's student edition: solutions gone, the exercise section's outputs cleared
(the lessons' outputs kept as reference), a README for learners, one chapter on request, and
clear refusals for a wrong chapter or a non-empty folder. That every student notebook runs
with FAST=True and each check answers "not yet" is tested in test_notebooks.py."""

from __future__ import annotations

import nbformat
import pytest

from labutils import nbtools


def test_one_chapter_release_has_its_notebooks_and_a_readme(tmp_path, capsys) -> None:
    out = tmp_path / "release"
    assert nbtools.main(["student", str(out), "--chapter", "03_math"]) == 0
    released = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ipynb"))
    expected = sorted(p.relative_to(nbtools.NOTEBOOKS).as_posix()
                      for p in nbtools.all_notebooks() if p.parent.name == "03_math")
    assert released == expected
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "Chapter 03_math" in readme and "python3 run.py lab" in readme
    assert all(f"`{name}`" in readme for name in expected)
    assert f"{len(expected)} notebooks and README.md written" in capsys.readouterr().out


def test_solutions_dropped_exercise_outputs_cleared_lesson_outputs_kept(tmp_path) -> None:
    src = nbtools.NOTEBOOKS / "03_math" / "04_backpropagation.ipynb"
    (path,) = nbtools.student_version(tmp_path / "s", notebooks=[src])
    nb = nbformat.read(path, as_version=4)
    teacher = nbformat.read(src, as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert "solution" not in tags and "exercise" in tags
    code = [c for c in nb.cells if c.cell_type == "code"]
    checks = [c for c in code if "check(" in c.source]
    assert checks and all(c.outputs == [] for c in checks)
    assert all(c.outputs == [] for c in code if "exercise" in c.metadata.get("tags", []))
    kept = sum(bool(c.outputs) for c in code)
    assert kept > 0 and kept <= sum(bool(c.outputs) for c in teacher.cells
                                    if c.cell_type == "code")


def test_wrong_chapter_names_the_valid_ones_and_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "release"
    assert nbtools.main(["student", str(out), "--chapter", "3_math"]) == 2
    err = capsys.readouterr().err
    assert "chapter must be one of" in err and "03_math" in err and "'3_math'" in err
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(ValueError, match="03_math"):
        nbtools.student_version(tmp_path / "x", chapter=["nope"])


def test_refuses_a_non_empty_folder(tmp_path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert nbtools.main(["student", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"
