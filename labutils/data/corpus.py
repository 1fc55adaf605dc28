"""Text corpora for language models, split into training and validation sets by document.

A language model needs far more text than the course notes (12.7k characters) or it only
memorises. ``load_corpus("fine_foods")`` gives 5,000 real English product reviews (about
1.95 MB, McAuley and Leskovec 2013, hash-checked, offline), training on the publisher's
4,000 training reviews and validating on its 1,000 test reviews: a split by document
(and by product), so no sentence of a validation review was seen in training.
``load_corpus("python_stdlib")`` is a second domain every learner has: the source of a fixed
list of pure-Python modules of the installed standard library (PSF license), split by a hash
of each file's name — the "new domain" for fine-tuning. Its exact bytes depend on the Python
version, so numbers computed from it vary slightly between installations.
"""

from __future__ import annotations

import sysconfig
import zlib
from dataclasses import dataclass
from pathlib import Path

from labutils._validate import check_choice, fraction

# Pure-Python modules present, with these paths, in CPython 3.11 to 3.13.
STDLIB_MODULES = (
    "argparse.py", "ast.py", "base64.py", "bisect.py", "calendar.py", "configparser.py",
    "contextlib.py", "copy.py", "csv.py", "dataclasses.py", "difflib.py", "enum.py",
    "fnmatch.py", "fractions.py", "functools.py", "getopt.py", "gettext.py", "glob.py",
    "gzip.py", "heapq.py", "inspect.py", "ipaddress.py", "json/decoder.py",
    "json/encoder.py", "logging/__init__.py", "logging/handlers.py", "mailbox.py",
    "numbers.py", "operator.py", "optparse.py", "pathlib.py", "pprint.py", "queue.py",
    "random.py", "sched.py", "secrets.py", "selectors.py", "shlex.py", "shutil.py",
    "socket.py", "statistics.py", "string.py", "subprocess.py", "tarfile.py",
    "tempfile.py", "textwrap.py", "threading.py", "tokenize.py", "traceback.py",
    "typing.py", "uuid.py", "warnings.py", "weakref.py", "zipfile.py",
)

CORPORA = {
    "fine_foods": ("Amazon fine-food reviews (McAuley and Leskovec 2013, SNAP web-FineFoods) "
                   "via R modeldata", "modeldata MIT (reviews: SNAP terms of use)"),
    "python_stdlib": ("CPython standard library source, installed with Python",
                      "Python Software Foundation License 2.0"),
}


@dataclass(frozen=True)
class Corpus:
    """A corpus split by document: ``train`` and ``val`` are lists of document strings."""

    name: str
    train: list[str]
    val: list[str]
    source: str
    license: str

    def text(self, split: str = "train", separator: str = "\n\n") -> str:
        """The documents of ``split`` ("train" or "val") joined by ``separator``."""
        check_choice("split", split, ("train", "val"))
        return separator.join(self.train if split == "train" else self.val)

    def n_bytes(self, split: str = "train") -> int:
        """UTF-8 size of ``split``'s documents (separators not counted)."""
        check_choice("split", split, ("train", "val"))
        return sum(len(d.encode("utf-8")) for d in (self.train if split == "train" else self.val))

    def __repr__(self) -> str:
        return (f"Corpus({self.name!r}: train {len(self.train):,} documents, "
                f"{self.n_bytes('train'):,} bytes; val {len(self.val):,} documents, "
                f"{self.n_bytes('val'):,} bytes)")


def _stdlib_files() -> list[tuple[str, Path]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return [(name, root / name) for name in STDLIB_MODULES if (root / name).is_file()]


def load_corpus(name: str = "fine_foods", *, val_fraction: float = 0.1) -> Corpus:
    """Load corpus ``name`` (one of ``CORPORA``) split by document into train and validation.

    ``fine_foods`` uses the publisher's product-disjoint split (4,000 / 1,000 reviews;
    ``val_fraction`` does not apply). ``python_stdlib`` puts a file in validation when the
    CRC-32 of its name falls in the lowest ``val_fraction`` of the range, so the split does
    not depend on file order or on which other files exist.
    """
    check_choice("name", name, tuple(CORPORA))
    val_fraction = fraction("val_fraction", val_fraction)
    source, license_ = CORPORA[name]
    if name == "fine_foods":
        from labutils.data.text import load_fine_foods

        train, test = load_fine_foods()
        return Corpus(name, [str(t) for t in train["review"]], [str(t) for t in test["review"]],
                      source, license_)
    train_docs: list[str] = []
    val_docs: list[str] = []
    for key, path in _stdlib_files():
        doc = path.read_text(encoding="utf-8")
        in_val = zlib.crc32(key.encode()) / 2**32 < val_fraction
        (val_docs if in_val else train_docs).append(doc)
    return Corpus(name, train_docs, val_docs, source, license_)
