"""The scanner scans with the strategy's parameter values: defaults, the config's
`botpy.parameters`, the strategy's parameter file over both; the same values as freqtrade gives
the strategy itself, and `freqtrade test-pairlist` ranks with them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.resolvers.strategy_resolver import StrategyResolver

from botpy_ext.scanner.strategy_values import (
    CONFIG_SOURCE,
    strategy_file,
    strategy_values,
)
from botpy_ext.setups.engine import EngineSettings
from tests.helpers import BIN, NO_FEAR_GREED, REPO, freqtrade_env, overlay_config, running_simulator

STRATEGY_FILE = REPO / "user_data" / "strategies" / "BotpyStrategy.py"
# the simulator frozen 90 s after LINK's Precision breakout (precision_breakout-1, 14:19)
FROZEN_AFTER_LINK_SIGNAL = ["--clock", "frozen", "--start", "2024-01-13T14:20:30+00:00"]


def parameter_file(folder: Path, params: dict, name: str = "BotpyStrategy") -> Path:
    """A strategy folder as hyperopt leaves it: the strategy (linked) and its export next to it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "BotpyStrategy.py").symlink_to(STRATEGY_FILE)
    path = folder / "BotpyStrategy.json"
    path.write_text(json.dumps({"strategy_name": name, "params": params, "ft_stratparam_v": 1}))
    return path


def config_with(values: dict | None = None, **settings) -> dict:
    return {"botpy": {"parameters": values or {}}, **settings}


# ------------------------------------------------------------------ the values and their source
def test_defaults_without_config_values_or_parameter_file(tmp_path):
    resolved = strategy_values({}, None)
    assert resolved == (EngineSettings(), "defaults", {})
    assert strategy_values({}, tmp_path / "BotpyStrategy.json") == resolved  # no such file
    # exit parameters change the strategy's trades, not the engine the scanner runs
    assert strategy_values(config_with({"sniper_stop_atr": 2.0}), None).source == "defaults"


def test_config_values_over_the_defaults():
    resolved = strategy_values(config_with({"precision_rsi_max": 80.0, "trend_market": True,
                                            "sniper_stop_atr": 2.0}), None)
    assert resolved.engine.precision.rsi_max == 80.0 and resolved.engine.trend.market is True
    assert resolved.engine.precision.bb_period == 20
    assert resolved.source == CONFIG_SOURCE
    assert resolved.changed == {"trend_market": True, "precision_rsi_max": 80.0}


def test_parameter_file_over_the_config(tmp_path):
    path = parameter_file(tmp_path, {
        "buy": {"precision_rsi_max": 60.0, "ignition_min_rise": 0.0525, "unknown_name": 3},
        "sell": {"precision_bb_period": 30, "sniper_stop_atr": 2.5}})
    resolved = strategy_values(config_with({"precision_rsi_max": 80.0, "trend_market": True}),
                               path)
    assert resolved.engine.precision.rsi_max == 60.0  # the file wins
    assert resolved.engine.trend.market is True  # the config where the file says nothing
    assert resolved.engine.ignition.min_rise == 0.052  # rounded, as by DecimalParameter
    assert resolved.engine.precision.bb_period == 20  # a buy parameter is not read from "sell"
    assert resolved.source == f"parameter file {path} over {CONFIG_SOURCE}"
    only_file = strategy_values(config_with({"precision_rsi_max": 80.0}), path)
    assert only_file.source == f"parameter file {path}"
    assert only_file.changed == {"precision_rsi_max": 60.0, "ignition_min_rise": 0.052}


@pytest.mark.parametrize("params, config, message", [
    ({"buy": {"precision_rsi_max": 95.0}}, {},
     r"Invalid parameter file .*BotpyStrategy.json: params.buy.precision_rsi_max must be in "
     r"\[50, 90\], got 95.0"),
    ({"buy": {"precision_bb_period": 20.5}}, {},
     r"params.buy.precision_bb_period must be an integer, got 20.5"),
    ({"sell": {"trade_flash_trail": 0.5}}, {},
     r"params.sell.trade_flash_trail must be in \[0.005, 0.05\], got 0.5"),
    ({}, {"precision_rsi_max": 95.0},
     r"Invalid config: botpy.parameters.precision_rsi_max must be in \[50, 90\], got 95.0"),
])
def test_invalid_value_refused_with_its_key(tmp_path, params, config, message):
    path = parameter_file(tmp_path, params)
    with pytest.raises(OperationalException, match=message):
        strategy_values(config_with(config), path)


