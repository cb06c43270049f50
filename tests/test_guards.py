"""The capital guards' pure decisions, each on both sides of its threshold, and their failure
modes; the Fear & Greed client against a local stub server."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from freqtrade.exceptions import OperationalException

from botpy_ext.guards import (
    anti_whale,
    btc_breaker,
    checks,
    cooldown,
    fear_greed,
    liquidity,
    pnl,
    sector,
)
from botpy_ext.guards.columns import guard_columns
from botpy_ext.guards.refusal import ALL_PAIRS, Refusal
from botpy_ext.guards.settings import (
    AntiWhaleSettings,
    BtcBreakerSettings,
    DailyLossSettings,
    FearGreedSettings,
    GuardSettings,
    LiquiditySettings,
    LosingStreakSettings,
    PairCooldownSettings,
    SectorSettings,
    load,
    markdown_table,
)
from tests.helpers import BIN, REPO

NOW = datetime(2024, 2, 15, 14, 20, tzinfo=UTC)


# ---- settings ---------------------------------------------------------------------------

def test_defaults_load_from_an_empty_config():
    assert load({}) == GuardSettings()
    assert load({"botpy": {"mode": "virtual"}}).daily_loss.limit == 0.03


@pytest.mark.parametrize(("section", "message"), [
    ({"guards": {"daily_loss": {"limit": 0.9}}},
     "botpy.guards.daily_loss.limit must be in [0.005, 0.5], got 0.9"),
    ({"guards": {"losing_streak": {"losses": 1}}},
     "botpy.guards.losing_streak.losses must be in [2, 50], got 1"),
    ({"guards": {"fear_greed": {"on_unavailable": "maybe"}}},
     "botpy.guards.fear_greed.on_unavailable must be one of ['block', 'allow'], got 'maybe'"),
    ({"guards": {"anti_whale": {"max_hourly_share": "5%"}}},
     "botpy.guards.anti_whale.max_hourly_share must be a number, got '5%'"),
    ({"guards": {"sector": {"enabled": 1}}},
     "botpy.guards.sector.enabled must be a boolean, got 1"),
    ({"guards": {"daily_loss": {"limt": 0.05}}},
     "botpy.guards.daily_loss.limt is not a setting"),
    ({"guards": {"whales": {}}}, "botpy.guards.whales is not a setting"),
    ({"mode": "demo-live"}, "botpy.mode must be one of"),
    ({"guards": []}, "botpy.guards must be an object"),
    ({"control_draw": -1}, "botpy.control_draw must be an integer >= 0, got -1"),
    ({"control_draw": True}, "botpy.control_draw must be an integer >= 0, got True"),
    ({"guards": {"fear_greed": {"extreme_fear": 50, "extreme_greed": 50}}},
     "botpy.guards.fear_greed.extreme_fear (50) must be below "
     "botpy.guards.fear_greed.extreme_greed (50): every value would block"),
    ({"guards": {"fear_greed": {"history_file": ""}}},
     "botpy.guards.fear_greed.history_file must name a file, got ''"),
    ({"guards": {"fear_greed": {"url": ""}}},
     "botpy.guards.fear_greed.url must be an http(s) address, got ''"),
    ({"guards": {"sector": {"unknown": " "}}},
     "botpy.guards.sector.unknown must be 'own' or a sector name, got ' '"),
])
def test_bad_values_are_refused_with_the_key_and_the_allowed_range(section, message):
    with pytest.raises(OperationalException, match="Invalid config: ") as error:
        load({"botpy": section})
    assert message in str(error.value)


def test_guards_at_the_top_level_are_refused_not_ignored():
    with pytest.raises(OperationalException, match="a top-level `guards` section is not read: "
                       "the guards' settings go under `botpy.guards`"):
        load({"guards": {"daily_loss": {"limit": 0.9}}})


def test_the_labels_of_the_shared_history_agree_with_the_bands():
    """Every day of the real history: blocked exactly when alternative.me calls it extreme."""
    payload = json.loads((REPO.parent / "shared" / "data" / "binance" / "fear_greed.json")
                         .read_text())
    settings = FearGreedSettings()
    for day in payload["data"]:
        value, label = int(day["value"]), day["value_classification"]
        blocked = value <= settings.extreme_fear or value >= settings.extreme_greed
        assert blocked == label.startswith("Extreme"), day


def test_a_botpy_section_that_is_not_an_object_is_refused():
    with pytest.raises(OperationalException, match="Invalid config: botpy must be an object"):
        load({"botpy": "on"})


def test_integers_are_accepted_for_decimal_settings():
    assert load({"botpy": {"guards": {"btc_breaker": {"fall": 0.02},
                                      "losing_streak": {"pause_hours": 2}}}}
                ).losing_streak.pause_hours == 2


def test_docs_list_every_guard_setting():
    assert markdown_table() in (REPO / "docs" / "guards.md").read_text()


# ---- liquidity --------------------------------------------------------------------------

def book(best_ask=100.0, spread=0.0005, ask_amount=10.0, levels=5, step=0.001):
    asks = [[best_ask * (1 + i * step), ask_amount] for i in range(levels)]
    return {"asks": asks, "bids": [[best_ask * (1 - spread), 10.0]]}


def test_order_book_with_depth_and_a_narrow_spread_passes():
    # 5 levels within 0.5 % of the ask: ~5 × 1,000 = 5,000 >= 3 × 1,600
    assert liquidity.check_book(book(), 1600.0, LiquiditySettings(), "ETH/USDT") is None


def test_thin_order_book_is_refused():
    refusal = liquidity.check_book(book(), 1700.0, LiquiditySettings(), "ETH/USDT")
    assert refusal.guard == "liquidity" and "ask depth 5010" in refusal.reason
    assert refusal.scope == "ETH/USDT"


def test_depth_beyond_the_band_does_not_count():
    wide = book(step=0.004)  # levels at +0 %, +0.4 %, +0.8 % ...: two inside the 0.5 % band
    assert liquidity.check_book(wide, 600.0, LiquiditySettings(), "X/USDT") is None
    assert liquidity.check_book(wide, 700.0, LiquiditySettings(), "X/USDT") is not None


def test_wide_spread_is_refused():
    assert liquidity.check_book(book(spread=0.0019), 10.0, LiquiditySettings(), "X") is None
    refusal = liquidity.check_book(book(spread=0.0021), 10.0, LiquiditySettings(), "X")
    assert "spread 0.210% above 0.200%" in refusal.reason


@pytest.mark.parametrize("empty", [None, {}, {"asks": [], "bids": [[1, 1]]}])
def test_missing_order_book_is_refused(empty):
    refusal = liquidity.check_book(empty, 10.0, LiquiditySettings(), "X/USDT")
    assert "order book empty or unavailable" in refusal.reason


def test_backtest_proxy_compares_recent_quote_volume_with_the_order():
    df = pd.DataFrame({"close": [10.0] * 20, "volume": [100.0] * 19 + [400.0]})
    mean = liquidity.quote_volume_mean(df, 15)
    assert np.isnan(mean.iloc[13]) and mean.iloc[18] == 1000.0 and mean.iloc[19] == 1200.0
    settings = LiquiditySettings()
    assert liquidity.check_proxy(1000.0, 200.0, settings, "X") is None
    assert "below 5 x order value (1005)" in liquidity.check_proxy(1000.0, 201.0, settings,
                                                                   "X").reason
    assert "no 1m volume history" in liquidity.check_proxy(float("nan"), 1.0, settings,
                                                           "X").reason


# ---- anti-whale -------------------------------------------------------------------------

def hours(volumes) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=len(volumes), freq="1h", tz="UTC")
    return pd.DataFrame({"date": dates, "volume": volumes})


def test_hourly_mean_is_over_24_closed_hours():
    mean = anti_whale.hourly_mean_24h(hours([1000.0] * 23 + [2200.0]))
    assert mean.iloc[:23].isna().all() and mean.iloc[23] == pytest.approx(1050.0)


def test_whale_candle_is_refused_for_precision_and_momentum_not_ignition():
    settings = AntiWhaleSettings()
    share = float(anti_whale.whale_share(pd.Series([51.0]), pd.Series([1000.0])).iloc[0])
    for setup in ("precision", "momentum"):
        assert anti_whale.check(setup, 0.05, settings, "X") is None
        refusal = anti_whale.check(setup, share, settings, "ARB/USDT")
        assert refusal.guard == "anti_whale" and "5.1% of the mean hourly volume" in refusal.reason
    assert anti_whale.check("ignition", 0.5, settings, "X") is None


def test_whale_guard_without_a_day_of_history_refuses():
    share = anti_whale.whale_share(pd.Series([10.0]), pd.Series([np.nan])).iloc[0]
    assert "no 24 h of 1h volume" in anti_whale.check("precision", share, AntiWhaleSettings(),
                                                      "X").reason


def test_whale_share_reads_only_closed_hours():
    """The 1m rows of an hour see the mean up to the previous hour's candle; the hour's last
    1m candle closes with the hour's candle and sees it."""
    df_1h = hours([1000.0] * 24 + [99_000.0])
    minutes = pd.date_range(df_1h["date"].iloc[24], periods=60, freq="1min", tz="UTC")
    df = pd.DataFrame({"date": minutes, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
                       "volume": 60.0})
    out = guard_columns(df, df_1h, None, GuardSettings())
    assert out["whale_share"].iloc[:59].tolist() == pytest.approx([0.06] * 59)  # 60 / 1000
    assert out["whale_share"].iloc[59] == pytest.approx(60 / ((23 * 1000 + 99_000) / 24))


