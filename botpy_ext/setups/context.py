"""The market context of each 1m row: informative indicators merged without look-ahead, and the
5m candle in progress built from the 1m rows of its window.

A value from a longer timeframe reaches a 1m row only once its candle has closed (freqtrade's
`merge_informative_pair`: the 15m candle opened at 10:00 lands on the 10:14 row, which closes at
10:15 together with it).
"""

from __future__ import annotations

import pandas as pd
from freqtrade.strategy import merge_informative_pair
from pandas import DataFrame

from botpy_ext import indicators as ind
from botpy_ext.setups.settings import MomentumSettings, PrecisionSettings, TrendSettings

INFORMATIVE_TIMEFRAMES = ("5m", "15m", "1h", "4h")
BASE_TIMEFRAME = "1m"
INDICATOR_PERIOD = 14  # RSI, ATR and ADX periods of the spec
SLOW_EMA_15M = 20  # the parabolic check compares with EMA20(15m)
FLOW_WINDOW = 20  # candles summed by the OBV/CVD flow columns shown in the chart


def trend_4h(df: DataFrame, settings: TrendSettings) -> DataFrame:
    ema = ind.ema(df["close"], period=settings.ema_period)
    return DataFrame({
        "date": df["date"],
        "ema": ema,
        "trend_up": df["close"] > ema,
        "trend_margin": df["close"] / ema - 1,
    })


def momentum_1h(df: DataFrame) -> DataFrame:
    return DataFrame({"date": df["date"], "rsi": ind.rsi(df["close"], period=INDICATOR_PERIOD)})


def structure_15m(df: DataFrame, precision: PrecisionSettings,
                  momentum: MomentumSettings) -> DataFrame:
    """Squeeze, impulse and the character of the market on each closed 15m candle."""
    bands = ind.bollinger(df["close"], period=precision.bb_period, stds=precision.bb_stds)
    floor = ind.rolling_quantile(bands.bandwidth, window=precision.squeeze_lookback,
                                 q=precision.squeeze_percentile / 100)
    atr = ind.atr(df, period=INDICATOR_PERIOD)
    return DataFrame({
        "date": df["date"],
        "close": df["close"],
        "bb_upper": bands.upper,
        "bb_lower": bands.lower,
        "squeeze": bands.bandwidth <= floor,
        "rsi": ind.rsi(df["close"], period=INDICATOR_PERIOD),
        "atr": atr,
        "atr_pct": atr / df["close"] * 100,
        "adx": ind.adx(df, period=INDICATOR_PERIOD),
        "ema_slow": ind.ema(df["close"], period=SLOW_EMA_15M),
        "impulse": impulse(df, atr.shift(1), momentum),
    })


def impulse(df: DataFrame, atr_before: pd.Series, settings: MomentumSettings) -> pd.Series:
    """A bullish 15m candle with a large body (share of range and ATR) and heavy volume."""
    body = df["close"] - df["open"]
    span = df["high"] - df["low"]
    return (
        (body > 0)
        & (body >= settings.body_share * span)
        & (body >= settings.body_atr * atr_before)
        & (ind.volume_ratio(df["volume"], period=20) >= settings.volume_multiplier)
    )


def candle_in_progress(df: DataFrame, minutes: int = 5) -> DataFrame:
    """The `minutes` candle containing each 1m row, as known at that row's close: open of its
    first minute, high/low so far, this close, volume and estimated delta so far, and the close
    of the candle before it."""
    window = df["date"].dt.floor(f"{minutes}min")
    grouped = df.groupby(window, sort=False)
    delta = ind.candle_delta(df)
    return DataFrame({
        "open": grouped["open"].transform("first"),
        "high": grouped["high"].cummax(),
        "low": grouped["low"].cummin(),
        "close": df["close"],
        "volume": grouped["volume"].cumsum(),
        "delta": delta.groupby(window, sort=False).cumsum(),
        "prev_close": df["close"].shift(1).groupby(window, sort=False).transform("first"),
        "last_minute": (df["date"] + pd.Timedelta(minutes=1)) == window + pd.Timedelta(
            minutes=minutes),
    }, index=df.index)


def merge(df: DataFrame, informative: DataFrame, timeframe: str) -> DataFrame:
    return merge_informative_pair(df, informative, BASE_TIMEFRAME, timeframe, ffill=True)
