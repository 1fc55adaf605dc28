"""Notebook tooling for authors, instructors and CI: execute, clean, lint, student version.

    python -m labutils.nbtools execute [PATH...]   run top to bottom, store real outputs
    python -m labutils.nbtools lint [PATH...]      check the course conventions
    python -m labutils.nbtools student OUT_DIR [--chapter CH]   student edition (no solutions)

Paths default to every ``notebooks/*/*.ipynb``. Files are written to a temporary file in
the same folder and moved into place only after success, so a failed run never leaves a
half-written notebook behind.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from labutils._files import publish_mode

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TIME_BUDGET_S = 60.0
CJK = re.compile(r"[\u4e00-\u9fff]")
REQUIRED_PARAMS = ("FAST", "SEED")
REQUIRED_SECTIONS = {
    "learning goals": re.compile(r"^#+\s.*learning goals", re.I | re.M),
    "exercises": re.compile(r"^#+\s.*exercise", re.I | re.M),
    "summary": re.compile(r"^#+\s.*summary", re.I | re.M),
}


def all_notebooks() -> list[Path]:
    """Every course notebook, sorted: ``notebooks/<chapter>/<name>.ipynb``."""
    return sorted(p for p in NOTEBOOKS.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip volatile metadata (timestamps, widget state, papermill records) and pin the
    kernel to ``python3`` so diffs show only real changes."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)",
                                 "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        for key in ("execution", "papermill", "collapsed", "scrolled", "jp-MarkdownHeadingCollapsed"):
            cell.metadata.pop(key, None)
        for out in cell.get("outputs", []):
            out.get("metadata", {}).pop("papermill", None)
    return nb


def write_atomic(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to a temporary file beside ``path`` and rename it into place."""
    fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        publish_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def execute(path: Path, timeout: int = 300) -> float:
    """Execute one notebook in its own folder, clean it, save it atomically; return seconds."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True, record_timing=False)  # clean() strips it; False crashes on interactive()
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    write_atomic(clean(nb), path)
    return elapsed


def parameters_cell(nb) -> tuple[int, dict[str, object]] | None:
    """Index and literal values of the cell tagged ``parameters``, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            values: dict[str, object] = {}
            for node in ast.parse(_src(cell)).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = None
            return i, values
    return None


_FAST_LINE = re.compile(r"^FAST\s*=\s*False\b", re.M)


