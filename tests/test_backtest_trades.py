"""`freqtrade backtesting` of BotpyStrategy's trade management on the synthetic market:
the planted Ignition exits by its flash trail at the expected candle, trades that reached +1R
never lose beyond fees, scaling in happens exactly on confirming candles, sizes follow the risk
formula. Trade facts (ATR, R) are recomputed from the candles with the same pure functions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from botpy_ext.exits import sizing
from botpy_ext.exits.settings import PROFILE_SETTINGS, TradeSettings
from botpy_ext.exits.stops import freeze, parse_tag
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES
from botpy_ext.setups.engine import analyse
from tests.helpers import GUARDS_OFF, TEST_STRATEGIES, backtest_botpy_trades

TIMERANGE = ("2024-01-20", "2024-02-01")
WALLET = 1000.0
ONE_MINUTE = pd.Timedelta(minutes=1)
TICK_TOLERANCE = 0.0001  # rounding of stop prices to the price tick


@pytest.fixture(scope="module")
def trades(synthetic_market, tmp_path_factory, userdir) -> pd.DataFrame:
    timerange = f"{TIMERANGE[0].replace('-', '')}-{TIMERANGE[1].replace('-', '')}"
    return backtest_botpy_trades(synthetic_market, tmp_path_factory.mktemp("trades"), userdir,
                                 timerange, dry_run_wallet=WALLET, guards=GUARDS_OFF)


@pytest.fixture(scope="module")
def analysed(synthetic_market):
    """The engine's columns per pair (what the strategy saw), by candle date."""
    cache = {}

    def get(pair: str) -> pd.DataFrame:
        if pair not in cache:
            name = pair.replace("/", "_")
            frames = {tf: pd.read_feather(synthetic_market / f"{name}-{tf}.feather")
                      for tf in ("1m", *INFORMATIVE_TIMEFRAMES)}
            informative = {tf: frames[tf] for tf in INFORMATIVE_TIMEFRAMES}
            cache[pair] = analyse(frames["1m"], informative).set_index("date")
        return cache[pair]
    return get


def trade_facts(trade, analysed):
    setup, profile = parse_tag(trade["enter_tag"])
    signal = analysed(trade["pair"]).loc[trade["open_date"] - ONE_MINUTE]
    exits = PROFILE_SETTINGS.get(profile, PROFILE_SETTINGS["sniper"])()
    # levels are measured from the signal candle's close (the synthetic market's next open)
    return freeze(setup, profile, signal["close"], signal["atr_15m"], 0.0, exits, TradeSettings())


def managed(trades: pd.DataFrame) -> pd.DataFrame:
    return trades[trades["enter_tag"].str.startswith(("precision", "momentum"))]


@pytest.fixture(scope="module")
def ignition_trades(synthetic_market, tmp_path_factory, userdir):
    """From half an hour before the planted Ignition: with the wide default stops a trade on
    DOGE/USDT opened earlier in the 12 days of `trades` is still open when it fires (one trade
    per pair), so the planted entry is checked on a run that starts flat."""
    ignition = planted_ignition(synthetic_market)
    start = pd.Timestamp(ignition["signal_time"]) - pd.Timedelta(minutes=30)
    end = start + pd.Timedelta(days=1)
    trades = backtest_botpy_trades(synthetic_market, tmp_path_factory.mktemp("ignition"),
                                   userdir, f"{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}",
                                   dry_run_wallet=WALLET, guards=GUARDS_OFF)
    return trades, ignition


def planted_ignition(market) -> dict:
    episodes = json.loads((market / "episodes.json").read_text())["episodes"]
    return next(e for e in episodes if e["kind"] == "ignition")


def test_the_planted_ignition_exits_by_its_flash_trail(ignition_trades):
    trades, ignition = ignition_trades
    opened = pd.Timestamp(ignition["signal_time"]) + ONE_MINUTE
    trade = trades[(trades["pair"] == ignition["pair"]) & (trades["open_date"] == opened)]
    assert len(trade) == 1
    trade = trade.iloc[0]
    assert trade["enter_tag"] == "ignition"
    assert trade["exit_reason"] == "flash_trail"
    assert trade["close_date"] == pd.Timestamp(ignition["details"]["flash_exit_time"])
    assert len(trade["orders"]) == 2  # no scaling into Ignition: one entry, one exit


