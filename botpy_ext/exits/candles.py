"""The analysed candles the callbacks read, as arrays by time: the stop ladder's highs and opens,
and the values of the last closed candle (signal ATR, guard columns, last close) without slicing
a dataframe on every call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from pandas import DataFrame

CANDLE = timedelta(minutes=1)


@dataclass(frozen=True)
class CandleArrays:
    dates: np.ndarray  # int64 ns, candle open times, increasing
    opens: np.ndarray
    highs: np.ndarray
    lows: np.ndarray
    columns: dict[str, np.ndarray]  # further columns by name, read by `closed_before`

    @classmethod
    def of(cls, df: DataFrame, columns: tuple[str, ...] = ()) -> CandleArrays:
        return cls(df["date"].dt.as_unit("ns").astype("int64").to_numpy(),
                   df["open"].to_numpy(dtype=float), df["high"].to_numpy(dtype=float),
                   df["low"].to_numpy(dtype=float),
                   {name: df[name].to_numpy() for name in columns})

    def closed_before(self, moment: datetime) -> dict | None:
        """`columns` of the last candle opened before `moment`'s minute (the last closed candle
        at `moment`), None when there is none."""
        index = np.searchsorted(self.dates, ns(moment.replace(second=0, microsecond=0))) - 1
        if index < 0:
            return None
        return self.row(index)

    def latest(self) -> dict | None:
        """`columns` of the last candle analysed, None when there is none."""
        return self.row(len(self.dates) - 1) if len(self.dates) else None

    def row(self, index: int) -> dict:
        return {name: values[index] for name, values in self.columns.items()}

    def highest_closed_high(self, since: datetime, now: datetime) -> float:
        """Highest high of the candles opened at or after `since`'s candle and closed by `now`
        (-inf when none has closed yet). Within a candle the order of its high and its low is
        unknown, so the ladder only moves on closed candles."""
        first = np.searchsorted(self.dates, ns(since.replace(second=0, microsecond=0)))
        last = np.searchsorted(self.dates, ns(now - CANDLE), side="right")
        return float(self.highs[first:last].max()) if last > first else float("-inf")

    def high_low_at(self, now: datetime) -> tuple[float, float] | None:
        """High and low of the candle opened exactly at `now` (a backtest's current candle),
        None when there is none."""
        index = np.searchsorted(self.dates, ns(now))
        if index < len(self.dates) and self.dates[index] == ns(now):
            return float(self.highs[index]), float(self.lows[index])
        return None

    def open_at(self, now: datetime, default: float) -> float:
        """Open of the candle opened exactly at `now` (a backtest's current candle), else
        `default` (live: the current candle is not among the analysed ones)."""
        index = np.searchsorted(self.dates, ns(now))
        if index < len(self.dates) and self.dates[index] == ns(now):
            return float(self.opens[index])
        return default


def ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000_000)
