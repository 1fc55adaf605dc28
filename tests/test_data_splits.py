"""Splits with exact sizes and no overlap; scaling fitted on training rows only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labutils.data.splits import (
    NotFittedError,
    Standardizer,
    fit_scaler_on_train,
    split_sizes,
    train_val_test_split,
)


def test_exact_sizes_disjoint_and_complete():
    x = np.arange(1000).reshape(-1, 1)
    y = np.arange(1000)
    s = train_val_test_split(x, y, val=0.15, test=0.15, seed=1)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (700, 150, 150)
    parts = [s.y_train, s.y_val, s.y_test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    assert np.array_equal(s.x_train[:, 0], s.y_train)  # x and y stay aligned


def test_seed_determinism():
    x = np.arange(200)
    a = train_val_test_split(x, seed=3)
    b = train_val_test_split(x, seed=3)
    c = train_val_test_split(x, seed=4)
    assert all(np.array_equal(p, q) for p, q in zip(a[:3], b[:3], strict=True))
    assert not np.array_equal(a.x_test, c.x_test)
    assert a.y_train is None


def test_stratify_keeps_class_proportions():
    y = np.array([0] * 900 + [1] * 100)
    s = train_val_test_split(np.zeros((1000, 2)), y, stratify=True, seed=0)
    assert [int(p.sum()) for p in (s.y_train, s.y_val, s.y_test)] == [70, 15, 15]
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (700, 150, 150)


def test_ordered_split_for_time_series_and_dataframes():
    df = pd.DataFrame({"t": np.arange(100), "v": np.arange(100) * 2.0})
    s = train_val_test_split(df, df["v"], val=0.1, test=0.2, shuffle=False)
    assert s.x_train["t"].tolist() == list(range(70))
    assert s.x_val["t"].tolist() == list(range(70, 80))
    assert s.x_test["t"].tolist() == list(range(80, 100))
    assert isinstance(s.x_test, pd.DataFrame) and s.y_test.index.tolist() == list(range(80, 100))
    with pytest.raises(ValueError, match="stratify requires shuffle=True"):
        train_val_test_split(df, df["v"], stratify=True, shuffle=False)


def test_val_zero_gives_empty_validation_part():
    s = train_val_test_split(np.arange(10), val=0.0, test=0.2)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (8, 0, 2)


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="same number of rows"):
        train_val_test_split(np.arange(10), np.arange(9))


fractions = st.one_of(st.floats(min_value=-2, max_value=2), st.just(float("nan")),
                      st.sampled_from([0.0, 0.5, 1.0, 0.15]))


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 5000), val=fractions, test=fractions)
def test_split_sizes_property(n, val, test):
    valid = (0 <= val < 1 and 0 < test < 1 and val + test < 1 and not math.isnan(val)
             and not math.isnan(test))
    if valid and round(test * n) >= 1 and (val == 0 or round(val * n) >= 1) \
            and n - round(test * n) - round(val * n) >= 1:
        n_train, n_val, n_test = split_sizes(n, val, test)
        assert n_train + n_val + n_test == n and min(n_train, n_test) >= 1
        assert n_test == round(test * n) and n_val == round(val * n)
    else:
        with pytest.raises(ValueError, match="must|too few"):
            split_sizes(n, val, test)


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.text(max_size=3), st.booleans(), st.none(), st.integers(-5, -1)))
def test_split_sizes_rejects_non_numbers(bad):
    if isinstance(bad, int) and not isinstance(bad, bool):
        with pytest.raises(ValueError, match="n must be an int >= 0"):
            split_sizes(bad)  # negative row count: right type, out of range
    else:
        with pytest.raises(TypeError, match=r"val must be a number in \[0, 1\)"):
            split_sizes(100, val=bad)  # text, bool or None: wrong type


def test_standardizer_refuses_before_fit():
    with pytest.raises(NotFittedError, match="fit"):
        Standardizer().transform(np.ones((2, 2)))


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    x_tr = rng.normal(5, 2, (500, 3))
    x_te = rng.normal(50, 20, (100, 3))  # wildly different: must not influence the fit
    scaler, tr_s, te_s = fit_scaler_on_train(x_tr, x_te)
    np.testing.assert_allclose(scaler.mean_, x_tr.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(scaler.scale_, x_tr.std(axis=0), atol=1e-12)
    np.testing.assert_allclose(tr_s.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(tr_s.std(axis=0), 1, atol=1e-12)
    assert te_s.mean() > 10  # test rows are transformed, not re-centred
    np.testing.assert_allclose(scaler.inverse_transform(te_s), x_te, atol=1e-9)
    scaler2, *_ = fit_scaler_on_train(x_tr, x_te * 1000, None)
    np.testing.assert_array_equal(scaler2.mean_, scaler.mean_)


def test_standardizer_constant_columns_nans_and_frames():
    df = pd.DataFrame({"a": [1.0, 2.0, np.nan, 3.0], "b": [7.0] * 4}, index=[10, 11, 12, 13])
    out = Standardizer().fit_transform(df)
    assert isinstance(out, pd.DataFrame) and out.index.tolist() == [10, 11, 12, 13]
    assert np.isnan(out.loc[12, "a"]) and (out["b"] == 0).all()
    np.testing.assert_allclose(out["a"].dropna(), [-1.224744871391589, 0, 1.224744871391589])
    with pytest.raises(ValueError, match="2 columns"):
        Standardizer().fit(df).transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        Standardizer().fit(np.ones(3))
