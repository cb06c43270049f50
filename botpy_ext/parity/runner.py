"""Run one parity window: the simulator replays it to `freqtrade trade` (Virtual mode, fresh
database) on a fake clock `speed` times faster than real time, then `freqtrade backtesting`
tests the same window with the same config; the trades and logs of both come back.

Timeline of the Virtual run (fake time, which is dataset time: the simulator's offset is 0):
the simulator and the bot start a little before the window, the bot in state "paused"
(freqtrade refreshes and analyses its candles, enters nothing), so that its candle caches are
warm when the window begins; at `start + 1 candle` the runner switches it to "running" through
the REST API. It then acts first on the window's first candle, as a backtest of the window
does. At `end` the runner stops entries and force-exits what is open (a backtest
force-exits open trades at the end of its timerange), collects the trades and stops both
processes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from botpy_ext.parity.clock import INSTALL_HINT, FakeClock, faketime_spec
from botpy_ext.processes import spawn
from botpy_ext.secrets import API_SECRETS, new_token
from botpy_ext.simulator.faults import Faults

logger = logging.getLogger("botpy")

CANDLE = timedelta(minutes=1)
START_LEAD_REAL_S = 45.0  # real seconds the bot gets to start before the window begins
API_TIMEOUT_S = 10.0
FORCE_EXIT_WAIT_S = 60.0  # real seconds for the force-exit orders to fill
PROGRESS_EVERY_S = 60.0


class ParityError(Exception):
    """A run could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Window:
    datadir: Path
    start: datetime  # UTC, a whole minute
    hours: float

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

    def timerange(self) -> str:
        return f"{int(self.start.timestamp())}-{int(self.end.timestamp())}"


@dataclass(frozen=True)
class Setup:
    """What both runs share: the user directory, the project's mode config and extra configs."""

    userdir: Path
    python_bin: Path  # the folder of the freqtrade and botpy-sim executables
    configs: tuple[Path, ...] = ()  # e.g. user_data/config/spec-literal.json, merged in order


@dataclass
class RunResult:
    trades: list[dict]
    log: str
    starting_balance: float
    notes: dict = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def simulator_urls(base: str) -> dict:
    return {"urls": {"api": {"public": f"{base}/api/v3", "private": f"{base}/api/v3",
                             "sapi": f"{base}/sapi/v1"}}}


def overlay(setup: Setup, base: str, **settings) -> dict:
    """The run's config: the Virtual mode's, the extra configs, the simulator at `base`."""
    files = [str((setup.userdir / "config" / "virtual.json").resolve()),
             *(str(path.resolve()) for path in setup.configs)]
    return {"add_config_files": files, "exchange": {"ccxt_config": simulator_urls(base)},
            "botpy": {"guards": {"fear_greed": {"url": f"{base}/fng/"}}}, **settings}


def strategy_debug_log() -> dict:
    """freqtrade's logging with BotpyStrategy at DEBUG: a backtest logs each guard refusal."""
    from freqtrade.loggers import FT_LOGGING_CONFIG

    return FT_LOGGING_CONFIG | {"loggers": {"BotpyStrategy": {"level": "DEBUG"}}}


def api_secrets() -> dict[str, str]:
    """A login for this run only (never written anywhere)."""
    return {name: new_token(size) for name, size in API_SECRETS.items()}


@contextmanager
def simulator(setup: Setup, datadir: Path, port: int, log: Path, options: list[str],
              env: dict[str, str] | None = None) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = spawn([str(setup.python_bin / "botpy-sim"), "serve", "--datadir", str(datadir),
                      "--port", str(port), *options], stdout=out, stderr=subprocess.STDOUT,
                     env=env)
        try:
            wait_for(lambda: answers(f"{base}/api/v3/ping"), proc, log, "the simulator", 60)
            yield base
        finally:
            stop(proc)


def answers(url: str, auth: tuple[str, str] | None = None) -> bool:
    try:
        return requests.get(url, timeout=2, auth=auth).ok
    except requests.RequestException:
        return False


