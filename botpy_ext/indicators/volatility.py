"""Volatility: ATR, Bollinger Bands and the squeeze's rolling percentile."""

from __future__ import annotations

from typing import NamedTuple

import talib
from pandas import DataFrame, Series

from botpy_ext.indicators.oscillators import high_low_close


def atr(df: DataFrame, *, period: int = 14) -> Series:
    """Average True Range (Wilder), in price units."""
    return Series(talib.ATR(*high_low_close(df), timeperiod=period), index=df.index)


def atr_pct(df: DataFrame, *, period: int = 14) -> Series:
    """ATR as a percentage of the close."""
    return atr(df, period=period) / df["close"] * 100


class Bollinger(NamedTuple):
    upper: Series
    middle: Series
    lower: Series
    bandwidth: Series  # (upper - lower) / middle


def bollinger(close: Series, *, period: int = 20, stds: float = 2.0) -> Bollinger:
    """Bollinger Bands on `close`: SMA(period) ± stds × population standard deviation."""
    middle = close.rolling(period).mean()
    spread = close.rolling(period).std(ddof=0) * stds
    upper, lower = middle + spread, middle - spread
    return Bollinger(upper, middle, lower, (upper - lower) / middle)


def rolling_quantile(values: Series, *, window: int, q: float) -> Series:
    """The q-quantile (linear interpolation) of the last `window` values, this one included."""
    return values.rolling(window).quantile(q)
