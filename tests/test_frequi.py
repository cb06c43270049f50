"""FreqUI with BOTPY: `botpy install-ui` puts a FreqUI build where freqtrade serves it; in
headless Chromium, against a Virtual-mode `freqtrade trade` bot with a forced Precision trade
and a tripped sector guard, FreqUI shows the trade's setup tag, the guard's lock with its reason
and the strategy's plot config with its subplots. The same bot's guard trip reaches the API's
message websocket as a `strategy_msg` (the path Telegram's strategy messages take)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from freqtrade.commands.deploy_ui import read_ui_version
from websockets.sync.client import connect

from botpy_ext.cli import LaunchError, main
from botpy_ext.frequi import find_default_build, install_build, served_ui_dir
from botpy_ext.scanner.plot import PLOT_CONFIG
from botpy_ext.secrets import read_env_file
from tests.browser import Browser
from tests.helpers import (
    BIN,
    GUARDS_OFF,
    REPO,
    TradingBot,
    free_port,
    freqtrade_env,
    overlay_config,
    running_simulator,
    wait_until,
)

SHARED_BUILD = (REPO.parent / "shared" / "frequi").resolve()
SCREENSHOTS = REPO / "docs" / "img"
REPLAY_START = "2024-02-05T10:00"  # a quiet hour of the synthetic market
TRADE_PAIR, LOCKED_PAIR = "SOL/USDT", "AVAX/USDT"  # both in sector L1 (user_data/config)
ENTRY_TAG = "precision:sniper"
SECTOR_REASON = (f"sector: {LOCKED_PAIR}: sector L1 already holds 1 open trade(s) "
                 f"({TRADE_PAIR}; max 1)")


# ---- botpy install-ui: hand-built builds into a temporary target ----------------------------

def hand_built_ui(folder: Path) -> Path:
    """A minimal FreqUI build as the shared one is laid out, read-only like it."""
    (folder / "assets").mkdir(parents=True)
    files = {"index.html": "<html>ui</html>", "assets/app.js": "app()",
             "README.md": "notes", "LICENSE": "GPL"}
    for name, text in files.items():
        (folder / name).write_text(text)
        (folder / name).chmod(stat.S_IRUSR)
    (folder / "assets").chmod(stat.S_IRUSR | stat.S_IXUSR)
    return folder


def served_target(tmp_path: Path) -> Path:
    """A stand-in for freqtrade's `ui/installed/`: freqtrade's own files and a stale build."""
    target = tmp_path / "installed"
    (target / "assets").mkdir(parents=True)
    for name in (".gitkeep", "fallback_file.html", "assets/old.js", "stale.html"):
        (target / name).write_text("old")
    return target


def installed_files(target: Path) -> set[str]:
    return {str(path.relative_to(target)) for path in target.rglob("*") if path.is_file()}


def test_install_from_a_folder_replaces_the_build_and_skips_readme_and_license(tmp_path):
    target = served_target(tmp_path)
    source = hand_built_ui(tmp_path / "build")
    assert install_build(source, target) == 2
    assert installed_files(target) == {".gitkeep", "fallback_file.html", ".uiversion",
                                       "index.html", "assets/app.js"}
    assert (target / "assets" / "app.js").read_text() == "app()"
    assert read_ui_version(target) == f"local build {source.resolve()}"
    # copies writable by their owner, unlike the read-only source: a later install can remove them
    assert all(path.stat().st_mode & stat.S_IWUSR for path in target.rglob("*"))
    install_build(source, target)  # installing again over a read-only-sourced build works
    assert (target / "index.html").read_text() == "<html>ui</html>"


def test_install_from_a_zip_with_a_top_folder(tmp_path):
    target = served_target(tmp_path)
    archive = tmp_path / "frequi.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("dist/index.html", "<html>zipped</html>")
        zipped.writestr("dist/assets/app.js", "app()")
        zipped.writestr("dist/.uiversion", "2.9.9")
    assert install_build(archive, target) == 2
    assert installed_files(target) == {".gitkeep", "fallback_file.html", ".uiversion",
                                       "index.html", "assets/app.js"}
    assert (target / "index.html").read_text() == "<html>zipped</html>"
    assert read_ui_version(target) == "2.9.9"  # the build's own version is kept


def test_a_missing_path_is_an_error_naming_it(tmp_path):
    target = served_target(tmp_path)
    missing = tmp_path / "no-such-build"
    with pytest.raises(LaunchError, match=f"FreqUI build {missing} not found"):
        install_build(missing, target)
    assert "stale.html" in installed_files(target)  # nothing removed
    # the CLI's answer: status 2 before freqtrade's folder is touched
    assert main(["install-ui", "--from", str(missing)]) == 2


@pytest.mark.parametrize("content", ["folder", "not-a-zip"])
def test_a_source_without_index_html_is_refused_before_anything_is_removed(tmp_path, content):
    target = served_target(tmp_path)
    source = tmp_path / "source"
    if content == "folder":
        (source / "assets").mkdir(parents=True)
        (source / "assets" / "app.js").write_text("app()")
        expected = f"{source} is not a FreqUI build: no index.html in it"
    else:
        source.write_text("plain text")
        expected = f"{source} is neither a folder nor a zip file"
    with pytest.raises(LaunchError, match=expected):
        install_build(source, target)
    assert "stale.html" in installed_files(target)


# ---- botpy install-ui: the shared build into freqtrade's real folder ------------------------

@pytest.fixture(scope="module")
def installed_ui() -> Path:
    """`botpy install-ui` (the real CLI, default source): the shared build where freqtrade
    serves it; the browser tests need it there."""
    assert find_default_build() == SHARED_BUILD, f"FreqUI build expected in {SHARED_BUILD}"
    result = subprocess.run([str(BIN / "botpy"), "install-ui"], cwd=REPO, env=freqtrade_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return served_ui_dir()


def test_install_ui_installs_the_shared_build_where_freqtrade_serves_it(installed_ui):
    shared = installed_files(SHARED_BUILD) - {"README.md", "LICENSE"}
    assert installed_files(installed_ui) - {".gitkeep", "fallback_file.html", ".uiversion"} \
        == shared
    assert (installed_ui / "index.html").read_bytes() == (SHARED_BUILD / "index.html").read_bytes()
    assert read_ui_version(installed_ui) == f"local build {SHARED_BUILD}"


# ---- a Virtual bot with a Precision trade, logged in with generated secrets -----------------

def generated_secrets(userdir: Path) -> dict[str, str]:
    """`botpy secrets` with none in the environment: generates them into `.secrets.env`."""
    result = subprocess.run([str(BIN / "botpy"), "--userdir", str(userdir), "secrets"],
                            env=freqtrade_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "created" in result.stdout, result.stdout + result.stderr
    return read_env_file(userdir / ".secrets.env")


def force_entry(bot: TradingBot, pair: str) -> requests.Response:
    return bot.post("forceenter", {"pair": pair, "entry_tag": ENTRY_TAG, "ordertype": "market"})


@pytest.fixture(scope="module")
def frequi_bot(installed_ui, synthetic_market, tmp_path_factory, userdir):
    """A Virtual bot (sector guard only) holding a forced Precision trade in TRADE_PAIR."""
    tmp = tmp_path_factory.mktemp("frequi")
    port = free_port()
    with running_simulator(synthetic_market, "--clock", "replay", "--start", REPLAY_START,
                           log=tmp / "sim.log") as base:
        config = overlay_config(
            tmp, "virtual", base, pairs=[TRADE_PAIR, LOCKED_PAIR, "BTC/USDT"],
            guards=GUARDS_OFF | {"sector": {"enabled": True}},
            db_url=f"sqlite:///{tmp / 'frequi.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port})
        bot = TradingBot(config, userdir, port, tmp / "bot.log", TRADE_PAIR,
                         secrets=generated_secrets(tmp))
        bot.last_trip = None  # see `trip_sector_guard`
        try:
            bot.start()
            wait_until(lambda: bot.last_candle() is not None, 180, interval=2)
            assert force_entry(bot, TRADE_PAIR).ok
            wait_until(lambda: bot.open_trade() is not None, 120, interval=1)
            yield bot
        finally:
            bot.stop()


def trip_sector_guard(bot: TradingBot) -> None:
    """A second L1 entry: the sector guard refuses it and locks the pair until the next candle,
    where the guards look again. Tripped in a minute's first seconds, the lock holds for about
    a minute, long enough for the page to show it (freqtrade keeps one lock per reason and end
    time)."""
    if time.time() % 60 > 5:
        time.sleep(60 - time.time() % 60 + 0.5)
    tripped = bot.last_trip = time.time()
    assert not force_entry(bot, LOCKED_PAIR).ok
    minute_end = (tripped // 60 + 1) * 60
    wait_until(lambda: any(lock["pair"] == LOCKED_PAIR
                           and lock["lock_end_timestamp"] / 1000 == minute_end
                           for lock in bot.get("locks").json()["locks"]), 30, interval=0.5)


# ---- strategy messages on the API's message websocket ----------------------------------------

def receive(socket, message_type: str, timeout: float) -> dict:
    """The next message of `message_type` on the websocket."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
        if message.get("type") == message_type:
            return message


