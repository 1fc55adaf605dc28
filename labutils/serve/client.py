"""A tiny client for notebooks: ``predict(url, name, instances)`` and friends over urllib.

Speaks TensorFlow Serving's REST API, so it works against ``labutils.serve`` and against a
real TensorFlow Serving. Connections go direct (no HTTP proxy from the environment: the server
is usually on this machine). A server-side error becomes ``ServeError`` carrying the HTTP
status and the server's ``{"error": ...}`` message, so a notebook shows what was wrong.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

__all__ = ["ServeError", "predict", "model_status", "model_metadata"]

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServeError(RuntimeError):
    """The server answered with an error: ``status`` (HTTP code) and ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def _model_url(url: str, name: str, version: int | str | None) -> str:
    """``{url}/v1/models/{name}[/versions/{version}]`` with both parts URL-quoted."""
    base = f"{url.rstrip('/')}/v1/models/{quote(str(name), safe='')}"
    return base if version is None else f"{base}/versions/{quote(str(version), safe='')}"


def _request(url: str, body: Any = None, timeout: float = 30.0) -> Any:
    """GET (``body=None``) or POST JSON; the parsed answer, or ``ServeError``."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            message = json.loads(raw)["error"]
        except (ValueError, KeyError, TypeError):
            message = raw.decode("utf-8", "replace")[:500] or err.reason
        raise ServeError(err.code, message) from None


def _tolist(x: Any) -> Any:
    """NumPy arrays to lists, anything else unchanged."""
    return x.tolist() if hasattr(x, "tolist") else x


def predict(url: str, name: str, instances: Any, *, version: int | str | None = None,
            signature_name: str | None = None, timeout: float = 30.0) -> Any:
    """``POST {url}/v1/models/{name}:predict`` with ``{"instances": instances}`` (a list or a
    NumPy array, one row per example) and return the ``predictions`` list."""
    if hasattr(instances, "tolist"):
        instances = instances.tolist()
    elif isinstance(instances, list):
        instances = [_tolist(x) if not isinstance(x, dict) else
                     {k: _tolist(v) for k, v in x.items()} for x in instances]
    body: dict[str, Any] = {"instances": instances}
    if signature_name is not None:
        body["signature_name"] = signature_name
    return _request(_model_url(url, name, version) + ":predict", body, timeout)["predictions"]


def model_status(url: str, name: str, *, version: int | str | None = None,
                 timeout: float = 30.0) -> dict[str, Any]:
    """``GET {url}/v1/models/{name}``: the ``model_version_status`` document."""
    return _request(_model_url(url, name, version), timeout=timeout)


def model_metadata(url: str, name: str, *, version: int | str | None = None,
                   timeout: float = 30.0) -> dict[str, Any]:
    """``GET {url}/v1/models/{name}/metadata``: model spec and signature definitions."""
    return _request(_model_url(url, name, version) + "/metadata", timeout=timeout)