# ---- BTC circuit breaker ----------------------------------------------------------------

def btc(closes, start="2024-02-15 14:00") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(closes), freq="1min", tz="UTC")
    closes = np.asarray(closes, dtype=float)
    return pd.DataFrame({"date": dates, "open": closes, "high": closes, "low": closes,
                         "close": closes, "volume": 1.0})


def test_a_fall_of_more_than_the_threshold_within_5_minutes_trips():
    settings = BtcBreakerSettings()
    path = [100.0] * 5 + [99.5, 99.0, 98.6, 98.4] + [98.4] * 40  # -1.6 % at 14:08
    breaker = btc_breaker.blocked_until(btc(path), settings)
    trip = breaker[breaker["btc_fall"] <= -0.015]
    assert list(trip["date"].dt.strftime("%H:%M")) == ["14:08"]
    until = breaker["btc_block_until"]
    assert until.iloc[:8].isna().all()
    assert (until.iloc[8:] == pd.Timestamp("2024-02-15 14:39", tz="UTC")).all()


def test_a_fall_below_the_threshold_does_not_trip():
    path = [100.0] * 5 + [99.5, 99.0, 98.7, 98.6] + [98.6] * 5  # -1.4 %
    assert btc_breaker.blocked_until(btc(path), BtcBreakerSettings())["btc_block_until"] \
        .isna().all()


