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

# Start-up notices TensorFlow's C++ side prints on some CPUs (e.g. AMD EPYC with oneDNN) even
# at TF_CPP_MIN_LOG_LEVEL=3, twice, before its logging is configured: pure information, no
# action possible. Everything else TensorFlow writes while importing is passed through.
STARTUP_NOTICES = ("All log messages before absl::InitializeLog() is called",
                   "oneDNN custom operations are on")


def import_tensorflow_quietly():  # -> the tensorflow module
    """Import TensorFlow with its known start-up notices (``STARTUP_NOTICES``) filtered out of
    the process's standard error; any other line it writes is passed on. A no-op filter when
    TensorFlow is already imported or stderr has no file descriptor (some embedded hosts)."""
    import sys
    import tempfile

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
    kept = [line for line in text.splitlines()
            if line.strip() and not any(n in line for n in STARTUP_NOTICES)]
    if kept:
        os.write(fd, ("\n".join(kept) + "\n").encode())
    return tensorflow
