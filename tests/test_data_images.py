"""Digits, MNIST download path (simulated, never the real network), offline fallback."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import socket
import struct

import numpy as np
import pytest

from labutils.data import (
    DataIntegrityError,
    DatasetFallbackWarning,
    DatasetUnavailableError,
    load_dataset,
    registry,
)
from labutils.data.images import load_digits, load_mnist, read_idx

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array in the gzipped IDX format (header + data)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to resolve or connect fails, as on a machine with the cable pulled."""
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (simulated by the test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("LABUTILS_OFFLINE", raising=False)


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Tiny valid IDX files, and a data/ copy whose registry lists their hashes."""
    rng = np.random.default_rng(0)
    files = {NAMES[0]: idx_bytes(rng.integers(0, 256, (6, 28, 28))),
             NAMES[1]: idx_bytes(np.arange(6) % 10),
             NAMES[2]: idx_bytes(rng.integers(0, 256, (3, 28, 28))),
             NAMES[3]: idx_bytes(np.array([7, 2, 1]))}
    data = tmp_path / "data"
    shutil.copytree(registry.data_dir(), data)
    reg = json.loads((data / "registry.json").read_text())
    reg["downloads"]["mnist"]["files"] = {
        n: {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)} for n, b in files.items()}
    (data / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setenv("LABUTILS_DATA_DIR", str(data))
    monkeypatch.delenv("LABUTILS_OFFLINE", raising=False)
    return files


def serve(files, calls=None, corrupt=False):
    """A pooch downloader that writes our bytes instead of using the network."""
    def download(url, output_file, pooch_obj):
        name = url.rsplit("/", 1)[1]
        if calls is not None:
            calls.append(name)
        payload = files[name][:-5] if corrupt else files[name]
        with open(output_file, "wb") as fh:
            fh.write(payload)
    return download


def test_digits_shapes_dtypes_and_scaling():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    images, _ = load_digits(as_images=True, scale=False)
    assert images.shape == (1797, 8, 8) and images.max() == 16.0
    xd, yd = load_dataset("digits")
    assert np.array_equal(xd, x) and np.array_equal(yd, y)


def test_offline_raises_clear_error_and_writes_nothing(tmp_path, no_network):
    with pytest.raises(DatasetUnavailableError) as err:
        load_mnist(cache_dir=tmp_path)
    msg = str(err.value)
    assert "fallback='digits'" in msg and str(tmp_path / "mnist") in msg
    assert "connect to the internet once" in msg
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_offline_fallback_is_announced_never_silent(tmp_path, no_network):
    with pytest.warns(DatasetFallbackWarning, match="fallback='digits'"):
        data = load_mnist("fashion", fallback="digits", cache_dir=tmp_path)
    assert data.source == "digits"
    assert data.x_train.shape == (1437, 8, 8) and data.x_test.shape == (360, 8, 8)
    assert data.y_train.dtype == np.int64
    assert np.bincount(data.y_test).min() >= 35  # stratified


def test_offline_env_switch_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("LABUTILS_OFFLINE", "1")
    with pytest.raises(DatasetUnavailableError, match="LABUTILS_OFFLINE=1"):
        load_dataset("mnist", cache_dir=tmp_path)


def test_download_verifies_then_caches(tmp_path, fake_mnist):
    tmp_path = tmp_path / "cache"
    calls: list[str] = []
    data = load_mnist(cache_dir=tmp_path, downloader=serve(fake_mnist, calls))
    assert sorted(calls) == sorted(NAMES)
    assert data.source == "mnist" and data.class_names[0] == "0"
    assert data.x_train.shape == (6, 28, 28) and data.x_train.dtype == np.float32
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.y_test.tolist() == [7, 2, 1] and data.y_train.dtype == np.int64
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(NAMES)
    raw = load_mnist(cache_dir=tmp_path, scale=False, downloader=serve(fake_mnist, calls))
    assert len(calls) == 4  # second call used the verified cache
    assert raw.x_train.dtype == np.uint8
    assert np.allclose(raw.x_train / 255.0, data.x_train)


def test_bad_download_is_rejected_and_not_moved_into_place(tmp_path, fake_mnist):
    cache = tmp_path / "cache"
    with pytest.raises(DataIntegrityError) as err:
        load_mnist(cache_dir=cache, downloader=serve(fake_mnist, corrupt=True))
    assert "nothing was written" in str(err.value)
    assert len(err.value.actual) == 64
    assert [p for p in cache.rglob("*") if p.is_file()] == []  # temp file removed too


def test_corrupt_cached_file_is_reported_and_never_overwritten(tmp_path, fake_mnist):
    cache = tmp_path / "mnist"
    cache.mkdir()
    users_file = cache / NAMES[0]
    users_file.write_bytes(b"my own bytes")
    with pytest.raises(DataIntegrityError, match="truncated") as err:
        load_mnist(cache_dir=tmp_path, downloader=serve(fake_mnist))
    assert str(users_file) in str(err.value) and "delete" in str(err.value)
    assert users_file.read_bytes() == b"my own bytes"


def test_argument_validation():
    with pytest.raises(ValueError, match="kind must be one of"):
        load_mnist("cifar")
    with pytest.raises(ValueError, match="fallback must be one of"):
        load_mnist(fallback="iris")
    with pytest.raises(ValueError, match="already sets"):
        load_dataset("mnist", kind="fashion")


def test_read_idx_rejects_garbage(tmp_path):
    bad = tmp_path / "x.gz"
    bad.write_bytes(gzip.compress(b"\x01\x02\x03\x04rest"))
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)
    short = tmp_path / "y.gz"
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"abc"))
    with pytest.raises(ValueError, match="header promises"):
        read_idx(short)


def test_official_hashes_are_registered():
    downloads = registry.load_registry()["downloads"]
    assert downloads["mnist"]["files"][NAMES[0]]["sha256"].startswith("440fcabf73cc546f")
    assert downloads["fashion"]["files"][NAMES[0]]["sha256"].startswith("3aede38d61863908")
    for spec in downloads.values():
        assert sorted(spec["files"]) == sorted(NAMES) and spec["license"]
        assert all(len(f["sha256"]) == 64 for f in spec["files"].values())
