"""A bounded load generator for a model server: concurrent clients, latencies, throughput.

``run_load(url, path, body, concurrency=8, requests=400)`` starts ``concurrency`` client
threads, each with its own keep-alive HTTP connection, which together send exactly
``requests`` POSTs of ``body`` to ``url + path`` (or stop at ``time_limit`` seconds, whichever
comes first) and time each one. The result holds every latency, the status codes, the number
of dropped connections and the wall time, with p50/p99 and requests per second. It only ever
talks to the address it is given; notebooks, tests and benchmarks point it at 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from labutils._validate import check_scalar, positive_int

__all__ = ["LoadResult", "run_load"]


@dataclass
class LoadResult:
    """What a load run measured: per-request latencies (seconds), status counts, dropped
    connections, and the wall time of the whole run."""

    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    dropped: int = 0
    wall_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        """Completed requests per second of wall time."""
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in seconds (NumPy's linear interpolation)."""
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def server_errors(self) -> int:
        """Responses with a 5xx status."""
        return sum(n for s, n in self.statuses.items() if s >= 500)


def run_load(url: str, path: str, body: Any, *, concurrency: int = 8, requests: int = 400,
             time_limit: float = 30.0, timeout: float = 30.0) -> LoadResult:
    """POST ``body`` (a JSON-able object, or bytes) to ``url + path`` ``requests`` times from
    ``concurrency`` keep-alive clients at once; see the module docstring. A connection that
    fails is counted in ``dropped``, reopened, and the run goes on."""
    concurrency = positive_int("concurrency", concurrency)
    requests = positive_int("requests", requests)
    time_limit = check_scalar("time_limit", time_limit, "real", min=0, include_min=False)
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"url must look like 'http://127.0.0.1:8501'; got {url!r}")
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    result = LoadResult(concurrency=concurrency)
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + time_limit

    def take() -> bool:
        with lock:
            if remaining[0] <= 0 or time.monotonic() > deadline:
                return False
            remaining[0] -= 1
            return True

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            while take():
                t0 = time.perf_counter()
                try:
                    conn.request("POST", path, payload, headers)
                    resp = conn.getresponse()
                    resp.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                                      timeout=timeout)
                    with lock:
                        result.dropped += 1
                    continue
                dt = time.perf_counter() - t0
                with lock:
                    result.latencies.append(dt)
                    result.statuses[resp.status] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.perf_counter() - start
    return result
