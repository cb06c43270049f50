"""The `botpy` launcher as a user runs it: `botpy backtest` (simulator + freqtrade in one
command, the guards summed up at the end) and a stop by SIGTERM, as systemd sends it, that
leaves no process of the launcher behind."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import requests

from botpy_ext.simulator.client_config import DEFAULT_BASE_URL
from tests.helpers import (
    BIN,
    CONFIG_DIR,
    STRATEGIES,
    TEST_SECRETS,
    answers,
    free_port,
    freqtrade_env,
    wait_until,
)

SIMULATOR_PORT = int(DEFAULT_BASE_URL.rsplit(":", 1)[1])


@pytest.fixture
def user_dir(tmp_path) -> Path:
    """A copy of the repository's user directory (configs and strategy)."""
    userdir = tmp_path / "user_data"
    shutil.copytree(CONFIG_DIR, userdir / "config")
    shutil.copytree(STRATEGIES, userdir / "strategies")
    return userdir


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_botpy_backtest_prints_the_report_and_the_guard_summary(user_dir, real_data):
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(user_dir), "backtest", "--datadir", str(real_data),
         "--timerange", "20230410-20230413", "--export", "none"],
        capture_output=True, text=True, env=freqtrade_env(), timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "BACKTESTING REPORT" in result.stdout
    assert "BOTPY guards: " in log
    assert "Entry refused" not in log  # one summary, not a line per refusal
    # the pairs whose candles start on 04-01 21:04 cannot have an EMA50 of 4h closes before
    # 04-10 04:00 (50 candles from 04-01 20:00): said once in full, then a line each
    words = " ".join(log.split())  # freqtrade's console handler wraps long lines
    assert words.count("no entry before 2023-04-10 04:00 (0.2 days into the backtest)") == 8
    assert words.count("needs 50 4h candles (8.3 days) of history") == 1
    assert "ADA/USDT: no entry" not in words  # its candles start on 03-16
    assert not port_taken(SIMULATOR_PORT)  # the simulator it started is stopped


def replayed_now_ms() -> int:
    return requests.get(f"{DEFAULT_BASE_URL}/_sim/status", timeout=5).json()["dataset_now_ms"]


def test_sigterm_to_the_launcher_stops_freqtrade_and_the_simulator(user_dir, synthetic_market,
                                                                   tmp_path):
    """Then a restart on the same database continues the replay where it would be, had the bot
    kept running, instead of rewinding the market under its open trades."""
    api_port = free_port()
    env = freqtrade_env(FREQTRADE__API_SERVER__LISTEN_PORT=str(api_port))
    log = tmp_path / "launcher.log"
    database = tmp_path / "virtual.sqlite"
    command = [str(BIN / "botpy"), "--userdir", str(user_dir), "trade", "virtual", "--datadir",
               str(synthetic_market), "--db-url", f"sqlite:///{database}"]
    with log.open("w") as out:
        launcher = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{api_port}/api/v1/ping"), timeout=180)
        first_now = replayed_now_ms()
        # the replay keeps whole 4h bins: the bot's 5m to 4h candles are the dataset's own
        offset = requests.get(f"{DEFAULT_BASE_URL}/_sim/status", timeout=5).json()["offset_ms"]
        assert offset % (4 * 3_600_000) == 0
        children = psutil.Process(launcher.pid).children(recursive=True)
        names = " ".join(" ".join(child.cmdline()[:3]) for child in children)
        assert "freqtrade" in names and "botpy-sim" in names, names

        launcher.send_signal(signal.SIGTERM)
        # freqtrade's status: `freqtrade trade` treats SIGTERM like Ctrl-C and exits with 130
        assert launcher.wait(timeout=90) == 130, log.read_text()[-3000:]
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [child.cmdline() for child in alive]
        assert not port_taken(api_port) and not port_taken(SIMULATOR_PORT)
        text = log.read_text()
        assert "SIGTERM: passed on to" in text
        assert "calling exit" in text  # freqtrade's own clean-up ran (worker.exit)
        assert (tmp_path / "virtual.sqlite.replay.json").exists()
        stopped = time.time()

        with log.open("w") as out:
            launcher = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        wait_until(lambda: answers(f"http://127.0.0.1:{api_port}/api/v1/ping"), timeout=180)
        again_now = replayed_now_ms()
        # the market went on for the seconds the bot was stopped (not back to its first minute)
        assert again_now >= first_now + (time.time() - stopped) * 1000 - 60_000
        assert "Virtual mode continues the replay of" in log.read_text()
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=90) == 130, log.read_text()[-3000:]
    finally:
        if launcher.poll() is None:
            for child in psutil.Process(launcher.pid).children(recursive=True):
                child.kill()
            launcher.kill()


