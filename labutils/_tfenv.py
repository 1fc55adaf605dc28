"""The process environment TensorFlow and Keras read once, when they are first imported.

This is the only place labutils sets it; ``labutils/__init__.py`` imports this module, so it
runs before any labutils submodule can import TensorFlow. Level 3 of ``TF_CPP_MIN_LOG_LEVEL``
also hides the C++ "E0000 ..." lines TF 2.21 prints for harmless graph-attribute mismatches
(Python errors still surface); Keras 3 is pinned to the TensorFlow backend. ``setdefault``
leaves a value the user exported on purpose alone. Only ``os`` is imported here.
"""

from __future__ import annotations

import os

TF_CPP_MIN_LOG_LEVEL = "3"
KERAS_BACKEND = "tensorflow"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", TF_CPP_MIN_LOG_LEVEL)
os.environ.setdefault("KERAS_BACKEND", KERAS_BACKEND)
