"""The book: it builds offline with no warnings, every notebook appears with its stored outputs,
MathJax is served from the site, internal links resolve, and - in headless Chromium with the
network cut off - the pages a reader opens first show their title, navigation, typeset formulas
and loaded plots. The build runs once per session (about 20-40 s); the browser tests skip with
the reason when no Chromium is installed (``.ci/run`` installs it where apt is available)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from labutils import book, nbtools

pytest.importorskip("jupyter_book", reason="the book extra is not installed (pip install .[book])")

# A page of each kind a reader opens first: the landing page, a math-heavy page, a page of plots.
PAGES = {"home": "book/intro.html",
         "math": "notebooks/03_math/04_backpropagation.html",
         "plots": "notebooks/06_faq/01_overfitting.html"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    done = book.build(out)
    log = (done.stdout or "") + (done.stderr or "")
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert done.returncode == 0, "book build failed:\n" + "\n".join(warnings or [log[-3000:]])
    return out / "_build" / "html"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.refs.append(a["href"])
        if tag in {"img", "link"} and (a.get("src") or a.get("href")):
            self.refs.append(a.get("src") or a.get("href"))
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
            self.refs.append(a["src"])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_notebook_is_a_page_with_its_stored_outputs(site: Path) -> None:
    for nb_path in nbtools.all_notebooks():
        rel = nb_path.relative_to(nbtools.ROOT).with_suffix(".html")
        page = site / rel
        assert page.exists(), f"{rel} missing from the book"
        nb = nbformat.read(nb_path, as_version=4)
        n_png = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
        n_img = page.read_text(encoding="utf-8").count("<img ")
        assert n_img >= n_png, f"{rel}: {n_png} stored plots but only {n_img} images"


def test_math_is_served_from_the_site_not_a_cdn(site: Path) -> None:
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    scripts = _parse(site / PAGES["math"]).scripts
    assert any("_static/mathjax/tex-chtml.js" in s for s in scripts), scripts
    remote = [s for p in site.rglob("*.html") for s in _parse(p).scripts
              if urlparse(s).scheme in {"http", "https"}]
    assert remote == [], f"pages load scripts from the network: {sorted(set(remote))[:5]}"


def test_internal_links_resolve(site: Path) -> None:
    broken = []
    for page in site.rglob("*.html"):
        if page.relative_to(site).parts[0] == "_static":
            continue  # the theme's Jinja templates, not pages
        for ref in _parse(page).refs:
            url = urlparse(ref)
            if url.scheme or ref.startswith(("#", "mailto:", "data:")) or not url.path:
                continue
            target = (page.parent / unquote(url.path)).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {ref}")
    assert broken == [], "broken links:\n" + "\n".join(broken[:20])


def test_landing_page_gives_the_two_commands_and_the_chapter_map(site: Path) -> None:
    text = re.sub(r"<[^>]+>", "", (site / PAGES["home"]).read_text(encoding="utf-8"))
    text = re.sub(r"\s+", " ", text)  # code blocks wrap each token in its own <span>
    assert "python3 run.py lab" in text and "python3 run.py test" in text
    for section in ("背景", "核心概念与联系", "具体代码实例", "常见问题与解答"):
        assert section in text


def test_the_probe_sees_raw_tex_and_broken_images(tmp_path: Path) -> None:
    """The browser check can fail: a page whose formula was never typeset and whose image is
    missing is reported as such."""
    if book.find_browser() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    page = tmp_path / "bad.html"
    page.write_text("<html><head><title>t</title></head><body><p>\\(x^2\\)</p>"
                    "<img src='missing.png'></body></html>", encoding="utf-8")
    seen = book.render(page, offline=book.can_cut_network())
    assert seen["raw_tex"] >= 1 and seen["mathjax"] == 0
    assert seen["images"] == 1 and seen["images_loaded"] == 0


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_pages_render_offline_in_a_real_browser(site: Path, kind: str, tmp_path: Path) -> None:
    if book.find_browser() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    if not book.can_cut_network():
        pytest.skip("cannot cut the network here (unshare -n is not permitted)")
    shot = tmp_path / f"{kind}.png"
    seen = book.render(site / PAGES[kind], screenshot=shot, offline=True)
    assert "Large Models Lab" in seen["title"]
    assert seen["nav_links"] >= 10, seen  # the chapter navigation is there
    assert seen["raw_tex"] == 0, seen
    if kind == "math":
        assert seen["mathjax"] >= 20, seen  # MathJax ran with no network and typeset the page
    if kind == "plots":
        assert seen["images"] >= 3 and seen["images_loaded"] == seen["images"], seen
    assert shot.exists() and shot.stat().st_size > 20_000  # a real screenshot, not a blank


def test_every_widget_has_a_static_figure_beside_it() -> None:
    """A widget needs a live kernel; the book (and a notebook opened without one) shows its
    stored static figure instead, so every widget output is followed within two code cells by
    a stored plot."""
    widget_mime = "application/vnd.jupyter.widget-view+json"
    for nb_path in nbtools.all_notebooks():
        nb = nbformat.read(nb_path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        for i, cell in enumerate(code):
            if any(widget_mime in o.get("data", {}) for o in cell.get("outputs", [])):
                near = code[i:i + 3]
                assert any("image/png" in o.get("data", {}) for c in near
                           for o in c.get("outputs", [])), \
                    f"{nb_path.name}: widget in code cell {i} has no static figure beside it"
