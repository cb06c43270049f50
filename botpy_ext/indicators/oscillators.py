"""Oscillators computed with TA-Lib (Wilder smoothing, causal)."""

from __future__ import annotations

import talib
from pandas import DataFrame, Series


def rsi(close: Series, *, period: int = 14) -> Series:
    """Relative Strength Index (Wilder), 0..100."""
    return Series(talib.RSI(close.to_numpy(dtype=float), timeperiod=period), index=close.index)


def adx(df: DataFrame, *, period: int = 14) -> Series:
    """Average Directional Index (Wilder), 0..100: trend strength regardless of direction."""
    values = talib.ADX(
        df["high"].to_numpy(dtype=float),
        df["low"].to_numpy(dtype=float),
        df["close"].to_numpy(dtype=float),
        timeperiod=period,
    )
    return Series(values, index=df.index)