def with_fast(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with ``FAST = False`` turned into ``FAST = True`` *inside* its parameters
    cell. Papermill's parameter injection adds a cell after that one, so sizes the cell
    derives from FAST (``N = 2 if FAST else 10``) would keep their full values; rewriting the
    line makes every derived size take its FAST value. ``ValueError`` if there is no such line.
    """
    found = parameters_cell(nb)
    if found is None:
        raise ValueError("notebook has no cell tagged 'parameters'")
    cell = nb.cells[found[0]]
    source, n = _FAST_LINE.subn("FAST = True", _src(cell))
    if n != 1:
        raise ValueError("the parameters cell must contain exactly one line 'FAST = False'")
    cell.source = source
    return nb


def lint(path: Path) -> list[str]:
    """Every way ``path`` breaks the notebook conventions (empty list when it follows them)."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        return [f"not a valid notebook: {exc}"]
    problems: list[str] = []
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown" or not _src(cells[0]).startswith("# "):
        problems.append("first cell must be a markdown title '# ...'")
    elif not CJK.search(_src(cells[0]).splitlines()[0]):
        problems.append("title must carry the Chinese title too")
    markdown = "\n".join(_src(c) for c in cells if c.cell_type == "markdown")
    for name, pattern in REQUIRED_SECTIONS.items():
        if not pattern.search(markdown):
            problems.append(f"no '{name}' heading")
    params = parameters_cell(nb)
    if params is None:
        problems.append("no code cell tagged 'parameters'")
    else:
        missing = [p for p in REQUIRED_PARAMS if p not in params[1]]
        if missing:
            problems.append(f"parameters cell does not define {', '.join(missing)}")
    code = [c for c in cells if c.cell_type == "code" and _src(c).strip()]
    counts = [c.get("execution_count") for c in code]
    if any(n is None for n in counts):
        problems.append(f"{sum(n is None for n in counts)} code cells never executed")
    elif counts != list(range(1, len(counts) + 1)):
        problems.append("cells were not executed once, top to bottom, in a fresh kernel")
    if not any(c.get("outputs") for c in code):
        problems.append("no stored outputs")
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        problems.append(f"{len(errors)} error outputs")
    if "labutils.setup(" not in "\n".join(_src(c) for c in code):
        problems.append("never calls labutils.setup(...)")
    if "check(" not in "\n".join(_src(c) for c in code):
        problems.append("no exercise check call")
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("kernel must be 'python3'")
    if "widgets" in nb.metadata:
        problems.append("widget state stored in metadata (run `python run.py notebooks`)")
    if any("execution" in c.metadata for c in cells):
        problems.append("execution timestamps in cell metadata")
    return problems


def chapters() -> list[str]:
    """The chapter folders under ``notebooks/`` that hold notebooks, sorted."""
    return sorted({p.parent.name for p in all_notebooks()})


def _student_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop solution cells; clear the outputs of the exercise section (stubs and checks, whose
    stored outputs would give the answers away); keep the body's outputs as reference."""
    nb.cells = [c for c in nb.cells if "solution" not in c.metadata.get("tags", [])]
    in_exercises = False
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.lstrip().startswith("## Exercises"):
            in_exercises = True
        if c.cell_type == "markdown" and c.source.lstrip().startswith("## Summary"):
            in_exercises = False
        if c.cell_type == "code" and (in_exercises or "exercise" in c.metadata.get("tags", [])
                                      or "check(" in c.source):
            c.outputs, c.execution_count = [], None
    return nb


STUDENT_README = """# Large Models Lab (大模型实验室) - student edition

{scope}: {n} notebooks, {k} exercises. The reference solutions are removed; everything else,
including the outputs of the lessons themselves, is as your instructor's edition shows it.

## How to work
1. Open these notebooks in the course's JupyterLab: in a clone of the course, run
   `python3 run.py lab` once (it sets everything up, then works offline), and open this folder.
2. Run each notebook from the top. The `parameters` cell has `FAST = False` (set it to `True`
   for a quick run) and `SEED = 0`.
3. At the end of each notebook, fill in each exercise cell (it returns `None` until you do)
   and run the `check("...")` cell below it. It answers at once: "Not yet" while the exercise
   is unanswered, a hint naming what differs when it is wrong, and a confirmation when right.

## Contents
{contents}
"""


def student_version(out_dir: Path, notebooks: list[Path] | None = None,
                    root: Path = NOTEBOOKS, chapter: list[str] | None = None) -> list[Path]:
    """Write student copies into a new ``out_dir``: solution cells dropped, the exercise
    section's outputs cleared, each notebook at its path relative to ``root``, plus a
    ``README.md`` for learners. ``chapter`` limits the release to those chapter folders
    (e.g. ``["03_math"]``). Refuses a non-empty ``out_dir`` rather than overwrite anything."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; choose a new folder (nothing was written)")
    paths = list(notebooks or all_notebooks())
    if chapter:
        valid = sorted({Path(p).parent.name for p in paths})
        for ch in chapter:
            if ch not in valid:
                raise ValueError(f"chapter must be one of {', '.join(valid)}; got {ch!r}")
        paths = [p for p in paths if Path(p).parent.name in chapter]
    written, lines, n_ex = [], [], 0
    for path in paths:
        nb = _student_cells(nbformat.read(path, as_version=4))
        k = sum("exercise" in c.metadata.get("tags", []) for c in nb.cells)
        n_ex += k
        rel = Path(path).relative_to(root)
        title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                      if c.cell_type == "markdown" and c.source.strip()), rel.stem)
        lines.append(f"- `{rel.as_posix()}` - {title} ({k} exercises)")
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(clean(nb), target)
        written.append(target)
    scope = f"Chapter {', '.join(chapter)}" if chapter else "The whole course"
    readme = STUDENT_README.format(scope=scope, n=len(written), k=n_ex,
                                   contents="\n".join(lines))
    tmp = out_dir / ".README.md.tmp"
    tmp.write_text(readme, encoding="utf-8")
    os.replace(tmp, out_dir / "README.md")
    return written


def _shown(path: Path) -> str:
    """A path for messages: relative to the course folder when inside it, else as given."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str]) -> int:
    usage = "usage: python -m labutils.nbtools {execute,lint,student} [ARGS]"
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    paths = [Path(a).resolve() for a in args] if cmd != "student" else []
    if cmd == "execute":
        slow = 0
        for p in paths or all_notebooks():
            secs = execute(p)
            flag = "" if secs <= TIME_BUDGET_S else f"  OVER the {TIME_BUDGET_S:.0f} s budget"
            slow += bool(flag)
            print(f"{secs:6.1f} s  {_shown(p)}{flag}", flush=True)
        return 1 if slow else 0
    if cmd == "lint":
        bad = 0
        for p in paths or all_notebooks():
            for problem in lint(p):
                bad += 1
                print(f"{_shown(p)}: {problem}")
        print("notebook conventions: " + ("clean" if not bad else f"{bad} problems"))
        return 1 if bad else 0
    if cmd == "student":
        chosen = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--chapter"]
        rest = [a for i, a in enumerate(args) if a != "--chapter"
                and (i == 0 or args[i - 1] != "--chapter")]
        if len(rest) != 1 or args.count("--chapter") != len(chosen):
            print("usage: python -m labutils.nbtools student OUT_DIR [--chapter CH ...]\n"
                  f"chapters: {', '.join(chapters())}", file=sys.stderr)
            return 2
        try:
            written = student_version(Path(rest[0]), chapter=chosen or None)
        except (ValueError, FileExistsError) as exc:
            print(exc, file=sys.stderr)
            return 2
        for t in written:
            print(t)
        print(f"{len(written)} notebooks and README.md written to {rest[0]}")
        return 0
    print(f"unknown command {cmd!r}; valid: execute, lint, student\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
