"""What a datadir holds: its pairs, the span of their candles, and the candles themselves."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES, MARKET_4H, MARKET_PAIR

BASE_TIMEFRAME = "1m"
ONE_MINUTE = timedelta(minutes=1)


def pair_file(datadir: Path, pair: str, timeframe: str) -> Path:
    return datadir / f"{pair.replace('/', '_')}-{timeframe}.feather"


def datadir_pairs(datadir: Path, timeframe: str = BASE_TIMEFRAME) -> list[str]:
    suffix = f"-{timeframe}.feather"
    return sorted(path.name[: -len(suffix)].replace("_", "/", 1)
                  for path in datadir.glob(f"*{suffix}"))


def read_candles(datadir: Path, pair: str, timeframe: str = BASE_TIMEFRAME,
                 columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.read_feather(pair_file(datadir, pair, timeframe), columns=columns)
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame


def engine_frames(datadir: Path, pair: str) -> dict[str, pd.DataFrame]:
    """The informative candles the entry engine reads for `pair`: its 5m/15m/1h/4h and, when
    the datadir has them, BTC/USDT's 4h (the market's trend)."""
    frames = {tf: read_candles(datadir, pair, tf) for tf in INFORMATIVE_TIMEFRAMES}
    if pair_file(datadir, MARKET_PAIR, "4h").exists():
        frames[MARKET_4H] = read_candles(datadir, MARKET_PAIR, "4h")
    return frames


@dataclass(frozen=True)
class Span:
    first: datetime  # open time of the first candle
    last: datetime  # open time of the last candle


def common_span(candles: dict[str, pd.DataFrame]) -> Span:
    """The time every pair has candles: from the latest first candle to the earliest last."""
    first = max(frame["date"].iloc[0] for frame in candles.values())
    last = min(frame["date"].iloc[-1] for frame in candles.values())
    return Span(first.to_pydatetime(), last.to_pydatetime())


@dataclass(frozen=True)
class Gaps:
    """The minutes a 1m series lacks between its first and last candle (freqtrade fills them
    with flat candles of no volume)."""

    missing: int
    longest: timedelta
    longest_after: datetime  # open time of the candle before the longest gap


def minute_gaps(candles: pd.DataFrame) -> Gaps | None:
    dates = candles["date"]
    expected = (dates.iloc[-1] - dates.iloc[0]) // ONE_MINUTE + 1
    missing = int(expected - dates.nunique())
    if missing <= 0:
        return None
    steps = dates.diff().iloc[1:].reset_index(drop=True)
    widest = int(steps.to_numpy().argmax())  # the step after candle `widest`
    return Gaps(missing, steps.iloc[widest].to_pytimedelta() - ONE_MINUTE,
                dates.iloc[widest].to_pydatetime())


def covers(dates: pd.Series, base_first: datetime, base_last: datetime, timeframe: str) -> bool:
    """A file of `timeframe` candles covers the 1m candles from `base_first` to `base_last`
    (open times): its first candle opens no later than the bin of the first minute, its last
    no earlier than the bin before the last minute's (a download leaves out the candle still
    open)."""
    step = pd.Timedelta(timeframe.replace("m", "min"))
    if dates.empty:
        return False
    return (dates.iloc[0] <= pd.Timestamp(base_first).floor(step)
            and dates.iloc[-1] >= pd.Timestamp(base_last).floor(step) - step)


def resample(candles: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Left-closed, left-labelled bins, as the exchange labels them."""
    rule = timeframe.replace("m", "min")
    binned = candles.set_index("date").resample(rule, label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    return binned.dropna(subset=["open"]).reset_index()


def missing_timeframes(datadir: Path, pairs: list[str], timeframes: tuple[str, ...]
                       ) -> list[tuple[str, str]]:
    """(pair, timeframe) of every file the datadir lacks."""
    return [(pair, timeframe) for pair in pairs for timeframe in timeframes
            if not pair_file(datadir, pair, timeframe).exists()]


def short_timeframes(datadir: Path, pairs: list[str], timeframes: tuple[str, ...]
                     ) -> list[tuple[str, str]]:
    """(pair, timeframe) of every file the datadir has that does not cover the pair's 1m
    candles (`covers`): a run would merge nothing, or stale candles, into the minutes it
    lacks."""
    short = []
    for pair in pairs:
        existing = [tf for tf in timeframes if pair_file(datadir, pair, tf).exists()]
        if not existing:
            continue
        base = read_candles(datadir, pair, columns=["date"])["date"]
        short += [(pair, tf) for tf in existing if base.empty or not covers(
            read_candles(datadir, pair, tf, columns=["date"])["date"], base.iloc[0],
            base.iloc[-1], tf)]
    return short


def with_timeframes(datadir: Path, missing: list[tuple[str, str]], scratch: Path) -> Path:
    """`scratch`, built afresh (nothing of an earlier run is reused): links to `datadir`'s files
    and the `missing` (pair, timeframe) files resampled from the 1m candles."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for source in datadir.iterdir():
        if source.is_file():
            (scratch / source.name).symlink_to(source.resolve())
    for pair, timeframe in missing:
        target = pair_file(scratch, pair, timeframe)
        target.unlink(missing_ok=True)  # a link to the user's short file: never write through it
        resample(read_candles(datadir, pair), timeframe).to_feather(target)
    return scratch