def test_a_slow_fall_outside_the_window_does_not_trip():
    path = list(np.linspace(100.0, 97.0, 60))  # -3 % in an hour, -0.25 % per 5 minutes
    assert btc_breaker.blocked_until(btc(path), BtcBreakerSettings())["btc_block_until"] \
        .isna().all()


def test_breaker_blocks_during_the_cooldown_only():
    settings = BtcBreakerSettings()
    until = pd.Timestamp("2024-02-15 14:39", tz="UTC")
    trip = pd.Timestamp("2024-02-15 14:09", tz="UTC")
    refusal = btc_breaker.check(True, until, trip, datetime(2024, 2, 15, 14, 38, tzinfo=UTC),
                                settings)
    assert refusal.guard == "btc_breaker" and refusal.scope == "*"
    assert refusal.until == until.to_pydatetime()
    assert btc_breaker.check(True, until, trip, until.to_pydatetime(), settings) is None
    assert btc_breaker.check(True, pd.NaT, pd.NaT, NOW, settings) is None


def test_missing_btc_candle_refuses():
    path = btc([100.0] * 10)
    df = btc([5.0] * 12, start="2024-02-15 13:59")  # the alt has a candle BTC does not
    out = guard_columns(df, hours([1.0] * 30), path, GuardSettings())
    assert list(out["btc_candle"]) == [False] + [True] * 10 + [False]
    refusal = btc_breaker.check(False, None, None, NOW, BtcBreakerSettings())
    assert "BTC/USDT 1m candle missing" in refusal.reason


# ---- sector -----------------------------------------------------------------------------

def test_default_sector_map_loads_and_groups_the_large_layer_1s():
    mapping = sector.load_map(sector.DEFAULT_MAP)
    assert len(mapping) > 100
    assert {mapping[a] for a in ("SOL", "AVAX", "NEAR", "ETH")} == {"L1"}
    assert mapping["ARB"] == mapping["OP"] == "L2"
    assert mapping["DOGE"] == "Meme" and mapping["LINK"] == "Oracle"


def test_synthetic_market_sectors_agree_with_the_default_map():
    from botpy_ext.synthetic.generator import PAIRS

    mapping = sector.load_map(sector.DEFAULT_MAP)
    for spec in PAIRS:
        assert mapping[spec.pair.split("/")[0]] == spec.sector, spec


