"""Each entry rule on small hand-built frames, with its negative twin (one condition false)."""

from __future__ import annotations

import pandas as pd
import pytest

from botpy_ext.setups import ignition, momentum, precision, profile
from botpy_ext.setups.context import candle_in_progress, impulse, trend_settled_at
from botpy_ext.setups.engine import (
    EngineSettings,
    base_columns,
    entry_tags,
    first_of_episode,
    pick_setup,
)
from botpy_ext.setups.score import qualification, score
from botpy_ext.setups.settings import (
    IgnitionSettings,
    MomentumSettings,
    PrecisionSettings,
    ProfileSettings,
    TrendSettings,
)

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def minutes(n: int, start: pd.Timestamp = T0) -> pd.Series:
    return pd.Series(pd.date_range(start, periods=n, freq="1min"))


# ---- Precision: trigger rules ---------------------------------------------------------------

PASSING_ROW = {
    "open": 100.0, "high": 101.05, "low": 99.9, "close": 101.0, "volume": 30.0,
    "ema_fast": 100.5, "volume_ratio": 2.0, "obv_rising_1m": True, "obv_rising_5m": True,
    "cvd_rising_5m": True, "rsi_1h": 60.0, "rsi_15m": 65.0, "ema_slow_15m": 99.0,
    "atr_15m": 1.0, "trend_up_4h": True, "squeeze_15m": True,
}

# rule -> a change that makes only that rule fail
NEGATIVE_TWINS = {
    "above_ema": {"ema_fast": 101.0},  # close not above EMA9 (equal)
    "volume": {"volume_ratio": 1.5},  # not above 1.5x
    "obv_rising": {"obv_rising_5m": False},
    "cvd_rising": {"cvd_rising_5m": False},
    "rsi_cool": {"rsi_1h": 70.0},
    "small_wick": {"high": 101.8},  # upper wick 0.8 of a 1.9 range > 0.4
    "not_parabolic": {"ema_slow_15m": 97.9},  # close 3.1 ATR above EMA20(15m)
}


def checks_for(**changes) -> pd.Series:
    ctx = pd.DataFrame([{**PASSING_ROW, **changes}])
    return precision.trigger_checks(ctx, PrecisionSettings()).iloc[0]


def test_all_trigger_rules_pass_on_the_passing_row():
    row = checks_for()
    assert row.all() and set(row.index) == set(NEGATIVE_TWINS)


@pytest.mark.parametrize("rule", sorted(NEGATIVE_TWINS))
def test_negative_twin_fails_exactly_its_rule(rule):
    row = checks_for(**NEGATIVE_TWINS[rule])
    assert not row[rule]
    assert row.drop(rule).all()


def test_rsi_15m_also_guards():
    assert not checks_for(rsi_15m=70.5)["rsi_cool"]


def test_obv_must_rise_on_1m_too():
    assert not checks_for(obv_rising_1m=False)["obv_rising"]


@pytest.mark.parametrize("trend, squeeze, expected", [
    (True, True, True), (False, True, False), (True, False, False)])
def test_qualification_needs_trend_and_squeeze(trend, squeeze, expected):
    ctx = pd.DataFrame([{**PASSING_ROW, "trend_up_4h": trend, "squeeze_15m": squeeze}])
    assert precision.qualified(ctx).iloc[0] == expected


# ---- Precision: the 5m hold -----------------------------------------------------------------

def window_frame(closes: list[float], trigger_at: list[int], start=T0) -> pd.DataFrame:
    """1m rows from `start` (a 5m boundary); the trigger rules pass only at `trigger_at`."""
    n = len(closes)
    opens = [100.0] + closes[:-1]
    rows = [{**PASSING_ROW, "open": o, "close": c, "high": max(o, c), "low": min(o, c)}
            for o, c in zip(opens, closes, strict=True)]
    ctx = pd.DataFrame(rows).assign(date=minutes(n, start))
    ctx["volume_ratio"] = [2.0 if i in trigger_at else 1.0 for i in range(n)]
    return ctx


def hold_entries(ctx: pd.DataFrame) -> list[int]:
    checks = precision.trigger_checks(ctx, PrecisionSettings())
    found = precision.entries(ctx, checks, candle_in_progress(ctx, minutes=5))
    return list(found[found].index)


def test_entry_at_the_close_of_a_bullish_5m_candle():
    # trigger on the 2nd minute; the 5m candle 10:00-10:05 closes at 100.8 > open 100
    assert hold_entries(window_frame([100.2, 100.9, 100.7, 100.6, 100.8], [1])) == [4]