def wait_for_a_new_minute_after_a_trip(bot: TradingBot) -> None:
    """freqtrade sends an identical strategy message once per candle (`dp.send_msg`: a cache
    cleared on the wall clock's full minutes): after a trip in this minute, wait for the next."""
    if bot.last_trip is not None and bot.last_trip // 60 == time.time() // 60:
        time.sleep(60 - time.time() % 60 + 0.5)


def test_a_guard_trip_reaches_the_message_websocket_as_strategy_msg(frequi_bot):
    token = frequi_bot.secrets["FREQTRADE__API_SERVER__WS_TOKEN"]
    url = f"ws://127.0.0.1:{frequi_bot.port}/api/v1/message/ws?token={token}"
    with connect(url) as socket:
        socket.send(json.dumps({"type": "subscribe", "data": ["strategy_msg"]}))
        # requests are handled in order: once the whitelist answers, the subscription is set
        socket.send(json.dumps({"type": "whitelist"}))
        assert receive(socket, "whitelist", 30)["data"] == [TRADE_PAIR, LOCKED_PAIR, "BTC/USDT"]
        wait_for_a_new_minute_after_a_trip(frequi_bot)
        trip_sector_guard(frequi_bot)
        message = receive(socket, "strategy_msg", 60)
    assert message == {"type": "strategy_msg", "msg": f"\U0001f6e1 BOTPY guard `{SECTOR_REASON}`"}


