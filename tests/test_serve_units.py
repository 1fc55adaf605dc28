"""labutils.serve pieces in-process, without TensorFlow or sockets: the micro-batcher really
merges concurrent requests (and splits the answers back exactly), isolates a request the model
rejects, respects max_batch_size; the ASGI app answers an unexpected model failure with a
logged 500 JSON error and keeps serving; fuzzed request bodies only ever yield a 4xx error.
The real server is tested in test_serve.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.serve.app import ServeConfig, create_app
from labutils.serve.batching import MicroBatcher
from labutils.serve.codec import decode_predict, parse_body
from labutils.serve.signature import RequestError, ServedModel, Signature, TensorInfo


def double(calls: list[int]):
    """A fake model: y = 2 * x[:, :2]; records the rows of every call."""
    def call(arrays):
        x = arrays["x"]
        calls.append(len(x))
        if (x < -100).any():
            raise ValueError("the model rejects values below -100")
        return {"y": 2 * x[:, :2]}
    return call


def fake_model(name: str, call) -> ServedModel:
    f32 = np.dtype("float32")
    sig = Signature("serving_default",
                    inputs={"x": TensorInfo("x", "DT_FLOAT", f32, (None, 3), "x:0")},
                    outputs={"y": TensorInfo("y", "DT_FLOAT", f32, (None, 2), "y:0")},
                    call=call)
    return ServedModel(name, "1", "fake", {"serving_default": sig},
                       {"serving_default": sig.to_json()})


def run_batcher(reqs, *, max_rows=64, timeout_s=0.02):
    """Submit ``reqs`` concurrently; returns (results or exceptions, rows per model call)."""
    calls: list[int] = []

    async def main():
        with ThreadPoolExecutor(1) as pool:
            b = MicroBatcher(double(calls), pool, max_rows=max_rows, timeout_s=timeout_s,
                             concurrency=1)
            b.start()
            try:
                return await asyncio.gather(*(b.submit({"x": x}, len(x)) for x in reqs),
                                            return_exceptions=True)
            finally:
                await b.aclose()

    return asyncio.run(main()), calls


def test_microbatcher_merges_and_splits_back_exactly() -> None:
    rng = np.random.default_rng(0)
    reqs = [rng.normal(size=(1 + i % 3, 3)).astype("float32") for i in range(30)]
    results, calls = run_batcher(reqs)
    assert sum(calls) == sum(len(x) for x in reqs)
    assert len(calls) <= 3  # 30 requests, 60 rows: one or two merged calls
    for x, out in zip(reqs, results, strict=True):
        np.testing.assert_array_equal(out["y"], 2 * x[:, :2])


def test_microbatcher_respects_max_rows() -> None:
    reqs = [np.full((1, 3), i, dtype="float32") for i in range(10)]
    results, calls = run_batcher(reqs, max_rows=4)
    assert max(calls) <= 4 and sum(calls) == 10
    assert [float(r["y"][0, 0]) for r in results] == [2.0 * i for i in range(10)]
    big = [np.ones((5, 3), dtype="float32")]  # a request over max_rows runs alone
    results, calls = run_batcher(big, max_rows=4)
    assert calls == [5] and results[0]["y"].shape == (5, 2)


def test_microbatcher_isolates_a_rejected_request() -> None:
    reqs = [np.full((1, 3), float(i), dtype="float32") for i in range(8)]
    reqs[3] = np.full((1, 3), -1000.0, dtype="float32")
    results, calls = run_batcher(reqs)
    assert isinstance(results[3], ValueError)
    assert all(isinstance(r, dict) for i, r in enumerate(results) if i != 3)
    assert [float(r["y"][0, 0]) for i, r in enumerate(results) if i != 3] == \
        [2.0 * i for i in range(8) if i != 3]


async def asgi(app, method: str, path: str, body: bytes = b""):
    """One HTTP request through the ASGI app: (status, JSON body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8501),
             "headers": [(b"content-length", str(len(body)).encode())]}
    messages = [{"type": "http.request", "body": body, "more_body": False},
                {"type": "http.disconnect"}]
    sent = []

    async def receive():
        return messages.pop(0) if len(messages) > 1 else messages[0]

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


