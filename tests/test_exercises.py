"""The exercises, their checkers and the book's table of contents agree.

Three lists are tied together: every ``check("...")`` id in a notebook has a checker in that
notebook's own checks module, every checker is used by its notebook (and no other), every
checks module belongs to a notebook on disk, and every notebook is in ``book/_toc.yml``.
Adding a notebook touches the notebook, its checks module and the TOC: nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from labutils import checks, exercises, nbtools

ROOT = nbtools.ROOT
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")


def _ids_used(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [m for c in nb.cells if c.cell_type == "code" for m in CHECK_CALL.findall(c.source)]


def _toc_chapters() -> list[dict]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text(encoding="utf-8"))
    return [ch for part in toc.get("parts", []) for ch in part.get("chapters", [])]


def _toc_files() -> list[str]:
    """Every file the book lists: the chapter landing pages and their sections (notebooks)."""
    return [f for ch in _toc_chapters()
            for f in [ch["file"], *(s["file"] for s in ch.get("sections", []))]]


@pytest.mark.parametrize("path", nbtools.all_notebooks(),
                         ids=lambda p: str(p.relative_to(nbtools.NOTEBOOKS)))
def test_every_check_in_a_notebook_is_registered_in_its_own_module(path: Path) -> None:
    used = _ids_used(path)
    assert used, f"{path.name} calls no check(...)"
    prefix = exercises.prefix_of(path)
    module = exercises.HERE / path.parent.name / f"{path.stem}.py"
    assert module.exists(), f"{path.name} needs its checks module at {module}"
    registered = exercises.load(module)
    for ex_id in used:
        assert ex_id.startswith(prefix + "."), f"{ex_id!r} in {path.name} lacks prefix {prefix}"
        assert ex_id in registered, f"{ex_id!r} used in {path.name} has no checker"
    unused = set(registered) - set(used)
    assert not unused, f"checkers never used by {path.name}: {sorted(unused)}"
    assert len(used) == len(set(used)), f"{path.name} checks an exercise twice"


def test_every_checks_module_belongs_to_a_notebook() -> None:
    assert exercises.modules()
    for module in exercises.modules():
        assert exercises.notebook_for(module).exists(), f"{module} has no notebook"


def test_ids_are_unique_across_the_course() -> None:
    ids = [i for p in nbtools.all_notebooks() for i in _ids_used(p)]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(checks.exercises())


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists() -> None:
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in nbtools.all_notebooks()}
    toc = _toc_files()
    assert len(toc) == len(set(toc)), "a notebook is listed twice in book/_toc.yml"
    listed = {f for f in toc if f.startswith("notebooks/")}
    assert on_disk - listed == set(), "notebooks missing from book/_toc.yml"
    missing = [f for f in toc if not (ROOT / f).with_suffix(".ipynb").exists()
               and not (ROOT / f).with_suffix(".md").exists()]
    assert missing == [], "book/_toc.yml lists files that do not exist"


def test_each_chapter_has_a_landing_page_that_links_its_notebooks_in_order() -> None:
    """Chapter ``notebooks/<ch>/`` has the landing page ``book/chapters/<ch>.md`` in the TOC,
    its sections are exactly that folder's notebooks, and the page links each one (``{doc}``
    role) in the TOC's order, so a reader sees the same sequence on the page and in the menu."""
    chapters = _toc_chapters()
    seen = set()
    for ch in chapters:
        page = ROOT / (ch["file"] + ".md")
        assert ch["file"].startswith("book/chapters/") and page.exists(), ch["file"]
        name = page.stem
        sections = [s["file"] for s in ch.get("sections", [])]
        assert sections and all(f.startswith(f"notebooks/{name}/") for f in sections), name
        links = re.findall(r"\{doc\}`/(notebooks/[^`]+)`", page.read_text(encoding="utf-8"))
        assert links == sections, f"{page.name} must link {sections} in this order"
        seen.add(name)
    assert seen == {p.parent.name for p in nbtools.all_notebooks()}


def test_a_broken_module_breaks_only_its_own_notebook(tmp_path, monkeypatch) -> None:
    """Modules load per notebook: a syntax error or a name declared twice in one module
    leaves every other notebook's checks working."""
    chapter = tmp_path / "98_demo"
    chapter.mkdir()
    (chapter / "01_broken.py").write_text("def oops(:\n")
    (chapter / "02_twice.py").write_text(
        "from labutils.checks import register\n"
        "@register('a')\ndef one(x, n): return x\n"
        "@register('a')\ndef two(x, n): return x\n")
    (chapter / "03_fine.py").write_text(
        "from labutils.checks import register, check_value\n"
        "@register('answer', 'the answer')\n"
        "def _c(x, name): return check_value(x, 42, name=name)\n")
    monkeypatch.setattr(exercises, "HERE", tmp_path)
    monkeypatch.setattr(exercises, "_LOADED", {})
    monkeypatch.setenv("LABUTILS_STRICT_CHECKS", "0")
    with pytest.raises(SyntaxError):
        checks.check("98.01.x", 1)
    with pytest.raises(ValueError, match="declared twice"):
        checks.check("98.02.a", 1)
    assert checks.check("98.03.answer", 42).name == "98.03.answer"
    assert not checks.check("98.03.answer", 41)
