"""The Starlette application: TensorFlow Serving's REST routes over the loaded models.

Routes (``api_rest.md`` of tensorflow/serving): ``GET /v1/models/NAME[/versions/V]`` (status),
``GET /v1/models/NAME[/versions/V]/metadata`` and ``POST /v1/models/NAME[/versions/V]:predict``.
Every answer, including every error, is JSON: ``{"error": message}`` with 400 for a bad
request, 404 for an unknown model, version or route, 405 for a wrong method and 413 for a
body over ``max_body_bytes`` (refused from its Content-Length, or as soon as the streamed
body passes the limit: it is never read whole first). Inference runs in a thread pool, never
on the event loop, optionally through a ``MicroBatcher`` per signature (large JSON bodies are
parsed, and large answers encoded, in worker threads too); an unexpected error is logged and
answered with 500, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from labutils.serve.batching import MicroBatcher
from labutils.serve.codec import (
    PredictRequest,
    decode_predict,
    dump_json,
    encode_predict,
    parse_body,
)
from labutils.serve.signature import RequestError, ServedModel

__all__ = ["ServeConfig", "create_app"]

log = logging.getLogger("labutils.serve")

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?"
                   r"(?:(?P<meta>/metadata)|:(?P<verb>[A-Za-z_]+))?$")
_INLINE_BYTES = 64 * 1024  # larger bodies are parsed in a worker thread
_INLINE_VALUES = 16 * 1024  # larger outputs are encoded in a worker thread
_ROUTES = ("GET /v1/models/NAME[/versions/V], GET /v1/models/NAME[/versions/V]/metadata, "
           "POST /v1/models/NAME[/versions/V]:predict")


@dataclass(frozen=True)
class ServeConfig:
    """Server settings: body limit, micro-batching switch and sizes, inference threads."""

    max_body_bytes: int = 10_000_000
    batching: bool = False
    max_batch_size: int = 32
    batch_timeout_ms: float = 3.0
    threads: int = 2


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact; NaN/Infinity allowed, as TensorFlow Serving writes them)."""
    return Response(dump_json(obj), status_code=status, headers=headers,
                    media_type="application/json")


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """TensorFlow Serving's error shape: ``{"error": message}`` with ``status``."""
    return _json({"error": message}, status, headers)


