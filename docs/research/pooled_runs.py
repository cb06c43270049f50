"""Pools the test-fold trades of several `botpy evaluate` runs (one per datadir) into one
summary: the "both real sets" rows of docs/edge.md, section 8. A research script, not part of
the product.

    .venv/bin/python docs/research/pooled_runs.py BotpyStrategy OUT_DIR_1 OUT_DIR_2

OUT_DIR is an evaluation's `--out` directory (report.json and runs/). Each run's folds start
with its own starting balance; the profit is over their sum.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
from freqtrade.data.btanalysis import load_backtest_data

from botpy_ext.evaluation import statistics as st
from botpy_ext.exits.journal import read_journal


def fold_trades(run: Path, strategy: str) -> list[pd.DataFrame]:
    frames = []
    for fold in sorted(run.glob(f"runs/{strategy}-fold*")):
        trades = load_backtest_data(next((fold / "results").glob("*.zip")), strategy)
        journal = fold / "facts.jsonl"
        facts = pd.DataFrame(read_journal(journal)) if journal.exists() else pd.DataFrame()
        frames.append(st.attach_r(trades, facts))
    return frames


def main(strategy: str, runs: list[Path]) -> None:
    frames, pair_days, balance = [], 0.0, 0.0
    for run in runs:
        report = json.loads((run / "report.json").read_text())
        pairs = len(report["data"]["pairs"])
        pair_days += sum(pairs * fold["test"]["days"] for fold in report["folds"])
        balance += report["strategies"][strategy]["starting_balance"]
        frames += fold_trades(run, strategy)
    trades = pd.concat(frames, ignore_index=True)
    day = datetime(2000, 1, 1)  # the span only feeds Calmar, not printed
    figures = st.summarize(trades, balance, day, day.replace(day=2), 1)
    print(f"{strategy}: {figures['trades']} trades, {figures['trades'] / pair_days:.2f} per pair "
          f"and day, PF {figures['profit_factor']:.2f}, expectancy "
          f"{interval(figures['expectancy_pct'], figures['expectancy_pct_ci'])} %, "
          f"{interval(figures['expectancy_r'], figures['expectancy_r_ci'])} R, "
          f"profit {figures['profit_abs']:+.2f} of {balance:g}")


def interval(mean: float | None, bounds) -> str:
    if mean is None:
        return "—"
    return f"{mean:+.3f} [{bounds[0]:+.3f}, {bounds[1]:+.3f}]"


if __name__ == "__main__":
    main(sys.argv[1], [Path(arg) for arg in sys.argv[2:]])
