"""The README's main job, `botpy demo`, on a copy of the user directory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from tests.helpers import BIN, CONFIG_DIR, STRATEGIES, freqtrade_env


def test_demo_generates_serves_and_backtests_the_market(tmp_path):
    userdir = tmp_path / "user_data"
    shutil.copytree(CONFIG_DIR, userdir / "config")
    shutil.copytree(STRATEGIES, userdir / "strategies")
    env = freqtrade_env()  # freqtrade's own logging on: the guards' log lines are checked
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(userdir), "demo"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    market = json.loads((userdir / "data" / "synthetic" / "market.json").read_text())
    pairs = sorted(p["pair"] for p in market["pairs"])
    # freqtrade's test-pairlist printed exactly the synthetic market's pairs, loaded from the
    # simulator's exchangeInfo
    assert f"{pairs}".replace('"', "'") in result.stdout
    assert (userdir / "logs" / "simulator.log").exists()
    # then backtested BotpyStrategy on it: the report's per-tag table shows setups and profiles.
    # (Not Ignition: its one planted candle finds DOGE/USDT in a Precision trade opened hours
    # before under the wide default stop, one trade per pair; tests/test_backtest_trades.py
    # checks the planted Ignition on a run that starts flat.)
    report = result.stdout[result.stdout.index("ENTER TAG STATS"):]
    for tag in ("precision:", "momentum:"):
        assert tag in report
    # and closed with the result next to buy & hold of the same pairs and days
    assert re.search(r"BOTPY demo, synthetic market .*: BotpyStrategy [+-]\d+\.\d\d % in \d+ "
                     r"trades .*buy & hold of the same 12 pairs, equal weight: [+-]\d+\.\d\d %",
                     result.stdout), result.stdout[-2000:]
    # every guard on by default (Fear & Greed from the market's history): they refuse entries,
    # and no callback failed (freqtrade logs a failing callback and carries on)
    log = result.stdout + result.stderr
    assert "Unexpected error" not in log, log[log.find("Unexpected error") - 500:][:3000]
    # the refusals are summed up per guard at the end of the backtest, not logged one by one
    assert "Entry refused" not in log
    assert re.search(r"BOTPY guards: \d+ entry signal\(s\) refused", log)
    summary = result.stdout[result.stdout.index("BOTPY demo, synthetic market"):]
    refused = re.search(r"guard refusals: (.*)", summary).group(1)
    for guard in ("losing_streak", "anti_whale", "sector"):
        assert re.search(rf"\b{guard} \d+", refused), (guard, refused)
        assert re.search(rf"  {guard}: \d+ refused, ", log), guard
    assert re.search(r"per setup: +precision \d+ trades [+-]\d+\.\d\d %", summary)
    assert re.search(r"exits: +.*initial_stop \d+", summary)
    assert "botpy trade virtual" in summary and "botpy evaluate" in summary
