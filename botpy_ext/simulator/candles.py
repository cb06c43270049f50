"""Candle arrays, their aggregation into longer bins, and the candle still in progress."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from botpy_ext.simulator.timeframes import bin_start

OPEN, HIGH, LOW, CLOSE, VOLUME = range(5)


@dataclass(frozen=True)
class Candles:
    """Candles as arrays: `open_ms` (int64, strictly increasing) and `ohlcv` (float64, n x 5)."""

    open_ms: np.ndarray
    ohlcv: np.ndarray

    def __len__(self) -> int:
        return len(self.open_ms)

    def slice(self, start: int, stop: int) -> Candles:
        return Candles(self.open_ms[start:stop], self.ohlcv[start:stop])

    def shifted(self, offset_ms: int) -> Candles:
        return Candles(self.open_ms + offset_ms, self.ohlcv)

    @staticmethod
    def empty() -> Candles:
        return Candles(np.empty(0, dtype=np.int64), np.empty((0, 5), dtype=np.float64))


def aggregate(base: Candles, interval: str) -> Candles:
    """Aggregate `base` candles into `interval` bins (open first, high max, low min, close last,
    volume sum); a bin holds whatever base candles exist, so gaps shrink it but never shift it."""
    if len(base) == 0:
        return Candles.empty()
    bins = bin_start(base.open_ms, interval)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    ends = np.r_[starts[1:], len(base)] - 1
    values = base.ohlcv
    ohlcv = np.column_stack(
        [
            values[starts, OPEN],
            np.maximum.reduceat(values[:, HIGH], starts),
            np.minimum.reduceat(values[:, LOW], starts),
            values[ends, CLOSE],
            np.add.reduceat(values[:, VOLUME], starts),
        ]
    )
    return Candles(bins[starts], ohlcv)


def partial_candle(ohlcv: np.ndarray, fraction: float, tick: float) -> np.ndarray:
    """The candle `ohlcv` as it looked after `fraction` (0..1) of its time had passed.

    Intra-candle model: price walks in three equal-time straight legs open -> first extreme ->
    second extreme -> close; a bullish candle visits its low first, a bearish one its high first.
    Volume accrues linearly. The current price is rounded to the pair's tick size.
    """
    o, h, lo, c, v = (float(x) for x in ohlcv)
    if fraction >= 1.0:
        return np.array([o, h, lo, c, v])
    path = [o, lo, h, c] if c >= o else [o, h, lo, c]
    legs = max(fraction, 0.0) * 3.0
    leg = min(int(legs), 2)
    price = path[leg] + (path[leg + 1] - path[leg]) * (legs - leg)
    price = round(round(price / tick) * tick, 12)
    seen = path[: leg + 1] + [price]
    return np.array([o, max(seen), min(seen), price, v * max(fraction, 0.0)])
