"""The entry signals of a parity window: is it worth testing? The engine with its default
settings (as `botpy evaluate --signals`) over every pair of the datadir, counted inside the window.
A signal candle that no trade follows was refused by a guard, or had no free slot."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from botpy_ext.evaluation import market
from botpy_ext.setups.engine import EngineSettings, analyse


def window_signals(datadir: Path, start: datetime, end: datetime) -> dict:
    counts: dict[str, int] = {}
    setups: set[str] = set()
    for pair in market.datadir_pairs(datadir):
        analysed = analyse(market.read_candles(datadir, pair), market.engine_frames(datadir, pair),
                           EngineSettings())
        inside = analysed[(analysed["date"] >= pd.Timestamp(start))
                          & (analysed["date"] < pd.Timestamp(end))
                          & (analysed["entry_tag"] != "")]
        if len(inside):
            counts[pair] = len(inside)
            setups |= set(inside["entry_setup"])
    return {"signal_candles": sum(counts.values()), "pairs": len(counts),
            "setups": sorted(setups), "per_pair": counts}
