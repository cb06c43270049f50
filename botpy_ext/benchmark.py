"""`make bench`: speed of the entry engine, as ratios to freqtrade's SampleStrategy in the same run.

(a) live analysis: one new 1m candle per pair, with the window a live bot holds (1400 candles of
    1m and of each informative timeframe), BotpyStrategy's engine and guard columns vs
    SampleStrategy's `populate_indicators` + `populate_entry_trend` on the same 1m window;
    target ≤ 50 ms per pair. "warm": a typical candle, the 5m/15m/1h/4h and BTC work kept from
    the last candle (they have not changed); "cold": the candle that closes a 4h candle, all
    informative work done again.
(b) the scanner pairlist: one pair's scan (the candles it fetches, the strategy's analysis, the
    row) vs SampleStrategy on the same 1m window; projected seconds per refresh of 100 pairs.
(c) `freqtrade backtesting` of BotpyStrategy on the real data (all pairs, 1m) vs SampleStrategy
    run with `--timeframe 1m` on the same data; target ≤ 2× its wall time; peak memory of both.
    Every guard is on except Fear & Greed: the real data come without its history.

(d) `botpy evaluate --folds 4` on the real data (no --optimize) vs one full-period backtest of
    BotpyStrategy plus one of SampleStrategy (its own 5m) over the same span, run one after the
    other in the same run; target ≤ 1.5× their summed wall time. The evaluation runs its folds
    `--jobs` at a time (default: one per CPU), as a user gets it.

Figures are printed and written to `.bench/results.json`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

from botpy_ext.cli import BIN, simulator, templates_dir
from botpy_ext.guards.columns import guard_columns
from botpy_ext.guards.settings import GuardSettings
from botpy_ext.scanner.state import scan_pair
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES, STARTUP_CANDLES
from botpy_ext.setups.engine import EngineSettings, analyse
from botpy_ext.setups.memo import MEMO

LIVE_WINDOW = 1400  # candles per timeframe a live bot holds: 1000 fetched + startup (400)
REPEATS = 7
TARGET_LIVE_MS = 50.0
TARGET_BACKTEST_RATIO = 1.5  # issue 12: at most 1.5x SampleStrategy at 1m
TARGET_EVALUATION_RATIO = 1.5
EVALUATION_FOLDS = 4
TEMPLATES = templates_dir()


def sample_strategy():
    spec = importlib.util.spec_from_file_location(
        "sample_strategy", TEMPLATES / "sample_strategy.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SampleStrategy({"timeframe": "1m", "stake_currency": "USDT"})


def timed_ms(function, repeats: int = REPEATS) -> float:
    """Median wall time of `function()` in ms."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def live_windows(datadir: Path, pair: str, length: int = LIVE_WINDOW
                 ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    name = pair.replace("/", "_")
    base = pd.read_feather(datadir / f"{name}-1m.feather").tail(length).reset_index(drop=True)
    informative = {}
    for tf in INFORMATIVE_TIMEFRAMES:
        frame = pd.read_feather(datadir / f"{name}-{tf}.feather")
        frame = frame[frame["date"] <= base["date"].iloc[-1]].tail(length)
        informative[tf] = frame.reset_index(drop=True)
    return base, informative


