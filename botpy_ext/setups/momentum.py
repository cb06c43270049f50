"""Momentum 🔥: a closed 15m impulse, then a 5m candle that continues it within 15 minutes."""

from __future__ import annotations

import pandas as pd
from pandas import DataFrame

from botpy_ext import indicators as ind
from botpy_ext.setups.settings import MomentumSettings

VOLUME_LOOKBACK = 20  # the confirmation's volume is compared with the previous 20 5m candles


def confirmations(df5: DataFrame, structure15: DataFrame, settings: MomentumSettings) -> pd.Series:
    """On each closed 5m candle: True for the first candle that confirms the latest impulse.

    Confirming: opened after the impulse closed, closed within `confirm_minutes` of it, bullish,
    above the impulse's close, volume at least `confirm_volume` × its 20-candle mean.
    """
    impulses = structure15.loc[structure15["impulse"].fillna(False), ["date", "close"]]
    impulses = DataFrame({
        "impulse_end": (impulses["date"] + pd.Timedelta(minutes=15)).astype(df5["date"].dtype),
        "impulse_close": impulses["close"],
    })
    rows = DataFrame({"date": df5["date"]})
    matched = pd.merge_asof(rows, impulses, left_on="date", right_on="impulse_end",
                            direction="backward")
    close_time = df5["date"] + pd.Timedelta(minutes=5)
    confirming = (
        (close_time <= matched["impulse_end"] + pd.Timedelta(minutes=settings.confirm_minutes))
        & (df5["close"] > df5["open"])
        & (df5["close"] > matched["impulse_close"])
        & (ind.volume_ratio(df5["volume"], period=VOLUME_LOOKBACK) >= settings.confirm_volume)
    ).to_numpy()
    confirming = pd.Series(confirming, index=df5.index)
    earlier = confirming.groupby(matched["impulse_end"].to_numpy()).cumsum()
    return confirming & (earlier.reindex(df5.index).fillna(0) == 1)


def entries(ctx: DataFrame) -> pd.Series:
    """On the 1m row where a confirming 5m candle closes, while the trend filter holds."""
    just_closed = ctx["date"] + pd.Timedelta(minutes=1) == ctx["date_5m"] + pd.Timedelta(
        minutes=5)
    return ctx["trend_up_4h"] & just_closed & ctx["momentum_5m"].fillna(False).astype(bool)
