"""No look-ahead: every column the entry engine and the guard columns compute, at row n, is the
same when computed from the data known at that row's close (1m rows 0..n, BTC's 1m candles up to
it and the informative candles closed by then) as when computed from the whole history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from botpy_ext.guards.columns import guard_columns
from botpy_ext.guards.settings import GuardSettings
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES, MARKET_4H, TIMEFRAME_MINUTES
from botpy_ext.setups.engine import EngineSettings, analyse
from botpy_ext.setups.settings import EntrySettings, TrendSettings

PAIR = "DOGE_USDT"  # real data with gaps
WINDOW = ("2023-04-18", 4000)  # first 1m row, number of 1m rows


@pytest.fixture(scope="module")
def history(real_data):
    base = pd.read_feather(real_data / f"{PAIR}-1m.feather")
    first = int(np.searchsorted(base["date"], pd.Timestamp(WINDOW[0], tz="UTC")))
    df = base.iloc[first - 600:first + WINDOW[1]].reset_index(drop=True)
    informative = {tf: pd.read_feather(real_data / f"{PAIR}-{tf}.feather")
                   for tf in INFORMATIVE_TIMEFRAMES}
    informative["btc"] = pd.read_feather(real_data / "BTC_USDT-1m.feather")
    informative[MARKET_4H] = pd.read_feather(real_data / "BTC_USDT-4h.feather")
    return df, informative


# the research switches off by default: the market's trend and one entry per episode; the relative
# strength on its own (with the market's trend as well, this window has no signal)
RELATIVE_STRENGTH = EngineSettings(trend=TrendSettings(relative_strength=True))
SWITCHED_ON = EngineSettings(trend=TrendSettings(market=True),
                             entry=EntrySettings(gap_minutes=240))


def strategy_columns(df: pd.DataFrame, informative: dict,
                     settings: EngineSettings | None = None) -> pd.DataFrame:
    """What BotpyStrategy's populate_indicators computes: the engine, then the guard columns."""
    engine = analyse(df, {tf: informative[tf] for tf in (*INFORMATIVE_TIMEFRAMES, MARKET_4H)},
                     settings)
    return guard_columns(engine, informative["1h"], informative["btc"], GuardSettings())


def known_at(informative: dict, row_date: pd.Timestamp) -> dict:
    """Informative candles closed when the 1m row opened at `row_date` closes."""
    close = row_date + pd.Timedelta(minutes=1)
    minutes = TIMEFRAME_MINUTES | {"btc": 1, MARKET_4H: 240}
    return {tf: frame[frame["date"] + pd.Timedelta(minutes=minutes[tf]) <= close]
            .reset_index(drop=True) for tf, frame in informative.items()}


FLAGS = ("trend_up_4h", "market_up_4h", "stronger_than_market_4h")


def flips(full: pd.DataFrame) -> pd.Index:
    """Rows (after the warm-up) where one of the 4h flags changes."""
    flags = full[[flag for flag in FLAGS if flag in full.columns]].astype(bool)
    changed = flags.ne(flags.shift()).any(axis=1) & (full.index > 700)
    return full.index[changed]


def sample_rows(full: pd.DataFrame) -> list[int]:
    """Signal rows, random rows, and the rows on both sides of the first 4h closes and of the
    first changes of the 4h flags."""
    signals = list(full.index[full["entry_tag"] != ""][:15])
    closed_4h = full["date_4h"].ne(full["date_4h"].shift()) & (full.index > 700)
    signals += [row + step for row in full.index[closed_4h][:4] for step in (-1, 0)]
    signals += [row + step for row in flips(full)[:3] for step in (-1, 0)]
    # and the raw setup signals (a dropped repeat of an episode among them)
    raw = full[["signal_precision", "signal_momentum", "signal_ignition"]].any(axis=1)
    signals += list(full.index[raw][:15])
    rng = np.random.default_rng(11)
    others = sorted(rng.choice(np.arange(700, len(full)), size=15, replace=False).tolist())
    return sorted(set(signals + others))


@pytest.mark.parametrize("settings", [None, SWITCHED_ON, RELATIVE_STRENGTH],
                         ids=["defaults", "switched_on", "relative_strength"])
def test_every_column_is_free_of_look_ahead(history, settings):
    df, informative = history
    full = strategy_columns(df, informative, settings)
    rows = sample_rows(full)
    assert (full["entry_tag"] != "").sum() >= 2, "the window should hold signals to check"
    if settings is SWITCHED_ON:
        assert "market_up_4h" in full.columns
    if settings is RELATIVE_STRENGTH:  # the column changes at a checked row
        changes = full["stronger_than_market_4h"].ne(full["stronger_than_market_4h"].shift())
        assert any(changes.iloc[row] and row - 1 in rows for row in rows if row > 700)
    for n in rows:
        prefix = strategy_columns(df.iloc[: n + 1], known_at(informative, df["date"].iloc[n]),
                                  settings)
        assert list(prefix.columns) == list(full.columns)
        for column in full.columns:
            expected, got = full[column].iloc[n], prefix[column].iloc[n]
            if isinstance(expected, float | np.floating):
                assert np.isclose(got, expected, rtol=1e-9, equal_nan=True), (n, column)
            elif pd.isna(expected):
                assert pd.isna(got), (n, column, got)
            else:
                assert got == expected, (n, column, got, expected)


def test_engine_does_not_change_its_input(history):
    df, informative = history
    before = df.copy(), {tf: f.copy() for tf, f in informative.items()}
    strategy_columns(df, informative)
    pd.testing.assert_frame_equal(df, before[0])
    for tf in informative:
        pd.testing.assert_frame_equal(informative[tf], before[1][tf])


def test_merge_equals_freqtrades_merge_informative_pair(history):
    """The as-of merge gives what freqtrade's own helper gives, first rows included."""
    from freqtrade.strategy import merge_informative_pair

    from botpy_ext.setups.context import merge

    df, informative = history
    window = df.iloc[1003:2500].reset_index(drop=True)  # starts off every informative grid
    for tf in INFORMATIVE_TIMEFRAMES:
        frame = informative[tf]
        ours = merge(window, frame, tf)
        theirs = merge_informative_pair(window, frame, "1m", tf, ffill=True)
        pd.testing.assert_frame_equal(ours, theirs[ours.columns], check_dtype=False)


def test_plot_config_shows_columns_the_engine_produces(history):
    from botpy_ext.scanner.plot import PLOT_CONFIG

    df, informative = history
    columns = set(analyse(df, informative).columns)
    shown = set(PLOT_CONFIG["main_plot"]) | {
        name for plots in PLOT_CONFIG["subplots"].values() for name in plots}
    assert shown <= columns, shown - columns
    scanner = {"scan_qualified", "scan_signal", "scan_score", "dot_trend", "trend_margin_4h",
               "rsi_1h", "adx_15m", "atr_pct_15m"}
    assert scanner <= columns