class _Registry:
    """The served models by name and version, with their batchers (filled at start-up)."""

    def __init__(self, models: list[ServedModel]) -> None:
        self.models: dict[str, dict[str, ServedModel]] = {}
        for m in models:
            self.models.setdefault(m.name, {})[m.version] = m
        self.batchers: dict[tuple[str, str, str], MicroBatcher] = {}

    def find(self, name: str, version: str | None) -> ServedModel:
        """The model version asked for (latest when ``version`` is None), else 404/400."""
        versions = self.models.get(name)
        if versions is None:
            served = ", ".join(repr(n) for n in self.models)
            raise RequestError(f"Servable not found for request: Latest({name}); this server "
                               f"serves {served}", status=404)
        if version is None:
            return versions[max(versions, key=int)]
        if not version.isdigit():
            raise RequestError(f"version must be a whole number such as 1; got {version!r}")
        found = versions.get(str(int(version)))
        if found is None:
            raise RequestError(f"Servable not found for request: Specific({name}, {version}); "
                               f"available versions: {', '.join(versions)}", status=404)
        return found


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 from Content-Length or once the stream passes ``limit``."""
    too_big = (f"the request body is larger than the limit of {limit} bytes; send fewer "
               "instances per request (or start the server with a larger --max-body-bytes)")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise RequestError(f"invalid Content-Length header {declared!r}")
        if int(declared) > limit:
            raise RequestError(too_big, status=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(too_big, status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def _status_json(models: list[ServedModel]) -> dict[str, Any]:
    """The ``GetModelStatusResponse`` JSON for these model versions (all AVAILABLE)."""
    return {"model_version_status": [
        {"version": m.version, "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}} for m in models]}


def _metadata_json(model: ServedModel) -> dict[str, Any]:
    """The ``GetModelMetadataResponse`` JSON: model spec plus every signature def."""
    return {"model_spec": {"name": model.name, "signature_name": "", "version": model.version},
            "metadata": {"signature_def": {"signature_def": model.signature_defs}}}


def create_app(models: list[ServedModel], config: ServeConfig) -> Starlette:
    """A Starlette app serving ``models`` with ``config`` (see the module docstring)."""
    registry = _Registry(models)
    executor = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="infer")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Start one micro-batcher per batchable signature; stop them and the pool at exit."""
        if config.batching:
            for m in models:
                for sig in m.signatures.values():
                    if sig.batchable:
                        b = MicroBatcher(sig.call, executor, max_rows=config.max_batch_size,
                                         timeout_s=config.batch_timeout_ms / 1000.0,
                                         concurrency=config.threads)
                        b.start()
                        registry.batchers[(m.name, m.version, sig.name)] = b
        try:
            yield
        finally:
            for b in registry.batchers.values():
                await b.aclose()
            executor.shutdown(wait=False, cancel_futures=True)

    def decode(body: bytes, model: ServedModel) -> PredictRequest:
        """Parse and validate a predict body (CPU work: run in a thread when large)."""
        return decode_predict(parse_body(body), model.signatures,
                              bools=b"true" in body or b"false" in body)

    async def predict(request: Request, model: ServedModel) -> Response:
        """``:predict``: read the body, decode it, run the model (batched or not), encode."""
        body = await _read_body(request, config.max_body_bytes)
        if len(body) > _INLINE_BYTES:  # parsing megabytes of JSON would stall the event loop
            req = await run_in_threadpool(decode, body, model)
        else:
            req = decode(body, model)
        sig = model.signatures[req.signature_name]
        batcher = registry.batchers.get((model.name, model.version, sig.name))
        same_rows = all(a.ndim >= 1 and a.shape[0] == req.rows for a in req.arrays.values())
        if batcher is not None and same_rows:  # columnar inputs may differ in dim 0: alone
            outputs = await batcher.submit(req.arrays, req.rows)
        else:
            loop = asyncio.get_running_loop()
            outputs = await loop.run_in_executor(executor, sig.call, req.arrays)
        if sum(v.size for v in outputs.values()) > _INLINE_VALUES:
            return await run_in_threadpool(lambda: _json(encode_predict(outputs,
                                                                        req.row_format)))
        return _json(encode_predict(outputs, req.row_format))

    async def route(request: Request, method: str) -> Response:
        """Match the path and method to a route; errors are raised as ``RequestError``."""
        path = request.url.path
        m = _PATH.match(path)
        if m is None:
            raise RequestError(f"no route for {path!r}; routes: {_ROUTES}", status=404)
        name, version, meta, verb = m.group("name", "version", "meta", "verb")
        if verb is not None and verb != "predict":
            raise RequestError(f"':{verb}' is not supported here; use ':predict' "
                               f"(routes: {_ROUTES})", status=404)
        allowed = "POST" if verb else "GET"
        if method != allowed:
            return _error(f"method {method} is not allowed on {path!r}; use {allowed}", 405,
                          {"Allow": allowed})
        if verb:
            return await predict(request, registry.find(name, version))
        model = registry.find(name, version)
        if meta:
            return _json(_metadata_json(model))
        if version is None:
            versions = registry.models[name]
            return _json(_status_json([versions[v] for v in sorted(versions, key=int,
                                                                    reverse=True)]))
        return _json(_status_json([model]))

    async def endpoint(request: Request) -> Response:
        """The single ASGI endpoint: every outcome becomes a JSON response, never a crash."""
        method = request.method
        try:
            return await route(request, method)
        except RequestError as err:
            return _error(err.message, err.status)
        except ClientDisconnect:
            return _error("the client disconnected before sending the whole body", 400)
        except Exception as err:  # noqa: BLE001 - never crash, never leak a traceback
            log.exception("internal error on %s %s", method, request.url.path)
            return _error(f"internal server error ({type(err).__name__}); see the server log",
                          500)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)],
                     lifespan=lifespan)
