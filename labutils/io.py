"""Save and load Keras models safely: the ``.keras`` format, atomic writes, safe loading.

``save_model`` writes the native Keras 3 ``.keras`` archive (architecture + weights +
optimizer state in one zip file) to a temporary file beside the target and then renames it
with ``os.replace``, so an interrupted save never leaves a half-written model behind and an
existing file is only replaced when you say so. ``load_model`` always uses Keras' *safe mode*:
a ``.keras`` file can carry Python bytecode (a ``Lambda`` layer), and loading it would run
that code, so such files are refused with an explanation instead.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from labutils._files import publish_mode
from labutils._validate import check_instance

__all__ = ["save_model", "load_model"]

_LEGACY = {".h5": "HDF5", ".hdf5": "HDF5"}


def _check_suffix(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return
    if suffix in _LEGACY:
        raise ValueError(
            f"path must end in '.keras'; got {str(path)!r}. '{suffix}' is the legacy HDF5 "
            "format of Keras 2: it does not store everything (reloading compiled string losses "
            "can fail). Save as 'model.keras' instead; for a TensorFlow SavedModel to serve, "
            "use model.export('some_folder').")
    raise ValueError(f"path must end in '.keras' (the native Keras 3 format); got {str(path)!r}. "
                     "For a TensorFlow SavedModel to serve, use model.export('some_folder').")


def save_model(model: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Save ``model`` to ``path`` (which must end in ``.keras``) atomically: write a temporary
    file in the same folder, then ``os.replace`` it onto the target, so readers see either the
    old file or the complete new one. Refuses to replace an existing file unless
    ``overwrite=True``. Creates missing parent folders. Returns the path written.
    """
    import keras

    check_instance("model", model, keras.Model, "a keras.Model")
    path = Path(path)
    _check_suffix(path)
    if path.is_dir():
        raise ValueError(f"path {str(path)!r} is a folder; give a file name ending in '.keras'")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True to replace it "
                              "or choose another file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp_name, overwrite=True)
        publish_mode(tmp_name, path)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | os.PathLike, *, compile: bool = True,
               custom_objects: dict[str, Any] | None = None) -> Any:
    """Load a ``.keras`` model with ``safe_mode=True``. Raises ``FileNotFoundError`` for a
    missing file, and ``ValueError`` naming the file and the fix for a corrupt archive or for a
    model containing a ``Lambda`` layer (its stored bytecode would run on load: arbitrary code
    execution). labutils' own custom layers are registered, so builder models load directly.
    """
    import keras

    import labutils.models  # noqa: F401  (registers TokenAndPositionEmbedding)

    path = Path(path)
    _check_suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}: check the path (relative paths "
                                f"start from {os.getcwd()!r}) or save it first with "
                                "labutils.io.save_model(model, path)")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{str(path)!r} is not a valid .keras file (a .keras file is a zip "
                         "archive); it may be truncated or another format. Save the model again "
                         "with labutils.io.save_model(model, path).")
    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, compile=compile,
                                       safe_mode=True)
    except Exception as err:  # Keras raises ValueError/TypeError/KeyError/OSError variously
        if "safe_mode" in str(err) or "Lambda" in str(err):
            raise ValueError(
                f"refused to load {str(path)!r}: it contains a Lambda layer whose Python "
                "bytecode would be executed on load - arbitrary code execution if the file is "
                "not yours. Fix: rebuild the model with a custom layer registered via "
                "keras.saving.register_keras_serializable (and its code imported), or, only "
                "for a file you created yourself, call "
                "keras.saving.load_model(path, safe_mode=False).") from err
        raise ValueError(
            f"could not load {str(path)!r}: {type(err).__name__}: {err}. If the model uses a "
            "custom layer, import the module that defines it (or pass custom_objects=...); "
            "if the file is damaged, save the model again with labutils.io.save_model."
        ) from err
