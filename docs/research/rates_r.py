"""Reproduces the signal-rate table of docs/edge.md, section 10: entry signals per pair per day
(after 10 warm-up days, the 4h trend filter included) under the spec's squeeze and hypothesis
R's rarer one, with one entry per 240 min (L) and Precision's close above the last 2 h's high.
A research script, not part of the product.

    .venv/bin/python docs/research/rates_r.py DATADIR [DATADIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from botpy_ext.evaluation import market
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES
from botpy_ext.setups.engine import EngineSettings, analyse, first_of_episode
from botpy_ext.setups.settings import PrecisionSettings

WARMUP = pd.Timedelta(days=10)
RANGE_CANDLES = 8  # closed 15m candles: the last 2 h
GAP = 240  # minutes: L
SQUEEZES = {"spec": PrecisionSettings(),
            "R": PrecisionSettings(squeeze_percentile=10, squeeze_lookback=200)}


def analysed(datadir: Path, pair: str, precision: PrecisionSettings) -> pd.DataFrame:
    informative = {tf: market.read_candles(datadir, pair, tf) for tf in INFORMATIVE_TIMEFRAMES}
    a = analyse(market.read_candles(datadir, pair), informative,
                EngineSettings(precision=precision))[["date", "close", "entry_setup"]]
    highs = informative["15m"][["date", "high"]]
    known = pd.DataFrame({  # the 2 h high, known once its last 15m candle has closed
        "date": (highs["date"] + pd.Timedelta(minutes=15)).astype(a["date"].dtype),
        "range_high": highs["high"].rolling(RANGE_CANDLES).max()})
    a = pd.merge_asof(a.reset_index(drop=True), known, on="date")
    return a[a["date"] >= a["date"].iloc[0] + WARMUP].reset_index(drop=True)


def counts(a: pd.DataFrame) -> dict[str, int]:
    setup = a["entry_setup"]
    breakout = (setup == "precision") & (a["close"] > a["range_high"])
    return {"all": int((setup != "").sum()),
            "L": int((first_of_episode(setup, a["date"], GAP) != "").sum()),
            "breakout + L": int((first_of_episode(setup.where(breakout, ""), a["date"], GAP)
                                 != "").sum())}


def main(datadirs: list[str]) -> None:
    for datadir in map(Path, datadirs):
        for name, precision in SQUEEZES.items():
            total: dict[str, int] = {}
            days = 0.0
            for pair in market.datadir_pairs(datadir):
                a = analysed(datadir, pair, precision)
                days += (a["date"].iloc[-1] - a["date"].iloc[0]).total_seconds() / 86400
                for key, value in counts(a).items():
                    total[key] = total.get(key, 0) + value
            rates = {key: round(value / days, 2) for key, value in total.items()}
            print(f"{datadir.name} squeeze {name}: {rates}", np.round(days, 1), "pair-days")


if __name__ == "__main__":
    main(sys.argv[1:])
