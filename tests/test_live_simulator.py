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
    analysing,
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
# the replay starts LEAD before the fall (up to a minute more: its offset is whole minutes); the
# entry, the stop and the restart take about 25 s, the exchange's stop follows the ladder about
# a minute after the rise (freqtrade replaces it 60 s after the ladder's last move)
RISE = FALL - pd.Timedelta(minutes=3)  # SOL's candle that rises 2 %: the ladder moves up
LEAD = pd.Timedelta(minutes=4)
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


SIM_ENV = {"BOTPY_SIM_API_KEY": KEY, "BOTPY_SIM_API_SECRET": SECRET}


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("live-market") / "market"
    write_market(path)
    return path


def client(base: str, key: str = KEY, secret: str = SECRET) -> ccxt.binance:
    return ccxt.binance({**simulator_exchange(base)["ccxt_config"], "apiKey": key,
                         "secret": secret})


def wall_time(base: str, moment: pd.Timestamp) -> float:
    """When the replay shows dataset time `moment` (wall clock, s): the replay's offset is a
    whole number of minutes, so it starts up to a minute before its --start."""
    offset_ms = requests.get(f"{base}/_sim/status", timeout=10).json()["offset_ms"]
    return (moment.value // 1_000_000 + offset_ms) / 1000


@pytest.fixture(scope="module")
def live_bot(market_dir, tmp_path_factory, userdir):
    tmp = tmp_path_factory.mktemp("live")
    with running_simulator(market_dir, "--clock", "replay", "--start",
                           (FALL - LEAD).isoformat(), "--account", "USDT=1000",
                           log=tmp / "sim.log", env=SIM_ENV) as base:
        port = free_port()
        config = overlay_config(
            tmp, "live", base, pairs=PAIRS, guards=GUARDS_OFF,
            db_url=f"sqlite:///{tmp / 'live.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port}, pairlists=[{"method": "StaticPairList"}])
        bot = TradingBot(config, userdir, port, tmp / "bot.log", "SOL/USDT",
                         secrets=TEST_SECRETS | {"FREQTRADE__EXCHANGE__KEY": KEY,
                                                 "FREQTRADE__EXCHANGE__SECRET": SECRET})
        bot.base, bot.exchange, bot.sim_log = base, client(base), tmp / "sim.log"
        bot.rise_at, bot.fall_at = wall_time(base, RISE), wall_time(base, FALL)
        with analysing(bot, 120, interval=1):
            yield bot


def stop_orders(bot: TradingBot) -> list[dict]:
    return [o for o in bot.exchange.fetch_open_orders("SOL/USDT")
            if o["info"]["type"] == "STOP_LOSS_LIMIT"]


def bot_stop_orders(bot: TradingBot, trade_id: int) -> list[dict]:
    """The open stop-loss orders the bot's database holds for the trade."""
    return [o for o in bot.get(f"trade/{trade_id}").json()["orders"]
            if o["ft_order_side"] == "stoploss" and o["is_open"]]


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
    assert time.time() < bot.rise_at, "the restart took longer than the replay's lead"
    assert [o["id"] for o in stop_orders(bot)] == [stop["id"]]
    assert [o["order_id"] for o in bot_stop_orders(bot, trade["trade_id"])] == [stop["id"]]

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
    # the account's USDT moved by the trade's profit (its coin dust aside); a gain was kept
    account = bot.exchange.fetch_balance()
    dust = account["SOL"]["total"]
    assert dust < 0.01
    assert account["USDT"]["total"] - 1000 == pytest.approx(
        closed["profit_abs"], abs=dust * closed["open_rate"] + 0.01)
    assert closed["close_rate"] > closed["open_rate"]
    # no order was refused on the way: no second stop tried beside the first (the coins were
    # locked by it), no stop placed under the price
    assert "-2010" not in bot.sim_log.read_text()


# ---- the account's signed API as ccxt meets it (no bot) ---------------------------------------

@pytest.fixture(scope="module")
def account_sim(market_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("account") / "sim.log"
    with running_simulator(market_dir, "--clock", "replay", "--start",
                           (FALL - LEAD).isoformat(), "--account", "USDT=1000",
                           log=log, env=SIM_ENV) as base:
        yield base


def test_orders_through_ccxt_fill_rest_cancel_and_refuse_like_binance(account_sim):
    exchange = client(account_sim)
    exchange.load_markets()
    bought = exchange.create_order("SOL/USDT", "market", "buy", 1.0)
    assert bought["status"] == "closed" and bought["filled"] == 1.0
    assert bought["fee"] == {"currency": "SOL", "cost": pytest.approx(0.001)}
    assert exchange.fetch_balance()["SOL"]["free"] == pytest.approx(0.999)
    [trade] = exchange.fetch_my_trades("SOL/USDT")
    assert trade["order"] == bought["id"] and trade["takerOrMaker"] == "taker"
    # a limit sell far above the market rests, its coins locked; cancelled once, not twice
    resting = exchange.create_order("SOL/USDT", "limit", "sell", 0.5, 150.0)
    assert resting["status"] == "open"
    assert exchange.fetch_balance()["SOL"]["used"] == pytest.approx(0.5)
    assert [o["id"] for o in exchange.fetch_open_orders("SOL/USDT")] == [resting["id"]]
    assert exchange.cancel_order(resting["id"], "SOL/USDT")["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order(resting["id"], "SOL/USDT")
    # a stop above the price: Binance's "would trigger immediately", which freqtrade turns
    # into an emergency exit
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        exchange.create_order("SOL/USDT", "stop_loss_limit", "sell", 0.5, 109.0,
                              {"stopPrice": 110.0})
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("SOL/USDT", "market", "buy", 100.0)
    # 0.01 SOL is worth 1 USDT (ccxt names -1013 BadRequest for a URL that is not Binance's)
    with pytest.raises((ccxt.InvalidOrder, ccxt.BadRequest), match="NOTIONAL"):
        exchange.create_order("SOL/USDT", "market", "sell", 0.01)


def test_signed_requests_are_checked_like_binance(account_sim):
    with pytest.raises(ccxt.AuthenticationError, match="Invalid API-key"):
        client(account_sim, key="other-key").fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="Signature for this request"):
        client(account_sim, secret="other-secret").fetch_balance()

    def signed(params: dict) -> str:
        query = urlencode(params)
        return f"{query}&signature=" + hmac.new(SECRET.encode(), query.encode(),
                                                hashlib.sha256).hexdigest()
    now = int(time.time() * 1000)
    stale = requests.get(f"{account_sim}/api/v3/account?" + signed({"timestamp": now - 60_000}),
                         headers={"X-MBX-APIKEY": KEY}, timeout=10)
    assert stale.status_code == 400 and stale.json()["code"] == -1021
    # a POST body changed after signing: refused, no order placed
    body = signed({"symbol": "SOLUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.1",
                   "timestamp": now}).replace("quantity=0.1", "quantity=5")
    tampered = requests.post(f"{account_sim}/api/v3/order", data=body, timeout=10,
                             headers={"X-MBX-APIKEY": KEY,
                                      "Content-Type": "application/x-www-form-urlencoded"})
    assert tampered.status_code == 400 and tampered.json()["code"] == -1022
