"""The simulator's REST API on hand-built data: Binance semantics, both clocks, faults, errors."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from botpy_ext.simulator.clock import frozen_clock, replay_clock, static_clock
from botpy_ext.simulator.dataset import DatasetError, load_datadir
from botpy_ext.simulator.faults import Faults
from botpy_ext.simulator.server import SimulatorState, create_app
from botpy_ext.simulator.view import MarketView

START_MS = 1_704_067_200_000  # 2024-01-01 00:00 UTC
MINUTE = 60_000
MINUTES = 3 * 1440


def price_at(minute: np.ndarray, level: float) -> np.ndarray:
    """Price as a pure function of time: a daily wave around `level`."""
    return level * (1 + 0.05 * np.sin(2 * np.pi * minute / 1440))


def write_pair(datadir: Path, name: str, level: float, volume: float, minutes: int = MINUTES):
    minute = np.arange(minutes)
    close = np.round(price_at(minute + 1, level), 4)
    open_ = np.round(price_at(minute, level), 4)
    frame = pd.DataFrame({
        "date": pd.to_datetime(START_MS + minute * MINUTE, unit="ms", utc=True),
        "open": open_,
        "high": np.maximum(open_, close) + level * 0.001,
        "low": np.minimum(open_, close) - level * 0.001,
        "close": close,
        "volume": volume * (1 + (minute % 7)),
    })
    frame.to_feather(datadir / f"{name}-1m.feather")
    return frame


@pytest.fixture(scope="module")
def datadir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("handmade")
    write_pair(path, "AAA_USDT", 100.0, 10.0)
    write_pair(path, "BBB_USDT", 0.5, 1000.0)
    return path


def client_for(datadir: Path, clock=None, faults: Faults | None = None) -> TestClient:
    view = MarketView(load_datadir(datadir), clock or static_clock())
    return TestClient(create_app(SimulatorState(view, faults=faults or Faults())))


def binance_error(response, status: int, code: int) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert "Traceback" not in response.text


class TestKlines:
    def test_start_time_and_limit(self, datadir):
        rows = client_for(datadir).get(
            "/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "1m",
                                      "startTime": START_MS + 10 * MINUTE + 1, "limit": 5}).json()
        assert [r[0] for r in rows] == [START_MS + m * MINUTE for m in range(11, 16)]
        assert rows[0][6] == rows[0][0] + MINUTE - 1  # close time

    def test_end_time_only_returns_the_candles_before_it(self, datadir):
        rows = client_for(datadir).get(
            "/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "1m",
                                      "endTime": START_MS + 100 * MINUTE, "limit": 3}).json()
        assert [r[0] for r in rows] == [START_MS + m * MINUTE for m in (98, 99, 100)]

    def test_no_window_returns_latest_default_500(self, datadir):
        rows = client_for(datadir).get(
            "/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "1m"}).json()
        assert len(rows) == 500
        assert rows[-1][0] == START_MS + (MINUTES - 1) * MINUTE

    def test_derived_interval_matches_resampling(self, datadir):
        frame = pd.read_feather(datadir / "AAA_USDT-1m.feather").set_index("date")
        expected = frame.resample("4h").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        rows = client_for(datadir).get(
            "/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "4h", "limit": 1000}).json()
        got = np.array([[float(x) for x in r[1:6]] for r in rows])
        assert len(rows) == len(expected) == 18
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-9)

    def test_taker_buy_volume_follows_candle_shape(self, datadir):
        row = client_for(datadir).get(
            "/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "1m", "limit": 1}).json()[0]
        o, h, lo, c, v = (float(x) for x in row[1:6])
        assert float(row[9]) == pytest.approx(v * (1 + (2 * c - h - lo) / (h - lo)) / 2)

    @pytest.mark.parametrize("params, status, code", [
        ({"symbol": "ZZZUSDT", "interval": "1m"}, 400, -1121),
        ({"interval": "1m"}, 400, -1102),
        ({"symbol": "AAAUSDT", "interval": "7m"}, 400, -1120),
        ({"symbol": "AAAUSDT", "interval": "1s"}, 400, -1120),  # finer than the data
        ({"symbol": "AAAUSDT", "interval": "1m", "limit": 1001}, 400, -1130),
        ({"symbol": "AAAUSDT", "interval": "1m", "limit": "ten"}, 400, -1100),
        ({"symbol": "AAAUSDT", "interval": "1m", "startTime": 5, "endTime": 4}, 400, -1023),
    ])
    def test_bad_requests_get_binance_errors(self, datadir, params, status, code):
        binance_error(client_for(datadir).get("/api/v3/klines", params=params), status, code)


class TestMarketEndpoints:
    def test_exchange_info_filters(self, datadir):
        info = client_for(datadir).get("/api/v3/exchangeInfo").json()
        by_symbol = {s["symbol"]: s for s in info["symbols"]}
        assert set(by_symbol) == {"AAAUSDT", "BBBUSDT"}
        filters = {f["filterType"]: f for f in by_symbol["BBBUSDT"]["filters"]}
        assert float(filters["PRICE_FILTER"]["tickSize"]) == pytest.approx(1e-5)
        assert float(filters["LOT_SIZE"]["stepSize"]) == pytest.approx(1.0)
        assert float(filters["NOTIONAL"]["minNotional"]) == 5.0

    def test_ticker_24hr_is_the_last_day(self, datadir):
        frame = pd.read_feather(datadir / "AAA_USDT-1m.feather")
        day = frame.iloc[-1440:]
        ticker = client_for(datadir).get("/api/v3/ticker/24hr", params={"symbol": "AAAUSDT"}).json()
        assert float(ticker["lastPrice"]) == pytest.approx(day.close.iloc[-1])
        assert float(ticker["openPrice"]) == pytest.approx(day.open.iloc[0])
        assert float(ticker["highPrice"]) == pytest.approx(day.high.max())
        assert float(ticker["volume"]) == pytest.approx(day.volume.sum())
        assert float(ticker["bidPrice"]) <= float(ticker["lastPrice"]) <= float(ticker["askPrice"])
        assert float(ticker["bidPrice"]) < float(ticker["askPrice"])

    def test_tickers_for_a_list_of_symbols(self, datadir):
        rows = client_for(datadir).get(
            "/api/v3/ticker/24hr", params={"symbols": '["AAAUSDT","BBBUSDT"]'}).json()
        assert [r["symbol"] for r in rows] == ["AAAUSDT", "BBBUSDT"]
        binance_error(client_for(datadir).get(
            "/api/v3/ticker/price", params={"symbols": "not json"}), 400, -1100)

    def test_order_book_shape(self, datadir):
        client = client_for(datadir)
        book = client.get("/api/v3/depth", params={"symbol": "AAAUSDT", "limit": 20}).json()
        bids = np.array(book["bids"], dtype=float)
        asks = np.array(book["asks"], dtype=float)
        assert len(bids) == len(asks) == 20
        assert bids[0, 0] < asks[0, 0]
        assert (np.diff(bids[:, 0]) < 0).all() and (np.diff(asks[:, 0]) > 0).all()
        assert (bids[:, 1] > 0).all() and (asks[:, 1] > 0).all()
        again = client.get("/api/v3/depth", params={"symbol": "AAAUSDT", "limit": 20}).json()
        assert again["asks"] == book["asks"]  # stable within the minute

    def test_order_book_is_the_same_book_at_every_limit(self, datadir):
        client = client_for(datadir)
        books = {limit: client.get("/api/v3/depth", params={"symbol": "AAAUSDT", "limit": limit})
                 .json() for limit in (5, 20, 100)}
        for side in ("bids", "asks"):
            assert books[100][side][:20] == books[20][side]
            assert books[100][side][:5] == books[5][side]
        best = client.get("/api/v3/ticker/bookTicker", params={"symbol": "AAAUSDT"}).json()
        assert [best["bidPrice"], best["bidQty"]] == books[5]["bids"][0]
        assert [best["askPrice"], best["askQty"]] == books[5]["asks"][0]

    def test_quiet_market_spread_is_one_tick(self, tmp_path):
        write_pair(tmp_path, "AAA_USDT", 100.0, 10.0)
        frame = pd.read_feather(tmp_path / "AAA_USDT-1m.feather")
        for column in ("open", "high", "low", "close"):
            frame[column] = 100.0  # no volatility: the model's spread is below one tick
        frame.to_feather(tmp_path / "AAA_USDT-1m.feather")
        book = client_for(tmp_path).get("/api/v3/depth",
                                        params={"symbol": "AAAUSDT", "limit": 5}).json()
        assert float(book["asks"][0][0]) - float(book["bids"][0][0]) == pytest.approx(0.01)

    def test_cheap_coin_lot_size_allows_a_large_order(self, tmp_path):
        frame = write_pair(tmp_path, "PEPE_USDT", 1.0, 1e9)
        frame[["open", "high", "low", "close"]] *= 0.00001  # a coin at 1e-5 USDT
        frame.to_feather(tmp_path / "PEPE_USDT-1m.feather")
        info = client_for(tmp_path).get("/api/v3/exchangeInfo").json()["symbols"][0]
        lot = next(f for f in info["filters"] if f["filterType"] == "LOT_SIZE")
        assert float(lot["maxQty"]) * 0.00001 >= 9_000_000  # the max notional, not 90 USDT

    def test_order_book_depth_scales_with_volume(self, tmp_path):
        write_pair(tmp_path, "AAA_USDT", 100.0, 10.0)
        write_pair(tmp_path, "CCC_USDT", 100.0, 1000.0)
        client = client_for(tmp_path)
        depth = {
            s: np.array(client.get("/api/v3/depth", params={"symbol": s, "limit": 100}).json()
                        ["asks"], dtype=float)[:, 1].sum()
            for s in ("AAAUSDT", "CCCUSDT")
        }
        assert depth["CCCUSDT"] == pytest.approx(100 * depth["AAAUSDT"], rel=0.3)

    def test_private_endpoints_are_refused(self, datadir):
        binance_error(client_for(datadir).post("/api/v3/order"), 401, -2015)


class TestReplayClock:
    def replay(self, datadir, start_minute: int, wall: list[int], align: str = "1m"):
        clock = replay_clock(START_MS + start_minute * MINUTE, align=align, wall_ms=lambda: wall[0])
        return clock, client_for(datadir, clock)

    def klines(self, client, interval, limit=3):
        return client.get("/api/v3/klines", params={
            "symbol": "AAAUSDT", "interval": interval, "limit": limit}).json()

    def test_only_candles_up_to_now_the_last_partial(self, datadir):
        wall = [1_800_000_000_000]  # an arbitrary wall-clock "now", on a minute boundary
        clock, client = self.replay(datadir, 2000, wall)
        wall[0] += 15_000  # a quarter into the current minute
        rows = self.klines(client, "1m")
        assert rows[-1][0] == wall[0] - 15_000
        full = pd.read_feather(datadir / "AAA_USDT-1m.feather").iloc[2000]
        assert float(rows[-1][5]) == pytest.approx(full.volume / 4)
        assert full.low <= float(rows[-1][4]) <= full.high
        assert float(rows[-2][5]) == pytest.approx(
            pd.read_feather(datadir / "AAA_USDT-1m.feather").iloc[1999].volume)
        wall[0] += 60_000
        assert self.klines(client, "1m")[-1][0] == rows[-1][0] + MINUTE  # time moves on

    def test_longer_interval_in_progress_is_built_from_visible_minutes(self, datadir):
        wall = [1_800_000_000_000 + 2 * MINUTE]  # two minutes into a 5m bin
        clock, client = self.replay(datadir, 2000, wall)
        wall[0] += 30_000
        five = self.klines(client, "5m")[-1]
        ones = self.klines(client, "1m", limit=3)
        assert five[0] == ones[0][0]
        assert float(five[5]) == pytest.approx(sum(float(r[5]) for r in ones))
        assert float(five[2]) == pytest.approx(max(float(r[2]) for r in ones))
        assert float(five[4]) == float(ones[-1][4])

    def test_align_keeps_dataset_bins(self, datadir):
        wall = [1_800_000_123_456]
        clock, _ = self.replay(datadir, 2000, wall, align="15m")
        assert clock.offset_ms % (15 * MINUTE) == 0
        assert 0 <= START_MS + 2000 * MINUTE - clock.dataset_now_ms() < 15 * MINUTE

    def test_status_reports_the_replay(self, datadir):
        wall = [1_800_000_000_000]
        clock, client = self.replay(datadir, 2000, wall)
        status = client.get("/_sim/status").json()
        assert status["clock"] == "replay"
        assert status["dataset_now_ms"] == START_MS + 2000 * MINUTE
        last = pd.read_feather(datadir / "AAA_USDT-1m.feather").date.max()
        assert status["data_end_ms"] == int(last.timestamp() * 1000) + MINUTE  # it closes then


class TestFrozenClock:
    """The market at one dataset time, standing still, bins of `align` intact."""

    def test_closed_candles_up_to_the_frozen_moment_and_no_further(self, datadir):
        wall = [1_800_000_123_456]
        start = START_MS + 2000 * MINUTE + 30_000  # half a minute into dataset candle 2000
        clock = frozen_clock(start, align="4h", wall_ms=lambda: wall[0])
        client = client_for(datadir, clock)
        assert clock.offset_ms % (240 * MINUTE) == 0
        assert 0 <= wall[0] - (start + clock.offset_ms) < 240 * MINUTE
        data = pd.read_feather(datadir / "AAA_USDT-1m.feather")

        def last_volume(interval: str) -> tuple[int, float]:
            row = client.get("/api/v3/klines", params={
                "symbol": "AAAUSDT", "interval": interval, "limit": 2}).json()[-1]
            return row[0] - clock.offset_ms, float(row[5])

        assert last_volume("1m") == (START_MS + 1999 * MINUTE, data.volume.iloc[1999])
        wall[0] += 3_600_000  # an hour later: still the same market
        assert last_volume("1m") == (START_MS + 1999 * MINUTE, data.volume.iloc[1999])
        five_open, five_volume = last_volume("5m")  # the last 5m bin closed by the moment
        assert five_open == START_MS + 1995 * MINUTE
        assert five_volume == pytest.approx(data.volume.iloc[1995:2000].sum())


class TestFaults:
    def test_all_errors(self, datadir):
        response = client_for(datadir, faults=Faults(error_rate=1.0)).get("/api/v3/time")
        binance_error(response, 503, -1001)

    def test_all_rate_limited(self, datadir):
        response = client_for(datadir, faults=Faults(rate_limit_rate=1.0)).get("/api/v3/ping")
        binance_error(response, 429, -1003)
        assert response.headers["Retry-After"] == "1"

    def test_error_share_is_close_to_the_setting(self, datadir):
        client = client_for(datadir, faults=Faults(error_rate=0.3))
        codes = [client.get("/api/v3/ping").status_code for _ in range(400)]
        assert 0.2 < codes.count(503) / 400 < 0.4

    def test_latency(self, datadir):
        client = client_for(datadir, faults=Faults(latency_ms=200))
        started = time.monotonic()
        client.get("/api/v3/ping")
        assert time.monotonic() - started >= 0.2

    def test_missing_candles_are_the_same_on_every_request(self, datadir):
        client = client_for(datadir, faults=Faults(missing_candles=0.1))
        params = {"symbol": "AAAUSDT", "interval": "1m", "limit": 1000, "startTime": START_MS}
        first = [r[0] for r in client.get("/api/v3/klines", params=params).json()]
        second = [r[0] for r in client.get("/api/v3/klines", params=params).json()]
        assert first == second
        gaps = np.diff(first) // MINUTE - 1
        assert 0.05 < gaps.sum() / (gaps.sum() + len(first)) < 0.15

    def test_switch_at_run_time_and_refuse_bad_values(self, datadir):
        client = client_for(datadir)
        assert client.post("/_sim/faults", json={"error_rate": 1.0}).status_code == 200
        binance_error(client.get("/api/v3/ping"), 503, -1001)
        refused = client.post("/_sim/faults", json={"error_rate": 2})
        assert refused.status_code == 400
        assert "error_rate" in refused.json()["error"] and "[0, 1]" in refused.json()["error"]
        assert client.post("/_sim/faults", json={"nonsense": 1}).status_code == 400

    def test_fault_values_are_validated(self):
        with pytest.raises(ValueError, match=r"latency_ms.*\[0, 60000\]"):
            Faults(latency_ms=-1)


class TestBadData:
    def test_empty_datadir(self, tmp_path):
        with pytest.raises(DatasetError, match="no candle files"):
            load_datadir(tmp_path)

    def test_missing_datadir(self, tmp_path):
        with pytest.raises(DatasetError, match="no such directory"):
            load_datadir(tmp_path / "nope")

    def test_broken_feather_file_is_named(self, tmp_path):
        write_pair(tmp_path, "AAA_USDT", 100.0, 10.0)
        (tmp_path / "BBB_USDT-1m.feather").write_bytes(b"ARROW1 this is not a feather file")
        with pytest.raises(DatasetError, match=r"BBB_USDT-1m\.feather: not a readable feather"):
            load_datadir(tmp_path)

    def test_missing_columns(self, tmp_path):
        pd.DataFrame({"date": pd.to_datetime([START_MS], unit="ms", utc=True), "open": [1.0]}
                     ).to_feather(tmp_path / "AAA_USDT-1m.feather")
        with pytest.raises(DatasetError, match="missing column"):
            load_datadir(tmp_path)

    def test_unexpected_failure_is_a_json_error_without_traceback(self, datadir, monkeypatch):
        client = TestClient(create_app(SimulatorState(
            MarketView(load_datadir(datadir), static_clock()))), raise_server_exceptions=False)
        monkeypatch.setattr(MarketView, "klines", lambda *a, **k: 1 / 0)
        response = client.get("/api/v3/klines", params={"symbol": "AAAUSDT", "interval": "1m"})
        binance_error(response, 500, -1000)
