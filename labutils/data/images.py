"""Image datasets: scikit-learn's bundled digits (always offline) and MNIST / Fashion-MNIST.

MNIST-style files are fetched once with :mod:`pooch`, which downloads into a temporary file
beside the target and moves it into place only after its sha256 matches the registry. A file
already in the cache is hashed before use and never overwritten: if it is corrupt, the error
says so and the learner decides what to delete. With no network the loader raises
:class:`DatasetUnavailableError` - unless the caller explicitly passed ``fallback="digits"``,
in which case it warns and returns the digits instead. It never switches silently.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from labutils._validate import check_choice
from labutils.data.errors import (
    DataIntegrityError,
    DatasetFallbackWarning,
    DatasetUnavailableError,
)
from labutils.data.registry import check_rows, load_registry, packaged_file, verify_file

MNIST_KINDS = ("mnist", "fashion")
FALLBACKS = (None, "digits")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
_PARTS = {  # role -> file name, identical for MNIST and Fashion-MNIST
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


class ImageData(NamedTuple):
    """A train/test image dataset. ``x_*`` has shape (n, height, width); ``y_*`` holds int64
    class ids; ``source`` names what was actually loaded ("mnist", "fashion" or "digits")."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str


def load_digits(*, as_images: bool = False, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8 pixels, classes 0-9), always offline.

    Returns ``(x, y)``: ``x`` is float32 of shape (1797, 64), or (1797, 8, 8) with
    ``as_images=True``; pixel values are scaled from 0..16 to 0..1 unless ``scale=False``.
    ``y`` is int64. The file inside scikit-learn is checked against the registry first.
    """
    from sklearn import datasets

    path, entry, hashed = packaged_file("digits")
    x, y = datasets.load_digits(return_X_y=True)
    if not hashed:
        check_rows("digits", len(y), entry, path)
    x = x.astype(np.float32)
    if scale:
        x /= 16.0
    if as_images:
        x = x.reshape(-1, 8, 8)
    return x, y.astype(np.int64)


def _digits_as_image_data() -> ImageData:
    """Digits split 80/20 (stratified, seed 0) into the same shape of record as MNIST."""
    from sklearn.model_selection import train_test_split

    x, y = load_digits(as_images=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=360, stratify=y, random_state=0)
    return ImageData(x_tr, y_tr, x_te, y_te, tuple(str(i) for i in range(10)), "digits")


def default_cache_dir() -> Path:
    """Where downloads are kept: ``$LABUTILS_CACHE_DIR`` or the OS cache folder."""
    override = os.environ.get("LABUTILS_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    import pooch

    return Path(pooch.os_cache("large-models-lab"))


def read_idx(path: str | Path) -> np.ndarray:
    """Parse a (gzipped) IDX file, the simple binary format MNIST is distributed in.

    The header is two zero bytes, a type code (0x08 = unsigned byte), the number of
    dimensions, then one big-endian uint32 per dimension; the data follow in C order.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header promises shape {shape}, file holds {data.size} bytes")
    return data.reshape(shape).copy()  # frombuffer views are read-only; callers may edit


def _unavailable_message(kind: str, cache: Path, reason: str) -> str:
    return (
        f"{kind} is not available offline and the download failed ({reason}). Ways out: "
        f"(1) connect to the internet once and call load_mnist(kind={kind!r}) again - the "
        f"files are cached in {cache}; (2) copy the four official .gz files "
        f"({', '.join(_PARTS.values())}) into {cache} by hand; or (3) call "
        f"load_mnist(kind={kind!r}, fallback='digits') to use scikit-learn's bundled 8x8 "
        f"digits instead (a different, smaller dataset)."
    )


def _fetch(kind: str, name: str, cache: Path, downloader: object | None = None) -> Path:
    """Return a verified local copy of one file, downloading it with pooch if absent."""
    spec = load_registry()["downloads"][kind]
    entry = spec["files"][name]
    target = cache / name
    fix = (f"delete {target} (it is not the official file) and load again to re-download, "
           f"or replace it with a good copy")
    if target.exists():  # never overwrite what is already there: verify it instead
        return verify_file(target, entry["sha256"], entry.get("bytes"), fix=fix)
    if os.environ.get("LABUTILS_OFFLINE") == "1":
        raise DatasetUnavailableError(_unavailable_message(kind, cache, "LABUTILS_OFFLINE=1"))
    import pooch

    errors = []
    for base in spec["mirrors"]:
        try:
            pooch.retrieve(base + name, known_hash=f"sha256:{entry['sha256']}", fname=name,
                           path=cache, downloader=downloader or pooch.HTTPDownloader(timeout=15),
                           progressbar=False)
            return target
        except ValueError as exc:  # pooch: hash mismatch; the temp file was discarded
            got = re.search(r"but got ([0-9a-f]{64})", str(exc))
            raise DataIntegrityError(
                target, entry["sha256"], got.group(1) if got else "(unknown)",
                "the download was rejected and nothing was written; try again later, from "
                "another network, or copy the official file into the cache by hand",
                detail="downloaded bytes differ from the official file") from exc
        except Exception as exc:  # requests/OS errors: no network, DNS, timeout, HTTP 4xx/5xx
            errors.append(f"{base}: {type(exc).__name__}")
    raise DatasetUnavailableError(_unavailable_message(kind, cache, "; ".join(errors)))


def load_mnist(kind: str = "mnist", *, fallback: str | None = None,
               cache_dir: str | Path | None = None, scale: bool = True,
               downloader: object | None = None) -> ImageData:
    """MNIST (handwritten digits) or Fashion-MNIST (clothing), 60,000 train + 10,000 test
    images of 28x28 pixels, downloaded once and cached.

    ``kind`` is "mnist" or "fashion". ``x`` is float32 in 0..1 (uint8 0..255 with
    ``scale=False``); ``y`` is int64. Offline and not cached: raises
    :class:`DatasetUnavailableError`, or with ``fallback="digits"`` warns
    (:class:`DatasetFallbackWarning`) and returns the 8x8 digits; check ``result.source``.
    ``downloader`` is passed to pooch (tests use it to avoid the network).
    """
    check_choice("kind", kind, MNIST_KINDS)
    check_choice("fallback", fallback, FALLBACKS)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cache = cache / kind
    try:
        paths = {role: _fetch(kind, name, cache, downloader) for role, name in _PARTS.items()}
    except DatasetUnavailableError as exc:
        if fallback is None:
            raise
        warnings.warn(f"{kind} unavailable, so returning scikit-learn's 8x8 digits as you "
                      f"asked (fallback='digits'); images are 8x8, not 28x28. Reason: {exc}",
                      DatasetFallbackWarning, stacklevel=2)
        return _digits_as_image_data()
    arrays = {role: read_idx(p) for role, p in paths.items()}
    x_train, x_test = arrays["x_train"], arrays["x_test"]
    if scale:
        x_train = x_train.astype(np.float32) / 255.0
        x_test = x_test.astype(np.float32) / 255.0
    names = FASHION_CLASSES if kind == "fashion" else tuple(str(i) for i in range(10))
    return ImageData(x_train, arrays["y_train"].astype(np.int64), x_test,
                     arrays["y_test"].astype(np.int64), names, kind)