# ---- FreqUI in headless Chromium -------------------------------------------------------------

def click(browser: Browser, element: str) -> None:
    """A mouse click in the middle of the element the JavaScript `element` returns (FreqUI's
    tabs react to pointer events, not to `element.click()`)."""
    x, y = browser.evaluate(f"""(() => {{ const e = {element};
        e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
    for event in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", type=event, x=x, y=y, button="left",
                     clickCount=1)


def type_into(browser: Browser, selector: str, text: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
    browser.call("Input.insertText", text=text)


def log_in(browser: Browser, bot: TradingBot) -> None:
    """FreqUI's login form: the API URL is prefilled with the page's origin."""
    browser.open(f"http://127.0.0.1:{bot.port}/login")
    browser.wait_for("document.querySelector('#url-input')")
    type_into(browser, "input[placeholder=Freqtrader]", bot.login[0])  # the username field
    type_into(browser, "input[type=password]", bot.login[1])
    click(browser, "document.querySelector('button[type=submit]')")
    browser.wait_for("location.pathname !== '/login'")


def button(label: str) -> str:
    return f"[...document.querySelectorAll('button')].find(b => b.innerText.trim() === '{label}')"


def screenshot(browser: Browser, tmp_path: Path, name: str) -> None:
    """Into tmp; into the docs too with BOTPY_UPDATE_SCREENSHOT=1 (docs/frequi.md shows them)."""
    shot = tmp_path / name
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if os.environ.get("BOTPY_UPDATE_SCREENSHOT"):
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / name).write_bytes(shot.read_bytes())


TRADE_ROW = ("[...document.querySelectorAll('tbody tr')]"
             f".find(r => r.innerText.includes('{TRADE_PAIR}'))")
LOCK_ROWS = ("[...document.querySelectorAll('[role=tabpanel][id$=content-pair-locks] tbody tr')]"
             ".map(r => [...r.cells].map(c => c.innerText.trim()))")


def detail_value(label: str) -> str:
    """The value next to `label` in FreqUI's trade detail."""
    return (f"[...document.querySelectorAll('label')].find(e => e.innerText === '{label}')"
            "?.parentElement.nextElementSibling?.innerText")


def select_trade(browser: Browser, attempts: int = 6) -> None:
    """Click the trade's row until the Trade Detail panel shows it: FreqUI re-renders the table
    when its periodic refresh answers, and a click during that re-render is lost."""
    shown = f"{detail_value('Pair')} === '{TRADE_PAIR}'"
    for _ in range(attempts):
        click(browser, TRADE_ROW)
        try:
            browser.wait_for(shown, timeout=5)
            return
        except AssertionError:
            continue
    browser.wait_for(shown, timeout=1)  # fails with the expression in the message


@contextmanager
def frequi_page(bot: TradingBot, tmp_path: Path, page: str, height: int) -> Iterator[Browser]:
    """Headless Chromium logged in to FreqUI, on `page` (e.g. "trade"); closed afterwards."""
    browser = Browser(tmp_path / "profile", width=1400, height=height)
    try:
        log_in(browser, bot)
        browser.open(f"http://127.0.0.1:{bot.port}/{page}")
        yield browser
    finally:
        browser.close()


def test_trade_view_shows_the_setup_tag_and_the_guard_lock(frequi_bot, tmp_path):
    with frequi_page(frequi_bot, tmp_path, "trade", height=1350) as browser:
        browser.wait_for(TRADE_ROW)
        select_trade(browser)
        browser.wait_for(f"{detail_value('Entry tag')} === '{ENTRY_TAG}'")
        assert browser.evaluate(detail_value("Pair")) == TRADE_PAIR
        # a fresh lock (at least 60 s) for the page to show, however slow the steps before
        trip_sector_guard(frequi_bot)
        click(browser, "document.querySelector('[role=tab][id$=trigger-pair-locks]')")
        browser.wait_for(f"{LOCK_ROWS}.length > 0")
        rows = browser.evaluate(LOCK_ROWS)
        assert all(row[0] == LOCKED_PAIR and row[2] == SECTOR_REASON for row in rows), rows
        browser.evaluate("window.scrollTo(0, 0)")
        time.sleep(0.5)
        screenshot(browser, tmp_path, "frequi-trade.png")


def plot_configurator_list(index: int) -> str:
    """The options of the Plot Configurator's lists: 0 the plots, 1 the selected plot's
    indicators."""
    return (f"[...document.querySelectorAll('[role=dialog] [role=listbox]')[{index}]"
            ".querySelectorAll('[role=option]')].map(o => o.innerText.trim())")


TARGET_PLOTS, INDICATORS = plot_configurator_list(0), plot_configurator_list(1)
CHART = "document.querySelector('[_echarts_instance_]')"
TOOLTIP = f"[...{CHART}.querySelectorAll(':scope > div')].find(d => d.innerText.trim())"


def hover_chart(browser: Browser) -> None:
    """The mouse over the chart's last hours: ECharts' tooltip (HTML) lists every series."""
    x, y, width, height = browser.evaluate(
        f"(() => {{ const r = {CHART}.getBoundingClientRect(); "
        "return [r.x, r.y, r.width, r.height]; })()")
    browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=x + 0.8 * width,
                 y=y + 0.4 * height)