@contextlib.asynccontextmanager
async def running(app):
    """Drive the app's lifespan (startup/shutdown) as uvicorn would."""
    inbox: asyncio.Queue = asyncio.Queue()
    outbox: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"},
                                    "state": {}}, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        await task


def test_app_merges_concurrent_predicts_when_batching() -> None:
    calls: list[int] = []
    app = create_app([fake_model("m", double(calls))],
                     ServeConfig(batching=True, max_batch_size=64, batch_timeout_ms=20,
                                 threads=1))
    xs = [[[float(i), 0.5, 1.0]] for i in range(20)]

    async def main():
        async with running(app):
            return await asyncio.gather(*(asgi(app, "POST", "/v1/models/m:predict",
                                               json.dumps({"instances": x}).encode())
                                          for x in xs))

    answers = asyncio.run(main())
    assert [s for s, _ in answers] == [200] * 20
    assert [d["predictions"] for _, d in answers] == [[[2.0 * i, 1.0]] for i in range(20)]
    assert sum(calls) == 20 and len(calls) < 20  # merged: fewer model calls than requests


def test_app_internal_error_is_a_logged_500_and_serving_goes_on(caplog) -> None:
    def broken(arrays):
        raise RuntimeError("boom")

    def nan(arrays):
        return {"y": np.full((len(arrays["x"]), 2), np.nan, dtype="float32")}

    app = create_app([fake_model("broken", broken), fake_model("nan", nan)], ServeConfig())
    body = b'{"instances": [[1, 2, 3]]}'

    async def main():
        async with running(app):
            first = await asgi(app, "POST", "/v1/models/broken:predict", body)
            second = await asgi(app, "POST", "/v1/models/nan:predict", body)
            third = await asgi(app, "GET", "/v1/models/broken")
            return first, second, third

    with caplog.at_level(logging.ERROR, logger="labutils.serve"):
        first, second, third = asyncio.run(main())
    assert first == (500, {"error": "internal server error (RuntimeError); see the server log"})
    assert "internal error on POST /v1/models/broken:predict" in caplog.text
    assert "boom" in caplog.text  # the traceback is in the log, not in the response
    status, doc = second  # non-finite outputs are written as TensorFlow Serving writes them
    assert status == 200 and np.isnan(doc["predictions"]).all()
    assert third[0] == 200


@pytest.mark.parametrize("shape", [(None, 3), None])
def test_tensor_info_json(shape) -> None:
    info = TensorInfo("x", "DT_FLOAT", np.dtype("float32"), shape, "x:0")
    got = info.to_json()
    if shape is None:
        assert got["tensor_shape"] == {"dim": [], "unknown_rank": True}
    else:
        assert got["tensor_shape"]["dim"] == [{"size": "-1", "name": ""},
                                              {"size": "3", "name": ""}]


# any JSON value at all: numbers (huge and non-finite too), strings, booleans, nulls, nesting
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["x", "a", "instances", "inputs", "signature_name"]) | st.text(max_size=3),
        inner, max_size=4),
    max_leaves=40)


@settings(max_examples=200, deadline=None)
@given(doc=_json_values | st.dictionaries(
    st.sampled_from(["instances", "inputs", "signature_name"]), _json_values, max_size=3))
def test_any_json_is_decoded_or_refused_with_a_request_error(doc) -> None:
    """Fuzz: whatever JSON arrives, decoding either succeeds with arrays of the signature's
    dtype and shape, or raises RequestError (a 4xx) - never another exception (a 5xx)."""
    sigs = fake_model("m", double([])).signatures
    body = json.dumps(doc, allow_nan=True).encode()
    try:
        req = decode_predict(parse_body(body), sigs, bools=True)
    except RequestError as err:
        assert 400 <= err.status < 500 and err.message
        return
    x = req.arrays["x"]
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 3 and len(x) >= 1
    assert np.isfinite(x).all()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=64))
def test_any_bytes_are_decoded_or_refused_with_a_request_error(body) -> None:
    sigs = fake_model("m", double([])).signatures
    with contextlib.suppress(RequestError):
        decode_predict(parse_body(body), sigs)
