"""Results of pure functions of closed candles, kept while the candles are the same.

A live bot analyses every pair on every new 1m candle, but a 5m/15m/1h/4h frame changes only when
its own next candle closes, and BTC's 1m candles are the same for every pair of one candle. The
work on those frames is kept, keyed by a fingerprint of their content (length, first and last
date, sums of close and volume) and the settings; the caller gets the same frame again, which
nothing modifies.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

MAX_ENTRIES = 2048  # ~5 frames per pair: room for 400 pairs


def fingerprint(frame: pd.DataFrame) -> tuple:
    if frame.empty:
        return (0,)
    dates = frame["date"].array.asi8
    return (len(frame), frame["date"].dtype.unit, int(dates[0]), int(dates[-1]),
            float(np.sum(frame["close"].to_numpy())), float(np.sum(frame["volume"].to_numpy())))


class Memo:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.max_entries = max_entries
        self.hits = self.misses = 0

    def __call__(self, function: Callable, *frames: pd.DataFrame, settings: Hashable = ()):
        """`function(*frames, *settings)`, or its result for the same candles and settings."""
        key = (function.__module__, function.__qualname__, settings,
               *(fingerprint(frame) for frame in frames))
        if key in self.entries:
            self.hits += 1
            self.entries.move_to_end(key)
            return self.entries[key]
        self.misses += 1
        result = function(*frames, *settings)
        self.entries[key] = result
        if len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        return result

    def clear(self) -> None:
        self.entries.clear()


MEMO = Memo()
