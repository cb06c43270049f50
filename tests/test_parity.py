"""`botpy parity` on a short window of the dense synthetic market: a Virtual-mode bot on the
replayed market (real `freqtrade trade` on a fake clock 15x real time) against `freqtrade
backtesting` of the same hour. Fails when parity drops below the issue's targets."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from botpy_ext.parity.compare import Summary, Targets
from botpy_ext.synthetic import generate_market, write_market
from tests.helpers import BIN, REPO

# the dense market's afternoon: ignition (DOGE 13:30) and Precision breakouts (OP 13:49, LINK
# 14:19 -> its entry at the window's end); other signals come from the texture
WINDOW = ("2024-01-15T13:20", 1.0)
SPEED = 15  # one hour in four minutes


@pytest.fixture(scope="module")
def dense_market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dense")
    write_market(generate_market(7, 30, dense=True), out)
    return out


@pytest.fixture(scope="module")
def report(dense_market: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    assert shutil.which("faketime"), "Debian's faketime package is not installed " \
        "(apt-get install faketime)"
    out = tmp_path_factory.mktemp("parity")
    start, hours = WINDOW
    done = subprocess.run(
        [str(BIN / "botpy"), "parity", "--datadir", str(dense_market), "--start", start,
         "--hours", str(hours), "--speed", str(SPEED), "--out", str(out), "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    path = out / "report.json"
    assert path.exists(), (done.stdout + done.stderr)[-4000:]
    result = json.loads(path.read_text())
    result["console"] = done.stdout + done.stderr
    result["returncode"] = done.returncode
    return result


def test_virtual_mode_trades_what_the_backtest_trades(report: dict) -> None:
    summary = Summary(**report["summary"])
    assert Targets().failures(summary) == [], report["console"][-4000:]
    assert report["returncode"] == 0  # --check agrees
    assert summary.trades_backtest >= 2 and summary.trades_virtual >= 2  # not an empty window


def test_every_order_the_bot_placed_is_in_its_database_in_a_final_state(report: dict) -> None:
    assert report["integrity"]["intact"], report["integrity"]
    assert report["integrity"]["orders"] >= 2
    assert report["virtual"]["left_open"] == []
