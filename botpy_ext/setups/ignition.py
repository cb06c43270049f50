"""Ignition 🚀: one 1m candle exploding in price and volume, under the trend filter."""

from __future__ import annotations

import pandas as pd
from pandas import DataFrame

from botpy_ext.setups.settings import IgnitionSettings

VOLUME_LOOKBACK = 20  # the spike's volume against the mean of the previous 20 1m candles


def entries(ctx: DataFrame, settings: IgnitionSettings) -> pd.Series:
    rise = ctx["close"] / ctx["open"] - 1
    return (
        ctx["trend_up_4h"]
        & (rise > settings.min_rise)
        & (ctx["ignition_volume_ratio"] >= settings.volume_multiplier)
    )
