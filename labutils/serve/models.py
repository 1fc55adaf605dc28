"""Find and load the models to serve: ``.keras`` files and SavedModel folders.

``resolve_sources`` checks the command-line paths without importing TensorFlow (so a typo or
a legacy ``.h5`` file is refused in a fraction of a second) and names each model after its
file or folder. ``load_source`` then builds ``ServedModel`` records: a ``.keras`` file is
loaded with ``labutils.io.load_model`` (safe mode) and wrapped in a ``tf.function`` whose input
signature has a free batch dimension, so every request runs one compiled graph rather than
``model.predict``; a SavedModel from ``model.export()`` is loaded with
``tf.saved_model.load`` and its ``serving_default`` concrete function is called directly.
Input names, output names (``output_0``...) and metadata follow what TensorFlow Serving
reports for the same model exported with ``model.export()``.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labutils.serve.signature import (
    DEFAULT_SIGNATURE,
    PREDICT_METHOD,
    RequestError,
    ServedModel,
    Signature,
    TensorInfo,
)

__all__ = ["Source", "resolve_sources", "load_source", "warm_up"]

log = logging.getLogger("labutils.serve")

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_LEGACY = (".h5", ".hdf5")


@dataclass(frozen=True)
class Source:
    """A model to serve: its URL name, ``kind`` ("keras" or "savedmodel") and one path per
    version (``{"1": path}``; a folder of numbered SavedModels gives several)."""

    name: str
    kind: str
    versions: dict[str, Path]


def _versions_of(folder: Path) -> dict[str, Path]:
    """``{"1": folder}`` for a SavedModel folder, or its numbered SavedModel sub-folders."""
    if (folder / "saved_model.pb").is_file():
        return {"1": folder}
    found = {str(int(p.name)): p for p in folder.iterdir()
             if p.is_dir() and p.name.isdigit() and (p / "saved_model.pb").is_file()}
    if not found:
        raise ValueError(f"{str(folder)!r} is a folder but not a SavedModel: it has no "
                         "'saved_model.pb' (nor numbered version folders holding one). Create "
                         "one with model.export('folder'), or pass a '.keras' file.")
    return dict(sorted(found.items(), key=lambda kv: int(kv[0])))


def resolve_sources(paths: list[str], name: str | None = None) -> list[Source]:
    """Check every model path (exists, a ``.keras`` file or a SavedModel folder) and name
    it; raises ``ValueError`` with the fix. Imports no TensorFlow."""
    if not paths:
        raise ValueError("give at least one MODEL: a '.keras' file or a SavedModel folder")
    if name is not None and len(paths) != 1:
        raise ValueError(f"--name can only be used with one MODEL; got {len(paths)} models "
                         f"({', '.join(paths)}). Each model is served under its file or "
                         "folder name; rename the files, or start one server per model.")
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        suffix = path.suffix.lower()
        if suffix in _LEGACY:
            raise ValueError(f"{raw!r} is a legacy HDF5 ('{suffix}') file, which labutils.serve "
                             "does not load: save the model as '.keras' with "
                             "labutils.io.save_model(model, 'model.keras'), or export a "
                             "SavedModel with model.export('folder').")
        if not path.exists():
            raise ValueError(f"no model file or folder at {raw!r} (relative paths start from "
                             f"{os.getcwd()!r}); give a '.keras' file or a SavedModel folder")
        if path.is_dir():
            kind, versions = "savedmodel", _versions_of(path)
            stem = path.resolve().name
        elif suffix == ".keras":
            if not zipfile.is_zipfile(path):
                raise ValueError(f"{raw!r} is not a valid .keras file (a .keras file is a zip "
                                 "archive); it may be truncated or in another format. Save the "
                                 "model again with labutils.io.save_model(model, path).")
            kind, versions, stem = "keras", {"1": path}, path.stem
        else:
            raise ValueError(f"{raw!r} is neither a '.keras' file nor a SavedModel folder; "
                             "save with labutils.io.save_model(model, 'model.keras') or "
                             "model.export('folder')")
        model_name = name if name is not None else stem
        if not _NAME.match(model_name):
            raise ValueError(f"model name {model_name!r} may only contain letters, digits, "
                             "'_', '-' and '.' (it becomes part of the URL); pass --name")
        if any(s.name == model_name for s in sources):
            raise ValueError(f"two models would both be served as {model_name!r}; rename one "
                             "of the files or start one server per model")
        sources.append(Source(model_name, kind, versions))
    return sources


def _info(key: str, dtype: Any, shape: Any, tensor_name: str) -> TensorInfo:
    """A ``TensorInfo`` from a TensorFlow dtype and shape."""
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2

    dt = tf.as_dtype(dtype)
    if dt == tf.string:
        np_dtype = np.dtype(object)
    else:
        np_dtype = np.dtype(dt.as_numpy_dtype)
    rank = tf.TensorShape(shape).rank
    dims = None if rank is None else tuple(tf.TensorShape(shape).as_list())
    return TensorInfo(key, types_pb2.DataType.Name(dt.as_datatype_enum), np_dtype, dims,
                      tensor_name)


def _check_inputs(inputs: dict[str, TensorInfo], where: str) -> None:
    """Refuse, at load time, inputs the JSON codec cannot feed (strings, etc.)."""
    for info in inputs.values():
        if info.np_dtype.kind not in "biuf":
            raise ValueError(f"{where}: input {info.key!r} has dtype {info.dtype}; labutils.serve "
                             "accepts numeric and boolean inputs only")


def _op_message(err: Exception) -> str:
    """The one line of a TensorFlow op error that says what was wrong (``indices[0,4] = 50
    is not in [0, 10)``), without the graph trace and file paths that surround it."""
    lines = [ln.strip() for ln in str(getattr(err, "message", err)).splitlines()]
    useful = [ln.split("[[{{node")[0].strip() for ln in lines
              if ln and not ln.startswith(("File ", "Detected at node", "Graph execution error",
                                           "[[{{node"))]
    useful = [ln for ln in useful if ln]
    return (useful[-1] if useful else "invalid argument")[:500]


def _wrap_call(fn: Any, *, kwargs: bool) -> Any:
    """``arrays -> arrays`` around a TensorFlow callable; TensorFlow's InvalidArgumentError
    (the model rejected these values) becomes a 400 ``RequestError``."""
    import tensorflow as tf

    def call(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the signature on NumPy arrays; returns NumPy arrays by output name."""
        try:
            out = fn(**arrays) if kwargs else fn(arrays)
        except (tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError) as err:
            raise RequestError(f"the model rejected the input: {_op_message(err)}") from None
        return {k: v.numpy() for k, v in out.items()}

    return call


