"""The real freqtrade CLI, offline, through the simulator: download-data, backtesting,
show-config for every mode, and `trade` in Virtual mode against the replaying simulator."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import requests

from tests.helpers import (
    BIN,
    CONFIG_DIR,
    NO_FEAR_GREED,
    REPO,
    STRATEGIES,
    TEST_SECRETS,
    TEST_STRATEGIES,
    free_port,
    freqtrade,
    freqtrade_env,
    load_backtest_stats,
    overlay_config,
    running_simulator,
    wait_until,
)


@pytest.fixture(scope="module")
def static_simulator(real_data):
    with running_simulator(real_data) as base:
        yield base


def test_download_data_reproduces_the_served_candles(static_simulator, real_data, tmp_path,
                                                     userdir):
    config = overlay_config(tmp_path, "backtest", static_simulator)
    target = tmp_path / "downloaded"
    result = freqtrade(
        "download-data", "-c", str(config), "--userdir", str(userdir), "--datadir", str(target),
        "--pairs", "BTC/USDT", "DOT/USDT", "--timeframes", "1m", "1h",
        "--timerange", "20230420-20230423",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("BTC_USDT-1m", "DOT_USDT-1m", "BTC_USDT-1h"):
        got = pd.read_feather(target / f"{name}.feather")
        stored = pd.read_feather(real_data / f"{name}.feather")
        stored = stored[stored.date.isin(got.date)].reset_index(drop=True)
        assert len(got) >= (72 if name.endswith("1h") else 72 * 60) - 80
        assert len(stored) == len(got)
        pd.testing.assert_frame_equal(got.drop(columns="date"), stored.drop(columns="date"))


def test_backtesting_runs_offline_through_the_simulator(static_simulator, real_data, tmp_path,
                                                        userdir):
    config = overlay_config(tmp_path, "backtest", static_simulator)
    results = tmp_path / "results"
    results.mkdir()
    result = freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir", str(real_data),
        "--strategy", "EmaCrossTestStrategy", "--strategy-path", str(TEST_STRATEGIES),
        "--timerange", "20230415-20230418", "--export", "trades",
        "--backtest-directory", str(results),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stats = load_backtest_stats(results)["EmaCrossTestStrategy"]
    assert stats["total_trades"] > 50
    traded = {t["pair"] for t in stats["trades"]}
    assert len(traded) >= 10  # the whitelist ".*/USDT" expanded to the simulator's 13 markets
    assert traded <= {f"{p}/USDT" for p in ("ADA", "ATOM", "AVAX", "BTC", "DOGE", "DOT", "ETH",
                                            "LINK", "LTC", "MATIC", "SOL", "TRX", "XRP")}


def botpy_backtest(config: Path, userdir: Path, datadir: Path, log: Path):
    return freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir", str(datadir),
        "--strategy", "BotpyStrategy", "--strategy-path", str(STRATEGIES), "--timerange",
        "20230420-20230421", "--pairs", "ETH/USDT", "BTC/USDT", "--logfile", str(log))


def test_spec_literal_config_runs_the_specs_values(static_simulator, real_data, tmp_path,
                                                    userdir):
    """user_data/config/spec-literal.json sets the spec's values over the shipped defaults."""
    config = overlay_config(tmp_path, "spec-literal", static_simulator)
    result = botpy_backtest(config, userdir, real_data, tmp_path / "ft.log")
    log = (tmp_path / "ft.log").read_text()
    assert result.returncode == 0, (result.stderr + log)[-3000:]
    spec = json.loads((CONFIG_DIR / "spec-literal.json").read_text())["botpy"]["parameters"]
    assert spec["sniper_stop_atr"] == 1.5
    for name, value in spec.items():
        assert f"Strategy Parameter: {name} = {value}" in log, name


def test_a_bad_strategy_parameter_in_the_config_stops_freqtrade(static_simulator, real_data,
                                                                tmp_path, userdir):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({
        "add_config_files": [str(overlay_config(tmp_path, "backtest", static_simulator))],
        "botpy": {"parameters": {"sniper_stop_atr": 50}}}))
    result = botpy_backtest(config, userdir, real_data, tmp_path / "ft.log")
    assert result.returncode != 0
    assert ("botpy.parameters.sniper_stop_atr must be in [0.5, 8], got 50"
            in result.stderr + (tmp_path / "ft.log").read_text())


@pytest.mark.parametrize("mode, dry_run", [
    ("virtual", True), ("paper", True), ("live", False), ("backtest", True)])
