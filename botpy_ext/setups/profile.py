"""Adaptive exit profile: the market's character on the last closed 15m candle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from botpy_ext.setups.settings import ProfileSettings


def select(adx_15m: pd.Series, atr_pct_15m: pd.Series, settings: ProfileSettings) -> pd.Series:
    """Scalper when ADX is below the range threshold, else Volatility Hunter when ATR% is above
    the volatility threshold, else Sniper; the default profile when the selector is off."""
    if not settings.dynamic:
        return pd.Series(settings.default, index=adx_15m.index)
    chosen = np.select(
        [adx_15m < settings.adx_range, atr_pct_15m > settings.atr_pct_volatile],
        ["scalper", "volatility_hunter"],
        default="sniper",
    )
    return pd.Series(chosen, index=adx_15m.index)