def _load_keras(name: str, path: Path) -> ServedModel:
    """A ``.keras`` file as one ``serving_default`` signature around a ``tf.function``."""
    import tensorflow as tf

    from labutils.io import load_model

    model = load_model(path, compile=False)
    inputs = list(getattr(model, "inputs", None) or [])
    if not inputs:
        raise ValueError(f"{str(path)!r}: the model has no defined inputs (a subclassed model "
                         "that was never built?); build it with keras.Input, or export a "
                         "SavedModel with model.export('folder') and serve that")
    names = [t.name for t in inputs]
    specs = {n: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=n)
             for n, t in zip(names, inputs, strict=True)}
    as_dict = isinstance(getattr(model, "_inputs_struct", None), dict)

    def name_outputs(y: Any) -> dict[str, Any]:
        """Name outputs as ``model.export()`` does: ``output_0``, ... (dict keys kept)."""
        if isinstance(y, dict):
            return dict(y)
        if isinstance(y, list | tuple):
            return {f"output_{i}": t for i, t in enumerate(y)}
        return {"output_0": y}

    @tf.function(input_signature=[specs], autograph=False)
    def serve(arrays: dict[str, Any]) -> dict[str, Any]:
        """The compiled serving function: inputs by name in, outputs by name out."""
        if len(names) == 1:
            x: Any = arrays[names[0]]
        elif as_dict:
            x = dict(arrays)
        else:
            x = [arrays[n] for n in names]
        return name_outputs(model(x, training=False))

    concrete = serve.get_concrete_function()  # called directly: no dispatch per request
    traced = concrete.structured_outputs
    sig = Signature(
        DEFAULT_SIGNATURE,
        inputs={n: _info(n, s.dtype, s.shape, f"serving_default_{n}:0")
                for n, s in specs.items()},
        outputs={k: _info(k, t.dtype, t.shape, f"StatefulPartitionedCall:{i}")
                 for i, (k, t) in enumerate(traced.items())},
        call=_wrap_call(concrete, kwargs=False))
    _check_inputs(sig.inputs, str(path))
    return ServedModel(name, "1", str(path), {DEFAULT_SIGNATURE: sig},
                       {DEFAULT_SIGNATURE: sig.to_json()}, keepalive=[model, serve, concrete])


