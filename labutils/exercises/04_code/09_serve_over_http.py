"""Chapter 4, notebook 09 (serve over HTTP) exercises: a columnar TensorFlow Serving request
body for a two-input model, the 99th percentile of a list of latencies, and the HTTP status of
six requests. Ids are ``"04.09.<name>"``. The body is decoded with the server's own request
decoder (``labutils.serve.codec``), p99 is compared with ``numpy.percentile``, and the statuses
with the answers of the course's server application (``labutils.serve.app``) running in memory
on a NumPy stand-in model, so no TensorFlow and no network are needed.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function, diagnose, not_yet, register

_rng = np.random.default_rng(409)

# --- columnar_body ---------------------------------------------------------------------------

_INSTANCES = [
    [{"pixels": [0, 1, 2, 3], "hour": 9}, {"pixels": [4, 5, 6, 7], "hour": 17}],
    [{"hour": 23, "pixels": [0.5, 0.25, 0.0, 1.0]}],            # keys in the other order
    [{"pixels": [round(float(v), 3) for v in _rng.random(4)], "hour": int(h)}
     for h in _rng.integers(0, 24, size=5)],
]


def _signature() -> Any:
    from labutils.serve.signature import Signature, TensorInfo

    f32 = np.dtype(np.float32)
    inputs = {"pixels": TensorInfo("pixels", "DT_FLOAT", f32, (None, 4), "serving_default_pixels:0"),
              "hour": TensorInfo("hour", "DT_FLOAT", f32, (None,), "serving_default_hour:0")}
    outputs = {"output_0": TensorInfo("output_0", "DT_FLOAT", f32, (None, 2),
                                      "StatefulPartitionedCall:0")}
    return Signature("serving_default", inputs, outputs, call=lambda arrays: arrays)


def _expected(instances: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {"pixels": np.array([i["pixels"] for i in instances], dtype=np.float32),
            "hour": np.array([i["hour"] for i in instances], dtype=np.float32)}


@register("columnar_body", "columnar TF Serving body {'inputs': {name: batch}} from row instances")
def _check_columnar_body(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    from labutils.serve.codec import decode_predict
    from labutils.serve.signature import RequestError

    sig = _signature()
    for instances in _INSTANCES:
        shown = json.dumps(instances)
        try:
            body = fn(copy.deepcopy(instances))
        except Exception as exc:  # the learner's code failing is a hint, not a crash
            return CheckResult(name, False, f"calling it with {shown} raised "
                                            f"{type(exc).__name__}: {exc}")
        if body is None:
            return not_yet(name)
        try:
            doc = json.loads(json.dumps(body))
        except (TypeError, ValueError) as exc:
            return CheckResult(name, False, f"on {shown}: the body is not JSON-serializable "
                                            f"({exc}). Hint: build it from plain lists and "
                                            "numbers (use .tolist() on NumPy arrays).")
        if not isinstance(doc, dict):
            return CheckResult(name, False, f"on {shown}: the body must be a dict (a JSON "
                                            f"object), got {type(body).__name__}.")
        if "instances" in doc:
            return CheckResult(name, False, f"on {shown}: your body uses 'instances', the row "
                                            "format. Hint: the columnar format uses the key "
                                            "'inputs', mapping each input name to its whole batch.")
        try:
            req = decode_predict(doc, {"serving_default": sig})
        except RequestError as err:
            return CheckResult(name, False, f"on {shown} the server would answer HTTP "
                                            f"{err.status}: {err.message}. Hint: "
                                            "{'inputs': {'pixels': [...one row per example...], "
                                            "'hour': [...one number per example...]}}.")
        for key, want in _expected(instances).items():
            got = req.arrays[key]
            if got.shape != want.shape or not np.allclose(got, want):
                return CheckResult(name, False, f"on {shown}: input {key!r} decodes to "
                                                f"{got.tolist()}, expected {want.tolist()}. "
                                                "Hint: keep the examples in their order.")
    return CheckResult(name, True, f"the server's decoder accepts your body for "
                                   f"{len(_INSTANCES)} batches and reads the same tensors as "
                                   "the row format.")


# --- p99 -------------------------------------------------------------------------------------

_P_CASES = [
    ([5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.0, 6.0, 9.0, 8.0],),
    ([round(float(v), 3) for v in _rng.lognormal(0.0, 0.6, size=150)],),
    ([round(float(v), 3) for v in _rng.lognormal(1.0, 1.0, size=256)],),
    ([2.5],),
    ([1.0, 1.0, 1.0, 50.0],),
]


def _p99(latencies: list[float]) -> float:
    return float(np.percentile(np.asarray(latencies, dtype=float), 99))


def _nearest_rank(latencies: list[float]) -> float:
    s = sorted(latencies)
    return float(s[max(0, math.ceil(0.99 * len(s)) - 1)])


def _no_interpolation(latencies: list[float]) -> float:
    s = sorted(latencies)
    return float(s[int(0.99 * (len(s) - 1))])


def _index_n(latencies: list[float]) -> float:
    s = sorted(latencies)
    return float(s[min(len(s) - 1, int(0.99 * len(s)))])


def _unsorted(latencies: list[float]) -> float:
    s = list(latencies)
    pos = 0.99 * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (pos - lo) * (s[hi] - s[lo]))


def _percent_as_fraction(latencies: list[float]) -> float:
    return float(np.percentile(np.asarray(latencies, dtype=float), 0.99))


_P_SLIPS = [
    (_unsorted, "sort the values first: the position 0.99 (n - 1) refers to the sorted list."),
    (_no_interpolation, "you take the value just below the position; interpolate: "
                        "s[lo] + (pos - lo) * (s[lo + 1] - s[lo])."),
    (_nearest_rank, "that is the nearest-rank percentile (s[ceil(0.99 n) - 1]); NumPy's default "
                    "interpolates at position 0.99 (n - 1)."),
    (_index_n, "the position is 0.99 * (n - 1), counting from 0, not 0.99 * n."),
    (lambda latencies: float(max(latencies)), "that is the maximum; p99 is the value below "
                                              "which 99% of the latencies lie, interpolated."),
    (_percent_as_fraction, "np.percentile takes percent (99), np.quantile a fraction (0.99); "
                           "0.99 percent is almost the minimum."),
]


@register("p99", "99th percentile of a list of latencies, as numpy.percentile computes it")
def _check_p99(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    try:
        first = fn(*copy.deepcopy(_P_CASES[0]))
    except Exception:  # reported with its input by check_function below
        first = 0.0
    if first is None:
        return not_yet(name)
    hint = diagnose(fn, [copy.deepcopy(c) for c in _P_CASES[:3]], _P_SLIPS,
                    "s = sorted(latencies); pos = 0.99 * (len(s) - 1); lo = int(pos); "
                    "interpolate between s[lo] and s[min(lo + 1, len(s) - 1)]; a list of one "
                    "value has that value as its p99.")
    return check_function(fn, _p99, _P_CASES, name=name, atol=1e-9, rtol=1e-9, hint=hint)


# --- status_for ------------------------------------------------------------------------------

_LIMIT = 10_000
_ROW = ", ".join(["0.5"] * 64)
# key (exactly as in the notebook) -> (method, path, body)
_REQUESTS: dict[str, tuple[str, str, str | None]] = {
    "POST /v1/models/digits:predict with 3 numbers per instance (the model takes 64)":
        ("POST", "/v1/models/digits:predict", '{"instances": [[1.0, 2.0, 3.0]]}'),
    "GET /v1/models/digits/versions/9 (versions 1 and 2 are loaded)":
        ("GET", "/v1/models/digits/versions/9", None),
    "DELETE /v1/models/digits": ("DELETE", "/v1/models/digits", None),
    "POST /v1/models/digits:predict with a body above the server's size limit":
        ("POST", "/v1/models/digits:predict", '{"instances": [' + ", ".join(
            [f"[{_ROW}]"] * (_LIMIT // len(_ROW) + 2)) + "]}"),
    "POST /v1/models/digits/versions/two:predict":
        ("POST", "/v1/models/digits/versions/two:predict", f'{{"instances": [[{_ROW}]]}}'),
    "GET /v1/models/digits/metadata": ("GET", "/v1/models/digits/metadata", None),
}
_FALLBACK = dict(zip(_REQUESTS, (400, 404, 405, 413, 400, 200), strict=True))
_MEANING = {
    200: "200: a valid request for something that exists.",
    400: "400 Bad Request: the URL names an existing route, but the request itself is "
         "malformed or invalid (wrong shape, unparsable version number, bad JSON).",
    404: "404 Not Found: the request is well formed, but the model, version or route it names "
         "does not exist on this server.",
    405: "405 Method Not Allowed: the URL exists, but not for this HTTP method (status and "
         "metadata are GET, predict is POST).",
    413: "413 Content Too Large: the body is over the server's limit; it is refused before it "
         "is read, whatever it contains.",
}


def _served_statuses() -> dict[str, int]:
    """The status the course's server app answers to each request in ``_REQUESTS``, with a
    NumPy stand-in for the model (versions 1 and 2, 64 inputs) and a small body limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # starlette: "install httpx2" notice, irrelevant here
        from starlette.testclient import TestClient

    from labutils.serve.app import ServeConfig, create_app
    from labutils.serve.signature import ServedModel, Signature, TensorInfo

    f32 = np.dtype(np.float32)
    sig = Signature(
        "serving_default",
        {"features": TensorInfo("features", "DT_FLOAT", f32, (None, 64), "serving_default_features:0")},
        {"output_0": TensorInfo("output_0", "DT_FLOAT", f32, (None, 10), "StatefulPartitionedCall:0")},
        call=lambda arrays: {"output_0": arrays["features"][:, :10]})
    models = [ServedModel("digits", v, f"digits/{v}", {"serving_default": sig},
                          {"serving_default": sig.to_json()}) for v in ("1", "2")]
    app = create_app(models, ServeConfig(max_body_bytes=_LIMIT, threads=1))
    out = {}
    with warnings.catch_warnings(), TestClient(app) as client:
        warnings.simplefilter("ignore")
        for key, (method, path, body) in _REQUESTS.items():
            resp = client.request(method, path, content=body,
                                  headers={"Content-Type": "application/json"})
            out[key] = resp.status_code
    return out


