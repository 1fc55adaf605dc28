"""The load generator sends exactly the requests asked for, over keep-alive connections,
and reports statuses, percentiles and throughput consistently (a stdlib server on 127.0.0.1
stands in for the model server, so no TensorFlow is needed)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from labutils.serve import run_load


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    seen: list[tuple[str, bytes]] = []
    connections: set[tuple[str, int]] = set()

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen.append((self.path, body))
        _Handler.connections.add(self.client_address)
        status = 400 if b"bad" in body else 200
        out = b'{"predictions": [[1.0]]}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    _Handler.seen, _Handler.connections = [], set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_exact_count_keepalive_and_stats(server) -> None:
    res = run_load(server, "/v1/models/m:predict", {"instances": [[1.0, 2.0]]},
                   concurrency=4, requests=203)
    assert res.requests == 203 and res.statuses == {200: 203} and res.dropped == 0
    assert len(_Handler.seen) == 203
    assert {p for p, _ in _Handler.seen} == {"/v1/models/m:predict"}
    assert _Handler.seen[0][1] == b'{"instances": [[1.0, 2.0]]}'
    assert len(_Handler.connections) <= 4  # one connection per client, reused
    assert res.p50 == pytest.approx(np.percentile(res.latencies, 50))
    assert res.p99 >= res.p50 > 0 and res.rps == pytest.approx(203 / res.wall_s)
    assert res.server_errors == 0


def test_statuses_are_counted(server) -> None:
    res = run_load(server, "/x", b"bad body", concurrency=2, requests=10)
    assert res.statuses == {400: 10}


def test_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="url must look like"):
        run_load("127.0.0.1:8501", "/x", {}, requests=1)
    with pytest.raises(ValueError, match="concurrency must be a positive int"):
        run_load("http://127.0.0.1:1", "/x", {}, concurrency=0)
    with pytest.raises(TypeError, match="requests must be a positive int"):
        run_load("http://127.0.0.1:1", "/x", {}, requests=2.5)


def test_a_dead_server_counts_drops_and_stops() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    res = run_load(f"http://127.0.0.1:{port}", "/x", {}, concurrency=2, requests=6)
    assert res.requests == 0 and res.dropped == 6
