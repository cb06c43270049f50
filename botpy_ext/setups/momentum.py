"""Momentum 🔥: a closed 15m impulse, then a 5m candle that continues it within 15 minutes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas import DataFrame

from botpy_ext import indicators as ind
from botpy_ext.setups.context import as_ns
from botpy_ext.setups.settings import MomentumSettings

VOLUME_LOOKBACK = 20  # the confirmation's volume is compared with the previous 20 5m candles


def confirmations(df5: DataFrame, structure15: DataFrame, settings: MomentumSettings) -> pd.Series:
    """On each closed 5m candle: True for the first candle that confirms the latest impulse.

    Confirming: opened after the impulse closed, closed within `confirm_minutes` of it, bullish,
    above the impulse's close, volume at least `confirm_volume` × its 20-candle mean.
    """
    impulses = structure15[structure15["impulse"].fillna(False).astype(bool)]
    if impulses.empty:
        return pd.Series(False, index=df5.index)
    ends = as_ns(impulses["date"] + pd.Timedelta(minutes=15))
    opens = as_ns(df5["date"])
    latest = np.searchsorted(ends, opens, side="right") - 1  # impulse closed by this open
    has_impulse = latest >= 0
    end = ends[np.maximum(latest, 0)]
    level = np.where(has_impulse, impulses["close"].to_numpy()[np.maximum(latest, 0)], np.inf)
    last_open = end + pd.Timedelta(minutes=settings.confirm_minutes - 5).value
    confirming = (
        has_impulse
        & (opens <= last_open)
        & (df5["close"] > df5["open"]).to_numpy()
        & (df5["close"].to_numpy() > level)
        & (
            ind.volume_ratio(df5["volume"], period=VOLUME_LOOKBACK) >= settings.confirm_volume
        ).to_numpy()
    )
    first = np.zeros(len(df5), dtype=bool)
    candidates = np.flatnonzero(confirming)
    _, firsts = np.unique(latest[candidates], return_index=True)
    first[candidates[firsts]] = True
    return pd.Series(first, index=df5.index)


def entries(ctx: DataFrame) -> pd.Series:
    """On the 1m row where a confirming 5m candle closes, while the trend filter holds."""
    just_closed = ctx["date"] + pd.Timedelta(minutes=1) == ctx["date_5m"] + pd.Timedelta(minutes=5)
    return ctx["trend_up_4h"] & just_closed & ctx["momentum_5m"].fillna(False).astype(bool)