def test_a_taken_api_port_is_refused_before_anything_starts(user_dir, tmp_path):
    """freqtrade would log the bind error and trade on without its API: FreqUI would show
    whatever holds the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [str(BIN / "botpy"), "--userdir", str(user_dir), "trade", "virtual", "--db-url",
             f"sqlite:///{tmp_path / 'v.sqlite'}"], capture_output=True, text=True,
            env=freqtrade_env(FREQTRADE__API_SERVER__LISTEN_PORT=str(port)), timeout=120)
    assert result.returncode == 2
    assert f"the API server's port {port} is taken by another program" in result.stderr
    assert not port_taken(SIMULATOR_PORT)



def test_the_replay_continues_only_for_its_database_and_market(tmp_path, caplog):
    from botpy_ext import virtual

    database = tmp_path / "bot.sqlite"
    config = {"db_url": "sqlite:///elsewhere.sqlite"}
    assert virtual.database_file(config, ["--db-url", f"sqlite:///{database}"], {}) == database
    assert virtual.database_file(config, [], {"FREQTRADE__DB_URL": "sqlite:///x.sqlite"}) == (
        Path("x.sqlite"))
    assert virtual.database_file({"db_url": "sqlite://"}, [], {}) is None  # in memory
    state = virtual.state_file(database)
    market, other = tmp_path / "market", tmp_path / "other"
    four_hours = 4 * 3_600_000
    virtual.write_state(state, virtual.ReplayState(str(market.resolve()), 3 * four_hours))
    # a new replay keeps whole 4h bins: the bot's 5m to 4h candles are the dataset's
    aligned = ["--clock", "replay", "--align", "4h"]
    assert virtual.replay_options(None, state, market) == aligned  # no database
    database.write_bytes(b"")
    assert virtual.replay_options(None, state, market) == [
        "--clock", "replay", "--offset-ms", str(3 * four_hours)]
    assert virtual.replay_options(None, state, other) == aligned
    assert virtual.replay_options("2024-02-01T00:00", state, market) == [
        "--clock", "replay", "--start", "2024-02-01T00:00", "--align", "4h"]
    # a replay an older launcher began off the grid goes on, with a warning
    virtual.write_state(state, virtual.ReplayState(str(market.resolve()), 120_000))
    with caplog.at_level(logging.WARNING):
        assert virtual.replay_options(None, state, market)[-1] == "120000"
    assert "2 min off the 4h grid" in caplog.text


def test_a_child_killed_by_a_signal_exits_as_a_shell_reports_it():
    """128 + N (137 after SIGKILL), as systemd and docker read it; Python's -9 became 247."""
    import sys

    from botpy_ext.processes import run_foreground

    assert run_foreground([sys.executable, "-c", "import os, signal; "
                           "os.kill(os.getpid(), signal.SIGKILL)"]) == 137
    assert run_foreground([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_botpy_secrets_names_the_password_the_bot_will_use(user_dir, tmp_path):
    """The environment first, then a config of the user's, then the generated file: the order
    `botpy trade` passes them to freqtrade in."""
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"api_server": {"username": "trader", "password": "my-own"}}))

    def shown(*options: str, **env: str) -> str:
        result = subprocess.run([str(BIN / "botpy"), "--userdir", str(user_dir), "secrets",
                                 *options], env=freqtrade_env(**env), capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    generated = user_dir / ".secrets.env"
    assert f"user: botpy; password: FREQTRADE__API_SERVER__PASSWORD in {generated} (created" \
        in shown()
    assert "(kept;" in shown()
    assert "user: trader; password: api_server.password of your config" \
        in shown("-c", str(mine))
    assert "password: FREQTRADE__API_SERVER__PASSWORD from the environment" \
        in shown("-c", str(mine), FREQTRADE__API_SERVER__PASSWORD="from-env")


def test_the_login_shown_is_the_one_the_bot_gets(tmp_path, monkeypatch):
    from botpy_ext.cli import secrets_to_pass
    from botpy_ext.secrets import PASSWORD, api_login, api_secrets

    monkeypatch.delenv(PASSWORD, raising=False)
    file = tmp_path / ".secrets.env"
    generated, _ = api_secrets({}, file)
    config = {"api_server": {"password": "my-own"}}
    assert api_login({}, config, file) == ("botpy", "my-own", "api_server.password of your config")
    assert PASSWORD not in secrets_to_pass(generated, config)  # freqtrade reads the config's
    assert api_login({}, {}, file)[1] == generated[PASSWORD] == secrets_to_pass(generated, {})[
        PASSWORD]
    assert api_login({PASSWORD: "env"}, config, file)[1] == "env"


def test_the_replay_warns_when_its_data_run_out_while_the_bot_runs(caplog):
    from botpy_ext import virtual

    now = 1_682_900_000_000
    with caplog.at_level("INFO", logger="botpy"):
        with virtual.warning_at_data_end({"dataset_now_ms": now, "data_end_ms": now + 200}):
            wait_until(lambda: "data end at" in caplog.text and "stands still" in caplog.text,
                       timeout=5)
        assert "Virtual replay at dataset time 2023-05-01 00:13; the data end at 2023-05-01 " \
            "00:13, 0.0 h from now" in caplog.text
        caplog.clear()
        with virtual.warning_at_data_end({"dataset_now_ms": now, "data_end_ms": now + 400}):
            pass  # the bot stopped first: no warning later
        time.sleep(0.8)
    assert "stands still" not in caplog.text
    assert "the data end at 2023-05-01 00:13, 0.0 h from now" in caplog.text



def test_a_second_virtual_bot_runs_on_its_own_simulator_port(user_dir, synthetic_market,
                                                             tmp_path):
    """`--sim-port`: the bot trades against the simulator it started there (candles flow: its
    whitelist is analysed), not the default port."""
    api_port, sim_port = free_port(), free_port()
    log = tmp_path / "launcher.log"
    with log.open("w") as out:
        launcher = subprocess.Popen(
            [str(BIN / "botpy"), "--userdir", str(user_dir), "trade", "virtual", "--datadir",
             str(synthetic_market), "--sim-port", str(sim_port), "--db-url",
             f"sqlite:///{tmp_path / 'second.sqlite'}"], stdout=out, stderr=subprocess.STDOUT,
            env=freqtrade_env(FREQTRADE__API_SERVER__LISTEN_PORT=str(api_port),
                              **TEST_SECRETS))
    api = f"http://127.0.0.1:{api_port}/api/v1"
    auth = ("botpy", TEST_SECRETS["FREQTRADE__API_SERVER__PASSWORD"])
    try:
        wait_until(lambda: launcher.poll() is not None or answers(f"{api}/ping"), timeout=180)
        assert launcher.poll() is None, log.read_text()[-3000:]

        def analysed() -> bool:
            pairs = requests.get(f"{api}/whitelist", auth=auth, timeout=10).json()["whitelist"]
            candles = requests.get(f"{api}/pair_candles", auth=auth, timeout=30, params={
                "pair": pairs[0], "timeframe": "1m", "limit": 5}).json()
            return candles.get("length", 0) > 0

        wait_until(analysed, timeout=180, interval=2)
        assert port_taken(sim_port) and not port_taken(SIMULATOR_PORT)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=90)
    assert not port_taken(sim_port)


