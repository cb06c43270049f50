"""The market context of each 1m row: informative indicators merged without look-ahead, and the
5m candle in progress built from the 1m rows of its window.

A value from a longer timeframe reaches a 1m row only once its candle has closed (freqtrade's
`merge_informative_pair` semantics: the 15m candle opened at 10:00 lands on the 10:14 row, which
closes at 10:15 together with it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas import DataFrame

from botpy_ext import indicators as ind
from botpy_ext.setups.memo import MEMO
from botpy_ext.setups.settings import MomentumSettings, PrecisionSettings, TrendSettings

INFORMATIVE_TIMEFRAMES = ("5m", "15m", "1h", "4h")
MARKET_PAIR = "BTC/USDT"  # the market's trend (`trend_market`) is BTC's
MARKET_4H = "market_4h"  # the key of BTC/USDT's 4h candles among the informative frames
TIMEFRAME_MINUTES = {"5m": 5, "15m": 15, "1h": 60, "4h": 240}
INDICATOR_PERIOD = 14  # RSI, ATR and ADX periods of the spec
SLOW_EMA_15M = 20  # the parabolic check compares with EMA20(15m)
ATR_DAY_15M = 96  # 15m candles in a day: the ATR's median over it is the pair's usual range
FLOW_WINDOW = 20  # candles summed by the OBV/CVD flow columns shown in the chart
# Candles of every timeframe the analysis needs before its values are settled: EMA50(4h), ADX and
# the squeeze's 50-candle percentile converge (recursive-analysis: 0 % variance). The strategy's
# startup_candle_count and the scanner's fetch.
STARTUP_CANDLES = 400


def trend_4h(df: DataFrame, settings: TrendSettings) -> DataFrame:
    ema = ind.ema(df["close"], period=settings.ema_period)
    return DataFrame(
        {
            "date": df["date"],
            "ema": ema,
            "trend_up": df["close"] > ema,
            "trend_margin": df["close"] / ema - 1,
        }
    )


def trend_settled_at(candles_4h: DataFrame, settings: TrendSettings) -> pd.Timestamp | None:
    """When the 4h trend first has a value: the close of the 4h candle on which the EMA has
    `ema_period` candles behind it. No entry can come before it (None: never, too few candles)."""
    first = settings.ema_period - 1
    if len(candles_4h) <= first:
        return None
    return candles_4h["date"].iloc[first] + pd.Timedelta(minutes=TIMEFRAME_MINUTES["4h"])


def relative_day_4h(pair: DataFrame, market: DataFrame) -> DataFrame:
    """On each of the pair's 4h candles: did its close change over the day before at least as
    much as the market's over the same day? Changes are taken between candles 24 h apart by
    their dates, and the market's is read on the pair's dates, so a missing candle on either
    side gives NaN (False), never another day."""
    day_before = pair["date"] - pd.Timedelta(hours=24)

    def changes(frame: DataFrame) -> np.ndarray:
        close = frame.set_index("date")["close"]
        return (close.reindex(pair["date"]).to_numpy()
                / close.reindex(day_before).to_numpy() - 1)

    stronger = pd.Series(changes(pair) >= changes(market), index=pair.index)
    return DataFrame({"date": pair["date"], "stronger_than_market": stronger})


def trend_columns(df: DataFrame, informative: dict[str, DataFrame],
                  settings: TrendSettings) -> DataFrame:
    """The master trend filter of each 1m row: `trend_up_4h` (the pair's 4h trend and, with
    `settings.market`, BTC's: `market_up_4h`; with `settings.relative_strength`, the pair's day
    at least as good as BTC's: `stronger_than_market_4h`; both False when BTC's candles are
    missing) and the pair's `trend_margin_4h`."""
    own = merge(df, MEMO(trend_4h, informative["4h"], settings=(settings,)), "4h")
    if not settings.uses_market:
        return own
    market = informative.get(MARKET_4H)
    has_market = market is not None and not market.empty
    up = as_flag(own["trend_up_4h"])
    if settings.market:
        own["market_up_4h"] = as_flag(merge(df, MEMO(trend_4h, market, settings=(settings,)),
                                            "4h")["trend_up_4h"]) if has_market else False
        up &= own["market_up_4h"]
    if settings.relative_strength:
        own["stronger_than_market_4h"] = as_flag(merge(
            df, MEMO(relative_day_4h, informative["4h"], market),
            "4h")["stronger_than_market_4h"]) if has_market else False
        up &= own["stronger_than_market_4h"]
    own["trend_up_4h"] = up
    return own


def as_flag(values: pd.Series) -> pd.Series:
    """A column of True/False/NaN as booleans, NaN (no closed candle yet) False."""
    return values.astype("boolean").fillna(False).astype(bool)


def momentum_1h(df: DataFrame) -> DataFrame:
    return DataFrame({"date": df["date"], "rsi": ind.rsi(df["close"], period=INDICATOR_PERIOD)})


