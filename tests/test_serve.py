"""labutils.serve end to end: a real server process on 127.0.0.1, TensorFlow Serving's REST
contract (golden status/metadata JSON), predictions equal to ``model(x)``, every bad input
answered with a 4xx JSON error while the server keeps serving, micro-batching identical to
unbatched inference, and a bounded soak (>= 5,000 requests per server from 16 keep-alive
clients: no 5xx, no dropped connection, flat memory).

Two servers (batching off and on) serve the same models; both start once for this module, in
parallel, since each process pays TensorFlow's start-up. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from labutils.serve import ModelServer, ServeError, model_metadata, model_status, predict

BODY_LIMIT = 200_000
MODEL_NAMES = ["mlp", "multi", "tokens", "exported", "versioned"]


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Tiny Keras models saved as .keras files and as SavedModels, with the live objects
    to compute reference outputs."""
    import keras

    from labutils.io import save_model

    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("serve-models")
    x = keras.Input((4,), name="features")
    h = keras.layers.Dense(8, activation="relu")(x)
    mlp = keras.Model(x, keras.layers.Dense(3)(h), name="mlp")
    save_model(mlp, root / "mlp.keras")
    mlp.export(str(root / "exported"), verbose=False)

    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    ab = keras.layers.Concatenate()([a, b])
    multi = keras.Model([a, b], [keras.layers.Dense(1)(ab), keras.layers.Dense(2)(ab)])
    save_model(multi, root / "multi.keras")

    t = keras.Input((5,), dtype="int32", name="tokens")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(t))
    tokens = keras.Model(t, keras.layers.Dense(2)(pooled))
    save_model(tokens, root / "tokens.keras")

    v2 = keras.Model(x, keras.layers.Dense(2)(h))  # version 2: another head on the same body
    mlp.export(str(root / "versioned" / "1"), verbose=False)
    v2.export(str(root / "versioned" / "2"), verbose=False)
    paths = [str(root / f) for f in ("mlp.keras", "multi.keras", "tokens.keras", "exported",
                                     "versioned")]
    return {"root": root, "paths": paths, "mlp": mlp, "multi": multi, "tokens": tokens,
            "v2": v2}


@pytest.fixture(scope="module")
def servers(models):
    """Two servers over the same models: ``plain`` (no batching) and ``batched``."""
    plain = ModelServer(models["paths"], max_body_bytes=BODY_LIMIT, startup_timeout=150)
    batched = ModelServer(models["paths"], batching=True, max_batch_size=16,
                          batch_timeout_ms=3, max_body_bytes=BODY_LIMIT, startup_timeout=150)
    try:
        plain.spawn()
        batched.spawn()
        plain.wait_ready()
        batched.wait_ready()
        yield {"plain": plain, "batched": batched}
    finally:
        for srv in (plain, batched):
            srv.close()
            assert srv.proc is None or srv.proc.returncode is not None  # reaped


@pytest.fixture(scope="module")
def url(servers):
    return servers["plain"].url


# ---------------------------------------------------------------------------- helpers


def call(url, method, path, body=None, headers=None):
    """(status, parsed JSON, headers) of one request on a fresh connection."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        assert resp.getheader("content-type") == "application/json", raw[:200]
        return resp.status, json.loads(raw), dict(resp.getheaders())
    finally:
        conn.close()


def post(url, path, body):
    status, doc, _ = call(url, "POST", path, body)
    return status, doc


def rows(n, seed=0, d=4):
    return np.random.default_rng(seed).normal(size=(n, d)).astype("float32")


def rss(pid):
    """Resident memory of ``pid`` in bytes (psutil if installed, else /proc)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except ImportError:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    raise RuntimeError("cannot read RSS")


