"""`botpy evaluate` end to end: the real freqtrade CLI per fold through the offline simulator,
the report's sections checked against freqtrade's own figures, the HTML in headless Chromium,
the hyperopted folds against plain backtests, and bad input refused before anything is written."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import Browser, chromium_binary
from tests.helpers import (
    BIN,
    REPO,
    STRATEGIES,
    TEST_STRATEGIES,
    freqtrade,
    freqtrade_env,
    load_backtest_stats,
)

PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "DOGE/USDT"]  # the pairs with data from 03-16
TIMERANGE = "20230405-20230414"  # 9 days after the 10-day warm-up: 3 folds of 3 days
SECTIONS = ("command", "data", "folds", "fees", "method", "strategies", "buy_and_hold")
STATS = ("all", "per_tag", "per_setup", "drawdown_monte_carlo", "fee_sensitivity")


def botpy_evaluate(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "botpy"), "evaluate", *args], cwd=REPO,
                          env=freqtrade_env(), capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(("args", "option"), [
    (["--pairs", "NOPE/USDT"], "--pairs"),
    (["--timerange", "20220101-20220201"], "--timerange"),
    (["--timerange", "20230420-20230601"], "--timerange"),
    (["--folds", "80"], "--folds"),  # windows of 6 h, under the 6 h 40 min warm-up
    (["--folds", "0"], "--folds"),
    (["--control", "--control-draws", "0"], "--control-draws"),
    (["--control-draws", "3"], "--control-draws"),  # draws of a control not asked for
    (["--optimize", "buy", "--random-state", "-1"], "--random-state"),
])
def test_bad_input_is_one_line_naming_the_option_and_writes_nothing(
        args, option, real_data, tmp_path):
    out = tmp_path / "report"
    result = botpy_evaluate("--datadir", str(real_data), "--out", str(out), *args, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "numexpr" not in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"botpy evaluate: error: {option}: ")
    assert not out.exists()


def linked_datadir(path: Path, source: Path, pairs: list[str], history: bool,
                   timeframes: str = "*") -> Path:
    """A datadir of links to `source`'s candle files of `pairs` (and its Fear & Greed history)."""
    path.mkdir()
    for pair in pairs:
        for candles in source.glob(f"{pair.replace('/', '_')}-{timeframes}.feather"):
            (path / candles.name).symlink_to(candles)
    if history:
        (path / "fear_greed.json").symlink_to(source / "fear_greed.json")
    return path


