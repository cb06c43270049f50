"""Trade management as pure functions on hand-built price paths."""

from __future__ import annotations

import numpy as np
import pytest

from botpy_ext.exits import sizing
from botpy_ext.exits.settings import PROFILE_SETTINGS, TradeSettings
from botpy_ext.exits.stops import (
    current_stop,
    freeze,
    parse_tag,
    stop_distance,
    take_profit_price,
)

TRADE = TradeSettings()
# the spec's values (user_data/config/spec-literal.json): the ladder arithmetic below is written
# for them, whatever the shipped defaults are
SNIPER = PROFILE_SETTINGS["sniper"](stop_atr=1.5, trail_atr=2.0, tight_trail_atr=1.2)
SCALPER = PROFILE_SETTINGS["scalper"](stop_atr=1.0, trail_atr=1.0, tight_trail_atr=0.6)
HUNTER = PROFILE_SETTINGS["volatility_hunter"](stop_atr=2.5, trail_atr=3.0, tight_trail_atr=2.0)
FEES = 0.002


def facts(setup="precision", profile="sniper", exits=SNIPER, entry=100.0, atr=1.0):
    return freeze(setup, profile, entry, atr, 200.0, exits, TRADE)


def stops_along(path, trade_facts, exits=SNIPER, average=None):
    """The stop after each new highest price of `path` (the highs of closed candles)."""
    highest = np.maximum.accumulate(path)
    return [current_stop(trade_facts, h, average or trade_facts.entry, FEES, exits, TRADE)
            for h in highest]


def test_initial_stop_and_r_frozen_from_atr():
    f = facts()
    assert f.initial_stop == pytest.approx(98.5)  # 1.5 ATR below 100
    assert f.risk == pytest.approx(1.5)


@pytest.mark.parametrize("exits, expected", [(SNIPER, 1.5), (SCALPER, 1.0), (HUNTER, 2.5)])
def test_each_profile_has_its_own_initial_stop(exits, expected):
    assert facts(exits=exits).risk == pytest.approx(expected)


def test_initial_stop_is_capped():
    wide = freeze("precision", "volatility_hunter", 100.0, 10.0, 200.0, HUNTER, TRADE)
    assert wide.initial_stop == pytest.approx(100 * (1 - TRADE.max_stop))


def test_sniper_ladder_initial_breakeven_trail_tightened():
    f = facts()  # entry 100, R 1.5, ATR 1
    path = [100.5, 101.4, 101.5, 102.0, 103.0, 104.0]
    stops = stops_along(path, f)
    assert [s.stage for s in stops] == ["initial_stop", "initial_stop", "breakeven_stop",
                                        "breakeven_stop", "atr_trail", "atr_trail"]
    assert stops[2].price == pytest.approx(100 * (1 + FEES))  # +1R reached: entry + fees
    assert stops[3].price == pytest.approx(100.2)  # 102 - 2 ATR = 100 < breakeven
    assert stops[4].price == pytest.approx(103 - 1.2)  # +2R: tightened 1.2 ATR trail
    assert stops[5].price == pytest.approx(104 - 1.2)


def test_trail_before_tightening_uses_the_wide_distance():
    f = facts(atr=0.5)  # R 0.75; tighten at 1.5 (2R)
    stop = current_stop(f, 101.4, 100.0, FEES, SNIPER, TRADE)  # 1.87R, below 2R
    assert stop.stage == "atr_trail" and stop.price == pytest.approx(101.4 - 2 * 0.5)


@pytest.mark.parametrize("exits", [SNIPER, SCALPER, HUNTER])
def test_stop_never_loosens_on_random_paths(exits):
    rng = np.random.default_rng(5)
    for _ in range(200):
        path = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, 300)))
        prices = [s.price for s in stops_along(path, facts(exits=exits), exits)]
        assert all(b >= a - 1e-12 for a, b in zip(prices, prices[1:], strict=False))


def test_breakeven_covers_the_averaged_entry_after_scaling_in():
    f = facts()
    stop = current_stop(f, 101.5, 100.6, FEES, SNIPER, TRADE)
    assert stop.stage == "breakeven_stop" and stop.price == pytest.approx(100.6 * (1 + FEES))