def test_exit_reasons_name_the_stage(trades):
    known = {"initial_stop", "breakeven_stop", "atr_trail", "take_profit", "flash_trail",
             "force_exit"}
    assert set(trades["exit_reason"]) <= known
    assert {"initial_stop", "breakeven_stop", "atr_trail"} <= set(trades["exit_reason"])


def test_a_trade_that_reached_one_r_never_closes_at_a_loss(trades, analysed):
    """The ladder moves at candle closes. Once a closed candle reached +1R, the next candle
    opens either above breakeven (the stop rests there: no loss beyond fees from then on) or
    below it (a +1R spike that reversed within its minute: the trade leaves at that open)."""
    resting = reversed_spike = 0
    for _, trade in managed(trades).iterrows():
        facts = trade_facts(trade, analysed)
        candles = analysed(trade["pair"]).loc[trade["open_date"]:trade["close_date"]]
        reached = candles.index[candles["high"] >= facts.entry + facts.risk]
        reached = reached[reached < trade["close_date"]]
        if not len(reached):
            continue
        fees = trade["fee_open"] + trade["fee_close"]
        breakeven = max(facts.entry, trade["open_rate"]) * (1 + trade["fee_open"]) / (
            1 - trade["fee_close"])
        next_open = candles.loc[reached[0] + ONE_MINUTE, "open"]
        if next_open > breakeven:
            assert trade["profit_ratio"] >= -fees - TICK_TOLERANCE, trade[["pair", "open_date"]]
            resting += 1
        else:
            assert trade["close_date"] == reached[0] + ONE_MINUTE
            assert trade["exit_reason"] == "breakeven_stop"
            reversed_spike += 1
    assert resting >= 20
    assert resting > 5 * reversed_spike


def test_scaling_in_exactly_on_confirming_candles(trades, analysed):
    scaled = confirmed_total = 0
    for _, trade in managed(trades).iterrows():
        entries = [o for o in trade["orders"] if o["ft_is_entry"]]
        candles = analysed(trade["pair"])
        entry_candle = candles.loc[trade["open_date"]]
        assert entries[0]["safe_price"] == entry_candle["open"]  # a backtest fills at the open
        confirmed = sizing.confirms(entry_candle["open"], entry_candle["close"])
        if len(entries) == 2:
            assert confirmed, (trade["pair"], trade["open_date"])  # never without confirmation
            second = pd.Timestamp(entries[1]["order_filled_timestamp"], unit="ms", tz="UTC")
            assert second == trade["open_date"] + ONE_MINUTE  # the candle after the entry one
            assert entries[1]["ft_order_tag"] == "scale_in"
            scaled += 1
        # a confirmed trade still open after the next candle's open should have been scaled
        confirmed_total += confirmed and trade["close_date"] > trade["open_date"] + ONE_MINUTE
    assert scaled >= 10
    assert scaled >= 0.9 * confirmed_total  # the rest: wallet fully used, or stop at the price


def test_sizes_follow_the_risk_formula(trades, analysed):
    settings = TradeSettings()
    closed = trades.sort_values("close_date")
    for _, trade in trades.iterrows():
        facts = trade_facts(trade, analysed)
        equity = WALLET + closed.loc[closed["close_date"] <= trade["open_date"], "profit_abs"].sum()
        full = sizing.full_position(equity, facts.risk / facts.entry, settings,
                                    fee=trade["fee_open"])
        expected = full * (settings.initial_fraction
                           if sizing.scales_in(facts.setup, settings) else 1.0)
        first_cost = trade["orders"][0]["cost"]
        assert first_cost <= expected * 1.01, (trade["pair"], trade["open_date"])
        # smaller only when the wallet could not pay the whole first order
        if first_cost < expected * 0.97:
            assert trade["open_date"] in busy_times(trades), (trade["pair"], trade["open_date"])


def busy_times(trades: pd.DataFrame) -> set:
    """Entry times when at least three other trades were open (stake largely committed)."""
    busy = set()
    for _, trade in trades.iterrows():
        others = trades[(trades["open_date"] < trade["open_date"])
                        & (trades["close_date"] > trade["open_date"])]
        if len(others) >= 3:
            busy.add(trade["open_date"])
    return busy


