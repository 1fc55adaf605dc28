"""One name per dataset: ``load_dataset("churn")`` so no notebook loads data its own way."""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

from labutils._validate import check_choice


class DatasetSpec(NamedTuple):
    """Where a dataset's loader lives, what kind of data it returns, and a one-line summary."""

    module: str
    function: str
    kind: str
    summary: str


_T = "labutils.data.tabular"
DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec("labutils.data.images", "load_digits", "images",
                          "1,797 handwritten digits, 8x8 pixels (scikit-learn; offline)"),
    "mnist": DatasetSpec("labutils.data.images", "load_mnist", "images",
                         "70,000 handwritten digits, 28x28 (download once, cached)"),
    "fashion_mnist": DatasetSpec("labutils.data.images", "load_mnist", "images",
                                 "70,000 clothing images, 28x28 (download once, cached)"),
    "ames": DatasetSpec(_T, "load_ames", "tabular",
                        "2,930 Ames house sales; regression on sale_price"),
    "lending_club": DatasetSpec(_T, "load_lending_club", "tabular",
                                "9,857 Lending Club loans; classify bad_loan (finance)"),
    "credit_scoring": DatasetSpec(_T, "load_credit_scoring", "tabular",
                                  "4,454 credit applications with missing values (finance)"),
    "churn": DatasetSpec(_T, "load_churn", "tabular",
                         "7,043 telecom customers; classify churned (retail)"),
    "pima_diabetes": DatasetSpec(_T, "load_pima_diabetes", "tabular",
                                 "532 patients; classify diabetic (healthcare)"),
    "breast_cancer": DatasetSpec(_T, "load_breast_cancer", "tabular",
                                 "569 tumour biopsies; classify malignant (healthcare)"),
    "flights": DatasetSpec(_T, "load_flights", "tabular",
                           "336,776 NYC flights in 2013 (big-data track)"),
    "movielens": DatasetSpec(_T, "load_movielens", "tabular",
                             "100,004 movie ratings (recommendation)"),
    "chicago_ridership": DatasetSpec(_T, "load_chicago_ridership", "timeseries",
                                     "5,698 days of Chicago 'L' ridership (RNNs)"),
    "air_passengers": DatasetSpec(_T, "load_air_passengers", "timeseries",
                                  "144 months of airline passengers, 1949-1960"),
    "notable_models": DatasetSpec("labutils.data.notable", "load_notable_models", "reference",
                                  "69 notable AI models 2012-2025 with cited sources"),
    "course_notes": DatasetSpec("labutils.data.text", "load_text", "text",
                                "12.7k-character English essay written for the course"),
    "fine_foods": DatasetSpec("labutils.data.text", "load_fine_foods", "text",
                              "5,000 Amazon food reviews, (train, test); classify great "
                              "(5 stars)"),
}
_PRESET: dict[str, dict[str, Any]] = {"mnist": {"kind": "mnist"},
                                      "fashion_mnist": {"kind": "fashion"},
                                      "course_notes": {"name": "course_notes"}}
KINDS = ("images", "tabular", "timeseries", "text", "reference")


def list_datasets(kind: str | None = None) -> list[str]:
    """Sorted names accepted by :func:`load_dataset`, optionally only one ``kind``
    ("images", "tabular", "timeseries", "text" or "reference")."""
    check_choice("kind", kind, (None, *KINDS))
    return sorted(n for n, s in DATASETS.items() if kind is None or s.kind == kind)


def describe_dataset(name: str) -> str:
    """One line saying what ``name`` holds; unknown names raise ``ValueError``."""
    return _spec(name).summary


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(list_datasets())}")
    return DATASETS[name]


def load_dataset(name: str, **kwargs: Any) -> Any:
    """Load a dataset by name, forwarding keyword arguments to its loader.

    ``load_dataset("mnist", fallback="digits")`` is ``load_mnist(kind="mnist",
    fallback="digits")``; ``load_dataset("ames")`` is ``load_ames()``. Unknown names raise
    ``ValueError`` listing every valid name; see :func:`list_datasets`.
    """
    spec = _spec(name)
    loader = getattr(importlib.import_module(spec.module), spec.function)
    preset = _PRESET.get(name, {})
    clash = sorted(set(preset) & set(kwargs))
    if clash:
        raise ValueError(f"load_dataset({name!r}) already sets {clash}; call "
                         f"{spec.function}() directly to choose them")
    return loader(**preset, **kwargs)