def test_scalper_take_profit_at_one_and_a_half_r():
    f = facts(profile="scalper", exits=SCALPER)  # R = 1.0
    assert take_profit_price(f, SCALPER) == pytest.approx(101.5)
    assert take_profit_price(facts(), SNIPER) is None
    assert take_profit_price(facts(exits=HUNTER), HUNTER) is None


def test_ignition_flash_trail_from_the_first_candle():
    f = freeze("ignition", "ignition", 100.0, 1.0, 200.0, SNIPER, TRADE)
    assert f.initial_stop == pytest.approx(98.5) and f.risk == pytest.approx(1.5)
    path = [100.0, 100.8, 101.6, 102.4, 103.2]
    stops = stops_along(path, f)
    assert {s.stage for s in stops} == {"flash_trail"}
    assert [s.price for s in stops] == pytest.approx([h * 0.985 for h in path])
    assert take_profit_price(f, SNIPER) is None


def test_parse_tag():
    assert parse_tag("precision:scalper") == ("precision", "scalper")
    assert parse_tag("ignition") == ("ignition", "ignition")
    # a forced entry without a BOTPY tag: Sniper's stop and ladder, and its facts say so
    assert parse_tag("force_entry") == ("force_entry", "sniper")
    assert parse_tag(None) == ("", "sniper")


def test_a_tightened_trail_wider_than_the_trail_trails_at_the_trail():
    """Hyperopt may draw tight_trail_atr above trail_atr: the stop must still never loosen (from
    the helper's case: stop 5, breakeven 0.5, trail 0.3, tighten 1.0, tight trail 8)."""
    drawn = PROFILE_SETTINGS["sniper"](stop_atr=5.0, breakeven_r=0.5, trail_atr=0.3,
                                       tighten_r=1.0, tight_trail_atr=8.0)
    f = facts(exits=drawn)  # entry 100, R 5
    before, after = (current_stop(f, high, 100.0, FEES, drawn, TRADE) for high in (104.9, 105.0))
    assert before.price == pytest.approx(104.6) and before.stage == "atr_trail"
    assert after.price == pytest.approx(104.7) and after.stage == "atr_trail"


def test_a_numeric_stake_amount_caps_the_whole_position():
    assert sizing.full_position(1000, 0.02, TRADE, cap=60.0) == pytest.approx(60)
    assert sizing.full_position(1000, 0.10, TRADE, cap=500.0) == pytest.approx(100)


# ---- sizing ---------------------------------------------------------------------------------

def test_full_position_from_risk():
    # 1 % of 1000 at risk, stop 2 % below: 500, capped at 20 % of equity = 200
    assert sizing.full_position(1000, 0.02, TRADE) == pytest.approx(200)
    # stop 10 % below: 100, under the cap
    assert sizing.full_position(1000, 0.10, TRADE) == pytest.approx(100)


def test_the_fees_count_in_the_risk():
    """1 % of 1000 at risk, stop 10 % below, 0.1 % fee a side: a loss at the stop of 10.2 % of
    the stake, so 98.04, which loses exactly 10 with its fees."""
    full = sizing.full_position(1000, 0.10, TRADE, fee=0.001)
    assert full == pytest.approx(1000 * 0.01 / 0.102)
    assert full * (0.10 + 0.002) == pytest.approx(10.0)


def test_a_scale_in_at_a_higher_price_buys_no_more_risk_than_planned():
    # full 100, first 50 at 100 with the stop at 90: the other 50 would lose 10.2 % there
    assert sizing.scale_in_stake(100, 50, 100.0, 100.0, 90.0, 0.001) == pytest.approx(50)
    at_102 = sizing.scale_in_stake(100, 50, 100.0, 102.0, 90.0, 0.001)
    assert at_102 * (1 - 90 / 102 + 0.002) == pytest.approx(50 * (0.10 + 0.002))
    assert at_102 < 50
    # lower: never more than the rest
    assert sizing.scale_in_stake(100, 50, 100.0, 99.0, 90.0, 0.001) == pytest.approx(50)
    assert sizing.scale_in_stake(100, 100, 100.0, 101.0, 90.0) == 0.0


