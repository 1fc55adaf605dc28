"""What a served signature promises, without TensorFlow: tensor names, dtypes and shapes.

A ``Signature`` is one callable entry point of a model (TensorFlow Serving's
``SignatureDef``): ordered input and output ``TensorInfo`` records plus a ``call`` that maps
a dict of NumPy arrays to a dict of NumPy arrays. The request codec, the micro-batcher and the
HTTP layer work only with these records, so they stay importable (and testable) without
loading TensorFlow; ``labutils.serve.models`` fills them in from a ``.keras`` file or a
SavedModel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["TensorInfo", "Signature", "ServedModel", "RequestError", "PREDICT_METHOD",
           "DEFAULT_SIGNATURE"]

PREDICT_METHOD = "tensorflow/serving/predict"
DEFAULT_SIGNATURE = "serving_default"

Arrays = dict[str, np.ndarray]


class RequestError(Exception):
    """A request the server refuses: carries the HTTP status (4xx) and a message that says
    what was expected, which becomes the ``{"error": ...}`` body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class TensorInfo:
    """One named input or output tensor: its key in the signature, TensorFlow dtype name
    (``"DT_FLOAT"``), NumPy dtype, shape (``None`` per unknown dim; ``shape=None`` for
    unknown rank) and the graph tensor name reported in the metadata."""

    key: str
    dtype: str
    np_dtype: np.dtype
    shape: tuple[int | None, ...] | None
    tensor_name: str

    def shape_text(self) -> str:
        """The shape as TensorFlow Serving writes it: ``[-1, 4]`` (-1 = any size)."""
        if self.shape is None:
            return "<unknown rank>"
        return "[" + ", ".join("-1" if d is None else str(d) for d in self.shape) + "]"

    def to_json(self) -> dict[str, Any]:
        """This tensor as TensorFlow Serving's JSON ``TensorInfo`` (sizes are strings)."""
        if self.shape is None:
            shape: dict[str, Any] = {"dim": [], "unknown_rank": True}
        else:
            shape = {"dim": [{"size": str(-1 if d is None else d), "name": ""}
                             for d in self.shape], "unknown_rank": False}
        return {"dtype": self.dtype, "tensor_shape": shape, "name": self.tensor_name}


@dataclass
class Signature:
    """A callable signature: ordered ``inputs``/``outputs`` and ``call(arrays) -> arrays``.
    ``batchable`` is true when every tensor has a free leading (batch) dimension, so
    requests can be concatenated along axis 0 and split again."""

    name: str
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    call: Callable[[Arrays], Arrays]
    method_name: str = PREDICT_METHOD

    @property
    def batchable(self) -> bool:
        """True when all inputs and outputs have rank >= 1 and an unknown dimension 0."""
        infos = list(self.inputs.values()) + list(self.outputs.values())
        return all(i.shape is not None and len(i.shape) >= 1 and i.shape[0] is None
                   for i in infos)

    def to_json(self) -> dict[str, Any]:
        """This signature as TensorFlow Serving's JSON ``SignatureDef``."""
        return {"inputs": {k: v.to_json() for k, v in self.inputs.items()},
                "outputs": {k: v.to_json() for k, v in self.outputs.items()},
                "method_name": self.method_name, "defaults": {}}


@dataclass
class ServedModel:
    """One version of one model: its callable ``signatures`` and, for the metadata route,
    every ``signature_def`` as JSON (a SavedModel also lists non-callable ones such as
    ``__saved_model_init_op``, exactly as TensorFlow Serving does)."""

    name: str
    version: str
    source: str
    signatures: dict[str, Signature]
    signature_defs: dict[str, Any]
    keepalive: list[Any] = field(default_factory=list, repr=False)