def test_show_config_for_each_mode(mode, dry_run, tmp_path):
    result = freqtrade("show-config", "-c", str(CONFIG_DIR / f"{mode}.json"),
                       secrets=mode != "backtest")
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout[result.stdout.index("{"):])
    assert shown["dry_run"] is dry_run
    assert shown["botpy"]["mode"] == mode
    if "api_server" in shown:
        assert shown["api_server"]["listen_ip_address"] == "127.0.0.1"
        assert shown["api_server"]["password"] == "REDACTED"


def test_no_password_in_any_config_file():
    for path in CONFIG_DIR.glob("*.json"):
        config = json.loads(path.read_text())
        assert "password" not in config.get("api_server", {}), path
        assert "jwt_secret_key" not in config.get("api_server", {}), path


def test_trading_refuses_to_start_without_an_api_password(static_simulator, tmp_path, userdir):
    config = overlay_config(tmp_path, "virtual", static_simulator,
                            db_url=f"sqlite:///{tmp_path / 'nopassword.sqlite'}")
    result = freqtrade("trade", "-c", str(config), "--userdir", str(userdir),
                       "--strategy", "EmaCrossTestStrategy", "--strategy-path",
                       str(TEST_STRATEGIES), timeout=120)
    # freqtrade stops by itself (with exit status 0, its own choice) before trading
    assert "'password' is a required property" in result.stderr


class TestVirtualTrade:
    """`freqtrade trade` in Virtual mode against the replaying simulator."""

    PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]

    def api(self, port: int, path: str) -> requests.Response:
        return requests.get(
            f"http://127.0.0.1:{port}/api/v1/{path}", timeout=5,
            auth=("botpy", TEST_SECRETS["FREQTRADE__API_SERVER__PASSWORD"]),
        )

    def last_analyzed(self, port: int) -> int | None:
        try:
            answer = self.api(port, "pair_candles?pair=BTC/USDT&timeframe=1m&limit=5").json()
        except (requests.RequestException, ValueError):
            return None
        return answer["data"][-1][answer["columns"].index("__date_ts")] if answer.get(
            "data") else None

    def test_trade_analyses_new_candles_and_stops_cleanly(self, real_data, tmp_path, userdir):
        api_port = free_port()
        with running_simulator(real_data, "--clock", "replay", "--start", "2023-04-20T12:00",
                               log=tmp_path / "sim.log") as base:
            config = overlay_config(
                tmp_path, "virtual", base, db_url=f"sqlite:///{tmp_path / 'virtual.sqlite'}",
                api_server={"listen_port": api_port}, pairs=self.PAIRS,
            )
            bot = subprocess.Popen(
                [str(BIN / "freqtrade"), "trade", "-c", str(config), "--userdir", str(userdir),
                 "--strategy", "EmaCrossTestStrategy", "--strategy-path", str(TEST_STRATEGIES)],
                cwd=REPO, env=freqtrade_env(**TEST_SECRETS),
                stdout=subprocess.DEVNULL, stderr=(tmp_path / "bot.log").open("w"),
            )
            try:
                self.check_running_bot(api_port, bot, tmp_path)
            finally:
                bot.send_signal(signal.SIGTERM)
                code = bot.wait(timeout=60)
            # freqtrade turns SIGTERM into its Ctrl-C path: clean-up, then exit status 130
            assert code == 130, (tmp_path / "bot.log").read_text()[-3000:]
            assert "Cleaning up modules" in (tmp_path / "bot.log").read_text()

    def check_running_bot(self, port: int, bot: subprocess.Popen, tmp_path: Path) -> None:
        log = tmp_path / "bot.log"
        wait_until(lambda: bot.poll() is not None or self.last_analyzed(port) is not None, 120)
        assert bot.poll() is None, log.read_text()[-3000:]
        assert self.api(port, "ping").json() == {"status": "pong"}
        assert self.api(port, "whitelist").json()["whitelist"] == self.PAIRS
        assert self.api(port, "status").status_code == 200
        first = self.last_analyzed(port)
        wait_until(lambda: (self.last_analyzed(port) or 0) > first, 150, interval=2)
        assert self.last_analyzed(port) - first >= 60_000


