"""BTC circuit breaker: BTC/USDT falling more than 1.5 % within 5 minutes blocks new entries for
a cooldown. Computed from BTC's closed 1m candles, so backtests and live decide alike.

The fall at a 1m candle is its close against the highest high of the `window_minutes` candles
ending with it. The breaker trips on a candle whose fall reaches `fall`; entries stay blocked
until `cooldown_minutes` after that candle's close.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import BtcBreakerSettings
from botpy_ext.setups.context import as_ns

GUARD = "btc_breaker"
ONE_MINUTE = pd.Timedelta(minutes=1)


def blocked_until(btc_1m: pd.DataFrame, settings: BtcBreakerSettings) -> pd.DataFrame:
    """Per BTC 1m candle: the end of the block in force at its close (NaT: none) and the fall."""
    highest = btc_1m["high"].rolling(settings.window_minutes, min_periods=1).max()
    fall = btc_1m["close"] / highest - 1.0
    trip_close = btc_1m["date"].where(fall <= -settings.fall) + ONE_MINUTE
    last_trip = trip_close.ffill()
    until = last_trip + pd.Timedelta(minutes=settings.cooldown_minutes)
    return pd.DataFrame({"date": btc_1m["date"], "btc_fall": fall, "btc_block_until": until,
                         "btc_last_trip": last_trip})


def on_dates(dates: pd.Series, breaker: pd.DataFrame) -> pd.DataFrame:
    """The breaker columns for the 1m candles at `dates` (NaN/NaT where BTC has no candle)."""
    wanted, known = as_ns(dates), as_ns(breaker["date"])
    positions = np.minimum(np.searchsorted(known, wanted), max(len(known) - 1, 0))
    found = known[positions] == wanted if len(known) else np.zeros(len(wanted), dtype=bool)
    columns = {
        name: (breaker[name].take(positions).set_axis(dates.index).where(found) if len(known)
               else pd.Series(np.nan, index=dates.index).astype(breaker[name].dtype))
        for name in ("btc_fall", "btc_block_until", "btc_last_trip")
    }
    return pd.DataFrame(columns | {"btc_candle": found}, index=dates.index)


def check(has_btc_candle: bool, block_until, last_trip, now: datetime,
          settings: BtcBreakerSettings) -> Refusal | None:
    if not has_btc_candle:
        return Refusal(GUARD, "BTC/USDT 1m candle missing: cannot rule out a BTC dump", None)
    if block_until is not None and not pd.isna(block_until) and now < block_until:
        return Refusal(GUARD, f"BTC/USDT fell {settings.fall:.1%}+ within "
                       f"{settings.window_minutes} min (trip at {last_trip:%H:%M} UTC); cooldown "
                       f"{settings.cooldown_minutes} min", pd.Timestamp(block_until)
                       .to_pydatetime())
    return None
