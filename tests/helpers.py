"""Test helpers: a simulator process, configs pointing at it, the real freqtrade CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import requests

from botpy_ext.guards.settings import GUARD_SETTINGS
from botpy_ext.simulator.client_config import simulator_exchange

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "user_data" / "config"
REAL_DATA = REPO.parent / "shared" / "data" / "binance"
TEST_STRATEGIES = REPO / "tests" / "strategies"
STRATEGIES = REPO / "user_data" / "strategies"
BIN = Path(sys.executable).parent
TEST_SECRETS = {
    "FREQTRADE__API_SERVER__PASSWORD": "test-password-not-secret",
    "FREQTRADE__API_SERVER__JWT_SECRET_KEY": "test-jwt-secret-key-of-32-chars-or-more",
    "FREQTRADE__API_SERVER__WS_TOKEN": "test-ws-token",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn_simulator(datadir: Path, port: int, extra: tuple[str, ...] | list[str],
                    out=subprocess.DEVNULL, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "botpy-sim"), "serve", "--datadir", str(datadir), "--port", str(port), *extra],
        stdout=out, stderr=subprocess.STDOUT, env=None if env is None else os.environ | env,
    )


ADDRESS_IN_USE = 3  # uvicorn's exit status when the port it was given is taken


def started_simulator(datadir: Path, port: int, extra: tuple[str, ...] | list[str],
                      proc: subprocess.Popen, out=subprocess.DEVNULL,
                      env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Waits until the spawned simulator answers. The port comes from `free_port()`, and another
    process can take it while the simulator loads its data; then it exits with ADDRESS_IN_USE
    and is started again on another port (at most twice). Returns the process and its URL."""
    for _ in range(3):
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda url=base, spawned=proc: ping(url) or spawned.poll() is not None,
                   timeout=30)
        if proc.poll() != ADDRESS_IN_USE:
            break
        port = free_port()
        proc = spawn_simulator(datadir, port, extra, out, env)
    assert proc.poll() is None, f"simulator exited with {proc.returncode}"
    return proc, base


@contextmanager
def running_simulator(datadir: Path, *extra: str, log: Path | None = None,
                      env: dict[str, str] | None = None) -> Iterator[str]:
    """A `botpy-sim serve` process on a free port (`env` added to its environment); yields its
    base URL, stops it with SIGTERM and checks that it exits cleanly."""
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = spawn_simulator(datadir, port, extra, out, env)
    try:
        proc, base = started_simulator(datadir, port, extra, proc, out, env)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        if log:
            out.close()
        assert code == 0, f"simulator exit code {code} after SIGTERM"


@contextmanager
def running_simulators(datadir: Path, options: list[list[str]]) -> Iterator[list[str]]:
    """Several simulators started at once (one per entry of `options`); yields their URLs."""
    ports = [free_port() for _ in options]
    procs = [spawn_simulator(datadir, port, extra)
             for port, extra in zip(ports, options, strict=True)]
    bases = []
    try:
        for index, (port, extra) in enumerate(zip(ports, options, strict=True)):
            procs[index], base = started_simulator(datadir, port, extra, procs[index])
            bases.append(base)
        yield bases
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=20)


def answers(url: str, timeout: float = 2) -> bool:
    """The URL answers with a success status."""
    try:
        return requests.get(url, timeout=timeout).ok
    except requests.RequestException:
        return False


def ping(base: str) -> bool:
    return answers(f"{base}/api/v3/ping", timeout=1)


