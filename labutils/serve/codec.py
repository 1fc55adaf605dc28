"""TensorFlow Serving's predict JSON <-> NumPy arrays, with errors that say what was expected.

A predict body is ``{"instances": ...}`` (row format: one entry per example, a dict per
example for named multi-input models) or ``{"inputs": ...}`` (columnar: one tensor, or a dict
of tensors by input name), plus an optional ``"signature_name"``. ``decode_predict`` turns it
into one array per input, checked against the signature (rectangular, numeric, finite, right
dtype and shape, non-empty); ``encode_predict`` turns the output arrays back into
``{"predictions": ...}`` or ``{"outputs": ...}``. Every problem raises ``RequestError``
(HTTP 400): a client mistake must never become a 5xx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from labutils.serve.signature import DEFAULT_SIGNATURE, RequestError, Signature, TensorInfo

__all__ = ["PredictRequest", "parse_body", "decode_predict", "encode_predict", "dump_json"]

_KEYS = ("signature_name", "instances", "inputs")
_EXAMPLE = '{"instances": [[1.0, 2.0, 3.0, 4.0]]}'


@dataclass
class PredictRequest:
    """A decoded predict call: the signature to run, one array per input, the number of
    rows (batch size) and whether the answer goes back in row format."""

    signature_name: str
    arrays: dict[str, np.ndarray]
    rows: int
    row_format: bool


def _no_constants(token: str) -> Any:
    """``json.loads`` hook for NaN/Infinity/-Infinity: refuse them."""
    raise RequestError(f"the JSON body contains {token}; only finite numbers are accepted "
                       "(NaN and Infinity are not valid model inputs here)")


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, refusing bad UTF-8, malformed JSON, the
    non-standard ``NaN``/``Infinity`` tokens and anything that is not an object."""
    if not body.strip():
        raise RequestError(f"the request body is empty; expected a JSON object such as {_EXAMPLE}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RequestError(f"the request body is not UTF-8 text ({err.reason} at byte "
                           f"{err.start}); expected a JSON object such as {_EXAMPLE}") from None
    try:
        doc = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as err:
        raise RequestError(f"malformed JSON: {err.msg} at line {err.lineno} column {err.colno}; "
                           f"expected a JSON object such as {_EXAMPLE}") from None
    except RecursionError:
        raise RequestError("the JSON body is nested too deeply") from None
    except ValueError as err:  # e.g. an integer literal of more than 4300 digits
        raise RequestError(f"unreadable JSON: {err}") from None
    if not isinstance(doc, dict):
        raise RequestError(f"the JSON body must be an object with 'instances' or 'inputs'; got "
                           f"a {_json_type(doc)}; for example {_EXAMPLE}")
    return doc


def _json_type(value: Any) -> str:
    """The JSON type name of a parsed value, for error messages."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _dims(shape: tuple[int, ...]) -> str:
    """A concrete shape as ``[2, 3]``."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _has_bool(value: Any) -> bool:
    """True if a nested list holds a JSON true/false (NumPy would read them as 1/0)."""
    if isinstance(value, bool):
        return True
    return isinstance(value, list) and any(_has_bool(v) for v in value)


def _to_array(value: Any, info: TensorInfo, what: str, bools: bool = True) -> np.ndarray:
    """``value`` (nested lists) as an array of ``info``'s dtype, or ``RequestError``.
    ``bools=False`` promises the body has no true/false token (skips that scan)."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError):
        arr = None
    if arr is None or arr.dtype == object:
        raise RequestError(
            f"{what} must be a rectangular nested list of "
            f"{'booleans' if info.np_dtype.kind == 'b' else 'numbers'} ({info.dtype}) forming a "
            f"tensor of shape {info.shape_text()}; the lists are ragged, too deep, or mix "
            "numbers with other values (null, objects, huge integers)")
    kind, target = arr.dtype.kind, info.np_dtype
    if kind in "USa":
        raise RequestError(f"{what} contains strings; expected numbers ({info.dtype}), e.g. "
                           "1.5 rather than \"1.5\"")
    if target.kind == "b":
        if kind != "b":
            raise RequestError(f"{what} must contain true/false values ({info.dtype}); got "
                               "numbers")
        return arr
    if kind == "b" or (bools and _has_bool(value)):
        raise RequestError(f"{what} contains true/false; expected numbers ({info.dtype})")
    if kind not in "iuf":
        raise RequestError(f"{what} has unsupported values; expected numbers ({info.dtype})")
    if target.kind == "f":
        if kind == "f" and not np.isfinite(arr).all():
            raise RequestError(f"{what} contains a value too large to be a finite number; "
                               "NaN and Infinity are not accepted")
        with np.errstate(over="ignore"):
            out = arr.astype(target)
        if not np.isfinite(out).all():
            raise RequestError(f"{what} contains a value outside the range of {info.dtype} "
                               f"(|x| <= {np.finfo(target).max:.3g})")
        return out
    if target.kind in "iu":
        if kind == "f":
            if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
                raise RequestError(f"{what} must contain whole numbers ({info.dtype}); got a "
                                   "fraction")
        lo, hi = np.iinfo(target).min, np.iinfo(target).max
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise RequestError(f"{what} contains an integer outside the range of {info.dtype} "
                               f"[{lo}, {hi}]")
        return arr.astype(target)
    raise RequestError(f"{what}: inputs of dtype {info.dtype} are not supported by this server")


def _check_shape(arr: np.ndarray, info: TensorInfo, what: str, row_format: bool) -> None:
    """Shape check against the signature; row format reports the per-instance shape."""
    if info.shape is None:
        return
    want = info.shape
    if arr.ndim == len(want) and all(w is None or w == g
                                     for w, g in zip(want, arr.shape, strict=True)):
        return
    if row_format and len(want) >= 1:
        inst = "[" + ", ".join("-1" if d is None else str(d) for d in want[1:]) + "]"
        raise RequestError(f"{what}: each instance must have shape {inst} (input tensor shape "
                           f"{info.shape_text()}); got instances of shape {_dims(arr.shape[1:])}")
    raise RequestError(f"{what} must have shape {info.shape_text()}; got {_dims(arr.shape)}")


def _decode_rows(instances: Any, sig: Signature, bools: bool) -> dict[str, np.ndarray]:
    """Row format: a list with one entry per example (dicts by input name when needed)."""
    if not isinstance(instances, list):
        raise RequestError(f"'instances' must be a list with one entry per example; got a "
                           f"{_json_type(instances)}; for example {_EXAMPLE}")
    if not instances:
        raise RequestError("'instances' is empty: send at least one example")
    names = list(sig.inputs)
    if len(names) == 1 and not any(isinstance(x, dict) for x in instances):
        info = sig.inputs[names[0]]
        arr = _to_array(instances, info, f"'instances' (input '{names[0]}')", bools)
        _check_shape(arr, info, f"input '{names[0]}'", row_format=True)
        return {names[0]: arr}
    expected = ", ".join(repr(n) for n in names)
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for i, inst in enumerate(instances):
        if not isinstance(inst, dict):
            raise RequestError(f"instance {i} must be an object with the inputs {expected} "
                               f"(this model has named inputs); got a {_json_type(inst)}")
        missing = [n for n in names if n not in inst]
        extra = [k for k in inst if k not in columns]
        if missing or extra:
            raise RequestError(f"instance {i} must have exactly the inputs {expected}; "
                               f"missing {missing}, unknown {extra}")
        for n in names:
            columns[n].append(inst[n])
    out = {}
    for n in names:
        arr = _to_array(columns[n], sig.inputs[n], f"input '{n}'", bools)
        _check_shape(arr, sig.inputs[n], f"input '{n}'", row_format=True)
        out[n] = arr
    return out


def _decode_columns(inputs: Any, sig: Signature, bools: bool) -> dict[str, np.ndarray]:
    """Columnar format: one tensor, or an object mapping each input name to its tensor."""
    names = list(sig.inputs)
    expected = ", ".join(repr(n) for n in names)
    if isinstance(inputs, dict):
        missing = [n for n in names if n not in inputs]
        extra = [k for k in inputs if k not in sig.inputs]
        if missing or extra:
            raise RequestError(f"'inputs' must map exactly the inputs {expected} to tensors; "
                               f"missing {missing}, unknown {extra}")
        values = inputs
    elif len(names) == 1:
        values = {names[0]: inputs}
    else:
        raise RequestError(f"this model has several inputs ({expected}): 'inputs' must be an "
                           f"object mapping each name to its tensor; got a {_json_type(inputs)}")
    out = {}
    for n in names:
        arr = _to_array(values[n], sig.inputs[n], f"input '{n}'", bools)
        if arr.ndim >= 1 and arr.shape[0] == 0:
            raise RequestError(f"input '{n}' is an empty batch (0 rows): send at least one")
        _check_shape(arr, sig.inputs[n], f"input '{n}'", row_format=False)
        out[n] = arr
    return out


def decode_predict(doc: dict[str, Any], signatures: dict[str, Signature], *,
                   bools: bool = True) -> PredictRequest:
    """Validate a parsed predict body against the model's ``signatures``. ``bools=False``
    tells that the raw body contains no ``true``/``false`` (saves a scan per request)."""
    unknown = [k for k in doc if k not in _KEYS]
    if unknown:
        raise RequestError(f"unknown key(s) {unknown} in the request; allowed: "
                           "'instances' or 'inputs', and optionally 'signature_name'")
    has_rows, has_cols = "instances" in doc, "inputs" in doc
    if has_rows == has_cols:
        which = "both" if has_rows else "neither"
        raise RequestError(f"the request has {which} of 'instances' and 'inputs'; send exactly "
                           f"one: 'instances' (row format) or 'inputs' (columnar format), e.g. "
                           f"{_EXAMPLE}")
    name = doc.get("signature_name", "") or DEFAULT_SIGNATURE
    if not isinstance(name, str):
        raise RequestError(f"'signature_name' must be a string; got a {_json_type(name)}")
    sig = signatures.get(name)
    if sig is None:
        valid = ", ".join(repr(s) for s in signatures)
        raise RequestError(f'Serving signature name: "{name}" not found in signature def; '
                           f"valid signature names: {valid}")
    if has_rows:
        arrays = _decode_rows(doc["instances"], sig, bools)
    else:
        arrays = _decode_columns(doc["inputs"], sig, bools)
    first = next(iter(arrays.values()))
    rows = int(first.shape[0]) if first.ndim else 1
    return PredictRequest(name, arrays, rows, row_format=has_rows)


def _tolist(arr: np.ndarray) -> Any:
    """An output array as nested lists (byte strings decoded as UTF-8)."""
    if arr.dtype.kind in "OSa":  # string tensors come back as bytes
        return np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes)
                            else str(b), otypes=[object])(arr).tolist()
    return arr.tolist()


def encode_predict(outputs: dict[str, np.ndarray], row_format: bool) -> dict[str, Any]:
    """Output arrays as TensorFlow Serving answers: one output -> plain (nested) lists;
    several -> a list of objects per row (row format) or an object by name (columnar)."""
    if not row_format:
        if len(outputs) == 1:
            return {"outputs": _tolist(next(iter(outputs.values())))}
        return {"outputs": {k: _tolist(v) for k, v in outputs.items()}}
    if len(outputs) == 1:
        return {"predictions": _tolist(next(iter(outputs.values())))}
    sizes = {v.shape[0] if v.ndim else None for v in outputs.values()}
    if len(sizes) != 1 or None in sizes:
        raise RequestError("the model's outputs do not share one batch dimension, so they "
                           "cannot be returned per instance; use the columnar 'inputs' format")
    cols = {k: _tolist(v) for k, v in outputs.items()}
    n = sizes.pop()
    return {"predictions": [{k: col[i] for k, col in cols.items()} for i in range(n)]}


def dump_json(obj: Any) -> bytes:
    """Compact JSON bytes; non-finite model outputs are written as ``NaN``/``Infinity`` the
    way TensorFlow Serving writes them."""
    return json.dumps(obj, allow_nan=True, separators=(",", ":")).encode("utf-8")
