"""Pure, vectorized indicators: DataFrame (or Series) in, Series out, input never changed.

Every function is causal: the value at row n depends only on rows 0..n.
"""

from botpy_ext.indicators.oscillators import adx, rsi
from botpy_ext.indicators.trend import ema
from botpy_ext.indicators.volatility import Bollinger, atr, atr_pct, bollinger, rolling_quantile
from botpy_ext.indicators.volume import candle_delta, cvd, obv, volume_ratio

__all__ = [
    "Bollinger",
    "adx",
    "atr",
    "atr_pct",
    "bollinger",
    "candle_delta",
    "cvd",
    "ema",
    "obv",
    "rolling_quantile",
    "rsi",
    "volume_ratio",
]