def test_lookahead_analysis_runs_offline(static_simulator, real_data, tmp_path, userdir):
    config = overlay_config(tmp_path, "backtest", static_simulator)
    report = tmp_path / "lookahead.csv"
    result = freqtrade(
        "lookahead-analysis", "-c", str(config), "--userdir", str(userdir),
        "--datadir", str(real_data), "--strategy", "EmaCrossTestStrategy",
        "--strategy-path", str(TEST_STRATEGIES), "--timerange", "20230415-20230417",
        "--pairs", "BTC/USDT", "ETH/USDT", "--minimum-trade-amount", "5",
        "--targeted-trade-amount", "10", "--lookahead-analysis-exportfilename", str(report),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = pd.read_csv(report)
    assert rows.loc[0, "strategy"] == "EmaCrossTestStrategy"
    assert not rows.loc[0, "has_bias"]
    assert rows.loc[0, "total_signals"] >= 5


class TestBotpyAnalysis:
    """freqtrade's own bias checks of BotpyStrategy on the real data."""

    def test_lookahead_analysis_finds_no_bias(self, static_simulator, real_data, tmp_path,
                                              userdir):
        # analysis.json: the candle guards (anti-whale, BTC breaker) on; docs/strategy.md
        config = overlay_config(tmp_path, "analysis", static_simulator)
        report = tmp_path / "lookahead.csv"
        result = freqtrade(
            "lookahead-analysis", "-c", str(config), "--userdir", str(userdir),
            "--datadir", str(real_data), "--strategy", "BotpyStrategy",
            "--strategy-path", str(STRATEGIES), "--timerange", "20230415-20230425",
            "--pairs", "ETH/USDT", "SOL/USDT", "DOGE/USDT", "--minimum-trade-amount", "10",
            "--targeted-trade-amount", "20", "--lookahead-analysis-exportfilename", str(report),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        row = pd.read_csv(report).iloc[0]
        assert not row["has_bias"]
        assert row["total_signals"] >= 10
        assert row["biased_entry_signals"] == 0

    def test_recursive_analysis_shows_no_variance_at_the_startup_count(
            self, static_simulator, real_data, tmp_path, userdir):
        config = overlay_config(tmp_path, "analysis", static_simulator)
        result = freqtrade(
            "recursive-analysis", "-c", str(config), "--userdir", str(userdir),
            "--datadir", str(real_data), "--strategy", "BotpyStrategy",
            "--strategy-path", str(STRATEGIES), "--timerange", "20230420-20230425",
            "--pairs", "ETH/USDT",
        )
        assert result.returncode == 0, result.stderr[-3000:]
        table = recursive_table(result.stdout)
        column = next(c for c in table.columns if "from strategy" in c)
        assert len(table) >= 8  # the recursive indicators were compared
        assert (table[column].abs() < 0.0005).all(), table  # shown as 0.000 %


def recursive_table(stdout: str) -> pd.DataFrame:
    """The 'Recursive Analysis' table freqtrade prints, as numbers (percent)."""
    lines = [line for line in stdout.splitlines() if line.startswith(("┃", "│"))]
    header = [cell.strip() for cell in lines[0].strip("┃").split("┃")]
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in lines[1:]]
    frame = pd.DataFrame(rows, columns=header).set_index(header[0])
    return frame.replace("-", "0%").apply(lambda col: col.str.rstrip("%").astype(float))


@pytest.mark.parametrize("values, message", [
    ({"buy": {"precision_rsi_max": 95.0}}, "precision_rsi_max must be in [50, 90], got 95.0"),
    ({"buy": {"precision_rsi_max": "70"}}, "precision_rsi_max must be a number, got '70'"),
    ({"buy": {"trend_ema_period": 20.5}}, "trend_ema_period must be an integer, got 20.5"),
])
def test_a_bad_strategy_parameter_in_the_parameter_file_stops_freqtrade(
        values, message, static_simulator, real_data, tmp_path, userdir):
    """A hyperopt/params file value outside the declared range, or not of its parameter's type
    (freqtrade itself would set it, or fail in its rounding), is refused at start-up."""
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    shutil.copy(STRATEGIES / "BotpyStrategy.py", strategies)
    (strategies / "BotpyStrategy.json").write_text(json.dumps(
        {"strategy_name": "BotpyStrategy", "params": values}))
    config = overlay_config(tmp_path, "backtest", static_simulator, guards=NO_FEAR_GREED)
    result = freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir", str(real_data),
        "--strategy", "BotpyStrategy", "--strategy-path", str(strategies),
        "--timerange", "20230420-20230421", "--export", "none",
    )
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())  # freqtrade wraps its error line
    assert "Traceback" not in result.stderr


def test_a_subclass_loads_its_own_parameter_file(static_simulator, real_data, tmp_path,
                                                 userdir):
    """Hyperopt exports a strategy built on BotpyStrategy under its own name: the checks of
    the values must accept that file (and still check them)."""
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    (strategies / "MyBotpy.py").write_text(
        f"import sys\nsys.path.insert(0, {str(STRATEGIES)!r})\n"
        "from BotpyStrategy import BotpyStrategy  # noqa: E402\n\n\n"
        "class MyBotpy(BotpyStrategy):\n    pass\n")
    (strategies / "MyBotpy.json").write_text(json.dumps(
        {"strategy_name": "MyBotpy", "params": {"buy": {"precision_rsi_max": 72.0}}}))
    config = overlay_config(tmp_path, "backtest", static_simulator, guards=NO_FEAR_GREED)
    result = freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir", str(real_data),
        "--strategy", "MyBotpy", "--strategy-path", str(strategies),
        "--timerange", "20230420-20230421", "--export", "none",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Strategy Parameter: precision_rsi_max = 72.0" in output
    assert "also closes trades" not in output and "is tighter than" not in output


