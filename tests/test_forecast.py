"""Forecast windows never look ahead; the seasonal-naive baseline repeats the last season."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.forecast import make_windows, seasonal_naive, target_positions


def test_make_windows_exact_values():
    x, y = make_windows(np.arange(10), lookback=3, horizon=2)
    assert x.shape == (6, 3) and y.shape == (6, 2)
    assert x[0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4]
    assert x[-1].tolist() == [5, 6, 7] and y[-1].tolist() == [8, 9]
    assert x.dtype == np.float64


def test_windows_never_see_their_targets():
    series = np.arange(50.0)  # value == position, so positions can be read off the values
    x, y = make_windows(series, lookback=7, horizon=3)
    pos = target_positions(50, 7, 3)
    assert np.array_equal(y[:, 0], pos)
    assert np.all(x.max(axis=1) < y.min(axis=1))  # every input strictly before every target
    assert np.array_equal(x[:, -1] + 1, pos)      # the last input is the day before the origin


def test_target_positions_and_errors():
    assert target_positions(10, 3, 2).tolist() == [3, 4, 5, 6, 7, 8]
    assert target_positions(4, 3).tolist() == [3]
    with pytest.raises(ValueError, match="lookback \\+ horizon"):
        target_positions(4, 3, 2)
    with pytest.raises(ValueError, match="1-D"):
        make_windows(np.zeros((5, 2)), 2)
    with pytest.raises(ValueError, match="positive int"):
        make_windows(np.zeros(5), 0)
    with pytest.raises(TypeError):
        make_windows(np.zeros(5), 2.5)


def test_seasonal_naive_exact():
    history = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9])
    assert seasonal_naive(history, 1, 3).tolist() == [9, 9, 9]            # naive
    assert seasonal_naive(history, 7, 3).tolist() == [3, 4, 5]            # same weekday
    assert seasonal_naive(history, 3, 7).tolist() == [7, 8, 9, 7, 8, 9, 7]  # wraps around
    assert seasonal_naive(history, 9, 1).tolist() == [1]


def test_seasonal_naive_on_windows_matches_row_by_row():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 14))
    rows = np.stack([seasonal_naive(r, 7, 10) for r in x])
    assert np.array_equal(seasonal_naive(x, 7, 10), rows)
    with pytest.raises(ValueError, match="at least season"):
        seasonal_naive(np.arange(3.0), 7)