def structure_15m(
    df: DataFrame, precision: PrecisionSettings, momentum: MomentumSettings
) -> DataFrame:
    """Squeeze, impulse and the character of the market on each closed 15m candle."""
    bands = ind.bollinger(df["close"], period=precision.bb_period, stds=precision.bb_stds)
    floor = ind.rolling_quantile(
        bands.bandwidth, window=precision.squeeze_lookback, q=precision.squeeze_percentile / 100
    )
    atr = ind.atr(df, period=INDICATOR_PERIOD)
    return DataFrame(
        {
            "date": df["date"],
            "close": df["close"],
            "bb_upper": bands.upper,
            "bb_lower": bands.lower,
            "squeeze": bands.bandwidth <= floor,
            "rsi": ind.rsi(df["close"], period=INDICATOR_PERIOD),
            "atr": atr,
            "atr_day_median": atr.rolling(ATR_DAY_15M).median(),
            "atr_pct": atr / df["close"] * 100,
            "adx": ind.adx(df, period=INDICATOR_PERIOD),
            "ema_slow": ind.ema(df["close"], period=SLOW_EMA_15M),
            "impulse": impulse(df, atr.shift(1), momentum),
        }
    )


def impulse(df: DataFrame, atr_before: pd.Series, settings: MomentumSettings) -> pd.Series:
    """A bullish 15m candle with a large body (share of range and ATR) and heavy volume."""
    body = df["close"] - df["open"]
    span = df["high"] - df["low"]
    return (
        (body > 0)
        & (body >= settings.body_share * span)
        & (body >= settings.body_atr * atr_before)
        & (ind.volume_ratio(df["volume"], period=20) >= settings.volume_multiplier)
    )


def candle_in_progress(df: DataFrame, minutes: int = 5) -> DataFrame:
    """The `minutes` candle containing each 1m row, as known at that row's close: open of its
    first minute, high/low so far, this close, volume and estimated delta so far, and the close
    of the candle before it.

    A window holds at most `minutes` rows, so each row looks back up to `minutes - 1` rows and
    keeps those of its own window (numpy; a pandas group-by costs ten times more here).
    """
    step = pd.Timedelta(minutes=minutes).value
    ns = as_ns(df["date"])
    window = ns // step
    high, low = df["high"].to_numpy(dtype=float), df["low"].to_numpy(dtype=float)
    volume = df["volume"].to_numpy(dtype=float)
    delta = ind.candle_delta(df).to_numpy()
    first = np.arange(len(df))
    out = {"high": high.copy(), "low": low.copy(), "volume": volume.copy(), "delta": delta.copy()}
    for back in range(1, minutes):
        same = np.zeros(len(df), dtype=bool)
        same[back:] = window[back:] == window[:-back]
        earlier = np.roll(np.arange(len(df)), back)
        out["high"] = np.where(same, np.maximum(out["high"], high[earlier]), out["high"])
        out["low"] = np.where(same, np.minimum(out["low"], low[earlier]), out["low"])
        out["volume"] = np.where(same, out["volume"] + volume[earlier], out["volume"])
        out["delta"] = np.where(same, out["delta"] + delta[earlier], out["delta"])
        first = np.where(same, earlier, first)
    close = df["close"].to_numpy(dtype=float)
    before = np.where(first > 0, close[np.maximum(first - 1, 0)], np.nan)
    return DataFrame({
        "open": df["open"].to_numpy(dtype=float)[first],
        **{name: out[name] for name in ("high", "low")},
        "close": close,
        **{name: out[name] for name in ("volume", "delta")},
        "prev_close": before,
        "first_row": first,
        "last_minute": (ns + pd.Timedelta(minutes=1).value) % step == 0,
    }, index=df.index)


def closed_positions(dates: pd.Series, informative_dates: pd.Series, timeframe: str) -> np.ndarray:
    """For each 1m row, the position of the last informative candle closed by the row's close
    (-1 when none has): candle open + timeframe <= row open + 1 minute."""
    shift = pd.Timedelta(minutes=TIMEFRAME_MINUTES[timeframe] - 1)
    closed_by = as_ns(informative_dates + shift)
    return np.searchsorted(closed_by, as_ns(dates), side="right") - 1


NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def as_ns(dates: pd.Series) -> np.ndarray:
    """Datetimes as int64 nanoseconds since the epoch (comparable whatever their unit). Read
    from the underlying integers: the `.dt` conversion cost ~0.3 ms a call, 15 calls a candle."""
    return dates.array.asi8 * NS_PER_UNIT[dates.dtype.unit]


def merge(df: DataFrame, informative: DataFrame, timeframe: str) -> DataFrame:
    """The `informative` columns (suffixed `_<timeframe>`) for each 1m row of `df`, from the last
    candle closed by that row's close; NaN before the first one.

    Same values as freqtrade's `merge_informative_pair(..., ffill=True)` (tested), as a positional
    lookup: freqtrade's version back-fills the first rows column by column, which alone costs more
    than the whole analysis of a live window.
    """
    positions = closed_positions(df["date"], informative["date"], timeframe)
    taken = informative.iloc[np.maximum(positions, 0)].set_axis(df.index)
    if (positions < 0).any():
        taken = taken.where(pd.Series(positions >= 0, index=df.index), axis=0)
    return taken.add_suffix(f"_{timeframe}")
