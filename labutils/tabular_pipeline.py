"""Tabular preprocessing that travels with its model: fit once on training rows, save both
together, and apply exactly the same steps to raw rows at serving time.

A model trained on a table never sees the table: it sees numbers made by imputation (缺失值
填充), scaling (标准化) and one-hot encoding (独热编码), whose statistics - medians, means,
standard deviations, the list of categories - were learned from the *training* rows.
Serving must repeat those steps with those statistics, never re-learn them from the rows it
is asked about. :func:`make_preprocessor` builds the scikit-learn ``ColumnTransformer``;
:class:`TabularModel` pairs the fitted transformer with a Keras model and accepts raw rows (a
DataFrame, a dict or a list of dicts, with ``None`` for a missing value); and
:func:`save_tabular_model` / :func:`load_tabular_model` store both in one folder with a
manifest of sha256 hashes. The transformer is a pickle (joblib): loading a pickle runs code,
so the hash check guards against a damaged or swapped file, not against an untrusted author -
load only folders you or your team wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labutils._validate import check_choice, check_instance, check_scalar

__all__ = ["TabularModel", "column_types", "make_preprocessor", "save_tabular_model",
           "load_tabular_model", "MANIFEST"]

MANIFEST = "manifest.json"
_PREPROCESSOR = "preprocessor.joblib"
_MODEL = "model.keras"
_FORMAT = 1
IMPUTE = ("median", "mean", None)
FILL_CATEGORICAL = ("most_frequent", "missing")


def column_types(frame: Any, *, exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Split the columns of a DataFrame into ``(numeric, categorical)`` by dtype, leaving out
    ``exclude`` (e.g. the target). Numbers are numeric; ``category``, text and ``bool``
    columns are categorical. Any other dtype (dates, for example) raises ``ValueError``
    naming the column, because it needs a decision (days since? month?) before modelling.
    """
    import pandas as pd

    check_instance("frame", frame, pd.DataFrame, "a pandas DataFrame")
    missing = [c for c in exclude if c not in frame.columns]
    if missing:
        raise ValueError(f"exclude names columns the frame does not have: {missing}")
    numeric, categorical = [], []
    for name in frame.columns:
        if name in exclude:
            continue
        dtype = frame[name].dtype
        if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype) \
                or pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
            categorical.append(name)
        elif pd.api.types.is_numeric_dtype(dtype):
            numeric.append(name)
        else:
            raise ValueError(f"column {name!r} has dtype {dtype}, neither numeric nor "
                             "categorical: convert it first (e.g. a date to a number of days)")
    return numeric, categorical