def test_skipping_idle_callbacks_changes_no_trade(trades, synthetic_market, tmp_path_factory,
                                                  userdir):
    """The backtest switches position adjustment, custom ROI and the custom stop off while no
    open trade can use them; with every callback on every candle (BotpyEveryCallback) the trades
    are the same, to the order and the cent. The window has scale-ins, take-profits and stops
    moved by the ladder, so every switch is exercised."""
    timerange = f"{TIMERANGE[0].replace('-', '')}-{TIMERANGE[1].replace('-', '')}"
    reference = backtest_botpy_trades(
        synthetic_market, tmp_path_factory.mktemp("every_callback"), userdir, timerange,
        strategy="BotpyEveryCallback", strategy_path=TEST_STRATEGIES,
        dry_run_wallet=WALLET, guards=GUARDS_OFF)
    assert (trades["exit_reason"] == "take_profit").any()
    assert (trades["orders"].map(len) > 2).any(), "no scale-in in the window"
    columns = ["pair", "enter_tag", "open_date", "close_date", "open_rate", "close_rate",
               "amount", "exit_reason", "profit_abs"]
    pd.testing.assert_frame_equal(trades[columns].reset_index(drop=True),
                                  reference[columns].reset_index(drop=True))
    assert trades["orders"].map(len).tolist() == reference["orders"].map(len).tolist()


def test_a_configs_freqtrade_overrides_are_honoured_and_said(trades, synthetic_market,
                                                             tmp_path_factory, userdir):
    """freqtrade applies a config's `position_adjustment_enable`, `minimal_roi` and a numeric
    `stake_amount` to every strategy: the backtest keeps them (as dry-run and live do), labels
    the table's exits `roi` (only the profile's target is `take_profit`), caps every position at
    the stake amount, and says at start what they change."""
    timerange = f"{TIMERANGE[0].replace('-', '')}-{TIMERANGE[1].replace('-', '')}"
    overridden = backtest_botpy_trades(
        synthetic_market, tmp_path_factory.mktemp("overrides"), userdir, timerange,
        dry_run_wallet=WALLET, guards=GUARDS_OFF, position_adjustment_enable=False,
        minimal_roi={"0": 0.01}, stake_amount=60)
    assert (trades["orders"].map(len) > 2).any()  # the defaults scale in here
    assert not (trades["exit_reason"] == "roi").any()  # their targets are all take_profit
    assert (overridden["orders"].map(len) <= 2).all()  # one entry, one exit: no scale-in
    assert (overridden["max_stake_amount"] <= 60 + 1e-6).all()
    assert trades["max_stake_amount"].max() > 60
    roi = overridden[overridden["exit_reason"] == "roi"]
    assert len(roi) and (roi["profit_ratio"] > 0.009).all()
    log = overridden.attrs["log"]
    assert "minimal_roi {0: 0.01} (config or parameter file) also closes trades" in log
    assert "the config's position_adjustment_enable false switches scaling in off" in log
    assert "BOTPY guards: " in log and "(BotpyStrategy)" in log


def test_a_stop_never_fills_above_the_open_of_its_candle(trades, analysed):
    """The ladder moves at candle closes, so a stop is placed as a candle opens. A stop above
    that open is a price the market has already left: a live bot leaves at the open (the stop
    just under the price), and so must the backtest, not at the stop inside the candle's range
    (freqtrade's fill for a stop between its low and high)."""
    stops = trades[trades["exit_reason"].isin({"initial_stop", "breakeven_stop", "atr_trail"})]
    for _, trade in stops.iterrows():
        exit_open = analysed(trade["pair"]).loc[trade["close_date"], "open"]
        assert trade["close_rate"] <= exit_open * (1 + TICK_TOLERANCE), (
            trade["pair"], trade["close_date"], trade["close_rate"], exit_open)
    assert len(stops) >= 20  # the placement itself: tests/test_stop_placement.py


def test_the_take_profit_fills_at_the_target(trades, analysed):
    """freqtrade's ROI is a profit after fees: the target's ratio makes it exit at the target
    (or at the open of a candle that opens above it), not two fees higher."""
    from botpy_ext.exits.stops import take_profit_price

    hits = trades[trades["exit_reason"] == "take_profit"]
    for _, trade in hits.iterrows():
        facts = trade_facts(trade, analysed)
        target = take_profit_price(facts, PROFILE_SETTINGS[facts.profile]())
        exit_open = analysed(trade["pair"]).loc[trade["close_date"], "open"]
        assert trade["close_rate"] == pytest.approx(max(target, exit_open), rel=TICK_TOLERANCE), (
            trade["pair"], trade["open_date"], trade["close_rate"], target)
    assert len(hits) >= 3
