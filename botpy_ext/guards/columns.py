"""Per-candle inputs of the guards, computed with the signals (vectorized, closed data only)."""

from __future__ import annotations

import pandas as pd

from botpy_ext.guards import anti_whale, btc_breaker, liquidity
from botpy_ext.guards.settings import GuardSettings
from botpy_ext.setups.memo import MEMO

COLUMNS = ("whale_share", "quote_volume_mean", "btc_fall", "btc_block_until", "btc_last_trip",
           "btc_candle")


def guard_columns(df: pd.DataFrame, df_1h: pd.DataFrame, btc_1m: pd.DataFrame | None,
                  settings: GuardSettings) -> pd.DataFrame:
    """`df` (1m, analysed: `trigger_volume` is weighed by the anti-whale guard, else the row's
    own volume) with the guard columns added; `btc_1m` None or empty → `btc_candle` False."""
    hourly = anti_whale.hourly_mean_at(df["date"], df_1h)
    # the same BTC candles for every pair of one candle: computed once
    breaker = MEMO(btc_breaker.blocked_until, btc_1m if btc_1m is not None else df.iloc[:0],
                   settings=(settings.btc_breaker,))
    return pd.concat([
        df,
        pd.DataFrame({
            "whale_share": anti_whale.whale_share(df.get("trigger_volume", df["volume"]),
                                                  hourly),
            "quote_volume_mean": liquidity.quote_volume_mean(
                df, settings.liquidity.proxy_minutes),
        }, index=df.index),
        btc_breaker.on_dates(df["date"], breaker),
    ], axis=1)