def test_bearish_5m_close_drops_the_signal():
    assert hold_entries(window_frame([100.2, 100.9, 100.3, 99.9, 99.8], [1])) == []


def test_trigger_on_the_last_minute_enters_at_once():
    assert hold_entries(window_frame([100.1, 100.2, 100.1, 100.0, 100.6], [4])) == [4]


def test_a_trigger_does_not_carry_into_the_next_5m_candle():
    closes = [100.2, 100.1, 100.0, 99.9, 99.8] + [99.9, 100.0, 100.1, 100.2, 100.3]
    assert hold_entries(window_frame(closes, [1])) == []


def test_without_a_trigger_no_entry():
    assert hold_entries(window_frame([100.2, 100.9, 100.7, 100.6, 100.8], [])) == []


def test_the_trend_must_still_hold_when_the_5m_candle_closes():
    """A 4h candle that closes below its EMA with the 5m candle's last minute (xx:59) ends the
    trend: the trigger of an earlier minute does not enter (HIFI 2025-01-16 23:59 did)."""
    ctx = window_frame([100.2, 100.9, 100.7, 100.6, 100.8], [1])
    ctx.loc[4, "trend_up_4h"] = False
    assert hold_entries(ctx) == []


def test_candle_in_progress_by_hand():
    df = pd.DataFrame({
        "date": minutes(6, T0 - pd.Timedelta(minutes=1)),
        "open": [9.0, 10, 11, 12, 11, 10], "high": [10.0, 12, 13, 14, 12, 11],
        "low": [8.0, 9, 10, 11, 10, 9], "close": [10.0, 11, 12, 11, 10, 10.5],
        "volume": [1.0, 1, 2, 3, 4, 5],
    })
    p = candle_in_progress(df, minutes=5)
    # row 1 opens the 10:00 window; row 5 (10:04) is its last minute
    assert p["open"].tolist()[1:] == [10, 10, 10, 10, 10]
    assert p["high"].tolist()[1:] == [12, 13, 14, 14, 14]
    assert p["low"].tolist()[1:] == [9, 9, 9, 9, 9]
    assert p["volume"].tolist()[1:] == [1, 3, 6, 10, 15]
    assert p["prev_close"].tolist()[1:] == [10, 10, 10, 10, 10]
    assert p["last_minute"].tolist() == [True, False, False, False, False, True]
    # deltas: row1 close 11 in 9..12 -> +1/3; row2 12 in 10..13 -> +2/3*2 ...
    assert p["delta"].iloc[1] == pytest.approx(1 * (2 * 11 - 12 - 9) / 3)


# ---- Momentum -------------------------------------------------------------------------------

def fifteen(impulse_flags: list[bool], close: float = 105.0) -> pd.DataFrame:
    n = len(impulse_flags)
    return pd.DataFrame({
        "date": pd.Series(pd.date_range(T0 - pd.Timedelta(minutes=15 * (n - 1)), periods=n,
                                        freq="15min")),
        "close": close, "impulse": impulse_flags,
    })


def fives(closes: list[float], volumes: list[float], start: pd.Timestamp) -> pd.DataFrame:
    n = len(closes)
    history = 20
    return pd.DataFrame({
        "date": pd.Series(pd.date_range(start - pd.Timedelta(minutes=5 * history),
                                        periods=n + history, freq="5min")),
        "open": [100.0] * history + [104.0] * n,
        "close": [100.0] * history + closes,
        "volume": [10.0] * history + volumes,
    })


def confirmed_at(closes, volumes) -> list[int]:
    # impulse candle 10:00-10:15 closing at 105; 5m candles from 10:15
    df5 = fives(closes, volumes, T0 + pd.Timedelta(minutes=15))
    found = momentum.confirmations(df5, fifteen([False, True]), MomentumSettings())
    return [i - 20 for i in found[found].index]


def test_first_5m_candle_continuing_the_impulse_confirms():
    assert confirmed_at([105.5, 106.0, 106.5], [12.0, 12.0, 12.0]) == [0]


def test_close_not_above_the_impulse_close_does_not_confirm():
    assert confirmed_at([104.9, 105.0, 104.5], [12.0, 12.0, 12.0]) == []


def test_weak_volume_does_not_confirm():
    assert confirmed_at([105.5, 104.0, 104.0], [9.0, 9.0, 9.0]) == []