def test_one_open_trade_per_sector():
    mapping = {"SOL": "L1", "AVAX": "L1", "DOGE": "Meme"}
    settings = SectorSettings()
    assert sector.check("AVAX/USDT", ["DOGE/USDT"], mapping, settings) is None
    refusal = sector.check("AVAX/USDT", ["SOL/USDT", "DOGE/USDT"], mapping, settings)
    assert refusal.reason == ("AVAX/USDT: sector L1 already holds 1 open trade(s) (SOL/USDT; "
                              "max 1)")
    two = SectorSettings(max_open=2)
    assert sector.check("AVAX/USDT", ["SOL/USDT"], mapping, two) is None


def test_unknown_assets_have_their_own_sector_or_a_shared_one():
    mapping = {"SOL": "L1"}
    own = SectorSettings()
    assert sector.check("NEW/USDT", ["OTHER/USDT"], mapping, own) is None
    shared = SectorSettings(unknown="Unmapped")
    assert sector.check("NEW/USDT", ["OTHER/USDT"], mapping, shared).reason.startswith(
        "NEW/USDT: sector Unmapped")


def test_sector_map_default_is_packaged_and_a_named_file_is_the_users(tmp_path):
    assert sector.map_path("", tmp_path) == sector.DEFAULT_MAP
    assert sector.DEFAULT_MAP.parent == Path(sector.__file__).parent
    assert sector.map_path("my.json", tmp_path) == tmp_path / "my.json"
    assert sector.map_path(str(tmp_path / "a.json"), Path("/elsewhere")) == tmp_path / "a.json"


@pytest.mark.parametrize(("content", "message"), [
    (None, "not found"),
    ("{", "is not valid JSON"),
    ('{"sectors": {"L1": "SOL"}}', "expected"),
    ('{"sectors": {"L1": ["SOL"], "Meme": ["sol"]}}', "SOL is in both L1 and Meme"),
    ('{"sectors": {}}', "maps no asset: the guard would do nothing"),
    ('{"sectors": {"L1": ["ETH/USDT"]}}', "'ETH/USDT' in L1 is a pair; the map lists base "
                                          "assets \\('ETH'\\)"),
    (b"\xff\xfe{", "cannot be read \\(botpy.guards.sector.map_file\\)"),
    ("dir", "cannot be read"),
])
def test_bad_sector_map_is_refused(tmp_path, content, message):
    path = tmp_path / "sectors.json"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(sector.SectorMapError, match=message):
        sector.load_map(path)


@pytest.mark.parametrize("content", [b"\xff\xfe{", "dir"])
def test_an_unreadable_fear_greed_history_is_refused_naming_the_file(tmp_path, content):
    path = tmp_path / "fear_greed.json"
    if content == "dir":
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(fear_greed.FearGreedError, match=f"Fear & Greed history {path} cannot "
                       "be read \\(botpy.guards.fear_greed.history_file\\)"):
        fear_greed.load_history(path)


# ---- daily loss and losing streak -------------------------------------------------------

def at(hour, minute=0, day=15):
    return datetime(2024, 2, day, hour, minute, tzinfo=UTC)


def test_daily_loss_counts_closed_and_open_pnl_of_the_utc_day():
    settings = DailyLossSettings()
    # the day starts with 1,000 + 100 = 1,100: the limit is -33
    assert pnl.check_daily_loss(at(12), 100.0, -20.0, -12.9, 1000.0, settings) is None
    refusal = pnl.check_daily_loss(at(12), 100.0, -20.0, -13.0, 1000.0, settings)
    assert refusal.guard == "daily_loss" and refusal.until == at(0, day=16)
    assert "-3.00%" in refusal.reason


def test_history_splits_closed_pnl_at_00_00_utc():
    history = pnl.ClosedTrades(LosingStreakSettings())
    history.add([(at(23, day=14), -50.0), (at(20, day=14), 100.0)])
    history.add([(at(9), -20.0)])
    assert history.day_totals(at(12)) == (50.0, -20.0)
    history.add([(at(9, day=18), 5.0)])  # older days leave the two-day window, not the total
    assert history.day_totals(at(10, day=18)) == (30.0, 5.0)


def test_daily_loss_of_yesterday_does_not_block_today():
    history = pnl.ClosedTrades(LosingStreakSettings())
    history.add([(at(23, day=14), -50.0)])
    settings = DailyLossSettings()
    assert pnl.check_daily_loss(at(0, 1), *history.day_totals(at(0, 1)), 0.0, 1000.0,
                                settings) is None
    assert pnl.check_daily_loss(at(23, 59, day=14), *history.day_totals(at(23, 59, day=14)),
                                0.0, 1000.0, settings) is not None


