"""Trend indicators."""

from __future__ import annotations

from pandas import Series


def ema(close: Series, *, period: int) -> Series:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the first value
    (pandas `adjust=False`); NaN for the first `period - 1` rows, where it has not warmed up."""
    values = close.ewm(span=period, adjust=False).mean()
    values.iloc[: period - 1] = float("nan")
    return values
