"""Chapter 6, notebook 06 (save, restore, deploy) exercises: read the Keras version stored in
a ``.keras`` file, and count the bytes of an int8-quantized stack of Dense layers. Ids are
``"06.06.<name>"``. The version checker writes its own small ``.keras``-like archives (zip
files with a ``metadata.json``) into a temporary folder; the size checker also compares the
learner's formula with the variables of a real Keras model after ``quantize("int8")``.
"""

from __future__ import annotations

import json
import tempfile
import warnings
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

from labutils.checks import CheckResult, check_function, check_value, diagnose, not_yet, register

# --- keras_version_of ------------------------------------------------------------------------

_VERSIONS = ("3.15.1", "3.1.0", "2.15.0")


def _write_archive(folder: Path, version: str) -> Path:
    path = folder / f"model-{version}.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": version,
                                                      "date_saved": "2024-01-01@00:00:00"}))
        archive.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
    return path


def _version_reference(path: Any) -> str:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("metadata.json"))["keras_version"]


@register("keras_version_of", "the Keras version in a .keras file's metadata.json")
def _check_keras_version_of(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    with tempfile.TemporaryDirectory(prefix="lml-check-") as tmp:
        paths = [_write_archive(Path(tmp), v) for v in _VERSIONS]
        try:
            if fn(paths[0]) is None:
                return not_yet(name)
        except Exception:  # reported with its input by check_function below
            pass
        # Both a Path and a str must work: learners get either from their own code.
        cases = [(p,) for p in paths] + [(str(paths[1]),)]
        return check_function(
            fn, _version_reference, cases, name=name,
            hint="open the file with zipfile.ZipFile(path), read the member 'metadata.json', "
                 "parse it with json.loads and return its 'keras_version' entry (a string "
                 "such as '3.15.1'), not the running keras.__version__.")


# --- int8_dense_bytes ------------------------------------------------------------------------

_SIZES = [([64, 64, 10],), ([784, 128, 10],), ([8, 1],), ([32, 16, 16, 4],)]


def _int8_bytes(sizes: list[int]) -> int:
    return sum(i * o + 4 * o + 4 * o for i, o in pairwise(sizes))


def _no_scales(sizes: list[int]) -> int:
    return sum(i * o + 4 * o for i, o in pairwise(sizes))


def _fp32(sizes: list[int]) -> int:
    return sum(4 * i * o + 4 * o for i, o in pairwise(sizes))


def _kernel4_scales(sizes: list[int]) -> int:
    return sum(4 * i * o + 8 * o for i, o in pairwise(sizes))


_SLIPS = [
    (_no_scales, "you left out one float32 vector per layer: the quantized layer keeps both "
                 "the bias and a per-output-unit scale (4 bytes each per unit)."),
    (_fp32, "that is the float32 size: after quantization each kernel entry takes 1 byte."),
    (_kernel4_scales, "kernel entries are int8, 1 byte each, not 4."),
]


def _keras_int8_bytes(sizes: list[int]) -> int:
    """Bytes of the variables of a real Dense stack after ``quantize('int8')``."""
    import keras

    layers = [keras.Input((sizes[0],))] + [keras.layers.Dense(n) for n in sizes[1:]]
    model = keras.Sequential(layers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "InputLayer does not have a quantize method"
        model.quantize("int8")
    return int(sum(v.numpy().nbytes for v in model.weights))


@register("int8_dense_bytes", "bytes of an int8-quantized Dense stack: kernel + bias + scale")
def _check_int8_dense_bytes(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        if fn([64, 64, 10]) is None:
            return not_yet(name)
    except Exception:  # reported with its input by check_function below
        pass
    hint = diagnose(fn, _SIZES, _SLIPS,
                    "per Dense layer with n_in inputs and n_out units: n_in * n_out bytes of "
                    "int8 kernel, plus n_out * 4 bytes of float32 bias and n_out * 4 bytes of "
                    "float32 scale; sum over consecutive pairs of layer_sizes.")
    result = check_function(fn, _int8_bytes, _SIZES, name=name, atol=0, rtol=0, hint=hint)
    if not result:
        return result
    # The formula is right; now the real thing, so the learner sees Keras agree.
    real = _keras_int8_bytes([64, 64, 10])
    agree = check_value(fn([64, 64, 10]), real, name=name, atol=0, rtol=0,
                        hint="your formula disagrees with the variables Keras creates.")
    if not agree:
        return agree
    return CheckResult(name, True, f"agrees with the reference on {len(_SIZES)} inputs and with "
                                   f"a real Keras model after quantize('int8'): {real:,} bytes "
                                   "for [64, 64, 10].")
