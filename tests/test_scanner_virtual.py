"""Virtual mode with the scanner pairlist (`freqtrade trade` against the replaying simulator):
the whitelist the REST API serves follows the replay, and `botpy dashboard` shows the scanner in
headless Chromium and exports the closed trades as CSV."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time

import pytest
import requests

from botpy_ext.dashboard.history import CSV_COLUMNS
from tests.browser import Browser, chromium_binary
from tests.helpers import (
    BIN,
    GUARDS_OFF,
    REPO,
    TEST_SECRETS,
    TradingBot,
    answers,
    free_port,
    overlay_config,
    running_simulator,
    wait_until,
)

IGNITION_PAIR = "DOGE/USDT"  # ignition-1 of the synthetic market: signal candle 13:30
REPLAY_START = "2024-01-26T13:29:30"  # the replay begins 0.5-1.5 min before that candle
SCREENSHOT = REPO / "docs" / "img" / "scanner-view.png"


@pytest.fixture(scope="module")
def scanner_bot(synthetic_market, tmp_path_factory, userdir):
    tmp = tmp_path_factory.mktemp("scanner-virtual")
    port = free_port()
    with running_simulator(synthetic_market, "--clock", "replay", "--start", REPLAY_START,
                           log=tmp / "sim.log") as base:
        config = overlay_config(
            tmp, "virtual", base, pairs=[".*/USDT"], guards=GUARDS_OFF,
            pairlists=[{"method": "StaticPairList"},
                       {"method": "BotpyScannerPairList", "refresh_period": 10,
                        "number_assets": 5, "json_path": str(tmp / "scanner.json")}],
            db_url=f"sqlite:///{tmp / 'scanner.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port})
        bot = TradingBot(config, userdir, port, tmp / "bot.log", IGNITION_PAIR)
        try:
            bot.start()
            bot.tmp = tmp
            yield bot
        finally:
            bot.stop()


def test_whitelist_follows_the_replay(scanner_bot):
    seen: list[list[str]] = []

    def ignition_ranked_first() -> bool:
        whitelist = scanner_bot.get("whitelist").json()["whitelist"]
        if not seen or seen[-1] != whitelist:
            seen.append(whitelist)
        return bool(whitelist) and whitelist[0] == IGNITION_PAIR

    wait_until(ignition_ranked_first, 240, interval=2)
    assert len(seen) >= 2 and IGNITION_PAIR not in seen[0], seen
    log = scanner_bot.log.read_text()
    assert "Using resolved pairlist BotpyScannerPairList" in log
    assert "BotpyScannerPairList:" in log and "🚀" in log


@pytest.fixture(scope="module")
def dashboard(scanner_bot):
    """`botpy dashboard` next to the bot, after one trade went in and out."""
    # a pair of the whitelist, once analysed: the strategy refuses an entry on a pair it has
    # not analysed (no ATR to place the stop from), so the first tries may be refused
    # (a pair with an open trade would take the order as a scale-in of that trade)
    # not the ignition pair either: its own signal can enter it in the loop that takes the forced
    # entry, and freqtrade's API thread and bot loop then open two trades of one pair
    trading = {trade["pair"] for trade in scanner_bot.get("status").json()} | {IGNITION_PAIR}
    pair = next(p for p in scanner_bot.get("whitelist").json()["whitelist"] if p not in trading)
    tries = []

    def entered() -> bool:
        tries.append(scanner_bot.post("forceenter", {"pair": pair, "ordertype": "market",
                                                     "entry_tag": "momentum:sniper"}))
        return tries[-1].ok

    wait_until(entered, 90, interval=5)
    trade_id = tries[-1].json()["trade_id"]
    wait_until(lambda: not scanner_bot.get(f"trade/{trade_id}").json()["has_open_orders"], 60)
    assert scanner_bot.post("forceexit", {"tradeid": str(trade_id), "ordertype": "market"}).ok
    wait_until(lambda: any(t["trade_id"] == trade_id
                           for t in scanner_bot.get("trades").json()["trades"]), 60)
    scanner_bot.forced = (trade_id, pair)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    proc = subprocess.Popen(
        [str(BIN / "botpy"), "--userdir", str(scanner_bot.tmp), "dashboard",
         "--api", f"http://127.0.0.1:{scanner_bot.port}", "--port", str(port),
         "--scanner-json", str(scanner_bot.tmp / "scanner.json")],
        env=env | TEST_SECRETS, stdout=subprocess.DEVNULL,
        stderr=(scanner_bot.tmp / "dashboard.log").open("w"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is not None or answers(url), 60)
        assert proc.poll() is None, (scanner_bot.tmp / "dashboard.log").read_text()
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_history_csv_has_the_closed_trade_with_setup_and_profile(dashboard, scanner_bot):
    answer = requests.get(f"{dashboard}/history.csv", timeout=30)
    assert answer.ok and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    closed = scanner_bot.get("trades").json()
    assert len(rows) == closed["total_trades"]
    trade_id, pair = scanner_bot.forced
    forced = next(r for r in rows if r["trade_id"] == str(trade_id))
    assert (forced["pair"], forced["setup"], forced["profile"], forced["exit_reason"]) == (
        pair, "momentum", "sniper", "force_exit")
    assert float(forced["stake_amount"]) > 0 and forced["close_date"]
    assert 0 < float(forced["fees"]) < 0.01 * float(forced["stake_amount"])  # 0.1 % a side


ROWS = "[...document.querySelectorAll('#scanner tbody tr')]"


@pytest.mark.skipif(chromium_binary() is None,
                    reason="Debian's chromium package is not installed (apt-get install chromium)")
def test_scanner_view_in_headless_chromium(dashboard, tmp_path):
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(dashboard)
        browser.wait_for("document.body.dataset.loaded === 'true'")
        pairs = browser.evaluate(f"{ROWS}.map(r => r.dataset.pair)")
        scanned = requests.get(f"{dashboard}/scanner.json", timeout=10).json()
        assert pairs == [row["pair"] for row in scanned["rows"]]  # the scanner's ranking
        assert browser.evaluate("getComputedStyle(document.body).backgroundColor") == \
            "rgb(12, 14, 18)"
        assert "in bot" in browser.evaluate("document.querySelector('#scanner').innerText")
        browser.evaluate("document.querySelector('th[data-sort=score]').click()")
        scores = browser.evaluate(
            f"{ROWS}.map(r => parseFloat(r.querySelector('[data-key=score]').innerText))")
        assert len(scores) == len(pairs) and scores == sorted(scores, reverse=True)
        assert browser.evaluate("document.querySelector('th.sorted').dataset.sort") == "score"
        time.sleep(0.5)
        shot = tmp_path / "scanner-view.png"
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        if os.environ.get("BOTPY_UPDATE_SCREENSHOT"):  # the docs' picture: sorted by score
            SCREENSHOT.parent.mkdir(exist_ok=True)
            SCREENSHOT.write_bytes(shot.read_bytes())
        browser.evaluate("document.querySelector('th[data-sort=score]').click()")
        again = browser.evaluate(
            f"{ROWS}.map(r => parseFloat(r.querySelector('[data-key=score]').innerText))")
        assert again == sorted(scores)  # second click: ascending
        # the replay moves on: a new 1m candle changes prices, the changed cells flash
        browser.wait_for("document.querySelector('td.flash-up, td.flash-down') !== null", 150)
    finally:
        browser.close()