def test_a_timeframe_other_than_1m_stops_freqtrade(static_simulator, real_data, tmp_path,
                                                    userdir):
    """A config's (or --timeframe's) 5m would run the 1m strategy on 5m candles: no trade."""
    config = overlay_config(tmp_path, "backtest", static_simulator, guards=NO_FEAR_GREED)
    result = freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--datadir", str(real_data),
        "--strategy", "BotpyStrategy", "--strategy-path", str(STRATEGIES), "--timeframe", "5m",
        "--timerange", "20230420-20230421", "--export", "none",
    )
    assert result.returncode == 2
    error = " ".join(result.stderr.split())  # freqtrade wraps its error line
    assert "BotpyStrategy runs on 1m candles" in error and "sets timeframe '5m': remove it" in error


def hyperopt(config: Path, userdir: Path, real_data: Path, strategies: Path, *extra: str):
    """`freqtrade hyperopt` of the buy space on a copy of the strategy in `strategies`: hyperopt
    writes its best parameters next to the strategy file, and the repository's must stay clean."""
    strategies.mkdir(exist_ok=True)
    shutil.copy(STRATEGIES / "BotpyStrategy.py", strategies)
    return freqtrade(
        "hyperopt", "-c", str(config), "--userdir", str(userdir), "--datadir", str(real_data),
        "--strategy", "BotpyStrategy", "--strategy-path", str(strategies),
        "--timerange", "20230420-20230425", "--spaces", "buy", "-j", "1",
        "--hyperopt-loss", "OnlyProfitHyperOptLoss", "--disable-param-export", *extra)


def test_hyperopt_of_entry_parameters_without_analysis_per_epoch_is_refused(
        static_simulator, real_data, tmp_path, userdir):
    config = overlay_config(tmp_path, "backtest", static_simulator, guards=NO_FEAR_GREED)
    result = hyperopt(config, userdir, real_data, tmp_path / "strategies", "--epochs", "2")
    assert result.returncode != 0
    assert "Run hyperopt with --analyze-per-epoch" in " ".join(result.stderr.split())


def test_hyperopt_with_analysis_per_epoch_applies_each_epochs_parameters(
        static_simulator, real_data, tmp_path, userdir):
    """Each epoch's entry parameters change the trades, and the last epoch's result is what a
    backtest with its parameters gives (no value left over from the epoch before)."""
    config = overlay_config(tmp_path, "backtest", static_simulator, guards=NO_FEAR_GREED)
    results = tmp_path / "hyperopt_userdir"
    shutil.copytree(userdir, results)
    run = hyperopt(config, results, real_data, tmp_path / "hyperopt_strategies", "--epochs", "4",
                   "--analyze-per-epoch", "--random-state", "3")
    assert run.returncode == 0, run.stderr[-3000:]
    epochs = [json.loads(line) for line in
              next((results / "hyperopt_results").glob("*.fthypt")).read_text().splitlines()]
    assert len(epochs) == 4
    assert len({e["results_metrics"]["total_trades"] for e in epochs}) > 1
    assert not (STRATEGIES / "BotpyStrategy.json").exists()
    assert not (tmp_path / "hyperopt_strategies" / "BotpyStrategy.json").exists()
    last = epochs[-1]
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    (tmp_path / "bt").mkdir()
    shutil.copy(STRATEGIES / "BotpyStrategy.py", strategies)
    (strategies / "BotpyStrategy.json").write_text(json.dumps(
        {"strategy_name": "BotpyStrategy", "params": {"buy": last["params_dict"]}}))
    backtest = freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(results), "--datadir", str(real_data),
        "--strategy", "BotpyStrategy", "--strategy-path", str(strategies),
        "--timerange", "20230420-20230425", "--export", "trades",
        "--backtest-directory", str(tmp_path / "bt"))
    assert backtest.returncode == 0, backtest.stderr[-3000:]
    stats = load_backtest_stats(tmp_path / "bt")["BotpyStrategy"]
    assert stats["total_trades"] == last["results_metrics"]["total_trades"]
    assert stats["profit_total"] == pytest.approx(last["results_metrics"]["profit_total"])
