"""An order book synthesized from recent candles (the candles have none).

Model, from the last `lookback` base candles up to now:
- sigma = standard deviation of the 1-minute log returns (base-candle returns scaled by
  1/sqrt(minutes per candle)); v = mean base-asset volume per minute;
- spread: best bid/ask sit `spread_sigmas * sigma` apart around the current price, at least one
  tick;
- levels every `level_sigmas * sigma` of price (at least one tick) on each side;
- size: level i holds unit * (1 + sqrt(i)) * noise, noise log-normal (sd `noise`) seeded by the
  symbol and the minute (the book is stable within a minute), and unit such that the levels
  within one sigma of the best price hold `depth_minutes` minutes of average volume.
Quiet, liquid markets therefore get tight, deep books; volatile or thin ones wide, shallow books.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from botpy_ext.simulator.candles import CLOSE, VOLUME, Candles
from botpy_ext.simulator.exchange_info import SymbolFilters

BOOK_LEVELS = 5000  # levels synthesized per side (Binance's deepest `limit`); answers are cut
FALLBACK_SIGMA = 0.001  # per-minute volatility used when fewer than 3 candles are known


@dataclass(frozen=True)
class BookModel:
    depth_minutes: float = 2.0  # minutes of mean volume resting within one sigma of best price
    spread_sigmas: float = 0.1  # bid-ask spread in 1-minute sigmas
    level_sigmas: float = 0.25  # distance between levels in 1-minute sigmas
    noise: float = 0.35  # log-normal sd of level sizes
    lookback: int = 60  # base candles used for sigma and volume


@dataclass(frozen=True)
class OrderBook:
    bids: np.ndarray  # (n, 2) price, quantity; best first
    asks: np.ndarray


def minute_stats(recent: Candles, minutes_per_candle: float) -> tuple[float, float]:
    """(sigma of 1-minute log returns, mean volume per minute) of `recent` candles."""
    closes = recent.ohlcv[:, CLOSE]
    volume = float(recent.ohlcv[:, VOLUME].mean()) / minutes_per_candle if len(recent) else 0.0
    if len(closes) < 3:
        return FALLBACK_SIGMA, volume
    sigma = float(np.std(np.diff(np.log(closes)))) / math.sqrt(minutes_per_candle)
    return max(sigma, 1e-6), volume


def synth_book(
    recent: Candles,
    minutes_per_candle: float,
    filters: SymbolFilters,
    depth: int,
    seed_key: str,
    model: BookModel = BookModel(),
) -> OrderBook:
    """`depth` levels per side around the last close of `recent` (which must not be empty)."""
    recent = recent.slice(max(0, len(recent) - model.lookback), len(recent))
    price = float(recent.ohlcv[-1, CLOSE])
    sigma, volume = minute_stats(recent, minutes_per_candle)
    tick, step = filters.tick, filters.step
    # the spread in whole ticks (at least one); the last price lies between bid and ask
    spread_ticks = max(round(model.spread_sigmas * sigma * price / tick), 1)
    best_bid = max(math.floor((price - spread_ticks * tick / 2) / tick + 0.5) * tick, tick)
    best_ask = best_bid + spread_ticks * tick
    gap = max(round(model.level_sigmas * sigma * price / tick), 1) * tick
    # the same book whatever `depth` is asked for: synthesize every level, answer the first ones
    levels = np.arange(BOOK_LEVELS)
    in_one_sigma = max(int(sigma * price / gap), 1)
    shape = 1.0 + np.sqrt(levels)
    unit = model.depth_minutes * volume / shape[:in_one_sigma].sum()
    rng = np.random.default_rng(zlib.crc32(seed_key.encode()))
    sizes = unit * shape[None, :] * rng.lognormal(0.0, model.noise, size=(2, BOOK_LEVELS))
    sizes = np.maximum(np.round(sizes / step) * step, step)
    bid_prices = np.round((best_bid - levels * gap) / tick) * tick
    ask_prices = np.round((best_ask + levels * gap) / tick) * tick
    keep = bid_prices > 0
    return OrderBook(
        bids=np.column_stack([bid_prices[keep], sizes[0][keep]])[:depth],
        asks=np.column_stack([ask_prices, sizes[1]])[:depth],
    )
