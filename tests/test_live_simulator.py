"""Live mode end to end, offline: `freqtrade trade` with `live.json` (real orders, the stop on the
exchange) against the simulator's spot account (`botpy-sim serve --account`), on a hand-built
market where SOL falls through the trade's stop a few minutes into the replay.

What a trader trusts Live mode with: a forced Precision entry is a real market order (the coin's
commission taken from the coin, as Binance does); BOTPY's initial stop is placed on the
exchange as a stop-limit sell; a bot killed and started again finds its trade and that same
stop order (no second one); when the price rises, the ladder's higher stop replaces the one on
the exchange; the fall fills it there, the bot closes the trade with BOTPY's exit name (the
ladder's stage, not `initial_stop`), and the account and the bot's wallet agree."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from urllib.parse import urlencode

import ccxt
import numpy as np
import pandas as pd
import pytest
import requests

from botpy_ext.simulator.client_config import simulator_exchange
from tests.helpers import (
    GUARDS_OFF,
    TEST_SECRETS,
    TradingBot,
    free_port,
    overlay_config,
    running_simulator,
    wait_until,
)

KEY, SECRET = "botpy-test-key", "botpy-test-secret"
PAIRS = ["SOL/USDT", "AVAX/USDT", "BTC/USDT"]
PRICES = {"SOL/USDT": 100.0, "AVAX/USDT": 20.0, "BTC/USDT": 40_000.0}
START = pd.Timestamp("2024-03-01", tz="UTC")
DAYS = 12  # 4h EMA50 and freqtrade's start-up candles need 9 days of history
FALL = pd.Timestamp("2024-03-12 12:00", tz="UTC")  # SOL's candle that falls 10 %
RISE = FALL - pd.Timedelta(minutes=3)  # SOL's candle that rises 2 %: the ladder moves up
LEAD = pd.Timedelta(minutes=5)  # the replay starts this long before the fall
ENTRY_TAG = "precision:sniper"


def write_market(datadir: Path) -> None:
    """Quiet 1m candles (a 0.05 % wave, no signal), and SOL's two moves: one candle up 2 % (the
    trade is then several R up), three minutes later one candle down to a low 10 % under the
    start, then quiet at 91 % of it."""
    datadir.mkdir(parents=True)
    dates = pd.date_range(START, periods=DAYS * 1440, freq="1min")
    wave = 1 + 0.0005 * np.sin(np.arange(len(dates)) / 7)
    for pair, price in PRICES.items():
        close = price * wave
        if pair == "SOL/USDT":
            close = np.where(dates >= RISE, close * 1.02, close)
            close = np.where(dates >= FALL, price * 0.91 * wave, close)
        opened = np.r_[close[0], close[:-1]]
        high, low = np.maximum(opened, close) * 1.0002, np.minimum(opened, close) * 0.9998
        if pair == "SOL/USDT":
            low = np.where(dates == FALL, price * 0.90, low)
        frame = pd.DataFrame({"date": dates, "open": opened, "high": high, "low": low,
                              "close": close, "volume": 1e6 / price})
        frame.to_feather(datadir / f"{pair.replace('/', '_')}-1m.feather")


@pytest.fixture(scope="module")
def live_bot(tmp_path_factory, userdir):
    tmp = tmp_path_factory.mktemp("live")
    write_market(tmp / "market")
    sim_env = {"BOTPY_SIM_API_KEY": KEY, "BOTPY_SIM_API_SECRET": SECRET}
    with running_simulator(tmp / "market", "--clock", "replay", "--start",
                           (FALL - LEAD).isoformat(), "--account", "USDT=1000",
                           log=tmp / "sim.log", env=sim_env) as base:
        port = free_port()
        config = overlay_config(
            tmp, "live", base, pairs=PAIRS, guards=GUARDS_OFF,
            db_url=f"sqlite:///{tmp / 'live.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port}, pairlists=[{"method": "StaticPairList"}])
        bot = TradingBot(config, userdir, port, tmp / "bot.log", "SOL/USDT",
                         secrets=TEST_SECRETS | {"FREQTRADE__EXCHANGE__KEY": KEY,
                                                 "FREQTRADE__EXCHANGE__SECRET": SECRET})
        bot.base = base
        bot.exchange = ccxt.binance({**simulator_exchange(base)["ccxt_config"], "apiKey": KEY,
                                     "secret": SECRET})
        started = time.time()  # the replay started just now
        bot.rise_at = started + (LEAD - (FALL - RISE)).total_seconds()
        bot.fall_at = started + LEAD.total_seconds()
        try:
            bot.start()
            wait_until(lambda: bot.last_candle() is not None, 120, interval=1)
            yield bot
        finally:
            bot.stop()


def stop_orders(bot: TradingBot) -> list[dict]:
    return [o for o in bot.exchange.fetch_open_orders("SOL/USDT")
            if o["info"]["type"] == "STOP_LOSS_LIMIT"]


def test_live_entry_stop_on_the_exchange_restart_raise_and_fill(live_bot):
    bot = live_bot
    answer = bot.post("forceenter", {"pair": "SOL/USDT", "entry_tag": ENTRY_TAG,
                                     "ordertype": "market"})
    assert answer.ok, answer.text
    wait_until(lambda: bot.open_trade() is not None, 60, interval=1)
    # the entry is a real order: the account holds the coins, less Binance's commission
    [buy] = [t for t in bot.exchange.fetch_my_trades("SOL/USDT") if t["side"] == "buy"]
    assert buy["fee"]["currency"] == "SOL"
    trade = bot.open_trade()
    assert trade["amount"] <= buy["amount"] - buy["fee"]["cost"] + 1e-9
    balance = bot.exchange.fetch_balance()["SOL"]
    assert balance["total"] == pytest.approx(buy["amount"] - buy["fee"]["cost"])
    # BOTPY's initial stop is on the exchange, for the trade's amount
    wait_until(lambda: len(stop_orders(bot)) == 1, 60, interval=1)
    [stop] = stop_orders(bot)
    facts = bot.custom_data(trade["trade_id"])["botpy_facts"]
    assert stop["triggerPrice"] == pytest.approx(facts["initial_stop"], rel=1e-3)
    assert stop["amount"] == pytest.approx(trade["amount"])
    assert facts["initial_stop"] > PRICES["SOL/USDT"] * 0.90  # the fall goes through it

    # killed and started again: the same trade, the same stop order, no second one
    bot.kill()
    bot.start()
    wait_until(lambda: bot.open_trade() is not None, 60, interval=1)
    time.sleep(10)  # a few bot loops after the restart
    assert [o["id"] for o in stop_orders(bot)] == [stop["id"]]
    assert time.time() < bot.rise_at, "the restart took longer than the replay's lead"

    # the rise: the ladder's higher stop replaces the one on the exchange (one stop order)
    def moved_up() -> bool:
        orders = stop_orders(bot)
        return len(orders) == 1 and orders[0]["triggerPrice"] > stop["triggerPrice"]
    wait_until(moved_up, bot.fall_at - time.time() - 5, interval=2)
    [raised] = stop_orders(bot)
    current = bot.open_trade()
    assert raised["triggerPrice"] == pytest.approx(current["stop_loss_abs"], rel=1e-3)
    assert bot.exchange.fetch_order(stop["id"], "SOL/USDT")["status"] == "canceled"
    stage = bot.custom_data(trade["trade_id"])["botpy_stop_stage"]
    assert stage in {"breakeven_stop", "atr_trail"}

    # the fall fills it on the exchange; the bot closes the trade with the ladder's stage
    wait_until(lambda: not bot.get("status").json(), bot.fall_at - time.time() + 120,
               interval=2)
    filled = bot.exchange.fetch_order(raised["id"], "SOL/USDT")
    assert filled["status"] == "closed"
    [closed] = [t for t in bot.get("trades").json()["trades"] if not t["is_open"]]
    wait_until(lambda: bot.get(f"trade/{closed['trade_id']}").json()["exit_reason"]
               == stage, 30, interval=1)
    closed = bot.get(f"trade/{closed['trade_id']}").json()
    assert closed["close_rate"] == pytest.approx(filled["average"])
    assert filled["average"] == pytest.approx(raised["triggerPrice"], rel=2e-3)
    # the account and the bot's wallet agree; only dust of the coin is left
    account = bot.exchange.fetch_balance()
    assert account["SOL"]["total"] < 0.01
    wallet = {row["currency"]: row for row in bot.get("balance").json()["currencies"]}
    assert wallet["USDT"]["balance"] == pytest.approx(account["USDT"]["total"], abs=0.01)
    assert closed["close_rate"] > closed["open_rate"]  # the raised stop kept a gain


def test_the_account_refuses_a_wrong_key_secret_or_stale_timestamp(live_bot):
    """Binance's checks on a signed request, as ccxt and a hand-made request meet them."""
    config = simulator_exchange(live_bot.base)["ccxt_config"]
    with pytest.raises(ccxt.AuthenticationError, match="Invalid API-key"):
        ccxt.binance({**config, "apiKey": "other-key", "secret": SECRET}).fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="Signature for this request"):
        ccxt.binance({**config, "apiKey": KEY, "secret": "other-secret"}).fetch_balance()
    query = urlencode({"timestamp": int(time.time() * 1000) - 60_000, "recvWindow": 5000})
    signature = hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
    answer = requests.get(f"{live_bot.base}/api/v3/account?{query}&signature={signature}",
                          headers={"X-MBX-APIKEY": KEY}, timeout=10)
    assert answer.status_code == 400 and answer.json()["code"] == -1021