def wait_for(condition, proc: subprocess.Popen, log: Path, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise ParityError(f"{what} stopped (exit {proc.returncode}):\n"
                              f"{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise ParityError(f"{what} did not answer within {timeout:g} s:\n"
                              f"{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen, timeout: float = 120) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def fault_options(faults: Faults) -> list[str]:
    return [item for name, value in faults.as_dict().items() if value
            for item in (f"--{name.replace('_', '-')}", f"{value:g}")]


# ---- Virtual mode ---------------------------------------------------------------------------

class BotApi:
    def __init__(self, port: int, password: str) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.auth = ("botpy", password)

    def get(self, path: str):
        answer = requests.get(f"{self.base}/{path}", auth=self.auth, timeout=API_TIMEOUT_S)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, payload: dict | None = None, attempts: int = 5):
        """POST, tried again after an error (a force exit needs the exchange, which may be
        failing on purpose in a run under faults)."""
        for attempt in range(attempts):
            answer = requests.post(f"{self.base}/{path}", json=payload, auth=self.auth,
                                   timeout=API_TIMEOUT_S)
            if answer.ok or attempt == attempts - 1:
                answer.raise_for_status()
                return answer.json()
            logger.info("POST %s answered %d; trying again", path, answer.status_code)
            time.sleep(1)

    def closed_trades(self) -> list[dict]:
        return self.get("trades?limit=500")["trades"]


def run_virtual(window: Window, setup: Setup, out: Path, speed: float, faults: Faults
                ) -> RunResult:
    """The simulator and the bot run as one process tree on one fake clock (`clock_tree`)."""
    wrapper = shutil.which("faketime")
    if wrapper is None:
        raise ParityError(f"botpy parity runs freqtrade on a fake clock: {INSTALL_HINT}")
    out.mkdir(parents=True, exist_ok=True)
    begin = window.start.timestamp() + CANDLE.total_seconds()  # the bot starts trading here
    sim_port, api_port = free_port(), free_port()
    base = f"http://127.0.0.1:{sim_port}"
    secrets = api_secrets()
    config = out / "config.json"
    config.write_text(json.dumps(virtual_overlay(setup, base, out, api_port, speed), indent=2))
    log = out / "freqtrade.log"
    log.unlink(missing_ok=True)
    spec = out / "clock-tree.json"
    spec.write_text(json.dumps({
        "simulator": [str(setup.python_bin / "botpy-sim"), "serve", "--datadir",
                      str(window.datadir), "--port", str(sim_port), "--clock", "wall",
                      *fault_options(faults)],
        "simulator_log": str(out / "simulator.log"), "ping": f"{base}/_sim/status",
        "bot": [str(setup.python_bin / "freqtrade"), "trade", "-c", str(config), "--userdir",
                str(setup.userdir), "--logfile", str(log)],
        "bot_log": str(out / "freqtrade.stderr"),
    }, indent=1))
    clock = FakeClock(begin - (START_LEAD_REAL_S + 5) * speed, speed, time.time())
    second = clock.next_whole_second()
    tree = spawn([wrapper, "-f", faketime_spec(second, speed), str(setup.python_bin / "python"),
                  "-m", "botpy_ext.parity.clock_tree", str(spec)],
                 env=process_env(secrets | {"FAKETIME_DONT_RESET": "1", "TZ": "UTC"}),
                 stdout=(out / "clock-tree.log").open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: answers(f"{base}/_sim/status"), tree, out / "clock-tree.log",
                 "the simulator", 60)
        clock = calibrated(clock, base)
        api = BotApi(api_port, secrets["FREQTRADE__API_SERVER__PASSWORD"])
        trades, notes = drive(api, tree, log, clock, window)
    finally:
        stop_tree(tree)
    notes["speed"] = speed
    return RunResult(trades, log.read_text(), 1000.0, notes)


def calibrated(clock: FakeClock, base: str) -> FakeClock:
    """The runner's estimate of the tree's clock, corrected by the simulator's own time (the
    wrapper's start-up made the tree's clock start a little after the spec's second). Read from
    the simulator's admin route, which its faults leave alone."""
    before = time.time()
    served = requests.get(f"{base}/_sim/status", timeout=5).json()["now_ms"] / 1000
    real = (before + time.time()) / 2
    return FakeClock(clock.fake_anchor + served - clock.now(real), clock.speed,
                     clock.real_anchor)


def stop_tree(tree: subprocess.Popen) -> None:
    """SIGTERM to the tree's session: the wrapper and the clock tree, which passes it on to the
    bot, waits for it, then stops the simulator."""
    if tree.poll() is None:
        os.killpg(tree.pid, signal.SIGTERM)
        try:
            tree.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(tree.pid, signal.SIGKILL)
            tree.wait(timeout=30)


REQUEST_TIMEOUT_REAL_MS = 20_000  # the exchange client's timeout, in real milliseconds


def virtual_overlay(setup: Setup, base: str, out: Path, api_port: int, speed: float) -> dict:
    """The Virtual run's config: a fresh database, the bot paused until the window begins,
    its own API port; the exchange client's timeouts counted in real time (the client measures
    them on the fake clock: 10 s would be 1 s at speed 10); no fiat conversion (CoinGecko is not
    reachable offline and each API call would try it)."""
    config = overlay(setup, base, db_url=f"sqlite:///{(out / 'trades.sqlite').resolve()}",
                     initial_state="paused", api_server={"listen_port": api_port},
                     fiat_display_currency="")
    timeout = {"timeout": int(REQUEST_TIMEOUT_REAL_MS * speed)}
    config["exchange"]["ccxt_config"] |= timeout
    config["exchange"]["ccxt_async_config"] = timeout
    return config


def process_env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without freqtrade overrides or another fake clock."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("FREQTRADE__", "FAKETIME")) and k not in (
                "LD_PRELOAD", "PYTEST_VERSION")}
    return base | extra