def wait_until(condition, timeout: float, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


GUARDS_OFF = {name: {"enabled": False} for name in GUARD_SETTINGS}
# The real data come without a Fear & Greed history (and the tests have no network).
NO_FEAR_GREED = {"fear_greed": {"enabled": False}}


def overlay_config(
    tmp: Path, mode: str, base_url: str, pairs: list[str] | None = None,
    guards: dict | None = None, **settings
) -> Path:
    """A config that includes `user_data/config/<mode>.json` and points it (exchange and Fear &
    Greed Index) at the simulator at `base_url`; `guards` overrides `botpy.guards` sections.
    The sector map is the one shipped with the package (the default)."""
    path = tmp / f"{mode}-test.json"
    exchange = simulator_exchange(base_url)
    if pairs:
        exchange["pair_whitelist"] = pairs
    sections = {"fear_greed": {"url": f"{base_url}/fng/"}}
    for name, values in (guards or {}).items():
        sections[name] = sections.get(name, {}) | values
    config = {
        "add_config_files": [str(CONFIG_DIR / f"{mode}.json")],
        "exchange": exchange,
        "botpy": {"guards": sections},
        **settings,
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def freqtrade_env(**extra: str) -> dict[str, str]:
    """The environment of a freqtrade process: no FREQTRADE__ overrides from the caller, and
    not PYTEST_VERSION (freqtrade skips its logging set-up, `--logfile` included, under pytest)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FREQTRADE__") and k != "PYTEST_VERSION"}
    return env | extra


def freqtrade(
    *args: str, secrets: bool = False, timeout: float = 600, cwd: Path = REPO
) -> subprocess.CompletedProcess:
    """Run the real freqtrade CLI; output is kept for the assertion messages. `secrets` adds the
    API server's password variables (only for modes that have an API server: freqtrade would
    otherwise see an incomplete `api_server` section)."""
    env = freqtrade_env(**(TEST_SECRETS if secrets else {}))
    return subprocess.run(
        [str(BIN / "freqtrade"), *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def load_backtest_stats(results: Path) -> dict:
    archive = next(results.glob("*.zip"))
    with zipfile.ZipFile(archive) as zipped:
        name = next(n for n in zipped.namelist() if n.endswith(".json") and "_config" not in n
                    and "market_change" not in n)
        return json.loads(zipped.read(name))["strategy"]


def backtest_botpy_trades(datadir: Path, tmp: Path, userdir: Path, timerange: str,
                          mode: str = "backtest", strategy: str = "BotpyStrategy",
                          strategy_path: Path = STRATEGIES, **settings) -> pd.DataFrame:
    """Backtest BotpyStrategy (or a `strategy` from `strategy_path`) on `datadir` through a
    simulator (config `mode`, e.g. "spec-literal", with the overlay `settings`) and return its
    trades, dates parsed; freqtrade's log file in `.attrs["log"]`."""
    results = tmp / "results"
    results.mkdir()
    with running_simulator(datadir) as base:
        config = overlay_config(tmp, mode, base, log_config=strategy_debug_log(), **settings)
        result = freqtrade(
            "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir",
            str(datadir), "--strategy", strategy, "--strategy-path", str(strategy_path),
            "--timerange", timerange, "--export", "trades", "--backtest-directory",
            str(results), "--logfile", str(tmp / "freqtrade.log"), timeout=900,
        )
    log = tmp / "freqtrade.log"
    assert result.returncode == 0, (result.stderr + (log.read_text() if log.exists() else ""))[
        -3000:]
    frame = pd.DataFrame(load_backtest_stats(results)[strategy]["trades"])
    for column in ("open_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame.attrs["log"] = log.read_text()  # not the console's: it wraps long lines
    return frame


def strategy_debug_log() -> dict:
    """freqtrade's logging config with the strategy's logger at DEBUG: a backtest then logs
    each guard refusal (at INFO only their summary at the end)."""
    from freqtrade.loggers import FT_LOGGING_CONFIG

    return FT_LOGGING_CONFIG | {"loggers": {"BotpyStrategy": {"level": "DEBUG"}}}


REFUSAL = re.compile(r"Entry refused for (?P<pair>\S+) at (?P<time>[\d-]+ [\d:]+) by "
                     r"(?P<guard>\w+): (?P<reason>.*)$", re.MULTILINE)


def refusals(log: str) -> pd.DataFrame:
    """The guards' refusals logged by BotpyStrategy (pair, time of the entry candle, guard)."""
    rows = [m.groupdict() for m in REFUSAL.finditer(log)]
    frame = pd.DataFrame(rows, columns=["pair", "time", "guard", "reason"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


class TradingBot:
    """`freqtrade trade` with BotpyStrategy, driven through its REST API."""

    def __init__(self, config: Path, userdir: Path, port: int, log: Path, pair: str,
                 secrets: dict[str, str] = TEST_SECRETS) -> None:
        self.config, self.userdir, self.port, self.log = config, userdir, port, log
        self.pair = pair  # the pair open_trade and last_candle look at
        self.secrets = secrets  # the API server's login (FREQTRADE__API_SERVER__* variables)
        self.login = ("botpy", secrets["FREQTRADE__API_SERVER__PASSWORD"])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BIN / "freqtrade"), "trade", "-c", str(self.config), "--userdir",
             str(self.userdir), "--strategy", "BotpyStrategy", "--strategy-path", str(STRATEGIES)],
            cwd=REPO, env=freqtrade_env(**self.secrets), stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
        )
        # the API answers before the bot's first loop; forceenter needs the state "running"
        wait_until(lambda: self.proc.poll() is not None or self.running(), 180, interval=1)
        assert self.proc.poll() is None, self.log.read_text()[-3000:]

    def answers(self) -> bool:
        try:
            return self.get("ping").ok
        except requests.RequestException:
            return False

    def running(self) -> bool:
        try:
            answer = self.get("show_config")
            return answer.ok and answer.json().get("state") == "running"
        except requests.RequestException:
            return False

    def get(self, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.port}/api/v1/{path}", timeout=10,
                            auth=self.login)

    def post(self, path: str, payload: dict) -> requests.Response:
        return requests.post(f"http://127.0.0.1:{self.port}/api/v1/{path}", json=payload,
                             timeout=30, auth=self.login)

    def open_trade(self) -> dict | None:
        trades = [t for t in self.get("status").json() if t["pair"] == self.pair]
        return trades[0] if trades and not trades[0].get("has_open_orders") else None

    def last_candle(self):
        answer = self.get(f"pair_candles?pair={self.pair}&timeframe=1m&limit=5").json()
        return answer["data"][-1][answer["columns"].index("__date_ts")] if answer["data"] else None

    def custom_data(self, trade_id: int) -> dict:
        entries = self.get(f"trades/{trade_id}/custom-data").json()[0]["custom_data"]
        return {entry["key"]: entry["value"] for entry in entries}

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:  # freqtrade finishes its current step first: a scanner refresh under load
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(
                    "freqtrade trade did not stop within 120 s of SIGTERM") from None