def test_five_losses_in_a_row_pause_entries():
    settings = LosingStreakSettings()
    losses = [(at(8, i), -1.0) for i in range(5)]
    assert pnl.check_losing_streak(at(9), losses[:4], settings) is None
    refusal = pnl.check_losing_streak(at(9), losses, settings)
    assert refusal.guard == "losing_streak" and refusal.until == at(12, 4)
    assert pnl.check_losing_streak(at(12, 4), losses, settings) is None


def test_a_winning_trade_resets_the_count():
    trades = [(at(8, 0), -1.0), (at(8, 1), -1.0), (at(8, 2), 0.5)] + [
        (at(8, 3 + i), -1.0) for i in range(4)]
    assert pnl.check_losing_streak(at(9), trades, LosingStreakSettings()) is None


def test_the_pause_resets_the_count():
    settings = LosingStreakSettings(losses=2, pause_hours=1)
    trades = [(at(8, 0), -1.0), (at(8, 1), -1.0), (at(9, 30), -1.0)]
    assert pnl.streak_pause_until(trades, settings) == at(9, 1)
    assert pnl.check_losing_streak(at(9, 31), trades, settings) is None


def test_streak_ignores_trades_closed_after_now():
    losses = [(at(8, i), -1.0) for i in range(5)]
    assert pnl.check_losing_streak(at(8, 3), losses, LosingStreakSettings()) is None


# ---- pair cooldown -----------------------------------------------------------------------

def test_a_losing_trade_cools_its_pair_down_for_the_set_hours():
    settings = PairCooldownSettings(enabled=True, hours=24)
    refusal = cooldown.check("SOL/USDT", at(8), at(9), settings)
    assert refusal.guard == "pair_cooldown" and refusal.scope == "SOL/USDT"
    assert refusal.until == at(8, day=16)
    assert cooldown.check("SOL/USDT", at(8), at(8, day=16), settings) is None
    assert cooldown.check("SOL/USDT", None, at(9), settings) is None
    assert cooldown.check("SOL/USDT", at(10), at(9), settings) is None  # closed after now


def test_only_losing_trades_count_and_the_latest_one_per_pair():
    trades = [("SOL/USDT", at(8), -1.0), ("SOL/USDT", at(9), 2.0), ("ADA/USDT", at(7), 0.0),
              ("SOL/USDT", at(6), -3.0)]
    assert cooldown.cooldown_starts(trades, {}, losses_only=True) == {"SOL/USDT": at(8)}
    assert cooldown.cooldown_starts([("SOL/USDT", at(10), -1.0)], {"SOL/USDT": at(8)},
                                    losses_only=True) == {
        "SOL/USDT": at(10)}


def test_with_losses_only_off_every_closed_trade_starts_the_cooldown():
    trades = [("SOL/USDT", at(8), -1.0), ("SOL/USDT", at(9), 2.0), ("ADA/USDT", at(7), 0.0)]
    assert cooldown.cooldown_starts(trades, {}, losses_only=False) == {
        "SOL/USDT": at(9), "ADA/USDT": at(7)}
    settings = PairCooldownSettings(enabled=True, hours=24, losses_only=False)
    refusal = cooldown.check("SOL/USDT", at(9), at(10), settings)
    assert refusal.until == at(9, day=16) and "its last trade" in refusal.reason


def test_the_cooldown_guard_refuses_only_its_pair_and_can_be_switched_off():
    facts = entry(cooldown_start=NOW - timedelta(hours=2))
    assert checks.first_refusal(facts, GuardSettings(), sources()).guard == "pair_cooldown"
    settings = load({"botpy": {"guards": {"pair_cooldown": {"enabled": False}}}})
    assert checks.first_refusal(facts, settings, sources()) is None


# ---- Fear & Greed -----------------------------------------------------------------------

def answer(value: int, day: datetime | None = None, label: str = "Fear") -> dict:
    day = day or at(0)
    return {"name": "Fear and Greed Index", "data": [
        {"value": str(value), "value_classification": label,
         "timestamp": str(int(day.timestamp())), "time_until_update": "1000"}],
        "metadata": {"error": None}}


def test_parse_reads_alternative_me_answers():
    reading = fear_greed.parse(answer(40))[0]
    assert reading == fear_greed.Reading(at(0), 40, "Fear")


