"""The memo of informative work: same candles → kept result; any change → computed again."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal

from botpy_ext.setups.engine import EngineSettings, analyse
from botpy_ext.setups.memo import MEMO, Memo


def candles(closes: list[float]) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=len(closes), freq="15min", tz="UTC")
    return pd.DataFrame({"date": dates, "open": closes, "high": closes, "low": closes,
                         "close": closes, "volume": [1.0] * len(closes)})


def test_same_content_hits_any_change_misses():
    memo, calls = Memo(), []

    def work(frame, factor):
        calls.append(factor)
        return frame["close"].sum() * factor

    first = candles([1.0, 2.0, 3.0])
    assert memo(work, first, settings=(2,)) == 12.0
    assert memo(work, first.copy(), settings=(2,)) == 12.0  # another object, same candles
    assert memo(work, first, settings=(3,)) == 18.0  # other settings
    assert memo(work, candles([1.0, 2.0, 4.0]), settings=(2,)) == 14.0  # last candle changed
    assert memo(work, candles([1.0, 2.0, 3.0, 3.0]), settings=(2,)) == 18.0  # a new candle
    assert calls == [2, 3, 2, 2] and (memo.hits, memo.misses) == (1, 4)


def test_oldest_entry_goes_first():
    memo = Memo(max_entries=2)
    frames = [candles([float(i)]) for i in range(3)]
    for frame in frames:
        memo(len, frame)
    memo(len, frames[0])
    assert memo.misses == 4  # frames[0] had been evicted


def test_minute_by_minute_analysis_with_kept_work_equals_fresh_ones(synthetic_market):
    """A live bot's sequence: one more 1m candle each minute, the informative frames changing
    only when their candle closes (here across 5m and 15m closes)."""
    data = {tf: pd.read_feather(synthetic_market / f"LINK_USDT-{tf}.feather")
            for tf in ("1m", "5m", "15m", "1h", "4h")}
    lengths = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}

    def window(now: pd.Timestamp) -> dict[str, pd.DataFrame]:
        return {tf: frame[frame["date"] + pd.Timedelta(minutes=lengths[tf]) <= now]
                .tail(600).reset_index(drop=True) for tf, frame in data.items()}

    MEMO.clear()
    hits_before = MEMO.hits
    for minute in range(12):
        now = pd.Timestamp("2024-01-13T14:10Z") + pd.Timedelta(minutes=minute)
        frames = window(now)
        informative = {tf: frames[tf] for tf in ("5m", "15m", "1h", "4h")}
        warm = analyse(frames["1m"], informative, EngineSettings())
        kept = dict(MEMO.entries)
        MEMO.clear()
        cold = analyse(frames["1m"], informative, EngineSettings())
        MEMO.entries.update(kept)
        assert_frame_equal(warm, cold)
    assert MEMO.hits - hits_before >= 30  # most minutes reused the informative work
