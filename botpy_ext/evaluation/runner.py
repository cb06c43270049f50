"""Runs the real freqtrade CLI for each fold: `freqtrade hyperopt` on a train window (with
`--optimize`), `freqtrade backtesting` on the test window, and reads back the exported trades,
freqtrade's own summary figures, the hyperopted parameters and the strategy's frozen facts."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from freqtrade.data.btanalysis import load_backtest_data, load_backtest_stats

from botpy_ext.evaluation.control import DRAW_KEY, draw_label
from botpy_ext.evaluation.folds import Fold, Window
from botpy_ext.exits.journal import read_journal
from botpy_ext.guards.settings import SECTION, TRADE_FACTS_KEY

# freqtrade's own summary figures kept next to ours (they must agree)
FREQTRADE_FIGURES = ("total_trades", "profit_total", "profit_total_abs", "profit_factor",
                     "max_drawdown_account", "winrate", "starting_balance", "backtest_start",
                     "backtest_end", "expectancy", "expectancy_ratio")
ENTRY_SPACES = {"buy", "default", "all"}  # spaces that hold BotpyStrategy's entry parameters
HYPEROPT_LOCK = threading.Lock()


@dataclass(frozen=True)
class StrategyRun:
    """What to run: a strategy class, where it lives, the datadir its timeframe reads."""

    name: str
    path: Path
    datadir: Path
    optimize: bool = False  # hyperopt each fold's train window first
    draw: int | None = None  # the random-entry control's draw (botpy.control_draw)
    unoptimized: bool = False  # with --optimize: the strategy's own parameters, for comparison
    bare: bool = False  # run a copy of the strategy's folder without its parameter file

    @property
    def label(self) -> str:
        """The run's name in the report: the class, a control's draw label, or the class's
        unoptimized twin."""
        if self.unoptimized:
            return unoptimized_label(self.name)
        return self.name if self.draw is None else draw_label(self.draw)


def unoptimized_label(name: str) -> str:
    """The report's name of the strategy backtested with its own parameters next to its
    hyperopted folds (`--optimize`): the same test windows, no hyperopt."""
    return f"{name}-unoptimized"


@dataclass(frozen=True)
class Setting:
    """Shared by every run of one evaluation."""

    freqtrade: Path  # the freqtrade executable
    config: Path  # the evaluation's config overlay
    userdir: Path
    pairs: tuple[str, ...]
    fee: float
    spaces: tuple[str, ...] = ()
    epochs: int = 0
    hyperopt_loss: str = "SharpeHyperOptLoss"
    random_state: int = 1  # fold 1's; fold k uses random_state + k - 1


@dataclass
class FoldResult:
    strategy: str
    fold: Fold
    ok: bool = False
    error: str | None = None
    seconds: float = 0.0
    trades: pd.DataFrame = field(default_factory=pd.DataFrame)
    facts: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: dict = field(default_factory=dict)  # freqtrade's own, from its export
    params: dict | None = None  # the fold's hyperopted parameters
    note: str | None = None
    commands: list[list[str]] = field(default_factory=list)


class FreqtradeFailed(RuntimeError):
    pass


def run_logged(command: list[str], log: Path, console: Path) -> None:
    """Run freqtrade with its log in `log`; on failure raise with its last error line."""
    with console.open("w") as out:
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    if code:
        raise FreqtradeFailed(f"{command[1]} exited with {code}: {last_error(log, console)}")


def last_error(log: Path, console: Path) -> str:
    for path in (log, console):
        if path.exists():
            lines = [line for line in path.read_text(errors="replace").splitlines()
                     if " ERROR " in line or line.startswith(("ERROR", "freqtrade."))]
            if lines:
                return lines[-1].split(" - ERROR - ")[-1].strip()
    text = console.read_text(errors="replace").strip() if console.exists() else ""
    return text.splitlines()[-1] if text else "no output"


def common_options(setting: Setting, strategy: StrategyRun, path: Path, window: Window,
                   rundir: Path, log: Path) -> list[str]:
    pairs = ["--pairs", *setting.pairs] if setting.pairs else []
    return ["-c", str(rundir / "config.json"), "--userdir", str(setting.userdir),
            "--datadir", str(strategy.datadir), "--strategy", strategy.name,
            "--strategy-path", str(path), "--timerange", window.timerange,
            "--fee", f"{setting.fee:g}", "--logfile", str(log), *pairs]


def write_run_config(setting: Setting, rundir: Path, draw: int | None = None) -> Path:
    """The evaluation's config plus this run's facts journal (and a control's draw)."""
    config = rundir / "config.json"
    section = {TRADE_FACTS_KEY: str((rundir / "facts.jsonl").resolve())}
    if draw is not None:
        section[DRAW_KEY] = draw
    config.write_text(json.dumps({
        "add_config_files": [str(setting.config.resolve())],
        SECTION: section,
    }, indent=2))
    return config


def in_export_order(trades: pd.DataFrame, exported: list[dict]) -> pd.DataFrame:
    """`trades` (freqtrade's loader sorts them by open date) back in the export's order, the
    order freqtrade's backtest closed them: trades closing in the same minute (every force_exit
    at a window's end) then fall as in freqtrade's own drawdown."""
    position = {(t["pair"], t["open_timestamp"]): k for k, t in enumerate(exported)}
    order = [position[key] for key in zip(trades["pair"], trades["open_timestamp"], strict=True)]
    return trades.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def backtest(setting: Setting, strategy: StrategyRun, path: Path, window: Window,
             rundir: Path, result: FoldResult) -> None:
    results = rundir / "results"
    results.mkdir(parents=True)
    command = [str(setting.freqtrade), "backtesting",
               *common_options(setting, strategy, path, window, rundir, rundir / "backtest.log"),
               "--export", "trades", "--backtest-directory", str(results), "--cache", "none"]
    result.commands.append(command)
    run_logged(command, rundir / "backtest.log", rundir / "backtest.console.log")
    archive = next(results.glob("*.zip"))
    stats = load_backtest_stats(archive)["strategy"][strategy.name]
    result.figures = {key: stats.get(key) for key in FREQTRADE_FIGURES}
    result.trades = in_export_order(load_backtest_data(archive, strategy.name),
                                    stats["trades"])
    facts = pd.DataFrame(read_journal(rundir / "facts.jsonl"))
    result.facts = facts


def hyperopt(setting: Setting, strategy: StrategyRun, path: Path, window: Window,
             rundir: Path, result: FoldResult) -> dict:
    """Hyperopt the train window; its best parameters land next to the strategy copy. Fold k's
    random state is `random_state + k - 1`: reproducible, and other candidates in each fold."""
    per_epoch = ["--analyze-per-epoch"] if ENTRY_SPACES & set(setting.spaces) else []
    command = [str(setting.freqtrade), "hyperopt",
               *common_options(setting, strategy, path, window, rundir, rundir / "hyperopt.log"),
               "--spaces", *setting.spaces, "--epochs", str(setting.epochs),
               "--hyperopt-loss", setting.hyperopt_loss, "-j", "1",
               "--random-state", str(setting.random_state + result.fold.number - 1),
               "--print-json", *per_epoch]
    result.commands.append(command)
    with HYPEROPT_LOCK:  # freqtrade runs one hyperopt per user directory at a time
        run_logged(command, rundir / "hyperopt.log", rundir / "hyperopt.console.log")
    log = (rundir / "hyperopt.log").read_text(errors="replace")
    if "Another running instance of freqtrade Hyperopt detected" in log:
        raise FreqtradeFailed("hyperopt refused to start: another freqtrade hyperopt is running "
                              f"in the user directory {setting.userdir}")
    params_file = path / f"{strategy.name}.json"
    if not params_file.exists():
        result.note = ("hyperopt exported no parameters (no epoch had a result): the test window "
                       "ran with the strategy's defaults")
        return {}
    return json.loads(params_file.read_text())


def modules_copy(folder: Path, copy: Path) -> Path:
    """The strategy folder's modules without a parameter file: hyperopt exports its own next to
    them, and the runs compared with a hyperopted one start from the same parameters as it (the
    declared defaults and the config's), not from an earlier hyperopt's file."""
    copy.mkdir()
    for module in folder.glob("*.py"):
        shutil.copy(module, copy)
    return copy


def run_fold(setting: Setting, strategy: StrategyRun, fold: Fold, rundir: Path,
             phase=lambda text: None) -> FoldResult:
    """One fold of one strategy; a freqtrade failure is reported in the result, not raised.
    `phase(text)` is told when the backtest follows a hyperopt."""
    result = FoldResult(strategy.label, fold)
    started = time.monotonic()
    if rundir.exists():
        shutil.rmtree(rundir)
    rundir.mkdir(parents=True)
    write_run_config(setting, rundir, strategy.draw)
    path = strategy.path
    try:
        if strategy.bare or (strategy.optimize and fold.train is not None):
            path = modules_copy(strategy.path, rundir / "strategy")
        if strategy.optimize and fold.train is not None:
            train = rundir / "train"
            train.mkdir()
            write_run_config(setting, train, strategy.draw)
            result.params = hyperopt(setting, strategy, path, fold.train, train, result)
            phase(f"hyperopt of the train window {fold.train.timerange} done, backtest of the "
                  "test window started")
        backtest(setting, strategy, path, fold.test, rundir, result)
        result.ok = True
    except (FreqtradeFailed, StopIteration, KeyError, ValueError) as exc:
        result.error = str(exc) or type(exc).__name__
    result.seconds = time.monotonic() - started
    return result
