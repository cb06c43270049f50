"""ccxt's own `binance` client against a simulator process serving the real data."""

from __future__ import annotations

import subprocess

import ccxt
import pandas as pd
import pytest

from botpy_ext.simulator.client_config import simulator_exchange
from tests.helpers import BIN, running_simulator

PAIRS = {"ADA", "ATOM", "AVAX", "BTC", "DOGE", "DOT", "ETH", "LINK", "LTC", "MATIC", "SOL", "TRX",
         "XRP"}


@pytest.fixture(scope="module")
def exchange(real_data):
    with running_simulator(real_data) as base:
        yield ccxt.binance(simulator_exchange(base)["ccxt_config"])


def test_load_markets(exchange):
    markets = exchange.load_markets()
    assert set(markets) == {f"{p}/USDT" for p in PAIRS}
    btc = markets["BTC/USDT"]
    assert btc["spot"] and btc["active"]
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 1e-5
    assert btc["limits"]["cost"]["min"] == 5.0


def test_fetch_ohlcv_pages_through_the_file(exchange, real_data):
    """2,500 candles in three pages of 1,000, the way freqtrade's download pages."""
    stored = pd.read_feather(real_data / "ETH_USDT-1m.feather")
    since = int(stored.date.iloc[1000].timestamp() * 1000)
    candles = []
    while len(candles) < 2500:
        page = exchange.fetch_ohlcv("ETH/USDT", "1m", since=since, limit=1000)
        candles += page
        since = page[-1][0] + 60_000
    got = pd.DataFrame(candles[:2500], columns=["ms", "open", "high", "low", "close", "volume"])
    expected = stored.iloc[1000:3500].reset_index(drop=True)
    assert (got.ms.to_numpy() == expected.date.astype("int64").to_numpy() // 1000).all()
    pd.testing.assert_frame_equal(
        got[["open", "high", "low", "close", "volume"]],
        expected[["open", "high", "low", "close", "volume"]],
    )


def test_fetch_ticker_and_tickers(exchange, real_data):
    stored = pd.read_feather(real_data / "SOL_USDT-1m.feather")
    ticker = exchange.fetch_ticker("SOL/USDT")
    assert ticker["last"] == stored.close.iloc[-1]
    assert ticker["high"] == stored.high.iloc[-1440:].max()
    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    tickers = exchange.fetch_tickers()
    assert set(tickers) == {f"{p}/USDT" for p in PAIRS}
    assert all(t["quoteVolume"] > 0 for t in tickers.values())


def test_fetch_order_book(exchange, real_data):
    last = pd.read_feather(real_data / "BTC_USDT-1m.feather").close.iloc[-1]
    book = exchange.fetch_order_book("BTC/USDT", limit=50)
    assert len(book["bids"]) == len(book["asks"]) == 50
    assert book["bids"][0][0] <= last <= book["asks"][0][0]
    assert book["asks"][0][0] - book["bids"][0][0] < last * 0.001


def test_unknown_symbol_is_a_bad_symbol(exchange):
    with pytest.raises(ccxt.BadSymbol, match="Invalid symbol"):
        exchange.public_get_klines({"symbol": "NOPEUSDT", "interval": "1m"})


def test_server_refuses_an_empty_datadir(tmp_path):
    result = subprocess.run(
        [str(BIN / "botpy-sim"), "serve", "--datadir", str(tmp_path), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "no candle files found" in result.stderr


def test_server_refuses_a_bad_fault_value(real_data):
    result = subprocess.run(
        [str(BIN / "botpy-sim"), "serve", "--datadir", str(real_data), "--error-rate", "1.5"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "error_rate' must be in [0, 1]" in result.stderr