def test_parameter_file_of_another_strategy_refused_invalid_json_ignored(tmp_path):
    path = parameter_file(tmp_path, {"buy": {"precision_rsi_max": 60.0}}, name="Other")
    with pytest.raises(OperationalException, match="strategy_name must be 'BotpyStrategy', "
                       "got 'Other'"):
        strategy_values({}, path)
    path.write_text("{not json")  # freqtrade warns and runs without it
    assert strategy_values(config_with({"precision_rsi_max": 80.0}), path).source == CONFIG_SOURCE


# ------------------------------------------------------------------ where the strategy file is
def strategy_source(folder: Path, name: str = "BotpyStrategy") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.lower()}_file.py"
    path.write_text(f"from freqtrade.strategy import IStrategy\n\n\nclass {name}(IStrategy):\n"
                    "    pass\n")
    return path


def test_strategy_file_found_where_freqtrade_looks(tmp_path):
    userdir = tmp_path / "userdir"
    config = {"user_data_dir": userdir, "strategy": "BotpyStrategy"}
    assert strategy_file(config) is None
    (userdir / "strategies" / "notes.py").parent.mkdir(parents=True)
    (userdir / "strategies" / "notes.py").write_text("# class BotpyStrategy( is not here\n")
    in_userdir = strategy_source(userdir / "strategies")
    assert strategy_file(config) == in_userdir
    in_path = strategy_source(tmp_path / "elsewhere")
    assert strategy_file(config | {"strategy_path": str(tmp_path / "elsewhere")}) == in_path
    in_userdir.unlink()
    strategy_source(userdir / "strategies" / "sub")
    assert strategy_file(config) is None
    assert strategy_file(config | {"recursive_strategy_search": True}).parent.name == "sub"
    assert strategy_file({"user_data_dir": userdir, "strategy": "Other"}) is None
    assert strategy_file({"user_data_dir": userdir, "recursive_strategy_search": True}) \
        is not None  # no strategy named: BotpyStrategy


def test_same_engine_settings_as_freqtrade_gives_the_strategy(tmp_path, caplog):
    """The real strategy, loaded by freqtrade's StrategyResolver with the same config and
    parameter file, runs with the settings the scanner computes; it warns that the file
    overrides the config's value (hyperopt's export pins every parameter)."""
    path = parameter_file(tmp_path / "strategies", {
        "buy": {"precision_rsi_max": 60.0, "ignition_min_rise": 0.0525,
                "momentum_body_atr": 1.5},
        "sell": {"sniper_stop_atr": 2.5}})
    config = config_with({"precision_rsi_max": 80.0, "trend_market": True,
                          "momentum_confirm_minutes": 30},
                         strategy="BotpyStrategy", strategy_path=str(path.parent),
                         user_data_dir=tmp_path / "userdir", runmode=RunMode.OTHER,
                         stake_currency="USDT", dry_run=True)
    config["botpy"]["guards"] = NO_FEAR_GREED  # no history, no network
    strategy = StrategyResolver.load_strategy(config)
    strategy.ft_bot_start()
    assert strategy_file(config) == Path(strategy.__file__)
    resolved = strategy_values(config, strategy_file(config).with_suffix(".json"))
    assert resolved.engine == strategy.engine_settings()
    assert resolved.changed == {"trend_market": True, "precision_rsi_max": 60.0,
                                "momentum_body_atr": 1.5, "momentum_confirm_minutes": 30,
                                "ignition_min_rise": 0.052}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"
                and "overrides the config's" in r.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0]
    assert "botpy.parameters.precision_rsi_max = 80.0 (the file has 60.0)" in warnings[0]
    assert "trend_market" not in warnings[0]  # the file does not set it


