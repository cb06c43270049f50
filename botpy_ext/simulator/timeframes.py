"""Binance kline intervals and the arithmetic of candle bins.

Binance aligns every interval up to 1d on the Unix epoch, 1w on Mondays (epoch + 4 days) and 1M
on calendar months. The simulator uses the same grid for the candles it derives.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

MINUTE_MS = 60_000
DAY_MS = 1440 * MINUTE_MS
WEEK_ANCHOR_MS = 4 * DAY_MS  # 1970-01-05, the first Monday after the epoch

# Every interval Binance's /api/v3/klines accepts, with its length in ms (1M: nominal 30 days).
INTERVAL_MS: dict[str, int] = {
    "1s": 1_000,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
    "1M": 30 * DAY_MS,
}


def bin_start(open_ms: np.ndarray, interval: str, shift_ms: int = 0) -> np.ndarray:
    """Open time of the `interval` bin that holds each timestamp.

    `shift_ms` moves the grid: bins start at `k * step + shift_ms` (used by the replay clock,
    whose served times are dataset times plus an offset).
    """
    t = np.asarray(open_ms, dtype=np.int64) - shift_ms
    if interval == "1M":
        months = t.astype("datetime64[ms]").astype("datetime64[M]")
        return months.astype("datetime64[ms]").astype(np.int64) + shift_ms
    step = INTERVAL_MS[interval]
    anchor = WEEK_ANCHOR_MS if interval == "1w" else 0
    return (t - anchor) // step * step + anchor + shift_ms


def bin_length_ms(bin_open_ms: np.ndarray, interval: str) -> np.ndarray:
    """Length of each bin in ms (only calendar months vary)."""
    opens = np.asarray(bin_open_ms, dtype=np.int64)
    if interval != "1M":
        return np.full(opens.shape, INTERVAL_MS[interval], dtype=np.int64)
    months = opens.astype("datetime64[ms]").astype("datetime64[M]")
    return (months + 1).astype("datetime64[ms]").astype(np.int64) - opens


def derivable(interval: str, base: str) -> bool:
    """True when candles of `interval` can be aggregated exactly from `base` candles."""
    if interval == "1M":
        return INTERVAL_MS[base] <= DAY_MS and DAY_MS % INTERVAL_MS[base] == 0
    return (
        INTERVAL_MS[interval] >= INTERVAL_MS[base]
        and INTERVAL_MS[interval] % INTERVAL_MS[base] == 0
    )


def ms_text(ms: int, layout: str) -> str:
    """A time in epoch milliseconds, UTC, as `layout` (strftime) writes it."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime(layout)
