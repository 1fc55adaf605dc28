"""Every notebook follows the conventions, and its student version runs with FAST=True.

nbval (``--nbval-lax``, from ``python3 run.py test``) separately re-runs each stored notebook
and compares the cells marked ``# NBVAL_CHECK_OUTPUT``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labutils import nbtools

NOTEBOOKS = nbtools.all_notebooks()
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']""")
IDS = [str(p.relative_to(nbtools.NOTEBOOKS)) for p in NOTEBOOKS]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_conventions(path) -> None:
    assert nbtools.lint(path) == []


@pytest.fixture(scope="session")
def student_release(tmp_path_factory) -> Path:
    """The instructor's student release, made with the real command line (solutions
    dropped, outputs cleared), once per test worker."""
    out = tmp_path_factory.mktemp("release") / "student"
    assert nbtools.main(["student", str(out)]) == 0
    return out


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_release_runs_fast(path, student_release, tmp_path, monkeypatch) -> None:
    """Every student notebook runs top to bottom under papermill with FAST=True (set inside
    its parameters cell, so derived sizes shrink too — nbtools.with_fast): the
    unedited exercise stubs run, and each check answers "not yet" instead of raising.
    (nbval runs the instructor's full notebook, solutions and strict checks included.)"""
    import papermill as pm

    student = student_release / path.relative_to(nbtools.NOTEBOOKS)
    before = path.read_bytes()
    out = tmp_path / path.name
    monkeypatch.setenv("LABUTILS_STRICT_CHECKS", "0")  # inherited by the kernel
    fast = tmp_path / f"fast-{path.name}"
    nbformat.write(nbtools.with_fast(nbformat.read(student, as_version=4)), fast)
    pm.execute_notebook(str(fast), str(out), kernel_name="python3", cwd=str(student.parent),
                        progress_bar=False, log_output=False, execution_timeout=600)
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    check_cells = [c for c in nb.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    assert check_cells
    for cell in check_cells:
        text = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                       for o in cell.outputs)
        assert "Not yet" in text, f"a check in the student {path.name} said: {text[:300]!r}"
    assert path.read_bytes() == before, "the release must never write over the source"


# --- the lint catches what it should ------------------------------------------------------

def _good_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("# Demo (演示)\n\nOne line."),
        new_markdown_cell("## Learning goals (学习目标)\n- one"),
        new_code_cell("FAST = False\nSEED = 0", metadata={"tags": ["parameters"]},
                      execution_count=1),
        new_code_cell("import labutils\ninfo = labutils.setup(seed=SEED)", execution_count=2,
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok\n")]),
        new_markdown_cell("## Exercises (练习)"),
        new_code_cell("check('03.dense_relu', f)", execution_count=3),
        new_markdown_cell("## Summary (小结)"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _lint(nb, tmp_path):
    p = tmp_path / "x.ipynb"
    nbformat.write(nb, p)
    return nbtools.lint(p)


def test_lint_accepts_a_good_notebook(tmp_path) -> None:
    assert _lint(_good_notebook(), tmp_path) == []


def test_lint_rejects_missing_parameters(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells[2].metadata["tags"] = []
    assert "no code cell tagged 'parameters'" in _lint(nb, tmp_path)


def test_lint_rejects_error_outputs(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells[3].outputs.append(nbformat.v4.new_output("error", ename="E", evalue="x",
                                                      traceback=[]))
    assert "1 error outputs" in _lint(nb, tmp_path)


def test_lint_rejects_unexecuted_and_out_of_order(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells[5].execution_count = None
    assert "1 code cells never executed" in _lint(nb, tmp_path)
    nb.cells[5].execution_count = 9
    assert any("top to bottom" in p for p in _lint(nb, tmp_path))


def test_lint_rejects_missing_title_sections_and_metadata(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells[0].source = "# Demo only in English"
    nb.cells[6].source = "## The end"
    nb.cells[3].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    nb.metadata["widgets"] = {"state": {}}
    probs = _lint(nb, tmp_path)
    assert "title must carry the Chinese title too" in probs
    assert "no 'summary' heading" in probs
    assert "execution timestamps in cell metadata" in probs
    assert any("widget state" in p for p in probs)


def test_lint_rejects_parameters_without_fast(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells[2].source = "SEED = 0"
    assert "parameters cell does not define FAST" in _lint(nb, tmp_path)


def test_with_fast_rewrites_the_parameters_cell() -> None:
    nb = _good_notebook()
    nb.cells[2].source = "FAST = False\nSEED = 0\nN = 2 if FAST else 10"
    fast = nbtools.with_fast(nb)
    assert fast.cells[2].source == "FAST = True\nSEED = 0\nN = 2 if FAST else 10"
    nb.cells[2].source = "SEED = 0"
    with pytest.raises(ValueError, match="exactly one line 'FAST = False'"):
        nbtools.with_fast(nb)


def test_papermill_fails_on_an_error_cell(tmp_path) -> None:
    import papermill as pm

    nb = _good_notebook()
    nb.cells[3].source = "raise RuntimeError('boom')"
    src = tmp_path / "bad.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(pm.PapermillExecutionError, match="boom"):
        pm.execute_notebook(str(src), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            progress_bar=False)


def test_student_version_drops_solutions_and_never_overwrites(tmp_path) -> None:
    nb = _good_notebook()
    nb.cells.insert(5, new_code_cell("def f(x): return x", metadata={"tags": ["solution"]}))
    src = tmp_path / "src" / "ch" / "a.ipynb"
    src.parent.mkdir(parents=True)
    nbformat.write(nb, src)
    out = tmp_path / "student"
    [written] = nbtools.student_version(out, [src], root=tmp_path / "src")
    assert written == out / "ch" / "a.ipynb"
    student = nbformat.read(written, as_version=4)
    assert all("solution" not in c.metadata.get("tags", []) for c in student.cells)
    assert len(student.cells) == len(nb.cells) - 1
    exercise_cells = [c for c in student.cells if c.cell_type == "code"
                      and ("exercise" in c.metadata.get("tags", []) or "check(" in c.source)]
    assert exercise_cells and all(not c.get("outputs") for c in exercise_cells)
    assert (out / "README.md").exists()
    with pytest.raises(FileExistsError, match="not empty"):
        nbtools.student_version(out, [src], root=tmp_path / "src")