def test_confirmation_window_is_15_minutes():
    # third candle (10:25-10:30) is the last inside; a fourth (closing 10:35) is too late
    assert confirmed_at([104.0, 104.5, 105.5], [12.0] * 3) == [2]
    assert confirmed_at([104.0, 104.5, 104.9, 105.5], [12.0] * 4) == []


def test_one_entry_per_impulse():
    assert confirmed_at([105.5, 106.0, 106.5], [12.0] * 3) == [0]


def test_no_impulse_no_confirmation():
    df5 = fives([105.5], [12.0], T0 + pd.Timedelta(minutes=15))
    assert not momentum.confirmations(df5, fifteen([False, False]), MomentumSettings()).any()


def impulse_frame(body_close: float, volume: float, high: float | None = None) -> pd.DataFrame:
    """20 quiet 15m candles (range 1, volume 10), then the candidate from 100 to `body_close`."""
    rows = [{"open": 100.0, "high": 100.5, "low": 99.5, "close": 100.0, "volume": 10.0}] * 20
    rows.append({"open": 100.0, "high": high or body_close + 0.1, "low": 99.95,
                 "close": body_close, "volume": volume})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("close, volume, high, expected", [
    (101.5, 25.0, None, True),  # body 1.5 >= 1.2 ATR (1.0), 94 % of range, 2.5x volume
    (101.1, 25.0, None, False),  # body 1.1 < 1.2 ATR
    (101.5, 19.0, None, False),  # volume 1.9x < 2x
    (101.5, 25.0, 103.0, False),  # body 49 % of the range < 60 %
    (98.5, 25.0, None, False),  # bearish
])
def test_impulse_rules(close, volume, high, expected):
    df = impulse_frame(close, volume, high)
    atr_before = pd.Series(1.0, index=df.index)
    assert impulse(df, atr_before, MomentumSettings()).iloc[-1] == expected


def test_momentum_entry_only_on_the_row_where_the_5m_candle_closes():
    ctx = pd.DataFrame({
        "date": minutes(6),
        "date_5m": [T0 - pd.Timedelta(minutes=5)] * 4 + [T0] * 2,
        "momentum_5m": [True] * 6,
        "trend_up_4h": [True] * 6,
    })
    # the 5m candle of 10:00 closes with the 10:04 row; rows 0-3 carry the one that closed at
    # 10:00, which closed with the 09:59 row, before them
    assert momentum.entries(ctx).tolist() == [False, False, False, False, True, False]
    assert not momentum.entries(ctx.assign(trend_up_4h=False)).any()


# ---- Ignition -------------------------------------------------------------------------------


def test_ignitions_volume_rule_keeps_its_20_candles_whatever_precisions_lookback():
    """Ignition compares the spike with the previous 20 1m candles (docs/strategy.md), also when
    precision_volume_lookback is set otherwise (it read Precision's lookback)."""
    volume = pd.Series([100.0] * 100 + [50.0] * 20 + [300.0])
    df = pd.DataFrame({"open": 100.0, "high": 100.0, "low": 100.0, "close": 100.0,
                       "volume": volume, "date": minutes(len(volume))})
    progress = pd.DataFrame({"close": 100.0, "prev_close": 100.0, "delta": 0.0}, index=df.index)
    settings = EngineSettings(precision=PrecisionSettings(volume_lookback=120))
    columns = base_columns(df, progress, settings)
    assert columns["ignition_volume_ratio"].iloc[-1] == pytest.approx(300.0 / 50.0)
    assert columns["volume_ratio"].iloc[-1] < 300.0 / 50.0

@pytest.mark.parametrize("close, ratio, trend, expected", [
    (105.1, 10.0, True, True),
    (104.9, 12.0, True, False),  # +4.9 %
    (106.0, 9.9, True, False),  # 9.9x volume
    (106.0, 12.0, False, False),  # trend filter
])
def test_ignition(close, ratio, trend, expected):
    ctx = pd.DataFrame([{"open": 100.0, "close": close, "ignition_volume_ratio": ratio,
                         "trend_up_4h": trend}])
    assert ignition.entries(ctx, IgnitionSettings()).iloc[0] == expected


# ---- profile, priority, tags, score ---------------------------------------------------------

@pytest.mark.parametrize("adx, atr_pct, expected", [
    (15.0, 3.0, "scalper"), (25.0, 1.5, "volatility_hunter"), (25.0, 0.5, "sniper"),
    (20.0, 1.0, "sniper"),  # both thresholds are strict
])
def test_profile_selection(adx, atr_pct, expected):
    chosen = profile.select(pd.Series([adx]), pd.Series([atr_pct]), ProfileSettings())
    assert chosen.iloc[0] == expected


