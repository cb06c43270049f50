"""Volatility: ATR, Bollinger Bands and the squeeze's rolling percentile."""

from __future__ import annotations

from typing import NamedTuple

import talib
from pandas import DataFrame, Series


def atr(df: DataFrame, *, period: int = 14) -> Series:
    """Average True Range (Wilder), in price units."""
    values = talib.ATR(
        df["high"].to_numpy(dtype=float),
        df["low"].to_numpy(dtype=float),
        df["close"].to_numpy(dtype=float),
        timeperiod=period,
    )
    return Series(values, index=df.index)


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