def drive(api: BotApi, bot: subprocess.Popen, log: Path, clock: FakeClock, window: Window
          ) -> tuple[list[dict], dict]:
    """Start the bot at the window's second candle, follow it to the end, close what is open."""
    stderr = log.with_name("freqtrade.stderr")
    wait_for(lambda: answers(f"{api.base}/ping"), bot, stderr, "freqtrade trade",
             START_LEAD_REAL_S * 3)
    begin = window.start.timestamp() + CANDLE.total_seconds()
    late = clock.now() - begin
    if late > 0:
        raise ParityError(f"freqtrade needed more than {START_LEAD_REAL_S:g} s to start: the "
                          f"window's first candle passed {late:.0f} s (fake) before it could "
                          "trade; use a lower --speed")
    clock.sleep_until(begin + 1)
    api.post("start")
    follow(api, bot, log, clock, window.end.timestamp() + 5)
    api.post("stopentry")
    open_before = api.get("status")
    if open_before:
        api.post("forceexit", {"tradeid": "all"})
    deadline = time.monotonic() + FORCE_EXIT_WAIT_S
    while api.get("status") and time.monotonic() < deadline:
        time.sleep(0.5)
    left_open = api.get("status")
    return api.closed_trades(), {"force_exited": len(open_before), "left_open": left_open}


def follow(api: BotApi, bot: subprocess.Popen, log: Path, clock: FakeClock, until: float
           ) -> None:
    """Wait (real time) until the fake clock shows `until`; log progress; fail if the bot dies."""
    next_report = time.monotonic() + PROGRESS_EVERY_S
    while clock.seconds_until(until) > 0:
        if bot.poll() is not None:
            raise ParityError(f"freqtrade trade stopped (exit {bot.returncode}):\n"
                              f"{log.read_text()[-3000:]}")
        time.sleep(min(1.0, max(clock.seconds_until(until), 0.0)))
        if time.monotonic() >= next_report:
            next_report += PROGRESS_EVERY_S
            now = datetime.fromtimestamp(clock.now(), tz=UTC)
            logger.info("Virtual run at %s (fake clock): %d open, %d closed trade(s)",
                        f"{now:%Y-%m-%d %H:%M}", len(api.get("status")),
                        len(api.closed_trades()))


# ---- backtest ---------------------------------------------------------------------------------

def run_backtest(window: Window, setup: Setup, out: Path) -> RunResult:
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results"
    results.mkdir(exist_ok=True)
    for old in results.glob("*"):
        old.unlink()
    log = out / "freqtrade.log"
    log.unlink(missing_ok=True)
    secrets = api_secrets()  # the mode's config has an api_server section to validate
    with simulator(setup, window.datadir, free_port(), out / "simulator.log", []) as base:
        config = out / "config.json"
        config.write_text(json.dumps(overlay(setup, base, log_config=strategy_debug_log()),
                                     indent=2))
        done = subprocess.run(
            [str(setup.python_bin / "freqtrade"), "backtesting", "-c", str(config), "--userdir",
             str(setup.userdir), "--datadir", str(window.datadir), "--timerange",
             window.timerange(), "--export", "trades", "--backtest-directory", str(results),
             "--logfile", str(log)], env=process_env(secrets), capture_output=True, text=True)
    if done.returncode:
        raise ParityError(f"freqtrade backtesting failed:\n{(done.stderr or '')[-3000:]}")
    stats = backtest_stats(results)
    return RunResult(stats["trades"], log.read_text(), float(stats["starting_balance"]))


def backtest_stats(results: Path) -> dict:
    import zipfile

    archive = next(results.glob("*.zip"))
    with zipfile.ZipFile(archive) as zipped:
        name = next(n for n in zipped.namelist() if n.endswith(".json") and "_config" not in n
                    and "market_change" not in n)
        strategies = json.loads(zipped.read(name))["strategy"]
    return next(iter(strategies.values()))
