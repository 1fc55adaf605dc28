"""Build the course book (Jupyter Book 1.x) and look at it in a real browser, offline.

``python -m labutils.book build [--out DIR]`` is what ``python3 run.py book`` runs: the whole
course from the notebooks' stored outputs, with warnings turned into errors (a broken link or a
notebook missing from the table of contents fails the build). MathJax is served from the built
site (``sphinx-mathjax-offline``), so formulas render with no network. :func:`render` opens a
built page in headless Chromium, by default inside a new network namespace (no network at
all), waits for MathJax, and reports what a reader would see - the title, the navigation links,
typeset formulas, raw TeX left over, images that loaded - through a small probe script added to
a temporary copy of the page; it can also save a screenshot.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from labutils._validate import check_instance

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

_PROBE = """
<script>
window.addEventListener('load', function () {
  function report() {
    var clone = document.body.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight')
         .forEach(function (e) { e.remove(); });
    var text = clone.textContent || '';
    var imgs = Array.prototype.slice.call(document.images);
    var result = {
      title: document.title,
      nav_links: document.querySelectorAll('.bd-sidebar-primary a, nav.bd-links a').length,
      mathjax: document.querySelectorAll('mjx-container').length,
      raw_tex: (text.match(/\\\\\\(|\\\\\\[|\\$\\$/g) || []).length,
      images: imgs.length,
      images_loaded: imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length
    };
    var out = document.createElement('div');
    out.id = 'labutils-probe';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(report, report);
  } else { report(); }
});
</script>
"""


def build_command(output: str | Path, *, strict: bool = True) -> list[str]:
    """The ``jupyter-book build`` command line for the whole course into ``output`` (the site
    lands in ``output/_build/html``). ``strict`` adds ``-W --keep-going``: every warning is
    reported, then the build fails."""
    jb = Path(sys.executable).parent / ("jupyter-book.exe" if os.name == "nt" else "jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--config", str(ROOT / "book" / "_config.yml"),
           "--toc", str(ROOT / "book" / "_toc.yml"), "--path-output", str(output)]
    return cmd + (["-W", "--keep-going"] if strict else [])


def build(output: str | Path, *, strict: bool = True,
          capture: bool = True) -> subprocess.CompletedProcess:
    """Build the book into ``output`` and return the finished process (``returncode`` 0 on
    success; ``stdout`` holds the log when ``capture``)."""
    check_instance("output", output, (str, Path), "a path")
    return subprocess.run(build_command(output, strict=strict), cwd=ROOT, text=True,
                          capture_output=capture, check=False)


def find_browser() -> str | None:
    """Path of a Chromium-family browser on PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def can_cut_network() -> bool:
    """True if this process may start a program in a new, empty network namespace
    (``unshare -n``: root, or unprivileged user namespaces allowed)."""
    if shutil.which("unshare") is None:
        return False
    ok = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ok.returncode == 0


def _browser_command(browser: str, offline: bool) -> list[str]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             "--virtual-time-budget=20000", "--window-size=1280,1600"]
    if offline:
        # Belt and braces: no network namespace at all, and no proxy or DNS to reach out with.
        flags += ["--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
        return ["unshare", "-n", browser, *flags]
    return [browser, *flags]


def render(page: str | Path, *, screenshot: str | Path | None = None, offline: bool = True,
           browser: str | None = None, timeout: float = 120.0) -> dict[str, Any]:
    """Open the built ``page`` (an ``.html`` file) in headless Chromium, wait for MathJax and
    return the probe's findings: ``title``, ``nav_links``, ``mathjax`` (typeset formulas),
    ``raw_tex`` (``\\(``, ``\\[`` or ``$$`` left in the text), ``images`` and ``images_loaded``.
    ``offline=True`` runs the browser with no network (see :func:`can_cut_network`);
    ``screenshot`` saves a PNG of the first 1280x1600 pixels.
    """
    page = Path(page)
    if not page.is_file() or page.suffix != ".html":
        raise FileNotFoundError(f"no built page at {page}: build the book first "
                                "(python3 run.py book)")
    browser = browser or find_browser()
    if browser is None:
        raise RuntimeError("no Chromium found: install it (Debian/Ubuntu: apt-get install "
                           "chromium)")
    if offline and not can_cut_network():
        raise RuntimeError("cannot start a program without network here (unshare -n failed); "
                           "pass offline=False to use the browser's own offline flags only")
    html = page.read_text(encoding="utf-8")
    probe_html = re.sub(r"</body>", lambda m: _PROBE + m.group(0), html, count=1, flags=re.I)
    fd, probe_name = tempfile.mkstemp(prefix=".probe-", suffix=".html", dir=page.parent)
    probe = Path(probe_name)
    with tempfile.TemporaryDirectory() as profile:
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(probe_html)
            base = _browser_command(browser, offline) + [f"--user-data-dir={profile}"]
            dom = subprocess.run(base + ["--dump-dom", probe.as_uri()], capture_output=True,
                                 text=True, timeout=timeout, check=False)
            if screenshot is not None:
                subprocess.run(base + [f"--screenshot={Path(screenshot).resolve()}",
                                       page.as_uri()],
                               capture_output=True, timeout=timeout, check=False)
        finally:
            probe.unlink(missing_ok=True)
    found = re.search(r'<div id="labutils-probe"[^>]*>(.*?)</div>', dom.stdout, flags=re.S)
    if found is None:
        raise RuntimeError(f"the browser gave no probe result for {page.name} "
                           f"(exit {dom.returncode}): {dom.stderr.strip()[-400:]}")
    text = found.group(1).replace("&quot;", '"').replace("&amp;", "&")
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    """``python -m labutils.book build [--out DIR] [--no-strict]``."""
    parser = argparse.ArgumentParser(prog="python -m labutils.book", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the book (warnings are errors)")
    b.add_argument("--out", default=str(ROOT / "book"),
                   help="output folder; the site lands in OUT/_build/html (default: book)")
    b.add_argument("--no-strict", action="store_true", help="do not fail on warnings")
    args = parser.parse_args(argv)
    done = build(args.out, strict=not args.no_strict, capture=False)
    if done.returncode == 0:
        print(f"book built: {Path(args.out).resolve() / '_build' / 'html' / 'index.html'}")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