def test_a_backtest_with_the_scanner_is_refused_without_a_guard_summary(user_dir, real_data):
    """The scanner needs live candles: freqtrade refuses it in backtesting, as docs/scanner.md
    says, and the strategy says nothing about a backtest that did not run. On a simulator of
    its own port (`--sim-port`): freqtrade loads the markets from it before the pairlist's
    refusal, with nothing on the default port."""
    sim_port = free_port()
    assert not port_taken(SIMULATOR_PORT)
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(user_dir), "backtest", "--datadir", str(real_data),
         "--sim-port", str(sim_port), "--timerange", "20230420-20230421",
         "-c", str(CONFIG_DIR / "scanner.json")],
        capture_output=True, text=True, env=freqtrade_env(), timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Pairlist Handlers BotpyScannerPairList do not support backtesting" in result.stderr
    assert "BOTPY guards" not in result.stderr
    assert not port_taken(sim_port)


@pytest.mark.parametrize("command", [["backtest"], ["trade", "virtual"], ["demo"]])
def test_outside_the_project_the_launcher_says_so_before_starting_anything(command, tmp_path):
    """botpy's commands run with the project's configs: from another directory (the default
    --userdir is ./user_data) they stop at once with the way out, before a simulator starts or
    a synthetic market is written there."""
    result = subprocess.run([str(BIN / "botpy"), *command], cwd=tmp_path, capture_output=True,
                            text=True, env=freqtrade_env(), timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "user_data/config/" in result.stderr and "not found" in result.stderr
    assert "--userdir PROJECT/user_data" in result.stderr
    assert not (tmp_path / "user_data").exists()
    assert not port_taken(SIMULATOR_PORT)


def test_a_datadir_that_is_not_a_folder_is_named_before_anything_starts(user_dir, tmp_path):
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(user_dir), "backtest", "--datadir",
         str(tmp_path / "nope")], capture_output=True, text=True, env=freqtrade_env(),
        timeout=120)
    assert result.returncode == 2
    assert f"--datadir {tmp_path / 'nope'}: no such directory" in result.stderr
    assert not port_taken(SIMULATOR_PORT)
