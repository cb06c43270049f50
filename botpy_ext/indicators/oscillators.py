"""Oscillators computed with TA-Lib (Wilder smoothing, causal)."""

from __future__ import annotations

import numpy as np
import talib
from pandas import DataFrame, Series


def rsi(close: Series, *, period: int = 14) -> Series:
    """Relative Strength Index (Wilder), 0..100."""
    return Series(talib.RSI(close.to_numpy(dtype=float), timeperiod=period), index=close.index)


def high_low_close(df: DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float arrays TA-Lib's range-based indicators take."""
    return tuple(df[column].to_numpy(dtype=float) for column in ("high", "low", "close"))


def adx(df: DataFrame, *, period: int = 14) -> Series:
    """Average Directional Index (Wilder), 0..100: trend strength regardless of direction."""
    return Series(talib.ADX(*high_low_close(df), timeperiod=period), index=df.index)