STATUS_OK = {"model_version_status": [
    {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}


def tensor(dtype, dims, name):
    return {"dtype": dtype, "tensor_shape": {"dim": [{"size": str(d), "name": ""} for d in dims],
                                             "unknown_rank": False}, "name": name}


# ---------------------------------------------------------------------------- routes


def test_banner_names_every_model_and_the_real_port(servers) -> None:
    for srv in servers.values():
        m = re.fullmatch(r"Serving 'mlp', 'multi', 'tokens', 'exported', 'versioned' at "
                         r"http://127\.0\.0\.1:(\d+)", srv.banner)
        assert m and int(m.group(1)) > 0 and srv.url.endswith(f":{m.group(1)}")


@pytest.mark.parametrize("path", ["/v1/models/mlp", "/v1/models/mlp/versions/1",
                                  "/v1/models/exported", "/v1/models/versioned/versions/1"])
def test_status_golden(url, path) -> None:
    assert call(url, "GET", path)[:2] == (200, STATUS_OK)


def test_status_lists_every_version(url) -> None:
    status, doc, _ = call(url, "GET", "/v1/models/versioned")
    assert status == 200
    assert [v["version"] for v in doc["model_version_status"]] == ["2", "1"]


def test_metadata_golden_keras(url) -> None:
    status, doc, _ = call(url, "GET", "/v1/models/mlp/metadata")
    assert status == 200
    assert doc == {"model_spec": {"name": "mlp", "signature_name": "", "version": "1"},
                   "metadata": {"signature_def": {"signature_def": {"serving_default": {
                       "inputs": {"features": tensor("DT_FLOAT", [-1, 4],
                                                     "serving_default_features:0")},
                       "outputs": {"output_0": tensor("DT_FLOAT", [-1, 3],
                                                      "StatefulPartitionedCall:0")},
                       "method_name": "tensorflow/serving/predict", "defaults": {}}}}}}
    assert call(url, "GET", "/v1/models/mlp/versions/1/metadata")[1] == doc


def test_metadata_golden_multi_and_int(url) -> None:
    sig = call(url, "GET", "/v1/models/multi/metadata")[1]["metadata"]["signature_def"][
        "signature_def"]["serving_default"]
    assert sig["inputs"] == {"a": tensor("DT_FLOAT", [-1, 2], "serving_default_a:0"),
                             "b": tensor("DT_FLOAT", [-1, 3], "serving_default_b:0")}
    assert list(sig["outputs"]) == ["output_0", "output_1"]
    assert sig["outputs"]["output_1"] == tensor("DT_FLOAT", [-1, 2], "StatefulPartitionedCall:1")
    tok = call(url, "GET", "/v1/models/tokens/metadata")[1]["metadata"]["signature_def"][
        "signature_def"]["serving_default"]
    assert tok["inputs"]["tokens"]["dtype"] == "DT_INT32"


def test_metadata_golden_saved_model(url) -> None:
    status, doc, _ = call(url, "GET", "/v1/models/exported/metadata")
    assert status == 200
    assert doc["model_spec"] == {"name": "exported", "signature_name": "", "version": "1"}
    defs = doc["metadata"]["signature_def"]["signature_def"]
    assert set(defs) == {"serving_default", "serve", "__saved_model_init_op"}
    sd = defs["serving_default"]
    assert list(sd) == ["inputs", "outputs", "method_name", "defaults"]
    assert sd["inputs"] == {"features": tensor("DT_FLOAT", [-1, 4],
                                               "serving_default_features:0")}
    out = sd["outputs"]["output_0"]
    assert re.fullmatch(r"StatefulPartitionedCall(_\d+)?:0", out.pop("name"))
    assert out == {"dtype": "DT_FLOAT", "tensor_shape": tensor("", [-1, 3], "")["tensor_shape"]}
    assert sd["method_name"] == "tensorflow/serving/predict" and sd["defaults"] == {}
    assert defs["__saved_model_init_op"]["method_name"] == ""


# ---------------------------------------------------------------------------- predict


@pytest.mark.parametrize("name", ["mlp", "exported", "versioned/versions/1"])
def test_predict_rows_equal_model(url, models, name) -> None:
    x = rows(7, seed=1)
    status, doc = post(url, f"/v1/models/{name}:predict", {"instances": x.tolist()})
    assert status == 200 and list(doc) == ["predictions"]
    np.testing.assert_allclose(doc["predictions"], models["mlp"](x).numpy(), rtol=0, atol=1e-5)


def test_predict_latest_version_is_used_by_default(url, models) -> None:
    x = rows(3, seed=2)
    doc = post(url, "/v1/models/versioned:predict", {"instances": x.tolist()})[1]
    np.testing.assert_allclose(doc["predictions"], models["v2"](x).numpy(), atol=1e-5)


def test_predict_columnar_and_signature_names(url, models) -> None:
    x = rows(5, seed=3)
    want = models["mlp"](x).numpy()
    for path, sig in [("mlp", None), ("mlp", "serving_default"), ("mlp", ""),
                      ("exported", "serve"), ("exported", "serving_default")]:
        body = {"inputs": x.tolist()} if sig is None else {"inputs": x.tolist(),
                                                           "signature_name": sig}
        status, doc = post(url, f"/v1/models/{path}:predict", body)
        assert status == 200 and list(doc) == ["outputs"], doc
        np.testing.assert_allclose(doc["outputs"], want, atol=1e-5)
    doc = post(url, "/v1/models/mlp:predict", {"inputs": {"features": x.tolist()}})[1]
    np.testing.assert_allclose(doc["outputs"], want, atol=1e-5)
    doc = post(url, "/v1/models/mlp:predict", {"instances": [{"features": r} for r in
                                                             x.tolist()]})[1]
    np.testing.assert_allclose(doc["predictions"], want, atol=1e-5)


def test_predict_named_multi_input_multi_output(url, models) -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(3, 3)).astype("float32")
    o0, o1 = (t.numpy() for t in models["multi"]([a, b]))
    status, doc = post(url, "/v1/models/multi:predict", {"instances": [
        {"a": a[i].tolist(), "b": b[i].tolist()} for i in range(3)]})
    assert status == 200 and len(doc["predictions"]) == 3
    assert set(doc["predictions"][0]) == {"output_0", "output_1"}
    np.testing.assert_allclose([p["output_0"] for p in doc["predictions"]], o0, atol=1e-5)
    np.testing.assert_allclose([p["output_1"] for p in doc["predictions"]], o1, atol=1e-5)
    status, doc = post(url, "/v1/models/multi:predict",
                       {"inputs": {"a": a.tolist(), "b": b.tolist()}})
    assert status == 200 and set(doc["outputs"]) == {"output_0", "output_1"}
    np.testing.assert_allclose(doc["outputs"]["output_0"], o0, atol=1e-5)
    np.testing.assert_allclose(doc["outputs"]["output_1"], o1, atol=1e-5)


def test_predict_int_inputs(url, models) -> None:
    ids = [[1, 2, 3, 4, 5], [0, 0, 9, 9, 1]]
    want = models["tokens"](np.array(ids, dtype="int32")).numpy()
    for body in ({"instances": ids}, {"instances": [[float(v) for v in r] for r in ids]}):
        status, doc = post(url, "/v1/models/tokens:predict", body)
        assert status == 200
        np.testing.assert_allclose(doc["predictions"], want, atol=1e-5)
    status, doc = post(url, "/v1/models/tokens:predict", {"instances": [[1, 2, 3, 4, 1.5]]})
    assert status == 400 and "whole numbers (DT_INT32)" in doc["error"]
    status, doc = post(url, "/v1/models/tokens:predict", {"instances": [[1, 2, 3, 4, 2**40]]})
    assert status == 400 and "outside the range of DT_INT32" in doc["error"]
    status, doc = post(url, "/v1/models/tokens:predict", {"instances": [[1, 2, 3, 4, 50]]})
    assert status == 400 and "model rejected the input" in doc["error"]
    assert "50 is not in [0, 10)" in doc["error"] and "File " not in doc["error"]


def test_client_helpers(url, models) -> None:
    x = rows(4, seed=5)
    np.testing.assert_allclose(predict(url, "mlp", x), models["mlp"](x).numpy(), atol=1e-5)
    np.testing.assert_allclose(predict(url, "versioned", x, version=1),
                               models["mlp"](x).numpy(), atol=1e-5)
    assert model_status(url, "mlp") == STATUS_OK
    assert model_metadata(url, "exported")["model_spec"]["name"] == "exported"
    with pytest.raises(ServeError) as err:
        predict(url, "mlp", [[1.0, 2.0]])
    assert err.value.status == 400 and "shape [4]" in err.value.message
    with pytest.raises(ServeError) as err:
        predict(url, "nope", x)
    assert err.value.status == 404


def test_unloadable_model_exits_1_with_the_reason(models, capsys) -> None:
    """Loading errors need TensorFlow, which this process has: run the command's main()."""
    import keras

    from labutils.io import save_model
    from labutils.serve.cli import main

    x = keras.Input((2,))
    path = save_model(keras.Model(x, keras.layers.Lambda(lambda t: t * 2)(x)),
                      models["root"] / "lambda.keras")
    assert main([str(path), "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "error: refused to load" in err and "Lambda layer" in err


# ---------------------------------------------------------------------------- bad input

BAD_BODIES = [
    (b'{"instances": [[1, 2, 3, 4]]', "malformed JSON"),
    (b"[1, 2, 3]", "must be an object"),
    (b"", "body is empty"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]}', "both of 'instances' and"),
    (b'{"signature_name": "serving_default"}', "neither of 'instances' and"),
    (b'{"instances": []}', "'instances' is empty"),
    (b'{"inputs": []}', "empty batch"),
    (b'{"instances": 5}', "'instances' must be a list"),
    (b'{"instances": [[1, 2, 3]]}', "each instance must have shape [4]"),
    (b'{"instances": [1, 2, 3, 4]}', "each instance must have shape [4]"),
    (b'{"inputs": [[[1, 2, 3, 4]]]}', "must have shape [-1, 4]; got [1, 1, 4]"),
    (b'{"instances": [[1, 2, 3, 4], [1, 2]]}', "ragged"),
    (b'{"instances": [["1", "2", "3", "4"]]}', "contains strings; expected numbers (DT_FLOAT)"),
    (b'{"instances": [[1, 2, 3, "x"]]}', "contains strings"),
    (b'{"instances": [[1, 2, 3, null]]}', "(DT_FLOAT)"),
    (b'{"instances": [[1, 2, 3, true]]}', "true/false; expected numbers (DT_FLOAT)"),
    (b'{"instances": [[1.5, 2, 3, false]]}', "true/false; expected numbers (DT_FLOAT)"),
    (b'{"instances": [[1, 2, 3, NaN]]}', "NaN"),
    (b'{"instances": [[1, 2, 3, Infinity]]}', "Infinity"),
    (b'{"instances": [[1, 2, 3, -Infinity]]}', "-Infinity"),
    (b'{"instances": [[1, 2, 3, 1e999]]}', "finite"),
    (b'{"instances": [[1, 2, 3, 1e39]]}', "outside the range of DT_FLOAT"),
    (b'{"instances": [[1, 2, 3, 4]], "signature_name": "nope"}',
     'Serving signature name: "nope" not found'),
    (b'{"instances": [[1, 2, 3, 4]], "signature_name": 3}', "'signature_name' must be a string"),
    (b'{"instance": [[1, 2, 3, 4]]}', "unknown key(s) ['instance']"),
    (b'{"instances": [{"features": [1, 2, 3, 4], "extra": 1}]}', "unknown ['extra']"),
    (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    (b'{"instances": [[' + b"1" * 5000 + b', 2, 3, 4]]}', "unreadable JSON"),
    (b'\xef\xbb\xbf{"instances": [[1, 2, 3, 4]]}', "malformed JSON: Unexpected UTF-8 BOM"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES,
                         ids=[f"bad{i}" for i in range(len(BAD_BODIES))])
def test_bad_input_is_a_400_that_explains(servers, body, message) -> None:
    for srv in servers.values():
        status, doc, _ = call(srv.url, "POST", "/v1/models/mlp:predict", body)
        assert status == 400, doc
        assert list(doc) == ["error"] and message in doc["error"], doc["error"]
        assert "Traceback" not in doc["error"]


def test_bad_multi_input_requests(url) -> None:
    cases = [({"instances": [{"a": [1, 2]}]}, "missing ['b']"),
             ({"instances": [[1, 2, 3, 4, 5]]}, "must be an object with the inputs 'a', 'b'"),
             ({"inputs": [[1, 2]]}, "'inputs' must be an object mapping each name"),
             ({"inputs": {"a": [[1, 2]], "c": [[1]]}}, "missing ['b'], unknown ['c']"),
             ({"inputs": {"a": [[1, 2]], "b": [[1, 2]]}}, "input 'b' must have shape [-1, 3]")]
    for body, message in cases:
        status, doc = post(url, "/v1/models/multi:predict", body)
        assert status == 400 and message in doc["error"], doc


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("POST", "/v1/models/nope:predict", 404, "Servable not found for request: Latest(nope)"),
    ("GET", "/v1/models/nope", 404, "this server serves 'mlp', 'multi'"),
    ("GET", "/v1/models/nope/metadata", 404, "Latest(nope)"),
    ("GET", "/v1/models/mlp/versions/7", 404, "Specific(mlp, 7); available versions: 1"),
    ("POST", "/v1/models/mlp/versions/7:predict", 404, "Specific(mlp, 7)"),
    ("GET", "/v1/models/mlp/versions/x", 400, "version must be a whole number"),
    ("GET", "/v2/models/mlp", 404, "no route for '/v2/models/mlp'"),
    ("GET", "/", 404, "routes: GET /v1/models/NAME"),
    ("POST", "/v1/models/mlp:classify", 404, "':classify' is not supported"),
    ("GET", "/v1/models/mlp:predict", 405, "use POST"),
    ("PUT", "/v1/models/mlp:predict", 405, "use POST"),
    ("POST", "/v1/models/mlp", 405, "use GET"),
    ("DELETE", "/v1/models/mlp/metadata", 405, "use GET"),
])
def test_routing_errors(url, method, path, status, message) -> None:
    body = b'{"instances": [[1, 2, 3, 4]]}' if method in ("POST", "PUT") else None
    got, doc, headers = call(url, method, path, body)
    assert got == status and message in doc["error"], doc
    if status == 405:
        assert headers["allow"] == ("POST" if path.endswith(":predict") else "GET")


def _raw_exchange(url: str, head: bytes, chunks: list[bytes]) -> bytes:
    """Send ``head`` then ``chunks`` on a raw socket (tolerating the server closing early)
    and return everything the server answered."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as s:
        s.sendall(head)
        try:
            for c in chunks:
                s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while True:
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                break
            if not got:
                break
            data += got
            if b"\r\n\r\n" in data and b'"}' in data:
                break
        return data


def test_body_limit_413_from_content_length_without_reading(url) -> None:
    head = (b"POST /v1/models/mlp:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n")
    t0 = time.monotonic()
    data = _raw_exchange(url, head, [])  # the gigabyte is never sent: refused from the header
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b"larger than the limit of 200000 bytes" in data
    assert time.monotonic() - t0 < 10


def test_body_limit_413_while_streaming(url) -> None:
    head = (b"POST /v1/models/mlp:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"[" + b"1.0, " * 3000 + b"1.0],"
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    n = BODY_LIMIT // len(piece) + 3  # just past the limit, no Content-Length to trust
    data = _raw_exchange(url, head, [chunk] * n)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    assert b'"error"' in data


def test_body_just_under_the_limit_is_served(url, models) -> None:
    x = rows(1200, seed=6)
    body = json.dumps({"instances": np.round(x, 4).tolist()}).encode()
    assert 0.5 * BODY_LIMIT < len(body) < BODY_LIMIT
    status, doc = post(url, "/v1/models/mlp:predict", body)
    assert status == 200 and len(doc["predictions"]) == 1200
    status, doc = post(url, "/v1/models/mlp:predict", body + b" " * (BODY_LIMIT - len(body) + 1))
    assert status == 413 and "--max-body-bytes" in doc["error"]
    zeros = np.zeros((6000, 4), dtype="float32")  # 18,000 output values: encoded off-loop
    status, doc = post(url, "/v1/models/exported:predict", {"inputs": zeros.astype(int).tolist()})
    assert status == 200
    np.testing.assert_allclose(doc["outputs"], models["mlp"](zeros).numpy(), atol=1e-5)


def test_still_serving_after_all_bad_requests(servers) -> None:
    for srv in servers.values():
        assert call(srv.url, "GET", "/v1/models/mlp")[:2] == (200, STATUS_OK)
        assert srv.proc.poll() is None
        assert "Traceback" not in srv.stderr_text()


# ---------------------------------------------------------------------------- batching


def test_batching_gives_the_unbatched_results(servers, models) -> None:
    """120 concurrent requests of 1-5 rows on both servers: identical answers (to float32
    rounding: a merged batch may use another matmul kernel than a single row), all equal to
    model(x)."""
    reqs = [rows(1 + i % 5, seed=100 + i) for i in range(120)]
    want = [models["mlp"](x).numpy() for x in reqs]

    def run(srv_url):
        def one(x):
            return post(srv_url, "/v1/models/mlp:predict", {"instances": x.tolist()})
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(one, reqs))

    plain, batched = run(servers["plain"].url), run(servers["batched"].url)
    for (s1, d1), (s2, d2), w in zip(plain, batched, want, strict=True):
        assert s1 == s2 == 200
        np.testing.assert_allclose(d2["predictions"], d1["predictions"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(d2["predictions"], w, rtol=0, atol=1e-5)
    # a bad request among good ones fails alone
    bad = {"instances": [[1, 2, 3, 4, 50]]}
    good = {"instances": [[1, 2, 3, 4, 5]]}
    with ThreadPoolExecutor(8) as pool:
        res = list(pool.map(lambda b: post(servers["batched"].url, "/v1/models/tokens:predict",
                                           b), [good, bad] * 8))
    assert [s for s, _ in res] == [200, 400] * 8


# ---------------------------------------------------------------------------- soak


def _soak(srv: ModelServer, total: int, models, time_limit: float = 90.0) -> dict:
    """``total`` requests from 16 keep-alive clients: mostly predicts (1-4 rows), some bad
    requests and status calls. Stops by itself after ``total`` requests or ``time_limit`` s."""
    parts = urllib.parse.urlsplit(srv.url)
    pool = [rows(1 + i % 4, seed=1000 + i) for i in range(32)]
    bodies = [json.dumps({"instances": x.tolist()}).encode() for x in pool]
    want = [models["mlp"](x).numpy() for x in pool]
    counter, lock = itertools.count(), threading.Lock()
    stats = {"ok": 0, "4xx": 0, "5xx": 0, "dropped": 0, "wrong": 0, "done": 0}
    deadline = time.monotonic() + time_limit

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        local = dict.fromkeys(stats, 0)
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            if i >= total:
                break
            k = i % len(pool)
            try:
                if i % 20 == 0:
                    conn.request("POST", "/v1/models/mlp:predict", b'{"instances": [[1, 2]]}')
                elif i % 20 == 1:
                    conn.request("GET", "/v1/models/mlp")
                else:
                    conn.request("POST", "/v1/models/mlp:predict", bodies[k])
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                local["dropped"] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            local["done"] += 1
            if resp.will_close:
                local["dropped"] += 1  # the server closed a keep-alive connection
            if resp.status >= 500:
                local["5xx"] += 1
            elif i % 20 == 0:
                local["4xx" if resp.status == 400 else "wrong"] += 1
            elif resp.status != 200:
                local["wrong"] += 1
            else:
                local["ok"] += 1
                if i % 20 != 1 and i % 7 == 0:
                    got = np.asarray(json.loads(raw)["predictions"])
                    if not np.allclose(got, want[k], atol=1e-5):
                        local["wrong"] += 1
        conn.close()
        with lock:
            for key, v in local.items():
                stats[key] += v

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["seconds"] = time.perf_counter() - t0
    return stats


@pytest.mark.parametrize("which", ["plain", "batched"])
def test_soak(servers, models, which, record_property) -> None:
    srv = servers[which]
    half = 2_500
    first = _soak(srv, half, models)
    rss1 = rss(srv.pid)
    second = _soak(srv, half, models)
    rss2 = rss(srv.pid)
    total = {k: first[k] + second[k] for k in first}
    rps = total["done"] / total["seconds"]
    record_property(f"soak_{which}_requests_per_s", round(rps))
    print(f"\nsoak {which}: {total['done']} requests in {total['seconds']:.1f} s = {rps:.0f}/s; "
          f"RSS {rss1 / 2**20:.1f} -> {rss2 / 2**20:.1f} MiB")
    assert total["done"] == 2 * half >= 5_000, total
    assert total["5xx"] == 0 and total["dropped"] == 0 and total["wrong"] == 0, total
    assert total["4xx"] == 2 * (half // 20), total
    assert rss2 - rss1 < 24 * 2**20, (rss1, rss2)
    assert call(srv.url, "GET", "/v1/models/mlp")[:2] == (200, STATUS_OK)
    assert srv.proc.poll() is None


# ---------------------------------------------------------------------------- shutdown


def test_zz_stop_is_clean_and_idempotent(servers) -> None:
    """Runs last: SIGTERM stops the server gracefully, the child is reaped, the port closes."""
    srv = servers["batched"]
    pid, parts = srv.pid, urllib.parse.urlsplit(srv.url)
    t0 = time.monotonic()
    code = srv.stop()
    assert code is not None and time.monotonic() - t0 < 10
    assert srv.stop() == code
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: no zombie left behind
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    assert "Traceback" not in srv.stderr_text()