def test_the_random_control_trades_with_botpystrategys_parameter_file(tmp_path):
    """freqtrade's loader refuses a parameter file that names another class; the random control
    (`botpy evaluate --control`) reads BotpyStrategy's, so that it trades the parameters of the
    strategy it is compared with. A file of another strategy is still refused."""
    path = parameter_file(tmp_path / "strategies", {"buy": {"precision_rsi_max": 60.0},
                                                    "sell": {"sniper_stop_atr": 2.5}})

    def loaded(name: str):
        config = config_with(strategy=name, strategy_path=str(path.parent),
                             user_data_dir=tmp_path / "userdir", runmode=RunMode.OTHER,
                             stake_currency="USDT", dry_run=True)
        config["botpy"]["guards"] = NO_FEAR_GREED  # no history, no network
        strategy = StrategyResolver.load_strategy(config)
        strategy.ft_bot_start()
        return strategy.precision_rsi_max.value, strategy.sniper_stop_atr.value

    assert loaded("BotpyRandomControl") == loaded("BotpyStrategy") == (60.0, 2.5)
    path.write_text(json.dumps({"strategy_name": "Other", "params": {}, "ft_stratparam_v": 1}))
    with pytest.raises(OperationalException, match="Invalid parameter file"):
        loaded("BotpyRandomControl")


# ------------------------------------------------------------------ freqtrade test-pairlist
def test_test_pairlist_scans_with_the_parameter_file(synthetic_market, tmp_path, userdir):
    """LINK's Precision breakout at its signal candle, with the engine's defaults and with a
    parameter file (as hyperopt writes it) whose RSI ceiling (50) the pair's 1h RSI (43) passes
    but its 15m RSI does not: no signal any more."""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "BotpyStrategy.py").symlink_to(STRATEGY_FILE)
    tuned = parameter_file(tmp_path / "tuned", {"buy": {"precision_rsi_max": 50.0}})
    with running_simulator(synthetic_market, *FROZEN_AFTER_LINK_SIGNAL) as base:
        runs = {}
        for name, folder in (("plain", plain), ("tuned", tuned.parent)):
            json_path = tmp_path / name / "scanner.json"
            config = overlay_config(tmp_path / name, "base", base, pairs=["LINK/USDT"],
                                    pairlists=[{"method": "StaticPairList"}, {
                                        "method": "BotpyScannerPairList",
                                        "json_path": str(json_path)}],
                                    strategy_path=str(folder))
            runs[name] = json_path, subprocess.Popen(
                [str(BIN / "freqtrade"), "test-pairlist", "-c", str(config), "--userdir",
                 str(userdir)], cwd=REPO, env=freqtrade_env(), stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True)
        outputs = {name: (json_path, *proc.communicate(timeout=120))
                   for name, (json_path, proc) in runs.items()}
    scans = {}
    for name, (json_path, _, stderr) in outputs.items():
        assert json_path.is_file(), stderr[-3000:]
        scans[name] = json.loads(json_path.read_text())
    link = {name: next(row for row in scan["rows"] if row["pair"] == "LINK/USDT")
            for name, scan in scans.items()}
    assert scans["plain"]["parameters"] == {"source": "defaults", "changed": {}}
    assert link["plain"]["signal"] == "precision" and link["plain"]["dots"]["rsi_cool"]
    assert scans["tuned"]["parameters"] == {"source": f"parameter file {tuned}",
                                            "changed": {"precision_rsi_max": 50.0}}
    assert link["tuned"]["signal"] == "" and not link["tuned"]["dots"]["rsi_cool"]
    assert link["tuned"]["score"] < link["plain"]["score"]
    # the log says which values the scan used (freqtrade's console log wraps long lines)
    assert unwrapped(f"BotpyScannerPairList: entry engine settings of BotpyStrategy: parameter "
                     f"file {tuned}: precision_rsi_max=50.0") in unwrapped(outputs["tuned"][2])


def unwrapped(text: str) -> str:
    return re.sub(r"\s+", "", text)
