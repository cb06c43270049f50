"""Synthetic market: determinism, candle consistency, realistic texture, and every planted
episode re-checked from the written feather files with indicators computed here."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from botpy_ext.simulator.exchange_info import tick_size
from botpy_ext.synthetic import generate_market, write_market
from botpy_ext.synthetic.generator import REALISTIC_RANGES, texture_stats

SEED, DAYS, START = 7, 75, "2024-01-01"
SHORT_DAYS = 35  # determinism runs use a shorter market to keep the module fast
TIMEFRAMES = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}
MINUTE = pd.Timedelta(minutes=1)
ENTRY_KINDS = {
    "precision_breakout",
    "whale",
    "precision_bearish_5m",
    "momentum_continuation",
    "btc_dump_blocked_entry",
    "ignition",
}


@pytest.fixture(scope="module")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    write_market(generate_market(SEED, DAYS, START), out)
    return out


@pytest.fixture(scope="module")
def truth(market_dir: Path) -> dict:
    return json.loads((market_dir / "episodes.json").read_text())


@pytest.fixture(scope="module")
def info(market_dir: Path) -> dict:
    return json.loads((market_dir / "market.json").read_text())


@pytest.fixture(scope="module")
def load(market_dir: Path):
    @cache
    def frame(pair: str, timeframe: str) -> pd.DataFrame:
        return pd.read_feather(market_dir / f"{pair.replace('/', '_')}-{timeframe}.feather")

    return frame


def episodes(truth: dict, *kinds: str) -> list[dict]:
    found = [ep for ep in truth["episodes"] if ep["kind"] in kinds]
    assert found, f"no episode of kind {kinds}"
    return found


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def row(frame: pd.DataFrame, time: pd.Timestamp) -> int:
    return int(np.flatnonzero(frame["date"] == time)[0])


def closed(frame: pd.DataFrame, time: pd.Timestamp, minutes: int) -> int:
    """Last candle closed when the 1m row opened at ``time`` closes."""
    return int(np.flatnonzero(frame["date"] + pd.Timedelta(minutes=minutes) <= time + MINUTE)[-1])


def resample(df: pd.DataFrame, minutes: int) -> pd.DataFrame:
    rule = f"{minutes}min"
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    return df.set_index("date").resample(rule, closed="left", label="left").agg(agg).reset_index()


def rsi(frame: pd.DataFrame) -> np.ndarray:
    return talib.RSI(frame["close"].to_numpy(), 14)


def atr(frame: pd.DataFrame) -> np.ndarray:
    return talib.ATR(*(frame[c].to_numpy() for c in ("high", "low", "close")), 14)


def ema(frame: pd.DataFrame, span: int) -> np.ndarray:
    return frame["close"].ewm(span=span, adjust=False).mean().to_numpy()


def delta(candle: pd.Series) -> float:
    """Estimated volume delta of a candle from its shape."""
    spread = candle["high"] - candle["low"]
    shape = 2 * candle["close"] - candle["high"] - candle["low"]
    return 0.0 if spread == 0 else candle["volume"] * shape / spread


def hourly_share(df_1m: pd.DataFrame, i: int) -> float:
    """Volume of row i / mean hourly volume of the 24 h ending with it."""
    return df_1m["volume"].iloc[i] / (60 * df_1m["volume"].iloc[i - 1439 : i + 1].mean())


def check_guards_view(load, pair: str, signal: pd.Timestamp) -> None:
    """Trend filter (>= 3 % above EMA50 4h) and RSI 1h / 15m below 65 at the signal row."""
    h4, h1, m15 = load(pair, "4h"), load(pair, "1h"), load(pair, "15m")
    i4 = closed(h4, signal, 240)
    assert h4["close"].iloc[i4] >= 1.03 * ema(h4, 50)[i4], (pair, signal)
    assert rsi(h1)[closed(h1, signal, 60)] < 65, (pair, signal)
    assert rsi(m15)[closed(m15, signal, 15)] < 65, (pair, signal)


# ----------------------------------------------------------------------------- data
def test_same_seed_same_bytes_other_seed_other_candles(tmp_path: Path) -> None:
    runs = {name: tmp_path / name for name in ("a", "b", "c")}
    for out, seed in zip(runs.values(), (SEED, SEED, SEED + 1), strict=True):
        write_market(generate_market(seed, SHORT_DAYS, START), out)

    def digests(out: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}

    first = digests(runs["a"])
    assert len(first) == 12 * len(TIMEFRAMES) + 3  # + episodes, market, fear_greed
    assert first == digests(runs["b"])
    other = pd.read_feather(runs["c"] / "ETH_USDT-1m.feather")
    same = pd.read_feather(runs["a"] / "ETH_USDT-1m.feather")
    assert len(other) == len(same) == SHORT_DAYS * 1440
    assert not np.allclose(other["close"], same["close"])


def test_a_noise_market_plants_nothing_and_keeps_the_texture(tmp_path: Path) -> None:
    """`--no-episodes`: the unplanted texture paths, no episode, any length (the noise market of
    the edge research: a strategy must mostly wait on it)."""
    from botpy_ext.synthetic.generator import texture_paths

    noise = generate_market(SEED, 10, START, episodes=False)  # shorter than the schedule needs
    assert noise.episodes == ()
    texture = texture_paths(SEED, 10, noise.start)
    for pair, candles in noise.candles.items():
        pd.testing.assert_frame_equal(candles, texture[pair].candles())
    write_market(noise, tmp_path)
    assert json.loads((tmp_path / "episodes.json").read_text())["episodes"] == []


def test_too_short_market_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        generate_market(SEED, 10)


def test_market_json_lists_pairs_sectors_and_ticks(info: dict) -> None:
    pairs = {p["pair"]: p for p in info["pairs"]}
    assert len(pairs) == 12 and pairs["BTC/USDT"]["sector"] == "Store of Value"
    assert {p for p, v in pairs.items() if v["sector"] == "L1"} == {
        "ETH/USDT",
        "SOL/USDT",
        "AVAX/USDT",
        "NEAR/USDT",
    }
    assert pairs["BTC/USDT"]["tick_size"] == 0.01 and pairs["SOL/USDT"]["tick_size"] == 0.01
    assert pairs["DOGE/USDT"]["tick_size"] == 1e-6 and pairs["XRP/USDT"]["tick_size"] == 1e-5
    assert (info["seed"], info["days"], info["start"]) == (SEED, DAYS, "2024-01-01T00:00:00Z")


def test_tick_size_keeps_five_significant_digits() -> None:
    assert [tick_size(p) for p in (42000, 2300, 100, 38, 3.5, 0.6, 0.09, 1e-7)] == [
        0.01,
        0.01,
        0.01,
        0.001,
        1e-4,
        1e-5,
        1e-6,
        1e-8,
    ]


def test_json_files_have_sorted_keys(market_dir: Path) -> None:
    for name in ("episodes.json", "market.json"):
        text = (market_dir / name).read_text()
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"


def test_candles_are_consistent(info: dict, load) -> None:
    start = pd.Timestamp(START, tz="UTC")
    for pair in (p["pair"] for p in info["pairs"]):
        df = load(pair, "1m")
        assert len(df) == DAYS * 1440 and df["date"].iloc[0] == start
        assert (df["date"].diff().iloc[1:] == MINUTE).all()
        assert (df["open"].iloc[1:].to_numpy() == df["close"].iloc[:-1].to_numpy()).all()
        tick = tick_size(df["open"].iloc[0])
        assert np.allclose(df["close"] / tick, np.round(df["close"] / tick), atol=1e-6)
        for timeframe, minutes in TIMEFRAMES.items():
            frame = load(pair, timeframe)
            assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
            assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
            assert (frame["volume"] > 0).all()
            assert frame.dtypes.drop("date").eq(np.float64).all()
            expected = resample(df, minutes)
            pd.testing.assert_frame_equal(frame, expected, check_dtype=False)


def test_texture_statistics_are_realistic(info: dict, load) -> None:
    for pair in (p["pair"] for p in info["pairs"]):
        stats = texture_stats(load(pair, "1m"))
        for name, (low, high) in REALISTIC_RANGES.items():
            assert low <= stats[name] <= high, (pair, name, stats[name])


def test_realistic_ranges_contain_the_real_pairs(real_data: Path) -> None:
    for path in sorted(real_data.glob("*_USDT-1m.feather")):
        stats = texture_stats(pd.read_feather(path))
        for name, (low, high) in REALISTIC_RANGES.items():
            assert low <= stats[name] <= high, (path.name, name, stats[name])


def test_alts_follow_btc(load) -> None:
    btc = np.diff(np.log(load("BTC/USDT", "1m")["close"].to_numpy()))
    eth = np.diff(np.log(load("ETH/USDT", "1m")["close"].to_numpy()))
    assert 0.5 < np.corrcoef(btc, eth)[0, 1] < 0.95


# ----------------------------------------------------------------------------- ground truth
def test_ground_truth_schedule(truth: dict, info: dict) -> None:
    assert (truth["version"], truth["seed"], truth["days"]) == (1, SEED, DAYS)
    kinds = [ep["kind"] for ep in truth["episodes"]]
    for kind in (
        "precision_breakout",
        "precision_bearish_5m",
        "momentum_continuation",
        "ignition",
        "whale",
        "btc_dump",
        "btc_dump_blocked_entry",
        "sector_cluster",
    ):
        assert kind in kinds
    assert kinds.count("precision_breakout") == 2
    start = at(truth["start"])
    pairs = {p["pair"] for p in info["pairs"]}
    for ep in truth["episodes"]:
        signal = at(ep["signal_time"])
        assert ep["pair"] in pairs and ep["signal_time"].endswith("Z")
        assert start + pd.Timedelta(days=12) <= signal <= start + pd.Timedelta(days=DAYS - 3)
        assert signal.hour >= 1  # never in the first minutes of a UTC day
        assert at(ep["window_start"]) <= signal <= at(ep["window_end"])
    ids = [ep["id"] for ep in truth["episodes"]]
    assert len(set(ids)) == len(ids)


def test_episodes_on_one_pair_are_a_day_apart(truth: dict) -> None:
    by_pair: dict[str, list[pd.Timestamp]] = {}
    for ep in truth["episodes"]:
        if ep["kind"] != "sector_cluster":
            by_pair.setdefault(ep["pair"], []).append(at(ep["signal_time"]))
    for times in by_pair.values():
        assert all(np.diff(sorted(times)) >= pd.Timedelta(days=1))


def test_entry_episodes_pass_trend_and_rsi(truth: dict, load) -> None:
    for ep in episodes(truth, *ENTRY_KINDS):
        check_guards_view(load, ep["pair"], at(ep["signal_time"]))


def test_no_btc_breaker_near_expected_entries(truth: dict, load) -> None:
    btc = load("BTC/USDT", "1m")
    fall = btc["close"] / btc["high"].rolling(5).max() - 1
    for ep in truth["episodes"]:
        if ep["expect"]["entry"] is not False and ep["expect"]["blocked_by"] != "btc_breaker":
            i = row(btc, at(ep["signal_time"]))
            assert fall.iloc[i - 35 : i + 1].min() > -0.015, ep["id"]


# ----------------------------------------------------------------------------- precision
def check_squeeze_and_trigger(load, ep: dict) -> tuple[pd.DataFrame, int, float]:
    """Squeeze, trigger and the 5m before it; returns 1m frame, trigger row, ATR(15m)."""
    pair, trigger = ep["pair"], at(ep["details"]["trigger_time"])
    df, m15 = load(pair, "1m"), load(pair, "15m")
    i = row(df, trigger)
    assert at(ep["signal_time"]) == trigger + 3 * MINUTE and trigger.minute % 15 == 1
    q = closed(m15, trigger - MINUTE, 15)
    assert m15["date"].iloc[q] == trigger - 16 * MINUTE
    middle = m15["close"].rolling(20).mean()
    width = 4 * m15["close"].rolling(20).std(ddof=0) / middle
    assert width.iloc[q] <= np.percentile(width.iloc[q - 49 : q + 1], 25)
    c = df.iloc[i]
    assert c["close"] > c["open"] and c["close"] > df["close"].iloc[i - 1]
    assert c["close"] > ema(df, 9)[i]
    assert c["high"] - c["close"] <= 0.10 * (c["high"] - c["low"])
    assert c["volume"] > 2.5 * df["volume"].iloc[i - 20 : i].mean()
    atr15 = atr(m15)[q]
    assert c["close"] <= ema(m15, 20)[q] + 3 * atr15
    m5 = load(pair, "5m")
    before = row(m5, trigger - 6 * MINUTE)
    assert m5["close"].iloc[before] > m5["open"].iloc[before]
    assert m5["close"].iloc[before] > m5["close"].iloc[before - 1] and delta(m5.iloc[before]) > 0
    return df, i, atr15


def five_minute_candle(load, pair: str, trigger: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    m5 = load(pair, "5m")
    return m5, row(m5, trigger - MINUTE)


def test_precision_breakouts(truth: dict, load) -> None:
    for ep in episodes(truth, "precision_breakout", "whale"):
        df, i, atr15 = check_squeeze_and_trigger(load, ep)
        share = hourly_share(df, i)
        if ep["kind"] == "whale":
            assert share >= 0.08 and ep["expect"]["blocked_by"] == "anti_whale"
        else:
            assert share <= 0.035 and ep["expect"]["entry"] is True
        assert ep["expect"]["entry_without_guards"] is True
        assert ep["expect"]["enter_tag"] == "precision"
        m5, k = five_minute_candle(load, ep["pair"], at(ep["details"]["trigger_time"]))
        assert m5["close"].iloc[k] - m5["open"].iloc[k] >= 0.5 * atr15
        assert m5["close"].iloc[k] > m5["close"].iloc[k - 1] and delta(m5.iloc[k]) > 0
        signal = row(df, at(ep["signal_time"]))
        end = row(df, at(ep["details"]["continuation_end"]))
        assert 60 <= end - signal <= 90
        assert 0.03 <= df["close"].iloc[end] / df["close"].iloc[signal] - 1 <= 0.05


def test_precision_bearish_5m_is_dropped(truth: dict, load) -> None:
    for ep in episodes(truth, "precision_bearish_5m"):
        df, i, atr15 = check_squeeze_and_trigger(load, ep)
        assert hourly_share(df, i) <= 0.035
        assert ep["expect"] == {
            "entry": False,
            "enter_tag": None,
            "blocked_by": None,
            "entry_without_guards": False,
            "max_entries": None,
        }
        m5, k = five_minute_candle(load, ep["pair"], at(ep["details"]["trigger_time"]))
        assert m5["close"].iloc[k] <= m5["open"].iloc[k] - 0.25 * atr15
        signal = row(df, at(ep["signal_time"]))
        after = df.iloc[signal + 1 : signal + 61]
        ratio = df["volume"] / df["volume"].rolling(20).mean().shift(1)
        assert ratio.iloc[signal + 1 : signal + 61].max() < 1.5  # no new trigger for an hour
        assert after["volume"].mean() < 0.75 * df["volume"].iloc[i - 1439 : i + 1].mean()
        assert after["close"].iloc[-1] <= df["close"].iloc[signal] * 1.005


def test_normal_precision_trigger_below_anti_whale(truth: dict, load) -> None:
    for ep in episodes(truth, "precision_breakout", "precision_bearish_5m"):
        df = load(ep["pair"], "1m")
        assert hourly_share(df, row(df, at(ep["details"]["trigger_time"]))) < 0.05


# ----------------------------------------------------------------------------- momentum
def check_momentum(load, ep: dict) -> None:
    pair, start = ep["pair"], at(ep["details"]["impulse_start"])
    assert at(ep["signal_time"]) == start + 19 * MINUTE and start.minute % 15 == 0
    m15, m5, df = load(pair, "15m"), load(pair, "5m"), load(pair, "1m")
    j = row(m15, start)
    imp = m15.iloc[j]
    body = imp["close"] - imp["open"]
    assert body > 0 and body >= 0.7 * (imp["high"] - imp["low"])
    assert body >= 1.5 * atr(m15)[j - 1]
    assert imp["volume"] >= 2.6 * m15["volume"].iloc[j - 20 : j].mean()
    k = row(m5, start + 15 * MINUTE)
    conf = m5.iloc[k]
    assert conf["close"] > conf["open"] and conf["close"] > imp["close"]
    assert conf["volume"] >= 1.5 * m5["volume"].iloc[k - 20 : k].mean()
    signal = row(df, at(ep["signal_time"]))
    assert hourly_share(df, signal) <= 0.035
    end = row(df, at(ep["details"]["continuation_end"]))
    assert 60 <= end - signal <= 120
    assert 0.02 <= df["close"].iloc[end] / df["close"].iloc[signal] - 1 <= 0.04


def test_momentum_continuations(truth: dict, load) -> None:
    for ep in episodes(truth, "momentum_continuation", "btc_dump_blocked_entry"):
        check_momentum(load, ep)
        assert ep["expect"]["enter_tag"] == "momentum"
        assert ep["expect"]["entry_without_guards"] is True


def test_btc_dump_blocks_the_alt_signal(truth: dict, load) -> None:
    (dump,) = episodes(truth, "btc_dump")
    (blocked,) = episodes(truth, "btc_dump_blocked_entry")
    btc = load("BTC/USDT", "1m")
    d = row(btc, at(dump["details"]["dump_start"]))
    move = btc["close"].iloc[d + 3] / btc["open"].iloc[d] - 1
    assert -0.026 <= move <= -0.022 and move <= -0.015  # more than 1.5 % within 5 minutes
    assert at(dump["details"]["dump_end"]) == btc["date"].iloc[d + 3] + MINUTE
    gap = at(blocked["signal_time"]) - at(dump["details"]["dump_end"])
    assert pd.Timedelta(minutes=5) <= gap <= pd.Timedelta(minutes=10)
    assert blocked["pair"] == "XRP/USDT" and blocked["expect"]["entry"] is False
    assert blocked["expect"]["blocked_by"] == "btc_breaker"
    # the alt kept its own path: it did not dump with BTC
    xrp = load("XRP/USDT", "1m")
    x = row(xrp, btc["date"].iloc[d])
    assert xrp["close"].iloc[x + 3] / xrp["open"].iloc[x] - 1 > 0


def test_sector_cluster_shares_signal_and_sector(truth: dict, info: dict, load) -> None:
    (cluster,) = episodes(truth, "sector_cluster")
    sectors = {p["pair"]: p["sector"] for p in info["pairs"]}
    pairs = cluster["details"]["pairs"]
    assert sorted(pairs) == ["AVAX/USDT", "NEAR/USDT", "SOL/USDT"]
    assert {sectors[p] for p in pairs} == {cluster["details"]["sector"]} == {"L1"}
    assert cluster["expect"]["max_entries"] == 1 and cluster["expect"]["blocked_by"] == "sector"
    members = [
        ep
        for ep in truth["episodes"]
        if ep["kind"] == "momentum_continuation" and ep["signal_time"] == cluster["signal_time"]
    ]
    assert sorted(m["pair"] for m in members) == sorted(pairs)
    for member in members:
        check_guards_view(load, member["pair"], at(member["signal_time"]))


# ----------------------------------------------------------------------------- ignition
def test_ignition_and_flash_exit(truth: dict, load) -> None:
    for ep in episodes(truth, "ignition"):
        df = load(ep["pair"], "1m")
        t = row(df, at(ep["signal_time"]))
        c = df.iloc[t]
        assert 0.06 <= c["close"] / c["open"] - 1 <= 0.07
        assert c["high"] - c["close"] <= 0.1 * (c["high"] - c["low"])
        vol = df["volume"]
        assert c["volume"] >= 14 * vol.iloc[t - 60 : t].mean()
        assert c["volume"] >= 14 * vol.iloc[t - 20 : t].mean()
        exit_row = row(df, at(ep["details"]["flash_exit_time"]))
        assert exit_row == t + 5
        for k in range(t + 1, exit_row):  # the trail is never hit before the exit candle
            highest = df["high"].iloc[t + 1 : k + 1].max()
            assert df["low"].iloc[k] > highest * (1 - 0.015)
            assert df["close"].iloc[k] > df["open"].iloc[k]
        assert df["high"].iloc[exit_row] <= highest
        assert df["low"].iloc[exit_row] <= highest * (1 - 0.025)
        assert ep["details"]["highest_high"] == pytest.approx(highest)


def test_a_dense_market_plants_the_whole_schedule_in_one_afternoon() -> None:
    from botpy_ext.synthetic.generator import DENSE_DAY, EXTRA_SCHEDULE, SCHEDULE, schedule

    planned = schedule(30, dense=True)
    assert [slot for slot, _ in planned] == list(SCHEDULE + EXTRA_SCHEDULE)
    assert {slot.kind: day for slot, day in planned if day != DENSE_DAY} == {
        "btc_dump": DENSE_DAY + 1}
    assert {day for _, day in schedule(75)} != {DENSE_DAY}  # the default spreads them out


def test_the_dense_window_holds_ten_signals_of_every_setup(tmp_path: Path) -> None:
    """The window `make parity` and the CI parity test replay (issue 14: at least 10 entry
    signals over several pairs and setups)."""
    from datetime import UTC, datetime

    from botpy_ext.parity.signals import window_signals

    write_market(generate_market(7, 30, dense=True), tmp_path)
    found = window_signals(tmp_path, datetime(2024, 1, 15, 13, 0, tzinfo=UTC),
                           datetime(2024, 1, 15, 16, 30, tzinfo=UTC))
    assert found["signal_candles"] >= 10 and found["pairs"] >= 5
    assert found["setups"] == ["ignition", "momentum", "precision"]
