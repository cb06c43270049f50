"""What the market looks like at the clock's "now": the candles, the last price, the 24 h window.

On the static clock the dataset is served as stored. On the replay clock every interval is
aggregated from the pair's base series on the served time grid, so that the 5m/15m/1h/4h
candles always agree with the 1m candles a bot sees, including the candle in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from botpy_ext.simulator.candles import Candles, aggregate, partial_candle
from botpy_ext.simulator.clock import Clock
from botpy_ext.simulator.dataset import PairData
from botpy_ext.simulator.exchange_info import SymbolFilters
from botpy_ext.simulator.timeframes import DAY_MS, INTERVAL_MS, bin_start


@dataclass
class MarketView:
    pairs: dict[str, PairData]
    clock: Clock
    filters: dict[str, SymbolFilters] = field(init=False)
    _served: dict[tuple[str, str], Candles] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.filters = {
            symbol: SymbolFilters.for_price(pair.reference_price)
            for symbol, pair in self.pairs.items()
        }

    def data_end_ms(self) -> int:
        """Dataset time at which the last candle of the data closes."""
        return max(int(pair.base.open_ms[-1]) + INTERVAL_MS[pair.base_interval]
                   for pair in self.pairs.values())

    def served(self, symbol: str, interval: str) -> Candles:
        """Every candle of `interval` in served time, as if all were complete (cached)."""
        key = (symbol, interval)
        if key not in self._served:
            pair = self.pairs[symbol]
            if not self.clock.replay:
                self._served[key] = pair.candles(interval)
            else:
                base = pair.base.shifted(self.clock.offset_ms)
                is_base = interval == pair.base_interval
                self._served[key] = base if is_base else aggregate(base, interval)
        return self._served[key]

    def klines(self, symbol: str, interval: str, now_ms: int | None = None) -> Candles:
        """Candles of `interval` visible at `now_ms`; on the replay clock the last is partial
        (frozen: closed candles only)."""
        candles = self.served(symbol, interval)
        if not self.clock.replay:
            return candles
        now = self.clock.now_ms() if now_ms is None else now_ms
        current_open = int(bin_start(np.array([now]), interval)[0])
        complete = candles.slice(0, int(np.searchsorted(candles.open_ms, current_open)))
        if not self.clock.serves_partial:
            return complete
        current = self._current_candle(symbol, current_open, now)
        if current is None:
            return complete
        return Candles(
            np.r_[complete.open_ms, current_open], np.vstack([complete.ohlcv, current[None, :]])
        )

    def _current_candle(self, symbol: str, bin_open: int, now: int) -> np.ndarray | None:
        """The bin opened at `bin_open` as seen at `now`: complete base candles + a partial one."""
        base = self.served(symbol, self.pairs[symbol].base_interval)
        first = int(np.searchsorted(base.open_ms, bin_open))
        last = int(np.searchsorted(base.open_ms, now, side="right"))
        if last <= first:
            return None
        rows = base.ohlcv[first:last].copy()
        base_ms = INTERVAL_MS[self.pairs[symbol].base_interval]
        fraction = (now - base.open_ms[last - 1]) / base_ms
        rows[-1] = partial_candle(rows[-1], fraction, self.filters[symbol].tick)
        return np.array(
            [rows[0, 0], rows[:, 1].max(), rows[:, 2].min(), rows[-1, 3], rows[:, 4].sum()]
        )

    def window(self, symbol: str, span_ms: int = DAY_MS) -> Candles:
        """Base candles of the last `span_ms` up to now (the rolling 24 h of the tickers)."""
        interval = self.pairs[symbol].base_interval
        candles = self.klines(symbol, interval)
        if len(candles) == 0:
            return candles
        end = self.clock.now_ms() if self.clock.replay else int(candles.open_ms[-1])
        first = int(np.searchsorted(candles.open_ms, end - span_ms, side="right"))
        return candles.slice(first, len(candles))

    def last_candle(self, symbol: str) -> np.ndarray | None:
        """The newest visible base candle (partial on the replay clock), None before the data."""
        candles = self.klines(symbol, self.pairs[symbol].base_interval)
        return candles.ohlcv[-1] if len(candles) else None

    def trading(self, symbol: str) -> bool:
        """Listed and not past the end of its data (a replay beyond it reports a trading halt)."""
        if not self.clock.replay:
            return True
        base = self.served(symbol, self.pairs[symbol].base_interval)
        now = self.clock.now_ms()
        base_ms = INTERVAL_MS[self.pairs[symbol].base_interval]
        return bool(base.open_ms[0] <= now < base.open_ms[-1] + base_ms)
