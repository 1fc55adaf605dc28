"""Train / validation / test splits and feature scaling that cannot leak the test set.

The rule these helpers enforce: split first, then fit every transformation (here, the
scaler's mean and standard deviation) on the training rows only, and apply it unchanged to
validation and test rows. A scaler that saw the test set has already peeked at the answer.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from labutils._validate import check_scalar


class Split(NamedTuple):
    """Six parts in a fixed order, so ``x_tr, x_va, x_te, y_tr, y_va, y_te = ...`` works.
    ``y_*`` are None when no ``y`` was given."""

    x_train: Any
    x_val: Any
    x_test: Any
    y_train: Any
    y_val: Any
    y_test: Any


def _check_fraction(name: str, value: float, allow_zero: bool) -> float:
    return check_scalar(name, value, "real", min=0.0, max=1.0, include_min=allow_zero,
                        include_max=False)


def split_sizes(n: int, val: float = 0.15, test: float = 0.15) -> tuple[int, int, int]:
    """Row counts (train, val, test) for ``n`` rows: ``round(test * n)`` test rows,
    ``round(val * n)`` validation rows, the rest for training.

    Validates the arguments: 0 <= val < 1, 0 < test < 1, val + test < 1, every requested
    part gets at least one row, and at least one row is left for training.
    """
    n = check_scalar("n", n, "int", min=0)
    val = _check_fraction("val", val, allow_zero=True)
    test = _check_fraction("test", test, allow_zero=False)
    if val + test >= 1:
        raise ValueError(f"val + test must be < 1 so some rows remain for training; "
                         f"got {val} + {test} = {val + test}")
    n_test, n_val = round(test * n), round(val * n)
    if n_test < 1 or (val > 0 and n_val < 1) or n - n_test - n_val < 1:
        raise ValueError(f"{n} rows are too few for val={val}, test={test}: each requested "
                         f"part needs at least one row and training at least one")
    return n - n_val - n_test, n_val, n_test


def _take(data: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of an array, DataFrame or Series (positional, keeps the index)."""
    return data.iloc[idx] if hasattr(data, "iloc") else np.asarray(data)[idx]


def train_val_test_split(x: Any, y: Any = None, *, val: float = 0.15, test: float = 0.15,
                         seed: int = 0, stratify: Any = None,
                         shuffle: bool = True) -> Split:
    """Split rows into train, validation and test parts, reproducibly.

    Sizes follow :func:`split_sizes`. ``stratify`` (labels, or ``True`` to use ``y``) keeps
    class proportions equal in every part. ``shuffle=False`` keeps the row order - train is
    the first rows, test the last - which is the honest split for time series: train on the
    past, test on the future. Works with NumPy arrays, pandas DataFrames and Series.
    """
    n = len(x)
    if y is not None and len(y) != n:
        raise ValueError(f"x and y must have the same number of rows; got {n} and {len(y)}")
    n_train, n_val, n_test = split_sizes(n, val, test)
    if stratify is True:
        if y is None:
            raise ValueError("stratify=True needs y")
        stratify = y
    if not shuffle:
        if stratify is not None:
            raise ValueError("stratify requires shuffle=True (an ordered split cannot "
                             "balance classes)")
        order = np.arange(n)
    elif stratify is None:
        order = np.random.default_rng(seed).permutation(n)
    else:
        from sklearn.model_selection import train_test_split

        labels = np.asarray(stratify)
        rest, test_idx = train_test_split(np.arange(n), test_size=n_test, stratify=labels,
                                          random_state=seed)
        if n_val:
            train_idx, val_idx = train_test_split(rest, test_size=n_val,
                                                  stratify=labels[rest], random_state=seed)
        else:
            train_idx, val_idx = rest, rest[:0]
        order = np.concatenate([train_idx, val_idx, test_idx])
    parts = np.split(order, [n_train, n_train + n_val])
    xs = [_take(x, p) for p in parts]
    ys = [None] * 3 if y is None else [_take(y, p) for p in parts]
    return Split(*xs, *ys)


class NotFittedError(RuntimeError):
    """Raised when a scaler is used before ``fit``: there are no statistics to apply yet."""


class Standardizer:
    """Subtract the training mean and divide by the training standard deviation, per column.

    ``fit`` learns the statistics from training rows only, ignoring NaN (missing values
    stay NaN after transform). Constant columns get scale 1, so they map to 0, not to
    inf. Accepts arrays or DataFrames and returns the same kind.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, x: Any) -> Standardizer:
        """Learn per-column mean and standard deviation (ddof=0) from ``x``."""
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 1:
            raise ValueError(f"x must be 2-D with at least one row; got shape {arr.shape}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column warns
            mean = np.nanmean(arr, axis=0)
            std = np.nanstd(arr, axis=0)
        self.mean_ = np.nan_to_num(mean, nan=0.0)
        self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        return self

    def _check(self, x: Any) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise NotFittedError("this Standardizer is not fitted yet: call fit(x_train) "
                                 "first - and only on training rows")
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"x must be 2-D with {self.mean_.shape[0]} columns, as in fit; "
                             f"got shape {arr.shape}")
        return arr

    @staticmethod
    def _like(template: Any, values: np.ndarray) -> Any:
        if hasattr(template, "columns"):
            import pandas as pd

            return pd.DataFrame(values, index=template.index, columns=template.columns)
        return values

    def transform(self, x: Any) -> Any:
        """``(x - mean) / scale`` with the training statistics."""
        return self._like(x, (self._check(x) - self.mean_) / self.scale_)

    def inverse_transform(self, x: Any) -> Any:
        """Undo :meth:`transform`: ``x * scale + mean``."""
        return self._like(x, self._check(x) * self.scale_ + self.mean_)

    def fit_transform(self, x: Any) -> Any:
        """``fit(x)`` then ``transform(x)``; use on training rows only."""
        return self.fit(x).transform(x)


def fit_scaler_on_train(x_train: Any, *others: Any) -> tuple[Any, ...]:
    """Fit a :class:`Standardizer` on ``x_train`` and apply it to it and to ``others``.

    Returns ``(scaler, x_train_scaled, *others_scaled)``; a None in ``others`` passes
    through (e.g. an empty validation part). The single call makes the leak-free order the
    easy one: ``scaler, x_tr, x_va, x_te = fit_scaler_on_train(x_tr, x_va, x_te)``.
    """
    scaler = Standardizer().fit(x_train)
    scaled = [None if o is None else scaler.transform(o) for o in others]
    return (scaler, scaler.transform(x_train), *scaled)