@contextmanager
def analysing(bot: TradingBot, timeout: float = 180, interval: float = 2) -> Iterator[TradingBot]:
    """`bot` started and showing an analysed candle; stopped afterwards, whatever happens."""
    try:
        bot.start()
        wait_until(lambda: bot.last_candle() is not None, timeout, interval=interval)
        yield bot
    finally:
        bot.stop()


def live_strategy(tmp_path: Path, guards: dict | None = None, before_start=None):
    """BotpyStrategy as a live bot loads it (freqtrade's resolver, its database in memory), with
    `virtual.json` and `guards` over its `botpy.guards` sections; `before_start()` runs on the
    database before the strategy's `bot_start`."""
    from freqtrade.configuration import Configuration
    from freqtrade.data.dataprovider import DataProvider
    from freqtrade.enums import RunMode
    from freqtrade.persistence import PairLocks, init_db
    from freqtrade.resolvers import StrategyResolver

    files = [str(CONFIG_DIR / "virtual.json")]
    if guards is not None:
        overlay = tmp_path / "guards.json"
        overlay.write_text(json.dumps({"botpy": {"guards": guards}}))
        files.append(str(overlay))
    config = Configuration({"config": files, "user_data_dir": str(tmp_path),
                            "strategy_path": str(STRATEGIES)}, RunMode.LIVE).get_config()
    config["runmode"] = RunMode.LIVE
    init_db("sqlite://")
    strategy = StrategyResolver.load_strategy(config)
    PairLocks.timeframe = strategy.timeframe  # as FreqtradeBot sets it
    strategy.dp = DataProvider(config, None)
    if before_start is not None:
        before_start()
    strategy.ft_bot_start()
    return strategy


def filled_trade(pair: str, open_rate: float, opened, enter_tag: str = "precision:sniper"):
    """An open trade of 0.05 `pair` whose buy order filled at `open_rate` at `opened`, in the
    database (`live_strategy`'s); its order is `trade.orders[0]`."""
    from freqtrade.persistence import Order, Trade

    trade = Trade(pair=pair, base_currency=pair.split("/")[0], stake_currency="USDT",
                  open_rate=open_rate, open_date=opened, fee_open=0.001, fee_close=0.001,
                  stake_amount=100.0, amount=0.05, exchange="binance", enter_tag=enter_tag,
                  is_open=True, leverage=1.0)
    Trade.session.add(trade)
    trade.orders.append(Order(
        ft_order_side="buy", ft_pair=pair, ft_is_open=False, order_id=f"o-{pair}-{opened}",
        ft_amount=0.05, ft_price=open_rate, status="closed", price=open_rate,
        average=open_rate, amount=0.05, filled=0.05, order_type="limit", side="buy",
        order_filled_date=opened))
    Trade.commit()
    return trade