def live_analysis(datadir: Path) -> dict:
    sample = sample_strategy()
    pairs = sorted(p.name.split("-")[0].replace("_", "/") for p in datadir.glob("*-1m.feather"))
    per_pair = {}
    btc, _ = live_windows(datadir, "BTC/USDT")
    guards = GuardSettings()
    for pair in pairs:
        base, informative = live_windows(datadir, pair)

        def botpy(b=base, i=informative):
            return guard_columns(analyse(b, i), i["1h"], btc, guards)

        botpy_ms = timed_ms(botpy)  # a typical candle: the informative work is kept (memo)
        cold_ms = timed_ms(lambda: (MEMO.clear(), botpy()))  # every informative frame new
        meta = {"pair": pair}
        sample_ms = timed_ms(
            lambda b=base, m=meta: sample.populate_entry_trend(
                sample.populate_indicators(b.copy(), m), m
            )
        )
        per_pair[pair] = {"botpy_ms": round(botpy_ms, 2), "botpy_cold_ms": round(cold_ms, 2),
                          "sample_ms": round(sample_ms, 2)}
    worst = max(v["botpy_ms"] for v in per_pair.values())
    cold_worst = max(v["botpy_cold_ms"] for v in per_pair.values())
    mean = statistics.mean(v["botpy_ms"] for v in per_pair.values())
    sample_mean = statistics.mean(v["sample_ms"] for v in per_pair.values())
    return {
        "per_pair": per_pair,
        "botpy_mean_ms": round(mean, 2),
        "botpy_worst_ms": worst,
        "botpy_cold_mean_ms": round(statistics.mean(v["botpy_cold_ms"]
                                                    for v in per_pair.values()), 2),
        "botpy_cold_worst_ms": cold_worst,
        "sample_mean_ms": round(sample_mean, 2),
        "ratio_to_sample": round(mean / sample_mean, 2),
        "projected_100_pairs_s": round(mean * 100 / 1000, 2),
        "target_ms": TARGET_LIVE_MS,
        "meets_target": worst <= TARGET_LIVE_MS,
        "cold_meets_target": cold_worst <= TARGET_LIVE_MS,
    }


def scanner_scan(datadir: Path) -> dict:
    """(b) The scanner pairlist's work per pair and refresh: `scan_pair` on the windows it
    fetches (STARTUP_CANDLES of each timeframe) vs SampleStrategy on the same 1m window."""
    sample = sample_strategy()
    pairs = sorted(p.name.split("-")[0].replace("_", "/") for p in datadir.glob("*-1m.feather"))
    scan, reference = [], []
    for pair in pairs:
        base, informative = live_windows(datadir, pair, STARTUP_CANDLES)
        candles = {"1m": base, **informative}
        scan.append(timed_ms(lambda p=pair, c=candles: (  # conservative: nothing kept
            MEMO.clear(), scan_pair(p, c, EngineSettings()))))
        meta = {"pair": pair}
        reference.append(timed_ms(lambda b=base, m=meta: sample.populate_entry_trend(
            sample.populate_indicators(b.copy(), m), m)))
    mean, sample_mean = statistics.mean(scan), statistics.mean(reference)
    return {
        "pairs": len(pairs),
        "scan_mean_ms_per_pair": round(mean, 2),
        "scan_worst_ms_per_pair": round(max(scan), 2),
        "sample_mean_ms": round(sample_mean, 2),
        "ratio_to_sample": round(mean / sample_mean, 2),
        "projected_100_pairs_s": round(mean * 100 / 1000, 2),
    }


def run_measured(command: list[str], log: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of a subprocess, sampled every 50 ms; its log to `log`
    (a file: a pipe nobody reads would block a chatty process)."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=out)
        watched, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(command[:2])} failed:\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started, peak / 2**20