@pytest.mark.parametrize("payload", [None, [], {"data": []}, {"data": [{"value": "x"}]},
                                     {"data": [{"value": "101", "timestamp": "0"}]}])
def test_parse_refuses_malformed_answers(payload):
    with pytest.raises(fear_greed.FearGreedError):
        fear_greed.parse(payload)


@pytest.mark.parametrize(("value", "blocked"), [(25, True), (26, False), (75, False),
                                                (76, True), (0, True), (100, True)])
def test_extreme_bands_block(value, blocked):
    """alternative.me's own labels: 0-25 'Extreme Fear', 76-100 'Extreme Greed'."""
    reading = fear_greed.Reading(at(0), value, "x")
    refusal = fear_greed.check(reading, at(12), FearGreedSettings())
    assert (refusal is not None) == blocked
    if blocked:
        assert refusal.guard == "fear_greed" and str(value) in refusal.reason


def test_stale_or_missing_value_follows_the_policy():
    old = fear_greed.Reading(at(0, day=13), 50, "Neutral")
    block, allow = FearGreedSettings(), FearGreedSettings(on_unavailable="allow")
    assert fear_greed.check(old, at(0, day=13) + timedelta(hours=36), block) is None
    refusal = fear_greed.check(old, at(0, day=13) + timedelta(hours=36, minutes=1), block)
    assert "older than 36 h" in refusal.reason and "policy: block" in refusal.reason
    assert fear_greed.check(old, at(12), allow) is None
    assert "unavailable (no value)" in fear_greed.check(None, at(12), block).reason
    assert fear_greed.check(None, at(12), allow) is None