def test_profile_selector_off_uses_the_default():
    settings = ProfileSettings(dynamic=False, default="scalper")
    assert profile.select(pd.Series([30.0]), pd.Series([3.0]), settings).iloc[0] == "scalper"


def test_priority_ignition_then_precision_then_momentum():
    signals = pd.DataFrame({
        "ignition": [True, False, False, False],
        "precision": [True, True, False, False],
        "momentum": [True, True, True, False],
    })
    assert pick_setup(signals).tolist() == ["ignition", "precision", "momentum", ""]


def test_entry_tags_carry_setup_and_profile():
    tags = entry_tags(pd.Series(["precision", "momentum", "ignition", ""]),
                      pd.Series(["sniper", "scalper", "volatility_hunter", "sniper"]))
    assert tags.tolist() == ["precision:sniper", "momentum:scalper", "ignition", ""]


def test_a_signalling_row_is_qualified_for_its_setup():
    """A Momentum confirmation closes up to 15 minutes after its impulse, when the last closed
    15m candle is the next one: the row that signals is still qualified for Momentum."""
    ctx = pd.DataFrame({"trend_up_4h": [True, True, True],
                        "squeeze_15m": [False, False, False],
                        "impulse_15m": [False, False, True]})
    setup = pd.Series(["momentum", "precision", ""])
    checks = pd.DataFrame({f"c{i}": [False] * 3 for i in range(7)})
    assert qualification(ctx, setup).tolist() == ["momentum", "precision", "momentum"]
    assert score(ctx, checks, setup).tolist() == [36.4] * 3


def test_score_formula():
    """The last row: a squeeze with every trigger rule, but the 4h trend down: not qualified
    (7/11, where it was 9/11 with the squeeze counted alone)."""
    ctx = pd.DataFrame({"trend_up_4h": [True, True, False, False],
                        "squeeze_15m": [True, False, False, True],
                        "impulse_15m": [False, True, False, False]})
    checks = pd.DataFrame({f"c{i}": [True, False, False, True] for i in range(7)})
    assert score(ctx, checks, pd.Series("", index=ctx.index)).tolist() == [100.0, 36.4, 0.0, 63.6]


def test_settings_refuse_out_of_range_values():
    with pytest.raises(ValueError, match=r"squeeze_percentile must be in \[5, 50\]"):
        PrecisionSettings(squeeze_percentile=80)
    with pytest.raises(ValueError, match="default must be one of"):
        ProfileSettings(default="yolo")


def test_one_entry_per_episode_keeps_the_first_signal_after_a_quiet_gap():
    dates = minutes(20)
    setup = pd.Series([""] * 20)
    setup[[2, 3, 6, 11, 12, 19]] = ["precision", "precision", "momentum", "precision",
                                    "ignition", "momentum"]
    kept = first_of_episode(setup, dates, gap_minutes=4)
    # 3 follows 2, 6 is 3 min after 3 (a dropped signal still extends the episode), 12 follows
    # 11; 11 and 19 come after more than 4 quiet minutes
    assert kept[kept != ""].to_dict() == {2: "precision", 11: "precision", 19: "momentum"}
    assert first_of_episode(setup, dates, gap_minutes=0).equals(setup)


def test_the_episode_gap_counts_minutes_not_rows():
    dates = pd.Series([T0, T0 + pd.Timedelta(minutes=3), T0 + pd.Timedelta(minutes=10)])
    setup = pd.Series(["precision", "precision", "precision"])  # rows 1 and 2 are 7 min apart
    assert first_of_episode(setup, dates, gap_minutes=5).tolist() == ["precision", "",
                                                                     "precision"]


def four_hours(closes: list[float]) -> pd.DataFrame:
    dates = pd.date_range(T0 - pd.Timedelta(hours=4 * len(closes)), periods=len(closes),
                          freq="4h")
    return pd.DataFrame({"date": dates, "close": closes, "volume": 1.0})