def backtests(datadir: Path, userdir: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "backtest-bench.json"
        config.write_text(json.dumps({
            "add_config_files": [str((userdir / "config" / "backtest.json").resolve())],
            "botpy": {"guards": {"fear_greed": {"enabled": False}}},
        }))
        common = [
            str(BIN / "freqtrade"),
            "backtesting",
            "-c",
            str(config),
            "--datadir",
            str(datadir),
            "--userdir",
            str(userdir),
            "--export",
            "none",
            "--cache",
            "none",
            "--backtest-directory",
            scratch,
        ]
        with simulator(datadir, Path(scratch) / "simulator.log"):
            botpy_s, botpy_mib = run_measured([*common, "--strategy", "BotpyStrategy"],
                                              Path(scratch) / "botpy.log")
            sample_s, sample_mib = run_measured(
                [
                    *common,
                    "--strategy",
                    "SampleStrategy",
                    "--strategy-path",
                    str(TEMPLATES),
                    "--timeframe",
                    "1m",
                ],
                Path(scratch) / "sample.log",
            )
    ratio = botpy_s / sample_s
    return {
        "botpy_s": round(botpy_s, 1),
        "sample_s": round(sample_s, 1),
        "ratio_to_sample": round(ratio, 2),
        "botpy_peak_mib": round(botpy_mib),
        "sample_peak_mib": round(sample_mib),
        "target_ratio": TARGET_BACKTEST_RATIO,
        "meets_target": ratio <= TARGET_BACKTEST_RATIO,
    }


def evaluation_span(datadir: Path, userdir: Path) -> str:
    """The timerange the evaluation's folds cover (after the warm-up), as one window."""
    from botpy_ext.evaluation.arguments import add_arguments
    from botpy_ext.evaluation.command import build_request
    from botpy_ext.evaluation.folds import Window

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--datadir", str(datadir), "--folds", str(EVALUATION_FOLDS)])
    folds = build_request(args, userdir).folds
    return Window(folds[0].test.start, folds[-1].test.end).timerange


def evaluation(datadir: Path, userdir: Path) -> dict:
    """(d) `botpy evaluate` against one full-period backtest of each of its two strategies."""
    timerange = evaluation_span(datadir, userdir)
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results"
        results.mkdir()
        common = [str(BIN / "freqtrade"), "backtesting", "-c",
                  str(userdir / "config" / "backtest.json"), "--datadir", str(datadir),
                  "--userdir", str(userdir), "--timerange", timerange, "--fee", "0.001",
                  "--export", "trades", "--cache", "none", "--backtest-directory", str(results)]
        with simulator(datadir, Path(scratch) / "simulator.log"):
            botpy_s, _ = run_measured([*common, "--strategy", "BotpyStrategy"],
                                      Path(scratch) / "botpy.log")
            sample_s, _ = run_measured([*common, "--strategy", "SampleStrategy",
                                        "--strategy-path", str(TEMPLATES)],
                                       Path(scratch) / "sample.log")
        evaluate_s, _ = run_measured(
            [str(BIN / "botpy"), "--userdir", str(userdir), "evaluate", "--datadir",
             str(datadir), "--folds", str(EVALUATION_FOLDS), "--out",
             str(Path(scratch) / "evaluation")], Path(scratch) / "evaluate.log")
    ratio = evaluate_s / (botpy_s + sample_s)
    return {
        "timerange": timerange,
        "folds": EVALUATION_FOLDS,
        "jobs": psutil.cpu_count(),
        "evaluate_s": round(evaluate_s, 1),
        "full_period_botpy_s": round(botpy_s, 1),
        "full_period_sample_s": round(sample_s, 1),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_EVALUATION_RATIO,
        "meets_target": ratio <= TARGET_EVALUATION_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="botpy-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--datadir", default="../shared/data/binance")
    parser.add_argument("--userdir", default="user_data")
    parser.add_argument("--out", default=".bench/results.json")
    parser.add_argument("--skip-backtest", action="store_true")
    parser.add_argument("--only-evaluation", action="store_true",
                        help="measure (d) alone")
    args = parser.parse_args(argv)
    datadir, userdir = Path(args.datadir), Path(args.userdir)
    if args.only_evaluation:
        return write_results({"machine": machine(), "evaluation": evaluation(datadir, userdir)},
                             Path(args.out))
    results = {
        "machine": machine(),
        "live_analysis": live_analysis(datadir),
        "scanner": scanner_scan(datadir),
    }
    print(
        json.dumps(
            {
                "live_analysis": {
                    k: v for k, v in results["live_analysis"].items() if k != "per_pair"
                },
                "scanner": results["scanner"],
            },
            indent=2,
        ),
        flush=True,
    )
    if not args.skip_backtest:
        results["backtesting"] = backtests(datadir, userdir)
        print(json.dumps({"backtesting": results["backtesting"]}, indent=2), flush=True)
        results["evaluation"] = evaluation(datadir, userdir)
    return write_results(results, Path(args.out))


def machine() -> dict:
    return {"cpus": psutil.cpu_count(), "python": sys.version.split()[0]}


def write_results(results: dict, out: Path) -> int:
    if "evaluation" in results:
        print(json.dumps({"evaluation": results["evaluation"]}, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
