"""The market scanner: its rows, what it keeps and in which order, its outputs, and
`freqtrade test-pairlist` with BotpyScannerPairList against the replaying simulator."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from botpy_ext.scanner.settings import ScannerSettings, available_parameters
from botpy_ext.scanner.state import (
    DOTS,
    TIMEFRAMES,
    ScanRow,
    document,
    kept,
    ranked,
    scan_pair,
    table,
    write_json,
)
from botpy_ext.setups.context import MARKET_4H
from botpy_ext.setups.engine import EngineSettings
from botpy_ext.simulator.timeframes import INTERVAL_MS
from tests.helpers import BIN, REPO, freqtrade, freqtrade_env, overlay_config, running_simulators

SCANNER = {"method": "BotpyScannerPairList"}
PAIRLISTS = [{"method": "StaticPairList"}, SCANNER]


def row(pair: str, score: float, signal: str = "", qualified: str = "") -> ScanRow:
    return ScanRow(pair=pair, candle="2024-01-01T00:00:00Z", price=1.0, signal=signal,
                   profile="sniper", qualified=qualified, score=score,
                   dots=dict.fromkeys(DOTS, False), trend_4h=False, trend_margin_4h=-1.0,
                   rsi_1h=50.0, adx_15m=20.0, atr_pct_15m=0.5)


# ------------------------------------------------------------------ ranking and keeping
class TestKept:
    rows = [row("A/USDT", 90), row("B/USDT", 40, signal="ignition"), row("C/USDT", 30,
            qualified="precision"), row("D/USDT", 59.9), row("E/USDT", 60), row("F/USDT", 90)]

    def test_signal_first_then_score_then_name(self):
        assert [r.pair for r in ranked(self.rows)] == [
            "B/USDT", "A/USDT", "F/USDT", "E/USDT", "D/USDT", "C/USDT"]

    def test_fired_or_qualified_kept_whatever_the_score_others_from_min_score(self):
        assert kept(self.rows, 60, 10) == ["B/USDT", "A/USDT", "F/USDT", "E/USDT", "C/USDT"]
        assert kept(self.rows, 95, 10) == ["B/USDT", "C/USDT"]
        assert kept(self.rows, 0, 10) == [r.pair for r in ranked(self.rows)]

    def test_at_most_number_assets(self):
        assert kept(self.rows, 60, 2) == ["B/USDT", "A/USDT"]


# ------------------------------------------------------------------ one pair's row
def closed_by(frame: pd.DataFrame, timeframe: str, moment: pd.Timestamp) -> pd.DataFrame:
    """The candles of `frame` closed at `moment` (what an exchange serves then, complete)."""
    length = pd.Timedelta(milliseconds=INTERVAL_MS[timeframe])
    return frame[frame["date"] + length <= moment].reset_index(drop=True)


def market_at(market: Path, pair: str, moment: pd.Timestamp) -> dict[str, pd.DataFrame]:
    name = pair.replace("/", "_")
    frames = {tf: closed_by(pd.read_feather(market / f"{name}-{tf}.feather"), tf, moment)
              for tf in TIMEFRAMES}
    frames[MARKET_4H] = closed_by(pd.read_feather(market / "BTC_USDT-4h.feather"), "4h", moment)
    return frames


def episode(market: Path, episode_id: str) -> dict:
    episodes = json.loads((market / "episodes.json").read_text())["episodes"]
    return next(e for e in episodes if e["id"] == episode_id)


@pytest.mark.parametrize("episode_id", ["precision_breakout-1", "momentum_continuation-1",
                                        "ignition-1"])
def test_row_of_a_planted_setup_at_its_signal_candle(synthetic_market, episode_id):
    planted = episode(synthetic_market, episode_id)
    signal_time = pd.Timestamp(planted["signal_time"])
    candles = market_at(synthetic_market, planted["pair"], signal_time + pd.Timedelta(minutes=1))
    scanned = scan_pair(planted["pair"], candles, EngineSettings())
    assert scanned.candle == planted["signal_time"]
    assert scanned.signal == planted["expect"]["enter_tag"]
    assert scanned.price == candles["1m"]["close"].iloc[-1]
    before = scan_pair(planted["pair"], market_at(synthetic_market, planted["pair"], signal_time),
                       EngineSettings())
    assert before.signal == ""  # one candle earlier nothing has fired yet


def test_row_needs_every_timeframe(synthetic_market):
    candles = market_at(synthetic_market, "ETH/USDT", pd.Timestamp("2024-02-01T00:00Z"))
    assert scan_pair("ETH/USDT", candles, EngineSettings()) is not None
    assert scan_pair("ETH/USDT", {**candles, "4h": candles["4h"].iloc[:0]}, EngineSettings()) \
        is None
    assert scan_pair("ETH/USDT", {k: v for k, v in candles.items() if k != "15m"},
                     EngineSettings()) is None


# ------------------------------------------------------------------ outputs
def test_table_and_json_hold_the_same_ranked_rows(tmp_path):
    rows = [row("A/USDT", 90), replace(row("B/USDT", 40, signal="ignition"), trend_4h=True,
                                       dots={**dict.fromkeys(DOTS, False), "trend": True})]
    whitelist = kept(rows, 60, 10)
    lines = table(rows, whitelist).splitlines()
    assert lines[2].startswith("*  🚀") and "B/USDT" in lines[2] and "●○○○○○○○○○" in lines[2]
    assert lines[3].startswith("*  ·") and "A/USDT" in lines[3] and "▼" in lines[3]
    doc = document(rows, whitelist, scanned_at=pd.Timestamp("2024-01-01T00:00Z").to_pydatetime(),
                   refresh_period=60, min_score=60, number_assets=10)
    path = tmp_path / "out" / "scanner.json"
    write_json(path, doc)
    stored = json.loads(path.read_text())
    assert [r["pair"] for r in stored["rows"]] == ["B/USDT", "A/USDT"]
    assert stored["rows"][0]["icon"] == "🚀" and stored["rows"][0]["kept"] is True
    assert stored["whitelist"] == whitelist and stored["dots"] == list(DOTS)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left


def test_every_parameter_is_offered_to_frequi_with_its_declared_default():
    offered = available_parameters()
    assert offered["number_assets"] == {
        "type": "number", "default": 20, "description": "Number assets",
        "help": offered["number_assets"]["help"]}
    assert offered["log_table"]["type"] == "boolean"
    assert offered["json_path"]["type"] == "string"
    assert set(offered) == set(ScannerSettings.__dataclass_fields__)


def test_docs_show_the_declared_parameters():
    from botpy_ext.scanner.settings import markdown_table

    assert markdown_table() in (REPO / "docs" / "scanner.md").read_text()


# ------------------------------------------------------------------ freqtrade test-pairlist
def scanner_config(directory: Path, base_url: str, **scanner) -> Path:
    """base.json on the simulator, every pair it lists, then the scanner."""
    directory.mkdir(exist_ok=True)
    return overlay_config(directory, "base", base_url, pairs=[".*/USDT"],
                          pairlists=[{"method": "StaticPairList"}, SCANNER | scanner])


def test_pairlist_refuses_an_out_of_range_value(tmp_path, userdir):
    config = scanner_config(tmp_path, "http://127.0.0.1:9", min_score=120)
    result = freqtrade("test-pairlist", "-c", str(config), "--userdir", str(userdir))
    assert result.returncode != 0
    assert "Invalid config: pairlists[1].min_score must be in [0, 100], got 120" in (
        result.stdout + result.stderr)


# The episodes whose setup is valid (guards aside: the scanner does not apply guards).
RANKED_EPISODES = ("precision_breakout-1", "momentum_continuation-1", "ignition-1",
                   "sector_cluster-1", "precision_breakout-2")
PAIR_LINE = re.compile(r"^\s*(\*?)\s+(\S+)\s+([A-Z0-9]+/USDT)\s", re.M)


def test_test_pairlist_ranks_each_planted_setup_first_at_its_time(synthetic_market, tmp_path,
                                                                  userdir):
    """One simulator per episode, frozen when the episode's signal candle has just closed."""
    every = json.loads((synthetic_market / "episodes.json").read_text())["episodes"]
    planted = [episode(synthetic_market, name) for name in RANKED_EPISODES]
    starts = [(pd.Timestamp(item["signal_time"]) + pd.Timedelta(seconds=90)).isoformat()
              for item in planted]
    with running_simulators(synthetic_market, [["--clock", "frozen", "--start", start]
                                               for start in starts]) as bases:
        runs = []
        for item, base in zip(planted, bases, strict=True):
            json_path = tmp_path / item["id"] / "scanner.json"
            config = scanner_config(tmp_path / item["id"], base, json_path=str(json_path))
            runs.append((item, json_path, subprocess.Popen(
                [str(BIN / "freqtrade"), "test-pairlist", "-c", str(config), "--userdir",
                 str(userdir), "--print-json"],
                cwd=REPO, env=freqtrade_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)))
        outputs = [(item, path, *proc.communicate(timeout=120)) for item, path, proc in runs]
    for item, json_path, stdout, stderr in outputs:
        whitelist = json.loads(stdout.strip().splitlines()[-1])
        scanned = PAIR_LINE.findall(stderr)
        assert scanned, stderr[-2000:]
        fired = [pair for _, icon, pair in scanned if icon != "·"]
        together = {e["pair"] for e in every
                    if e["signal_time"] == item["signal_time"] and e["expect"]["enter_tag"]}
        assert whitelist[0] in together, (item["id"], stderr[-3000:])
        assert set(fired) == together, (item["id"], fired)
        assert set(whitelist[:len(together)]) == together
        # the JSON holds the rows of the log table, in the same order
        stored = json.loads(json_path.read_text())
        shift = pd.Timestamp(stored["rows"][0]["candle"]) - pd.Timestamp(item["signal_time"])
        assert shift % pd.Timedelta(hours=4) == pd.Timedelta(0)  # the signal candle, shifted
        assert [r["pair"] for r in stored["rows"]] == [pair for _, _, pair in scanned]
        assert stored["whitelist"] == whitelist


def test_the_same_pairs_in_another_order_are_not_rescanned():
    """A ShuffleFilter before the scanner reorders its input on every bot loop: that alone must
    not start a scan (the refresh period would mean nothing)."""
    import time
    from types import SimpleNamespace

    from botpy_ext.scanner.pairlist import ScannerPairList

    scanned = SimpleNamespace(refresh_period=60, _scanned_at=time.monotonic(),
                              _scanned=frozenset({"ETH/USDT", "SOL/USDT"}))
    due = ScannerPairList.due
    assert not due(scanned, ["SOL/USDT", "ETH/USDT"])
    assert due(scanned, ["SOL/USDT", "ETH/USDT", "ADA/USDT"])  # another list
    scanned._scanned_at -= 61
    assert due(scanned, ["ETH/USDT", "SOL/USDT"])  # the refresh period is over