def make_preprocessor(numeric: Sequence[str], categorical: Sequence[str] = (), *,
                      log: Sequence[str] = (), impute: str | None = "median",
                      indicator: bool = True, fill_categorical: str = "most_frequent",
                      min_frequency: int | None = None) -> Any:
    """A scikit-learn ``ColumnTransformer`` (not fitted) for a table with these columns.

    Numeric columns: impute (``"median"``, ``"mean"`` or ``None`` when there is nothing to
    fill) with a 0/1 missingness indicator per column that had gaps in training
    (``indicator``), then standardise. Columns in ``log`` (a subset of ``numeric``, values
    >= 0 such as money) get ``log1p`` first, so a few huge values do not dominate the scale.
    Categorical columns: fill gaps with the most frequent training value
    (``fill_categorical="most_frequent"``) or make them a category of their own
    (``"missing"``, right when a gap means "none"), then one-hot encode; a category never
    seen in training becomes all zeros instead of an error, and categories rarer than
    ``min_frequency`` training rows share one "infrequent" column. Output: a dense float
    array; every statistic comes from the rows given to ``fit``.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric, categorical, log = list(numeric), list(categorical), list(log)
    check_choice("impute", impute, IMPUTE)
    check_choice("indicator", indicator, (True, False))
    check_choice("fill_categorical", fill_categorical, FILL_CATEGORICAL)
    if min_frequency is not None:
        min_frequency = check_scalar("min_frequency", min_frequency, "int", min=1)
    overlap = sorted(set(numeric) & set(categorical))
    if overlap:
        raise ValueError(f"columns cannot be both numeric and categorical: {overlap}")
    stray = sorted(set(log) - set(numeric))
    if stray:
        raise ValueError(f"log columns must be among the numeric columns; not numeric: {stray}")
    if not numeric and not categorical:
        raise ValueError("give at least one numeric or categorical column")

    def numeric_steps(first: list[Any]) -> Any:
        fill = [SimpleImputer(strategy=impute, add_indicator=indicator)] if impute else []
        return make_pipeline(*first, *fill, StandardScaler())

    parts = []
    plain = [c for c in numeric if c not in log]
    if plain:
        parts.append(("numeric", numeric_steps([]), plain))
    if log:
        log1p = FunctionTransformer(np.log1p, feature_names_out="one-to-one")
        parts.append(("log_numeric", numeric_steps([log1p]), log))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="infrequent_if_exist" if min_frequency else
                                "ignore", min_frequency=min_frequency, sparse_output=False)
        filler = SimpleImputer(strategy="most_frequent") if fill_categorical == "most_frequent" \
            else SimpleImputer(strategy="constant", fill_value="missing")
        parts.append(("categorical", make_pipeline(filler, encoder), categorical))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _as_frame(rows: Any, numeric: Sequence[str], categorical: Sequence[str]) -> Any:
    """Raw rows as a DataFrame with the expected columns: numbers as float (``None`` -> NaN),
    categories as text (``None`` -> NaN). Missing columns raise ``ValueError`` by name."""
    import pandas as pd

    if isinstance(rows, dict):
        rows = [rows]
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    missing = [c for c in (*numeric, *categorical) if c not in frame.columns]
    if missing:
        raise ValueError(f"rows lack the columns {missing}; the model needs "
                         f"{[*numeric, *categorical]}")
    out = pd.DataFrame(index=frame.index)
    for name in numeric:
        try:
            out[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
        except (TypeError, ValueError) as err:
            raise ValueError(f"column {name!r} must hold numbers (or None for missing): "
                             f"{err}") from err
    for name in categorical:
        values = frame[name].astype(object)
        out[name] = values.where(values.notna(), np.nan)
    return out


@dataclass
class TabularModel:
    """A fitted preprocessor and the Keras model trained on its output. :meth:`predict`
    takes raw rows - a DataFrame, one dict or a list of dicts, ``None`` for a missing value -
    and returns the model's outputs as a NumPy array."""

    preprocessor: Any
    model: Any
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    def __post_init__(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self.preprocessor)
        self.numeric, self.categorical = tuple(self.numeric), tuple(self.categorical)

    def transform(self, rows: Any) -> np.ndarray:
        """The model's input for ``rows``: the fitted preprocessing, as float32."""
        frame = _as_frame(rows, self.numeric, self.categorical)
        return np.asarray(self.preprocessor.transform(frame), dtype="float32")

    def predict(self, rows: Any, batch_size: int | None = None) -> np.ndarray:
        """The model's outputs for raw ``rows`` (preprocessing included); ``batch_size`` as
        in ``keras.Model.predict`` (None: Keras' default of 32)."""
        return np.asarray(self.model.predict(self.transform(rows), batch_size=batch_size,
                                             verbose=0))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_tabular_model(tabular: TabularModel, folder: str | os.PathLike, *,
                       overwrite: bool = False) -> Path:
    """Write ``tabular`` to ``folder``: ``preprocessor.joblib``, ``model.keras`` and
    ``manifest.json`` (columns, library versions, sha256 of both files). The folder is built
    under a temporary name beside the target and renamed into place, so a reader never sees
    half of it; an existing folder is replaced only with ``overwrite=True``.
    """
    import joblib
    import keras
    import sklearn

    from labutils.io import save_model

    check_instance("tabular", tabular, TabularModel, "a TabularModel")
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise FileExistsError(f"{str(folder)!r} already exists; pass overwrite=True to "
                              "replace it or choose another folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        joblib.dump(tabular.preprocessor, tmp / _PREPROCESSOR)
        save_model(tabular.model, tmp / _MODEL)
        manifest = {"format": _FORMAT, "numeric": list(tabular.numeric),
                    "categorical": list(tabular.categorical),
                    "versions": {"scikit-learn": sklearn.__version__,
                                 "keras": keras.__version__},
                    "sha256": {name: _sha256(tmp / name) for name in (_PREPROCESSOR, _MODEL)}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
            os.replace(folder, old / folder.name)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def load_tabular_model(folder: str | os.PathLike) -> TabularModel:
    """Load a folder written by :func:`save_tabular_model` into a new :class:`TabularModel`.
    The sha256 of each file must match the manifest (``ValueError`` otherwise, before
    anything is unpickled); the model loads in Keras' safe mode. A different scikit-learn
    version than the one that saved the preprocessor makes scikit-learn warn.
    """
    import joblib

    from labutils.io import load_model

    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} in {str(folder)!r}: save the model first with "
                                "labutils.tabular_pipeline.save_tabular_model")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} has format {manifest.get('format')!r}; this labutils "
                         f"reads format {_FORMAT}")
    for name in (_PREPROCESSOR, _MODEL):
        if _sha256(folder / name) != manifest["sha256"][name]:
            raise ValueError(f"{name} in {str(folder)!r} does not match the sha256 in "
                             f"{MANIFEST}: the file is damaged or was replaced; save again")
    return TabularModel(preprocessor=joblib.load(folder / _PREPROCESSOR),
                        model=load_model(folder / _MODEL),
                        numeric=manifest["numeric"], categorical=manifest["categorical"])