@register("status_for", "the HTTP status a TF-Serving-style server gives six requests")
def _check_status_for(answer: Any, name: str) -> CheckResult:
    if not isinstance(answer, dict) or all(v is None for v in answer.values()):
        return not_yet(name, "statuses")
    missing = [k for k in _REQUESTS if k not in answer]
    if missing:
        return CheckResult(name, False, f"the dictionary lost the key(s) {missing}; keep the "
                                        "six keys as given and fill in a status for each.")
    try:
        truth = _served_statuses()
    except Exception:  # starlette/httpx unavailable: the documented contract still holds
        truth = dict(_FALLBACK)
    for key, status in truth.items():
        got = answer.get(key)
        if got is None:
            return CheckResult(name, False, f"no status yet for {key!r}.")
        if got != status:
            said = _MEANING.get(got, f"{got!r} is not one of 200, 400, 404, 405, 413.")
            return CheckResult(name, False, f"{key!r}: {got!r} is not what the server answers. "
                                            f"Hint: {said} Does that describe this request? "
                                            "The server asks in this order: is the URL a route "
                                            "for this method (405 if only the method is wrong)? "
                                            "does the named model and version exist (404; a "
                                            "version that is not a number is malformed: 400)? "
                                            "is the body within the limit (413)? is its content "
                                            "valid (400)?")
    return CheckResult(name, True, f"all {len(truth)} statuses match what the course's server "
                                   "application answers to the same requests.")