class StubHandler(BaseHTTPRequestHandler):
    """alternative.me's /fng/ in the mode the test sets on the server."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        server.requests += 1
        mode = server.mode
        if mode == "slow":
            time.sleep(1.5)
        if mode == "500":
            self.send_response(500)
            self.end_headers()
            return
        body = (b"<html>not json" if mode == "garbage"
                else json.dumps(answer(12 if mode == "extreme" else 55, server.day)).encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.mode, server.requests, server.day = "normal", 0, at(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/fng/"
    yield server
    server.shutdown()


def feed_settings(stub, **changes) -> FearGreedSettings:
    return FearGreedSettings(url=stub.url, timeout_s=0.5, retries=1, **changes)


def test_feed_reads_a_normal_value_and_refreshes_at_most_hourly(stub):
    feed = fear_greed.FearGreedFeed(feed_settings(stub))
    feed.refresh(at(9))
    assert feed.reading.value == 55 and feed.check(at(9)) is None
    feed.refresh(at(9, 59))
    assert stub.requests == 1
    feed.refresh(at(10))
    assert stub.requests == 2


def test_feed_blocks_in_extreme_fear(stub):
    stub.mode = "extreme"
    feed = fear_greed.FearGreedFeed(feed_settings(stub))
    feed.refresh(at(9))
    refusal = feed.check(at(9))
    assert refusal.reason == "Fear & Greed Index 12 (Fear) is in the extreme fear band"


@pytest.mark.parametrize("mode", ["slow", "500", "garbage"])
def test_feed_failures_keep_the_last_value_then_follow_the_policy(stub, mode):
    feed = fear_greed.FearGreedFeed(feed_settings(stub))
    feed.refresh(at(9))
    stub.mode, stub.requests = mode, 0
    feed.refresh(at(10))
    assert stub.requests == 2  # one retry
    assert feed.reading.value == 55 and feed.check(at(10)) is None  # the last value holds
    feed.refresh(at(10, 4))
    assert stub.requests == 2  # no new attempt before retry_minutes
    late = at(0) + timedelta(hours=37)
    refusal = feed.check(late)
    assert refusal is not None and "older than 36 h" in refusal.reason


def test_feed_without_any_value_blocks_and_says_why(stub):
    stub.mode = "500"
    feed = fear_greed.FearGreedFeed(feed_settings(stub))
    feed.refresh(at(9))
    refusal = feed.check(at(9))
    assert "unreachable or invalid after 2 attempt(s): HTTPError" in refusal.reason


def test_unreachable_service_is_reported():
    settings = FearGreedSettings(url="http://127.0.0.1:9/fng/", timeout_s=0.5, retries=0)
    with pytest.raises(fear_greed.FearGreedError, match="ConnectionError"):
        fear_greed.fetch(settings)


def test_history_download_and_the_value_of_the_day(stub, tmp_path):
    path = tmp_path / "fear_greed.json"
    assert fear_greed.download_history(feed_settings(stub), path) == 1
    history = fear_greed.load_history(path)
    settings = FearGreedSettings()
    assert fear_greed.check_history(history, at(23, 59), settings) is None
    refusal = fear_greed.check_history(history, at(0, day=16), settings)
    assert "no value for 2024-02-16 in the history" in refusal.reason


def test_the_history_is_looked_up_in_the_datadir_then_in_the_user_directory(tmp_path):
    datadir, userdir = tmp_path / "candles", tmp_path / "user_data"
    (userdir / "data").mkdir(parents=True)
    datadir.mkdir()
    in_userdir = userdir / "data" / "fear_greed.json"
    assert fear_greed.history_path("fear_greed.json", datadir, userdir) == in_userdir  # default
    in_userdir.write_text("{}")
    assert fear_greed.history_path("fear_greed.json", datadir, userdir) == in_userdir
    (datadir / "fear_greed.json").write_text("{}")
    assert fear_greed.history_path("fear_greed.json", datadir, userdir) == (
        datadir / "fear_greed.json")
    assert fear_greed.history_path("fear_greed.json", None, userdir) == in_userdir
    elsewhere = tmp_path / "elsewhere.json"
    assert fear_greed.history_path(str(elsewhere), datadir, userdir) == elsewhere


def test_missing_history_names_the_fix(tmp_path):
    with pytest.raises(fear_greed.FearGreedError, match="botpy fear-greed download"):
        fear_greed.load_history(tmp_path / "none.json")


# ---- all guards before one entry --------------------------------------------------------

def entry(**changes) -> checks.EntryFacts:
    values = dict(pair="AVAX/USDT", setup="momentum", now=NOW, order_value=100.0,
                  signal={"whale_share": 0.01, "quote_volume_mean": 1e6, "btc_candle": True,
                          "btc_block_until": pd.NaT, "btc_last_trip": pd.NaT},
                  open_pairs=[], history=pnl.ClosedTrades(LosingStreakSettings()),
                  cooldown_start=None, open_pnl=0.0, starting_balance=1000.0)
    return checks.EntryFacts(**(values | changes))


def sources(fear=None, book=None) -> checks.Sources:
    return checks.Sources({"SOL": "L1", "AVAX": "L1"}, lambda now: fear, book)


def test_an_ordinary_entry_passes_every_guard():
    assert checks.first_refusal(entry(), GuardSettings(), sources()) is None


def test_the_first_refusal_in_guard_order_wins():
    facts = entry(open_pairs=["SOL/USDT"], signal=entry().signal | {"whale_share": 0.2})
    assert checks.first_refusal(facts, GuardSettings(), sources()).guard == "sector"
    fear = Refusal("fear_greed", "extreme", None)
    assert checks.first_refusal(facts, GuardSettings(), sources(fear)).guard == "fear_greed"


def test_a_switched_off_guard_is_not_asked():
    facts = entry(open_pairs=["SOL/USDT"])
    settings = load({"botpy": {"guards": {"sector": {"enabled": False}}}})
    assert checks.first_refusal(facts, settings, sources()) is None


def test_an_order_book_that_cannot_be_fetched_refuses_with_the_error():
    def failing():
        raise ConnectionError("exchange timeout")

    refusal = checks.first_refusal(entry(), GuardSettings(), sources(book=failing))
    assert refusal.reason == "AVAX/USDT: order book unavailable: exchange timeout"
    assert checks.first_refusal(entry(), GuardSettings(),
                                sources(book=lambda: book())) is None


def test_a_refusal_for_every_pair_holds_until_its_end():
    from botpy_ext.guards.sources import GuardSources

    sources = GuardSources({"botpy": {"guards": {"sector": {"enabled": False},
                                                 "fear_greed": {"enabled": False}}}})
    tripped = Refusal("daily_loss", "day's P&L -3%", at(0, day=16))
    assert sources.latch(at(10), tripped) is tripped
    assert sources.latch(at(11), None) is tripped  # open trades recovered: still tripped
    assert sources.latch(at(0, day=16), None) is None  # released at 00:00 UTC
    per_pair = Refusal("sector", "full", None, "AVAX/USDT")
    assert sources.latch(at(1, day=16), per_pair) is per_pair
    assert sources.latch(at(2, day=16), None) is None  # per-pair refusals are not kept
    sources.latch(at(10), tripped)
    sources.restart()  # a new backtest in the same process (hyperopt epoch)
    assert sources.latch(at(9), None) is None


def test_a_shorter_refusal_after_the_days_limit_does_not_end_it():
    """A losing streak's 4 h pause refused first (the guards' order) after the daily limit had
    tripped: when the pause ends, the day's limit still holds until 00:00 UTC."""
    from botpy_ext.guards.sources import GuardSources

    sources = GuardSources({"botpy": {"guards": {"sector": {"enabled": False},
                                                 "fear_greed": {"enabled": False}}}})
    day = Refusal("daily_loss", "day's P&L -3%", at(0, day=16))
    pause = Refusal("losing_streak", "5 losses", at(11))
    assert sources.latch(at(6), day) is day
    assert sources.latch(at(7), pause) is pause
    assert sources.latch(at(12), None) is day  # the pause is over, the day's limit is not
    assert sources.latch(at(0, day=16), None) is None


