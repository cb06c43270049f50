"""Precision 🎯: a Bollinger squeeze on 15m, then a 1m breakout confirmed by its 5m candle."""

from __future__ import annotations

import pandas as pd
from pandas import DataFrame

from botpy_ext.setups.settings import PrecisionSettings


def trigger_checks(ctx: DataFrame, settings: PrecisionSettings) -> DataFrame:
    """One boolean column per trigger rule (the scanner's condition dots) on each 1m row."""
    span = ctx["high"] - ctx["low"]
    upper_wick = ctx["high"] - ctx[["open", "close"]].max(axis=1)
    return DataFrame({
        "above_ema": ctx["close"] > ctx["ema_fast"],
        "volume": ctx["volume_ratio"] > settings.volume_multiplier,
        "obv_rising": ctx["obv_rising_1m"] & ctx["obv_rising_5m"],
        "cvd_rising": ctx["cvd_rising_5m"],
        "rsi_cool": (ctx["rsi_1h"] < settings.rsi_max) & (ctx["rsi_15m"] < settings.rsi_max),
        "small_wick": upper_wick <= settings.max_upper_wick * span,
        "not_parabolic": ctx["close"] <= ctx["ema_slow_15m"] + settings.parabolic_atr
        * ctx["atr_15m"],
    }, index=ctx.index)


def qualified(ctx: DataFrame) -> pd.Series:
    """Trend filter and a squeeze on the previous closed 15m candle."""
    return ctx["trend_up_4h"] & ctx["squeeze_15m"]


def entries(ctx: DataFrame, checks: DataFrame, progress: DataFrame,
            triggers: pd.Series | None = None) -> pd.Series:
    """Entry on the last 1m row of a 5m window that saw a trigger, if that 5m candle closes
    bullish; a trigger whose 5m candle closes bearish is dropped. `triggers`: the
    `trigger_volume` of the same inputs, when already computed."""
    seen = (trigger_volume(ctx, checks, progress) if triggers is None else triggers) > 0
    return (seen & progress["last_minute"] & (progress["close"] > progress["open"])
            & ctx["trend_up_4h"])  # the master filter still holds when the 5m candle closes


def trigger_volume(ctx: DataFrame, checks: DataFrame, progress: DataFrame) -> pd.Series:
    """Largest volume of the trigger 1m candles (breakouts) since the row's 5m window opened,
    0 without one: the candle the anti-whale guard weighs."""
    triggered = qualified(ctx) & checks.all(axis=1)
    volume = ctx["volume"].where(triggered, 0.0)  # a trigger's volume ratio makes it > 0
    return volume.groupby(progress["first_row"].to_numpy()).cummax()
