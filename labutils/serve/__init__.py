"""``labutils.serve``: serve Keras models over TensorFlow Serving's REST API.

Run ``python -m labutils serve model.keras`` in a terminal, or from Python
``with ModelServer(["model.keras"]) as srv: predict(srv.url, "model", rows)``. The server is
uvicorn + Starlette in its own process; it loads ``.keras`` files (safe mode) and SavedModel
folders from ``model.export()``, answers ``/v1/models/NAME[:predict|/metadata]`` exactly in
TensorFlow Serving's JSON shapes, runs inference off the event loop in compiled graphs and can
merge concurrent requests into micro-batches. Importing this package loads no TensorFlow; the
modules by role: ``cli`` (command line), ``app`` (routes), ``codec`` (JSON <-> arrays),
``models`` (loading), ``batching``, ``process`` (``ModelServer``), ``client``, ``load``
(a bounded load generator: concurrent keep-alive clients, latency percentiles, requests/s).
"""

from __future__ import annotations

from labutils.serve.client import ServeError, model_metadata, model_status, predict
from labutils.serve.load import LoadResult, run_load
from labutils.serve.process import ModelServer, ServerStartError

__all__ = ["LoadResult", "ModelServer", "ServerStartError", "ServeError", "predict",
           "model_status", "model_metadata", "run_load"]
