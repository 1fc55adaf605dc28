"""Time-series forecasting helpers: windows cut from the past only, and the naive baselines.

A forecast made at *origin* ``t`` (预测起点) may use the values ``y[:t]`` and nothing later;
everything a model is trained or scored on must respect that, or the score is a look-ahead
leak (未来信息泄漏). :func:`make_windows` cuts a 1-D series into (input, target) pairs that
obey the rule by construction, :func:`target_positions` says which position each window's
first target sits at (so windows can be split by date: train on the past, test on the
future), and :func:`seasonal_naive` is the honest baseline (基线) every model must beat:
repeat the last observed season (``season=7`` for daily data with a weekly cycle: "same
weekday last week"; ``season=1`` is the naive "same as yesterday" forecast).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils._validate import positive_int

__all__ = ["make_windows", "seasonal_naive", "target_positions"]


def _series(series: Any) -> np.ndarray:
    arr = np.asarray(series, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"series must be 1-D (one value per time step); got shape {arr.shape}")
    return arr


def target_positions(n: int, lookback: int, horizon: int = 1) -> np.ndarray:
    """Positions in a series of length ``n`` of the first target of each window that
    :func:`make_windows` cuts: ``lookback, lookback + 1, ..., n - horizon``. Window ``i``
    forecasts from origin ``lookback + i``; use these positions (or the dates at them) to
    assign whole windows to the training, validation or test period.
    """
    n = positive_int("n", n)
    lookback, horizon = positive_int("lookback", lookback), positive_int("horizon", horizon)
    if n < lookback + horizon:
        raise ValueError(f"n must be >= lookback + horizon = {lookback + horizon} to hold one "
                         f"window; got {n}")
    return np.arange(lookback, n - horizon + 1)


def make_windows(series: Any, lookback: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into supervised pairs ``(x, y)`` without look-ahead.

    Window ``i`` has inputs ``x[i] = series[i : i + lookback]`` (the ``lookback`` values
    before the origin ``t = i + lookback``) and targets ``y[i] = series[t : t + horizon]``
    (the next ``horizon`` values). No input is ever at or after its own first target. Shapes
    ``(n_windows, lookback)`` and ``(n_windows, horizon)`` with ``n_windows = len(series) -
    lookback - horizon + 1``; float64 copies. Add a feature axis (``x[..., None]``) for an RNN.
    """
    arr = _series(series)
    positions = target_positions(arr.size, lookback, horizon)
    windows = np.lib.stride_tricks.sliding_window_view(arr, lookback + horizon)
    assert len(windows) == len(positions)
    return windows[:, :lookback].copy(), windows[:, lookback:].copy()


def seasonal_naive(history: Any, season: int = 1, horizon: int = 1) -> np.ndarray:
    """Seasonal-naive forecast (季节性朴素预测) of the next ``horizon`` values: repeat the last
    ``season`` observed values, ``forecast[h] = history[-season + (h % season)]``.

    ``history`` holds past values with the most recent last; it may be 1-D (one series) or
    have more axes with time on the last one (e.g. the ``x`` of :func:`make_windows`, giving
    one forecast row per window). ``season=1`` is the naive forecast (every future value
    equals the last one). Needs at least ``season`` values of history. Returns float64 with
    the last axis of length ``horizon``.
    """
    arr = np.asarray(history, dtype=np.float64)
    season, horizon = positive_int("season", season), positive_int("horizon", horizon)
    if arr.ndim == 0 or arr.shape[-1] < season:
        raise ValueError(f"history needs at least season = {season} values on its last axis; "
                         f"got shape {arr.shape}")
    steps = np.arange(horizon) % season
    return arr[..., arr.shape[-1] - season + steps]
