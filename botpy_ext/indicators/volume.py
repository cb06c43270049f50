"""Volume indicators: OBV, the estimated volume delta and CVD, relative volume."""

from __future__ import annotations

import numpy as np
from pandas import DataFrame, Series


def obv(df: DataFrame) -> Series:
    """On-Balance Volume: running sum of volume signed by the close-to-close direction."""
    direction = np.sign(df["close"].diff().fillna(0.0))
    return (direction * df["volume"]).cumsum()


def candle_delta(df: DataFrame) -> Series:
    """Estimated buy-minus-sell volume of each candle from its shape.

    OHLCV has no taker side, so the delta is volume × (2·close − high − low) / (high − low):
    +volume for a close at the high, −volume at the low, 0 for a doji or a candle with no range.
    """
    span = (df["high"] - df["low"]).to_numpy(dtype=float)
    position = np.divide(
        (2 * df["close"] - df["high"] - df["low"]).to_numpy(dtype=float),
        span,
        out=np.zeros_like(span),
        where=span > 0,
    )
    return Series(position, index=df.index) * df["volume"]


def cvd(df: DataFrame) -> Series:
    """Cumulative Volume Delta from the estimated candle deltas."""
    return candle_delta(df).cumsum()


def volume_ratio(volume: Series, *, period: int = 20) -> Series:
    """This candle's volume divided by the mean volume of the `period` candles before it."""
    return volume / volume.shift(1).rolling(period).mean()
