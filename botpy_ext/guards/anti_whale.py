"""Anti-whale: a Precision or Momentum signal is dropped when its trigger 1m candle's volume is
above a share (5 %) of the mean hourly volume of the last 24 h. Ignition is exempt by design.

"Mean hourly volume of the last 24 h" = the mean volume of the last 24 closed 1h candles at the
trigger candle's close (the same candles live and in backtests, from the 1h informative data).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import AntiWhaleSettings
from botpy_ext.setups.context import closed_positions

GUARD = "anti_whale"
HOURS = 24
EXEMPT = ("ignition",)


def hourly_mean_24h(df_1h: pd.DataFrame) -> pd.Series:
    """Per 1h candle: the mean volume of the 24 candles ending with it."""
    return df_1h["volume"].rolling(HOURS, min_periods=HOURS).mean()


def hourly_mean_at(dates: pd.Series, df_1h: pd.DataFrame) -> pd.Series:
    """For each 1m row: the mean volume of the last 24 1h candles closed by the row's close."""
    positions = closed_positions(dates, df_1h["date"], "1h")
    means = hourly_mean_24h(df_1h).to_numpy()
    taken = means[np.maximum(positions, 0)] if len(means) else np.full(len(dates), np.nan)
    return pd.Series(np.where(positions >= 0, taken, np.nan), index=dates.index)


def whale_share(volume_1m: pd.Series, hourly_mean: pd.Series) -> pd.Series:
    """The 1m volume as a share of the mean hourly volume (NaN without 24 h of history)."""
    return volume_1m / hourly_mean.where(hourly_mean > 0)


def check(setup: str, share: float, settings: AntiWhaleSettings, pair: str) -> Refusal | None:
    if setup in EXEMPT:
        return None
    if share is None or math.isnan(share):
        return Refusal(GUARD, f"{pair}: no 24 h of 1h volume to compare the trigger candle with",
                       None, pair)
    if share > settings.max_hourly_share:
        return Refusal(GUARD, f"{pair}: trigger candle volume is {share:.1%} of the mean hourly "
                       f"volume (max {settings.max_hourly_share:.1%})", None, pair)
    return None