def test_a_datadir_without_the_guards_data_is_refused_before_any_run(real_data, tmp_path):
    """Without BTC/USDT's 1m candles the BTC breaker would refuse every entry; without a Fear &
    Greed history (none found, the download failing) every fold would stop, and with one that
    ends before the runs every entry after its end would be refused: each is refused once, at
    the start, with what to do."""
    out = tmp_path / "report"
    no_btc = linked_datadir(tmp_path / "no-btc", real_data, ["ETH/USDT", "SOL/USDT"], True)
    result = botpy_evaluate("--datadir", str(no_btc), "--out", str(out), timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert (f"botpy evaluate: error: --datadir: the btc_breaker guard reads BTC/USDT's 1m "
            f"candles, and {no_btc / 'BTC_USDT-1m.feather'} is missing") in result.stderr
    assert "botpy.guards.btc_breaker.enabled = false" in result.stderr

    no_history = linked_datadir(tmp_path / "no-history", real_data, ["BTC/USDT", "ETH/USDT"],
                                False)
    absent = tmp_path / "absent" / "fear_greed.json"
    config = tmp_path / "unreachable-index.json"
    config.write_text(json.dumps({
        "add_config_files": [str(REPO / "user_data" / "config" / "backtest.json")],
        "botpy": {"guards": {"fear_greed": {"history_file": str(absent), "retries": 0,
                                            "url": "http://127.0.0.1:9/fng/"}}}}))
    result = botpy_evaluate("--datadir", str(no_history), "--config", str(config), "--out",
                            str(out), timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert (f"botpy evaluate: error: --datadir: Fear & Greed history {absent} not found, and "
            f"the download failed") in result.stderr
    assert not out.exists() and not absent.exists()

    stale = linked_datadir(tmp_path / "stale-history", real_data, ["BTC/USDT", "ETH/USDT"],
                           False)
    days = json.loads((real_data / "fear_greed.json").read_text())["data"]
    ending = [row for row in days if int(row["timestamp"]) < 1680307200]  # before 2023-04-01
    (stale / "fear_greed.json").write_text(json.dumps({"data": ending}))
    result = botpy_evaluate("--datadir", str(stale), "--timerange", "20230405-20230408",
                            "--out", str(out), timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert (f"botpy evaluate: error: --datadir: the Fear & Greed history "
            f"{stale / 'fear_greed.json'} covers 2018-02-01 to 2023-03-31, the runs 2023-04-05 "
            f"to 2023-04-07") in result.stderr

    guard_off = tmp_path / "breaker-off.json"
    guard_off.write_text(json.dumps({
        "add_config_files": [str(REPO / "user_data" / "config" / "backtest.json")],
        "botpy": {"guards": {"btc_breaker": {"enabled": False}}}}))
    result = botpy_evaluate("--datadir", str(no_btc), "--config", str(guard_off), "--folds",
                            "1", "--timerange", "20230405-20230408", "--out", str(out),
                            timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]  # the fix it names
    assert "fold 1/1 BotpyStrategy" in result.stdout


def test_a_datadir_of_1m_candles_alone_evaluates_like_the_full_one(real_data, tmp_path):
    """The informative 5m/15m/1h/4h candles (and SampleStrategy's 5m) a datadir lacks are
    resampled from its 1m candles, as the shared sets' own files were: the same trades."""
    only_1m = linked_datadir(tmp_path / "only-1m", real_data, ["BTC/USDT", "ETH/USDT"], True,
                             timeframes="1m")
    # and a 15m file of another download, ending before the folds: rebuilt like a missing one
    ended = pd.read_feather(real_data / "ETH_USDT-15m.feather")
    ended[ended["date"] < "2023-04-03"].reset_index(drop=True).to_feather(
        only_1m / "ETH_USDT-15m.feather")
    reports = {}
    for name, datadir, pairs in (("full", real_data, ["--pairs", "BTC/USDT", "ETH/USDT"]),
                                 ("1m", only_1m, [])):
        out = tmp_path / name
        result = botpy_evaluate("--datadir", str(datadir), *pairs, "--folds", "1",
                                "--timerange", "20230405-20230408", "--out", str(out))
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        reports[name] = json.loads((out / "report.json").read_text())["strategies"]
    assert ("candles: 7 file(s) missing" in result.stdout
            and "(5m, 15m, 1h, 4h of BTC/USDT, ETH/USDT)" in result.stdout)
    assert "candles: 1 file(s) shorter than their 1m candles in" in result.stdout
    assert len(pd.read_feather(only_1m / "ETH_USDT-15m.feather")) == len(  # not written to
        ended[ended["date"] < "2023-04-03"])
    for strategy in ("BotpyStrategy", "SampleStrategy"):
        full, alone = reports["full"][strategy]["pooled"], reports["1m"][strategy]["pooled"]
        assert full == alone
    assert reports["1m"]["BotpyStrategy"]["pooled"]["all"]["trades"] > 0
    assert not list(only_1m.glob("*-5m.feather"))  # built beside the report, not in the datadir
    assert not (tmp_path / "full" / "candles").exists()  # nothing built for a complete datadir


@pytest.fixture(scope="module")
def real_report(real_data, tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("evaluation")
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", *PAIRS, "--timerange",
                            TIMERANGE, "--folds", "3", "--out", str(out))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "fold 3/3 BotpyStrategy" in result.stdout  # progress while the folds run
    assert "Walk-forward test folds" in result.stdout  # the terminal table
    return json.loads((out / "report.json").read_text()), out


def test_the_report_has_every_section_and_agrees_with_freqtrade(real_report):
    report, _ = real_report
    assert set(SECTIONS) <= set(report)
    assert [fold["test"]["timerange"] for fold in report["folds"]] == [
        "20230405T0000-20230407T2359", "20230408T0000-20230410T2359",
        "20230411T0000-20230413T2359"]
    for name in ("BotpyStrategy", "SampleStrategy"):
        section = report["strategies"][name]
        assert all(fold["ok"] for fold in section["folds"]), section["folds"]
        for fold in section["folds"]:
            assert set(STATS) <= set(fold["stats"])
            mine, theirs = fold["stats"]["all"], fold["freqtrade"]
            assert mine["trades"] == theirs["total_trades"]
            assert mine["profit_pct"] == pytest.approx(theirs["profit_total"] * 100, abs=1e-6)
            assert mine["max_drawdown_pct"] == pytest.approx(
                theirs["max_drawdown_account"] * 100, abs=1e-6)
        pooled = section["pooled"]
        assert pooled["all"]["trades"] == sum(f["freqtrade"]["total_trades"]
                                              for f in section["folds"])
        assert pooled["fee_sensitivity"]["0.001"] == pytest.approx(pooled["all"]["profit_pct"])
        fees = [pooled["fee_sensitivity"][k] for k in ("0.00075", "0.001", "0.0015")]
        assert fees == sorted(fees, reverse=True)  # dearer fees, less profit
    botpy = report["strategies"]["BotpyStrategy"]["pooled"]
    assert botpy["all"]["trades"] > 0
    assert botpy["all"]["trades_with_r"] == botpy["all"]["trades"]  # every trade has its R
    assert set(botpy["per_setup"]) <= {"precision", "momentum", "ignition"}
    assert sum(g["trades"] for g in botpy["per_setup"].values()) == botpy["all"]["trades"]
    mc = botpy["drawdown_monte_carlo"]
    assert mc["shuffles"] >= 1000 and mc["p5_pct"] <= mc["p50_pct"] <= mc["p95_pct"]
    hold = report["buy_and_hold"]
    assert hold["pooled"]["profit_pct"] == pytest.approx(sum(f["profit_pct"]
                                                            for f in hold["folds"]))


@pytest.mark.skipif(chromium_binary() is None,
                    reason="Debian's chromium package is not installed (apt-get install chromium)")
def test_the_html_report_shows_the_three_equity_curves(real_report, tmp_path):
    _, out = real_report
    browser = Browser(tmp_path / "profile")
    try:
        browser.open((out / "report.html").as_uri())
        browser.wait_for("document.querySelectorAll('.js-plotly-plot').length === 3")
        curves = browser.evaluate("document.querySelectorAll('.js-plotly-plot')[0].data.map("
                                  "t => [t.name, t.x.length])")
        shown = browser.evaluate("document.querySelectorAll('.js-plotly-plot')[0]"
                                 ".querySelectorAll('.scatterlayer .trace').length")
        browser.screenshot(tmp_path / "report.png")
    finally:
        browser.close()
    assert [name for name, _ in curves] == ["BotpyStrategy", "SampleStrategy", "buy & hold"]
    assert all(points > 2 for _, points in curves)
    assert shown == 3  # drawn, not only in the data
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_a_failed_fold_reports_freqtrades_error_and_the_others_finish(real_data, tmp_path):
    out = tmp_path / "report"
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", "ETH/USDT", "--timerange",
                            TIMERANGE, "--folds", "3", "--out", str(out), "--strategy",
                            "FailsOnOneFold", "--strategy-path", str(TEST_STRATEGIES))
    assert result.returncode == 1, result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    folds = report["strategies"]["FailsOnOneFold"]["folds"]
    assert [fold["ok"] for fold in folds] == [True, False, True]
    assert "this test strategy refuses 20230408T0000" in folds[1]["error"]
    assert "FAILED: backtesting exited with" in result.stdout
    assert all(fold["ok"] for fold in report["strategies"]["SampleStrategy"]["folds"])
    assert report["strategies"]["FailsOnOneFold"]["pooled"]["folds"] == [1, 3]


def test_hyperopted_folds_equal_a_plain_backtest_with_their_parameters(real_data, tmp_path):
    out = tmp_path / "report"
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", "BTC/USDT", "ETH/USDT",
                            "SOL/USDT", "--timerange", TIMERANGE, "--folds", "2", "--optimize",
                            "buy", "--epochs", "3", "--out", str(out))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    report = json.loads((out / "report.json").read_text())
    config = out / "runs" / "evaluation-config.json"
    for fold, plan in zip(report["strategies"]["BotpyStrategy"]["folds"], report["folds"],
                          strict=True):
        assert plan["train"]["end"] == plan["test"]["start"]
        params = fold["params"]
        assert params["strategy_name"] == "BotpyStrategy" and params["params"]["buy"]
        assert f"--random-state {fold['fold']}" in fold["commands"][0]  # default 1, + k - 1
        strategies = tmp_path / f"strategies{fold['fold']}"
        strategies.mkdir()
        shutil.copy(STRATEGIES / "BotpyStrategy.py", strategies)
        (strategies / "BotpyStrategy.json").write_text(json.dumps(params))
        results = tmp_path / f"bt{fold['fold']}"
        results.mkdir()
        # the evaluation's simulator is gone: serve the markets again on the same port
        with simulator_on(config, real_data):
            plain = freqtrade(
                "backtesting", "-c", str(config), "--userdir", str(REPO / "user_data"),
                "--datadir", str(real_data), "--strategy", "BotpyStrategy", "--strategy-path",
                str(strategies), "--timerange", plan["test"]["timerange"], "--fee", "0.001",
                "--pairs", "BTC/USDT", "ETH/USDT", "SOL/USDT", "--export", "trades",
                "--backtest-directory", str(results))
        assert plain.returncode == 0, plain.stderr[-3000:]
        stats = load_backtest_stats(results)["BotpyStrategy"]
        assert stats["total_trades"] == fold["freqtrade"]["total_trades"]
        assert stats["profit_total"] == pytest.approx(fold["freqtrade"]["profit_total"])
    # the strategy's own parameters ran on the same test windows: hyperopt's gain out of sample
    mine = report["strategies"]["BotpyStrategy"]["folds"]
    plain = report["strategies"]["BotpyStrategy-unoptimized"]["folds"]
    assert all(fold["ok"] and fold["params"] is None for fold in plain)
    gain = report["hyperopt"]
    assert (gain["compared"], [f["fold"] for f in gain["folds"]]) == (2, [1, 2])
    for compared, optimized, unoptimized in zip(gain["folds"], mine, plain, strict=True):
        assert compared["optimized"]["profit_pct"] == optimized["stats"]["all"]["profit_pct"]
        assert compared["unoptimized"]["profit_pct"] == unoptimized["stats"]["all"]["profit_pct"]
        assert compared["unoptimized"]["trades"] == unoptimized["freqtrade"]["total_trades"]
    assert "Hyperopt out of sample: with its hyperopted parameters BotpyStrategy" in result.stdout


def simulator_on(config: Path, datadir: Path):
    from botpy_ext.cli import simulator

    url = json.loads(config.read_text())["exchange"]["ccxt_config"]["urls"]["api"]["public"]
    return simulator(datadir, config.parent / "replay-simulator.log",
                     base_url=url.removesuffix("/api/v3"))


def test_the_synthetic_market_evaluates_with_its_planted_setups(synthetic_market, tmp_path):
    out = tmp_path / "report"
    result = botpy_evaluate("--datadir", str(synthetic_market), "--pairs", "BTC/USDT",
                            "ETH/USDT", "LINK/USDT", "--timerange", "20240115-20240121",
                            "--folds", "3", "--control", "--control-draws", "2",
                            "--out", str(out))
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    report = json.loads((out / "report.json").read_text())
    assert set(SECTIONS) <= set(report) and (out / "report.html").stat().st_size > 100_000
    assert len(report["folds"]) == 3
    assert list(report["strategies"]) == ["BotpyStrategy", "BotpyRandomControl",
                                          "BotpyRandomControl#2", "SampleStrategy"]
    first, second = (report["strategies"][name]["pooled"]["all"]
                     for name in ("BotpyRandomControl", "BotpyRandomControl#2"))
    assert report["control"]["draws"] == 2
    assert [fold["fold"] for fold in report["control"]["folds"]] == [1, 2, 3]
    assert report["control"]["control_expectancy_r"] == [first["expectancy_r"],
                                                         second["expectancy_r"]]
    assert first != second  # another draw, other random candles
    assert "draws of the random-entry control" in result.stdout
    for name in ("BotpyStrategy", "BotpyRandomControl", "BotpyRandomControl#2"):
        section = report["strategies"][name]
        assert all(fold["ok"] for fold in section["folds"])
        assert section["pooled"]["all"]["trades"] == sum(f["freqtrade"]["total_trades"]
                                                         for f in section["folds"]) > 0
        # the control runs the same exits: every trade has its frozen R
        assert section["pooled"]["all"]["trades_with_r"] == section["pooled"]["all"]["trades"]


def test_the_signal_scan_measures_every_signal_against_random_entries(real_data, tmp_path):
    out = tmp_path / "signals"
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", "BTC/USDT", "ETH/USDT",
                            "--timerange", TIMERANGE, "--folds", "3", "--signals",
                            "--horizon-hours", "2", "--out", str(out), timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "random (control)" in result.stdout
    scan = json.loads((out / "signals.json").read_text())
    assert scan["horizon_minutes"] == 120 and scan["pairs"] == ["BTC/USDT", "ETH/USDT"]
    signals, control = scan["all_signals"], scan["per_setup"]["random (control)"]
    assert signals["signals"] > 0
    assert control["signals"] == signals["signals"]  # the same density, random candles
    assert set(signals["bracket_r_per_fold"]) <= {"1", "2", "3"}
    assert sum(scan["per_tag"][tag]["signals"] for tag in scan["per_tag"]
               if tag != "random (control)") == signals["signals"]
    assert -1 <= signals["bracket_r"] <= 1 and signals["fee_r"] > 0
    assert not (out / "report.json").exists()  # no backtest was run
    assert scan["strategy_values"] == {}

    # the config's botpy.parameters reach the scan: the spec's narrow stops, more fees per R
    literal = tmp_path / "literal"
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", "BTC/USDT", "ETH/USDT",
                            "--timerange", TIMERANGE, "--folds", "3", "--signals",
                            "--horizon-hours", "2", "--out", str(literal), "--config",
                            str(REPO / "user_data/config/spec-literal.json"), timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "signals: the strategy's values " in result.stdout
    assert "sniper_stop_atr=1.5" in result.stdout and "spec-literal.json" in result.stdout
    narrow = json.loads((literal / "signals.json").read_text())
    assert narrow["strategy_values"]["sniper_stop_atr"] == 1.5
    assert narrow["all_signals"]["fee_r"] > 2 * signals["fee_r"]

    # an earlier hyperopt's export beside the strategy pins every parameter: it wins over the
    # config, and the run says which of the config's values it overrides
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    (strategies / "BotpyStrategy.py").symlink_to(STRATEGIES / "BotpyStrategy.py")
    (strategies / "BotpyStrategy.json").write_text(json.dumps({
        "strategy_name": "BotpyStrategy", "ft_stratparam_v": 1,
        "params": {"sell": {"sniper_stop_atr": 5.0, "scalper_stop_atr": 1.0}}}))
    pinned = tmp_path / "pinned"
    result = botpy_evaluate("--datadir", str(real_data), "--pairs", "BTC/USDT",
                            "--timerange", TIMERANGE, "--folds", "3", "--signals",
                            "--horizon-hours", "2", "--out", str(pinned), "--config",
                            str(REPO / "user_data/config/spec-literal.json"),
                            "--strategy-path", str(strategies), timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert (f"note: the parameter file {strategies / 'BotpyStrategy.json'} overrides the "
            "config's botpy.parameters.sniper_stop_atr = 1.5 (the file has 5.0): ") \
        in result.stdout
    assert "scalper_stop_atr = " not in result.stdout  # the same value in both
    assert json.loads((pinned / "signals.json").read_text())[
        "strategy_values"]["sniper_stop_atr"] == 5.0