def test_the_market_trend_needs_btc_above_its_4h_ema_too():
    from botpy_ext.setups.context import MARKET_4H, trend_columns

    rows = pd.DataFrame({"date": minutes(3)})
    closes = [float(n) for n in range(1, 21)]
    rising, falling = four_hours(closes), four_hours([c / 2 for c in closes[::-1]])
    own = TrendSettings(ema_period=10)
    market = TrendSettings(ema_period=10, market=True)
    assert trend_columns(rows, {"4h": rising}, own)["trend_up_4h"].all()
    with_btc = trend_columns(rows, {"4h": rising, MARKET_4H: falling}, market)
    assert not with_btc["trend_up_4h"].any() and not with_btc["market_up_4h"].any()
    assert with_btc["trend_margin_4h"].gt(0).all()  # the pair's own margin stays
    assert trend_columns(rows, {"4h": rising, MARKET_4H: rising}, market)["trend_up_4h"].all()
    # BTC's candles missing: the filter fails closed
    assert not trend_columns(rows, {"4h": rising}, market)["trend_up_4h"].any()


def test_relative_strength_needs_a_day_at_least_as_good_as_btcs():
    from botpy_ext.setups.context import MARKET_4H, trend_columns

    rows = pd.DataFrame({"date": minutes(3)})
    closes = [float(n) for n in range(10, 30)]  # rising: 29 / 23, +26 % over the last day
    pair = four_hours(closes)
    slower = four_hours([c for c in range(110, 130)])  # also rising: 129 / 123, +4.9 %
    faster = four_hours([c * c for c in closes])  # (29 / 23)², +59 %
    strength = TrendSettings(ema_period=10, relative_strength=True)
    beats = trend_columns(rows, {"4h": pair, MARKET_4H: slower}, strength)
    assert beats["trend_up_4h"].all() and beats["stronger_than_market_4h"].all()
    lags = trend_columns(rows, {"4h": pair, MARKET_4H: faster}, strength)
    assert not lags["trend_up_4h"].any() and lags["trend_margin_4h"].gt(0).all()
    # BTC itself (the same candles) passes; the pair's own downtrend still refuses
    assert trend_columns(rows, {"4h": pair, MARKET_4H: pair}, strength)["trend_up_4h"].all()
    falling = [c + 0.5 for c in closes[::-1]]  # (not the rising closes reversed: the memo
    # tells frames apart by their dates and sums)
    assert not trend_columns(rows, {"4h": four_hours(falling), MARKET_4H: four_hours(
        [c / 4 for c in falling])}, strength)["trend_up_4h"].any()
    # BTC's candles missing, or less than a day of them: fails closed
    assert not trend_columns(rows, {"4h": pair}, strength)["trend_up_4h"].any()
    assert not trend_columns(rows, {"4h": pair, MARKET_4H: slower.tail(6)},
                             strength)["trend_up_4h"].any()
    # with the market's trend as well, both must hold
    both = TrendSettings(ema_period=10, market=True, relative_strength=True)
    with_market = trend_columns(rows, {"4h": pair, MARKET_4H: slower}, both)
    assert with_market[["market_up_4h", "stronger_than_market_4h", "trend_up_4h"]].all().all()
    assert not trend_columns(rows, {"4h": pair, MARKET_4H: faster}, both)["trend_up_4h"].any()


def test_relative_strength_compares_the_same_day_when_a_candle_is_missing():
    """The pair's newest 4h candle is missing: its last day is compared with BTC's same day,
    not with BTC's newer one."""
    from botpy_ext.setups.context import MARKET_4H, trend_columns

    rows = pd.DataFrame({"date": minutes(3)})
    flat = four_hours([100.0] * 20).iloc[:-1]  # its last candle did not arrive
    # BTC: +10 % over the day that ends with the pair's last candle, then halved
    btc = four_hours([200.0] * 13 + [220.0] * 6 + [100.0])
    strength = TrendSettings(ema_period=10, relative_strength=True)
    columns = trend_columns(rows, {"4h": flat, MARKET_4H: btc}, strength)
    assert not columns["stronger_than_market_4h"].any()  # 0 % against BTC's +10 %


def test_the_trend_settles_when_the_emas_first_candle_closes():
    """EMA10 of 4h closes: its first value is on the 10th candle, known when that one closes."""
    dates = pd.date_range("2023-04-01 20:00", periods=12, freq="4h", tz="UTC")
    candles = pd.DataFrame({"date": dates, "close": 1.0})
    settings = TrendSettings(ema_period=10)
    assert trend_settled_at(candles, settings) == pd.Timestamp("2023-04-03 12:00", tz="UTC")
    assert trend_settled_at(candles.iloc[:9], settings) is None
    assert trend_settled_at(candles.iloc[:10], settings) == dates[9] + pd.Timedelta(hours=4)
