"""Chapter 2, notebook 04 (model as a service) exercises: read a model's input from the metadata
document a TensorFlow-Serving-style server publishes, and predict the mean latency of closed-loop
clients from a throughput with Little's law. Ids are ``"02.04.<name>"``. The metadata documents
have the exact layout ``labutils.serve`` returns (``GET /v1/models/NAME/metadata``), built here
for several models so that no server and no TensorFlow are needed.
"""

from __future__ import annotations

import copy
from typing import Any

from labutils.checks import (
    CheckResult,
    check_function_or_slip,
    check_value,
    not_yet,
    register,
)

# --- input_spec -----------------------------------------------------------------------------


def _tensor(dtype: str, dims: list[int], tensor_name: str) -> dict[str, Any]:
    """One TensorInfo in TensorFlow Serving's JSON: sizes are strings, -1 is the free dim."""
    return {"dtype": dtype,
            "tensor_shape": {"dim": [{"size": str(d), "name": ""} for d in dims],
                             "unknown_rank": False},
            "name": tensor_name}


def _metadata(model: str, input_name: str, dtype: str, n_features: int,
              n_outputs: int, version: str = "1") -> dict[str, Any]:
    """The ``GetModelMetadataResponse`` JSON of a one-input, one-output model."""
    sig = {"inputs": {input_name: _tensor(dtype, [-1, n_features],
                                          f"serving_default_{input_name}:0")},
           "outputs": {"output_0": _tensor("DT_FLOAT", [-1, n_outputs],
                                           "StatefulPartitionedCall:0")},
           "method_name": "tensorflow/serving/predict",
           "defaults": {}}
    return {"model_spec": {"name": model, "signature_name": "", "version": version},
            "metadata": {"signature_def": {"signature_def": {"serving_default": sig}}}}


# Different names, dtypes and widths, and a width equal to the output width in one case
# (so that reading the output's shape instead of the input's is caught by another case).
_META_CASES = [
    (_metadata("digits", "features", "DT_FLOAT", 64, 10), ("features", "DT_FLOAT", 64)),
    (_metadata("iris", "measurements", "DT_DOUBLE", 4, 3, "7"), ("measurements", "DT_DOUBLE", 4)),
    (_metadata("credit", "x", "DT_FLOAT", 10, 10), ("x", "DT_FLOAT", 10)),
    (_metadata("wine", "features", "DT_FLOAT", 13, 3), ("features", "DT_FLOAT", 13)),
]
_PATH_HINT = ("the input lives at meta['metadata']['signature_def']['signature_def']"
              "['serving_default']['inputs']: a dict with one entry whose key is the input's "
              "name; its 'dtype' is a string such as 'DT_FLOAT', and its "
              "'tensor_shape']['dim'] lists sizes as strings, the first being '-1' (the batch).")


@register("input_spec", "input name, dtype and features per example, read from model metadata")
def _check_input_spec(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    for meta, expected in _META_CASES:
        shown = f"the metadata of model {meta['model_spec']['name']!r}"
        try:
            got = fn(copy.deepcopy(meta))
        except Exception as exc:  # the learner's code failing is a hint, not a crash
            return check_value(f"{type(exc).__name__}: {exc}", str(expected), name=name,
                               hint=f"your function raised on {shown}; {_PATH_HINT}")
        if got is None:
            return not_yet(name)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return check_value(repr(got), str(expected), name=name,
                               hint="return a tuple of three: (input name, dtype, number of "
                                    "features per example).")
        for part, answer, want, hint in (
                ("input name", got[0], expected[0],
                 "the name is the key of the single entry in 'inputs', not the tensor's "
                 "internal 'name' field (serving_default_...:0)."),
                ("dtype", got[1], expected[1],
                 "return the 'dtype' string of the input as the metadata writes it."),
                ("features", got[2], expected[2],
                 "take the last dimension of the input's shape and convert it with int(); "
                 "the first, -1, is the free batch dimension, and 'outputs' describes the "
                 "answer, not the request.")):
            if part == "features" and isinstance(answer, str):
                return check_value(answer, want, name=f"{name} ({part}) on {shown}",
                                   hint="the sizes in the metadata are strings: convert with int().")
            result = check_value(answer, want, name=f"{name} ({part}) on {shown}", hint=hint,
                                 atol=0.0, rtol=0.0)
            if not result:
                return result
    return CheckResult(name, True, f"right name, dtype and width on {len(_META_CASES)} "
                                   "metadata documents: a client can check its rows against "
                                   "the contract before sending them.")


# --- mean_latency ---------------------------------------------------------------------------

_LATENCY_CASES = [(1, 500.0), (8, 800.0), (32, 640.0), (4, 2.5)]


def _mean_latency(concurrency: int, requests_per_s: float) -> float:
    return concurrency / requests_per_s


_LATENCY_SLIPS = [
    (lambda c, r: 1 / r,
     "1 / rate is the time between two completions of the whole server, which equals one "
     "client's latency only when there is one client; with c clients each request waits "
     "behind the others."),
    (lambda c, r: r / c,
     "the ratio is upside down: Little's law says clients in the system = rate × latency."),
    (lambda c, r: 1000 * c / r,
     "return seconds, not milliseconds."),
]


@register("mean_latency", "Little's law: mean latency = concurrent clients / requests per second")
def _check_mean_latency(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(fn, name, _mean_latency, _LATENCY_CASES, _LATENCY_SLIPS,
                    "each of the c clients always has exactly one request in the server, so "
                    "c = rate × mean latency (Little's law); solve for the latency.", tol=1e-9)