def test_stop_distance_in_share_of_price():
    assert stop_distance("precision", 1.0, 100.0, SNIPER, TRADE) == pytest.approx(0.015)
    assert stop_distance("ignition", 1.0, 100.0, SNIPER, TRADE) == pytest.approx(0.015)


@pytest.mark.parametrize("setup, expected", [
    ("precision", 50.0), ("momentum", 50.0), ("ignition", 100.0)])
def test_first_stake_is_the_initial_fraction_when_scaling_in(setup, expected):
    assert sizing.first_stake(100.0, setup, TRADE, 5.0, 1000.0) == pytest.approx(expected)


def test_first_stake_respects_freqtrade_limits():
    assert sizing.first_stake(100.0, "ignition", TRADE, 5.0, 80.0) == 80.0  # max stake
    assert sizing.first_stake(8.0, "precision", TRADE, 5.0, 1000.0) == 0.0  # 4 < min: no trade


# ---- scaling in -----------------------------------------------------------------------------

@pytest.mark.parametrize("candle_open, candle_close, expected", [
    (100.0, 100.6, True),  # bullish
    (100.6, 100.3, False),  # bearish candle
    (100.0, 100.0, False),  # stalling
])
def test_scale_in_only_on_a_confirming_candle(candle_open, candle_close, expected):
    assert sizing.confirms(candle_open, candle_close) is expected


def test_scaling_switch_per_setup():
    assert sizing.scales_in("precision", TRADE) and sizing.scales_in("momentum", TRADE)
    assert not sizing.scales_in("ignition", TRADE)
    assert not sizing.scales_in("precision", TradeSettings(scale_precision=False))


def test_min_stop_widens_a_tight_atr_stop_and_the_trails_with_it():
    trade = TradeSettings(min_stop=0.03)
    f = freeze("precision", "sniper", 100.0, 1.0, 200.0, SNIPER, trade)  # 1.5 ATR = 1.5 % < 3 %
    assert f.initial_stop == pytest.approx(97.0) and f.risk == pytest.approx(3.0)
    # +1R is now 103: breakeven there, not at 101.5
    assert current_stop(f, 102.9, 100.0, FEES, SNIPER, trade).stage == "initial_stop"
    assert current_stop(f, 103.0, 100.0, FEES, SNIPER, trade).stage == "breakeven_stop"
    # the trails count in 2 ATR-equivalents (R / stop_atr = 2): +2R = 106, tight trail 1.2 × 2
    stop = current_stop(f, 106.0, 100.0, FEES, SNIPER, trade)
    assert (stop.stage, stop.price) == ("atr_trail", pytest.approx(106.0 - 2.4))


def test_min_stop_leaves_a_wider_atr_stop_and_its_trails_alone():
    trade = TradeSettings(min_stop=0.01)
    f = freeze("precision", "sniper", 100.0, 1.0, 200.0, SNIPER, trade)
    assert f.risk == pytest.approx(1.5)
    assert current_stop(f, 104.0, 100.0, FEES, SNIPER, trade).price == pytest.approx(104 - 1.2)
    assert stop_distance("precision", 1.0, 100.0, SNIPER, trade) == pytest.approx(0.015)
    assert stop_distance("ignition", 1.0, 100.0, SNIPER, trade) == TRADE.flash_trail


def test_max_stop_still_caps_a_widened_stop():
    trade = TradeSettings(min_stop=0.05, max_stop=0.04)
    assert stop_distance("precision", 1.0, 100.0, SNIPER, trade) == pytest.approx(0.04)


def test_the_day_floor_keeps_a_squeezes_calm_atr_from_tightening_the_stop():
    from botpy_ext.exits.stops import exit_atr

    assert exit_atr(0.5, 0.8, day_floor=False) == 0.5  # the spec: the ATR at the signal
    assert exit_atr(0.5, 0.8, day_floor=True) == 0.8  # a calm squeeze: the day's median
    assert exit_atr(1.2, 0.8, day_floor=True) == 1.2  # a busy candle keeps its own ATR
    assert exit_atr(0.5, float("nan"), day_floor=True) == 0.5  # less than a day of history