def test_download_command_writes_the_history(stub, tmp_path):
    out = tmp_path / "data" / "fear_greed.json"
    result = subprocess.run([str(BIN / "botpy"), "fear-greed", "download", "--url", stub.url,
                             "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1 days written to" in result.stderr
    assert fear_greed.load_history(out)[at(0).date()].value == 55
    stub.mode = "500"
    failed = subprocess.run([str(BIN / "botpy"), "fear-greed", "download", "--url", stub.url,
                             "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2 and "Fear & Greed download failed" in failed.stderr


# ---- refusal summary of a backtest --------------------------------------------------------

def test_refusal_tally_counts_per_guard_with_first_last_and_an_example():
    from botpy_ext.guards.tally import RefusalTally

    tally = RefusalTally()
    assert tally.summary() == ["BOTPY guards: no entry refused"]
    sector_refusal = Refusal("sector", "SOL/USDT: sector L1 full", None, "SOL/USDT")
    streak = Refusal("losing_streak", "5 losses in a row", at(14), ALL_PAIRS)
    tally.record(sector_refusal, at(12))
    tally.record(streak, at(11))
    tally.record(sector_refusal, at(13))
    tally.record(sector_refusal, at(10))
    assert tally.summary() == [
        "BOTPY guards: 4 entry signal(s) refused",
        "  sector: 3 refused, 2024-02-15 10:00 to 2024-02-15 13:00; e.g. SOL/USDT: sector L1 full",
        "  losing_streak: 1 refused, 2024-02-15 11:00 to 2024-02-15 11:00; e.g. 5 losses in a "
        "row (until 2024-02-15 14:00 UTC)",
    ]
    assert tally.as_dict()["sector"]["count"] == 3


def test_the_whitelists_assets_missing_from_the_map_are_named():
    mapping = sector.load_map(sector.DEFAULT_MAP)
    pairs = ["BTC/USDT", "ETH/USDT", "TFUEL/USDT", "ACX/USDT", "ACX/USDT"]
    warning = sector.unmapped_warning(pairs, mapping, sector.DEFAULT_MAP, SectorSettings())
    assert warning.startswith("sector: 2 of the whitelist's 4 assets are not in the sector map ")
    assert "ACX, TFUEL; each is its own sector (`unknown` 'own'), so the guard does not limit " \
        "them" in warning
    assert "count as sector 'Other'" in sector.unmapped_warning(
        pairs, mapping, sector.DEFAULT_MAP, SectorSettings(unknown="Other"))
    assert sector.unmapped_warning(pairs[:2], mapping, sector.DEFAULT_MAP,
                                   SectorSettings()) is None


def test_days_of_the_backtest_without_a_fear_greed_value_are_said_at_the_start(tmp_path):
    from datetime import date

    from botpy_ext.guards.sources import timerange_days

    days = {date(2023, 4, d): fear_greed.Reading(at(0, day=d), 50, "Neutral")
            for d in range(1, 22)}
    start, stop = timerange_days("20230420-20230428")
    assert (start, stop) == (date(2023, 4, 20), date(2023, 4, 27))
    warning = fear_greed.coverage_warning(days, start, stop, tmp_path / "fg.json")
    assert warning.startswith(f"Fear & Greed history {tmp_path / 'fg.json'} has no value for 6 "
                              "of the backtest's 8 days (2023-04-22 to 2023-04-27)")
    assert fear_greed.coverage_warning(days, date(2023, 4, 2), date(2023, 4, 21), tmp_path) \
        is None
    assert timerange_days(None) == (None, None)
    assert timerange_days("20230420-") == (date(2023, 4, 20), None)