def _signature_defs_json(folder: Path) -> dict[str, Any]:
    """Every SignatureDef of the SavedModel's ``serve`` graph as TensorFlow Serving's JSON."""
    from google.protobuf import json_format
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((folder / "saved_model.pb").read_bytes())
    graphs = [g for g in proto.meta_graphs if "serve" in g.meta_info_def.tags]
    graph = graphs[0] if graphs else proto.meta_graphs[0]
    out: dict[str, Any] = {}
    for key, sdef in graph.signature_def.items():
        d = json_format.MessageToDict(sdef, preserving_proto_field_name=True,
                                      always_print_fields_with_no_presence=True)

        def order(infos: dict[str, Any]) -> dict[str, Any]:
            """Tensor infos with keys in TensorFlow Serving's order and a full tensor_shape."""
            first = ("dtype", "tensor_shape", "name")
            out = {k: {**{f: v[f] for f in first if f in v},
                       **{f: x for f, x in v.items() if f not in first}}
                   for k, v in infos.items()}
            for v in out.values():
                shape = v.get("tensor_shape", {})
                v["tensor_shape"] = {"dim": shape.get("dim", []),
                                     "unknown_rank": shape.get("unknown_rank", False)}
            return out

        out[key] = {"inputs": order(d.get("inputs", {})), "outputs": order(d.get("outputs", {})),
                    "method_name": d.get("method_name", ""), "defaults": d.get("defaults", {})}
    return out


def _load_saved_model(name: str, version: str, folder: Path) -> ServedModel:
    """A SavedModel: each predict signature calls its concrete function directly."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folder))
    defs = _signature_defs_json(folder)
    if DEFAULT_SIGNATURE not in loaded.signatures:
        raise ValueError(f"the SavedModel {str(folder)!r} has no {DEFAULT_SIGNATURE!r} signature "
                         f"(it has {sorted(loaded.signatures)}); export it with model.export()")
    sigs: dict[str, Signature] = {}
    for key, fn in loaded.signatures.items():
        method = defs.get(key, {}).get("method_name", PREDICT_METHOD)
        if method != PREDICT_METHOD:
            continue
        _, kw = fn.structured_input_signature
        names = {k: v.get("name", "") for k, v in defs.get(key, {}).get("inputs", {}).items()}
        onames = {k: v.get("name", "") for k, v in defs.get(key, {}).get("outputs", {}).items()}
        sigs[key] = Signature(
            key,
            inputs={k: _info(k, s.dtype, s.shape, names.get(k, f"{key}_{k}:0"))
                    for k, s in kw.items()},
            outputs={k: _info(k, s.dtype, s.shape, onames.get(k, ""))
                     for k, s in fn.structured_outputs.items()},
            call=_wrap_call(fn, kwargs=True))
        _check_inputs(sigs[key].inputs, str(folder))
    return ServedModel(name, version, str(folder), sigs, defs, keepalive=[loaded])


def load_source(source: Source) -> list[ServedModel]:
    """Load every version of ``source``; errors become ``ValueError`` naming the file."""
    out = []
    for version, path in source.versions.items():
        try:
            if source.kind == "keras":
                out.append(_load_keras(source.name, path))
            else:
                out.append(_load_saved_model(source.name, version, path))
        except (ValueError, FileNotFoundError):
            raise
        except Exception as err:  # TensorFlow raises many types for a damaged SavedModel
            raise ValueError(f"could not load {str(path)!r}: {type(err).__name__}: "
                             f"{str(err).strip().splitlines()[0][:300]}") from err
    return out


def warm_up(model: ServedModel) -> None:
    """Run each signature once on zeros (batch of one) so the first request does not pay
    for graph building; a failure is only logged (some models need real values)."""
    for sig in model.signatures.values():
        try:
            arrays = {k: np.zeros(tuple(1 if d is None else d for d in (i.shape or (1,))),
                                  dtype=i.np_dtype) for k, i in sig.inputs.items()}
            sig.call(arrays)
        except Exception as err:  # noqa: BLE001 - warm-up is best effort
            log.warning("warm-up of %s/%s failed (%s); serving anyway", model.name, sig.name, err)