def test_chart_loads_the_strategy_plot_config_with_its_subplots(frequi_bot, tmp_path):
    with frequi_page(frequi_bot, tmp_path, "graph", height=1000) as browser:
        browser.wait_for(CHART)
        click(browser, "document.querySelector('button[title=\"Plot configurator\"]')")
        browser.wait_for(f"{TARGET_PLOTS}.length > 0")
        assert browser.evaluate(TARGET_PLOTS) == ["main_plot"]  # FreqUI's default config
        click(browser, button("From strategy"))
        subplots = list(PLOT_CONFIG["subplots"])
        browser.wait_for(f"{TARGET_PLOTS}.length > 1")
        assert browser.evaluate(TARGET_PLOTS) == ["main_plot", *subplots]
        assert browser.evaluate(INDICATORS) == list(PLOT_CONFIG["main_plot"])
        click(browser, button("Save"))
        click(browser, "document.querySelector('[role=dialog] button[aria-label=Close]')")
        browser.wait_for("!document.querySelector('[role=dialog]')")
        hover_chart(browser)
        browser.wait_for(f"{TOOLTIP}?.innerText.includes('{subplots[-1]}')")
        tooltip = browser.evaluate(f"{TOOLTIP}.innerText").splitlines()
        columns = [c for plot in PLOT_CONFIG["subplots"].values() for c in plot]
        assert set(subplots + list(PLOT_CONFIG["main_plot"]) + columns) <= set(tooltip), tooltip
        screenshot(browser, tmp_path, "frequi-chart.png")
