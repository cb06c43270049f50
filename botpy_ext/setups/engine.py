"""The entry engine: one pure function from candles to signals, tags and scanner columns.

`analyse(df_1m, informative, settings)` returns a new frame (the input is not changed) with the
merged context, one boolean column per setup, the winning `entry_setup`, the exit `profile`, the
`entry_tag` (e.g. `precision:sniper`, `ignition`) and the scanner columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas import DataFrame

from botpy_ext import indicators as ind
from botpy_ext.setups import ignition, momentum, precision, profile
from botpy_ext.setups.context import (
    FLOW_WINDOW,
    as_ns,
    candle_in_progress,
    merge,
    momentum_1h,
    structure_15m,
    trend_columns,
)
from botpy_ext.setups.memo import MEMO
from botpy_ext.setups.score import scanner_columns
from botpy_ext.setups.settings import (
    EntrySettings,
    IgnitionSettings,
    MomentumSettings,
    PrecisionSettings,
    ProfileSettings,
    TrendSettings,
)

# When several setups fire on the same candle the first of this order wins: an explosive candle
# is best managed by Ignition's flash trail; Precision is the more selective of the other two.
PRIORITY = ("ignition", "precision", "momentum")
FLAG_COLUMNS = ("trend_up_4h", "squeeze_15m", "impulse_15m", "momentum_5m")


@dataclass(frozen=True)
class EngineSettings:
    trend: TrendSettings = field(default_factory=TrendSettings)
    precision: PrecisionSettings = field(default_factory=PrecisionSettings)
    momentum: MomentumSettings = field(default_factory=MomentumSettings)
    ignition: IgnitionSettings = field(default_factory=IgnitionSettings)
    profile: ProfileSettings = field(default_factory=ProfileSettings)
    entry: EntrySettings = field(default_factory=EntrySettings)


def base_columns(df: DataFrame, progress: DataFrame, settings: EngineSettings) -> DataFrame:
    """1m indicators and what the 5m candle in progress says about the flow (new columns only)."""
    signed_volume = ind.obv(df).diff().fillna(0.0)
    delta = ind.candle_delta(df)
    return DataFrame(index=df.index).assign(
        ema_fast=ind.ema(df["close"], period=settings.precision.ema_fast),
        volume_ratio=ind.volume_ratio(df["volume"], period=settings.precision.volume_lookback),
        # Ignition's rule: the previous 20 candles, whatever Precision's lookback
        ignition_volume_ratio=ind.volume_ratio(df["volume"], period=ignition.VOLUME_LOOKBACK),
        obv_rising_1m=signed_volume > 0,
        obv_rising_5m=progress["close"] > progress["prev_close"],
        cvd_rising_5m=progress["delta"] > 0,
        obv_flow=signed_volume.rolling(FLOW_WINDOW).sum(),
        cvd_flow=delta.rolling(FLOW_WINDOW).sum(),
    )


def with_context(df: DataFrame, progress: DataFrame, informative: dict[str, DataFrame],
                 settings: EngineSettings) -> DataFrame:
    """`df` with the 4h trend, 1h RSI, 15m structure and 5m momentum confirmations merged."""
    structure = MEMO(structure_15m, informative["15m"],
                     settings=(settings.precision, settings.momentum))
    confirmed = MEMO(confirmed_5m, informative["5m"], informative["15m"],
                     settings=(settings.precision, settings.momentum))
    ctx = pd.concat([
        df,
        base_columns(df, progress, settings),
        trend_columns(df, informative, settings.trend),
        merge(df, MEMO(momentum_1h, informative["1h"]), "1h"),
        merge(df, structure, "15m"),
        merge(df, confirmed, "5m"),
    ], axis=1)
    for column in FLAG_COLUMNS:
        ctx[column] = ctx[column].astype("boolean").fillna(False).astype(bool)
    return ctx


def confirmed_5m(df5: DataFrame, df15: DataFrame, precision_settings: PrecisionSettings,
                 momentum_settings: MomentumSettings) -> DataFrame:
    """Momentum's 5m continuation candles after a 15m impulse."""
    structure = MEMO(structure_15m, df15, settings=(precision_settings, momentum_settings))
    return DataFrame({
        "date": df5["date"],
        "momentum": momentum.confirmations(df5, structure, momentum_settings),
    })


def pick_setup(signals: DataFrame) -> pd.Series:
    """The winning setup of each row by `PRIORITY`, '' when none fired."""
    chosen = np.select([signals[name] for name in PRIORITY], PRIORITY, default="")
    return pd.Series(chosen, index=signals.index)


def first_of_episode(setup: pd.Series, dates: pd.Series, gap_minutes: int) -> pd.Series:
    """`setup` where the pair had no signal in the `gap_minutes` before, '' elsewhere. Every
    earlier signal counts, kept or not, so a row depends only on the signals of the minutes
    before it (the same in a live window as in a backtest)."""
    if not gap_minutes:
        return setup
    rows = np.flatnonzero(setup.to_numpy() != "")
    times = as_ns(dates)[rows]
    repeats = rows[1:][np.diff(times) <= pd.Timedelta(minutes=gap_minutes).value]
    kept = setup.copy()
    kept.iloc[repeats] = ""
    return kept


def entry_tags(setup: pd.Series, exit_profile: pd.Series) -> pd.Series:
    """`setup:profile` for Precision and Momentum, `ignition` alone, '' without a signal."""
    tagged = setup + ":" + exit_profile
    return tagged.where(setup.isin(["precision", "momentum"]), setup)


def trigger_volume(ctx: DataFrame, setup: pd.Series, precision_trigger: pd.Series) -> pd.Series:
    """Volume of the 1m candle that triggered the row's entry: Precision's largest breakout
    candle of the 5m window, the signal row itself otherwise (Momentum's: the minute that closes
    its confirming 5m candle, the spec's "trigger 1m candle"; the largest of its five minutes
    would refuse most confirmations, whose 5m volume is at least 1.5 times the mean by rule)."""
    return precision_trigger.where(setup == "precision", ctx["volume"])


def analyse(df: DataFrame, informative: dict[str, DataFrame],
            settings: EngineSettings | None = None) -> DataFrame:
    settings = settings or EngineSettings()
    progress = candle_in_progress(df, minutes=5)
    ctx = with_context(df, progress, informative, settings)
    checks = precision.trigger_checks(ctx, settings.precision)
    breakouts = precision.trigger_volume(ctx, checks, progress)
    signals = DataFrame({
        "ignition": ignition.entries(ctx, settings.ignition),
        "precision": precision.entries(ctx, checks, progress, breakouts),
        "momentum": momentum.entries(ctx),
    }, index=ctx.index)
    setup = first_of_episode(pick_setup(signals), ctx["date"], settings.entry.gap_minutes)
    exit_profile = profile.select(ctx["adx_15m"], ctx["atr_pct_15m"], settings.profile)
    return pd.concat([
        ctx,
        signals.add_prefix("signal_"),
        DataFrame({"entry_setup": setup, "profile": exit_profile,
                   "entry_tag": entry_tags(setup, exit_profile),
                   "trigger_volume": trigger_volume(ctx, setup, breakouts)},
                  index=ctx.index),
        scanner_columns(ctx, checks, setup),
    ], axis=1)
