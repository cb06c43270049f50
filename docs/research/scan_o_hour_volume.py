"""Hypothesis O of docs/edge.md (section 9): volume against the same time of day. A signal counts
only when the pair's volume of the last 15 minutes is at least twice its average over the same
15 minutes of the previous 7 days: interest beyond the market's daily rhythm (the US open makes
every pair's volume rise every afternoon). A research script, not part of the product.

Scored like hypotheses D to H (`scan_d_to_h.py`), against random candles in the pair's 4h
uptrend and random candles in the uptrend where the volume rule holds (does the volume regime
alone explain a difference?).

    .venv/bin/python docs/research/scan_o_hour_volume.py DATADIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scan_d_to_h import analysed_frames, first_of_episode, in_trend, print_table, scored

from botpy_ext.evaluation import market

WINDOW = 15  # minutes
DAYS = 7
RATIO = 2.0


def same_time_volume_ratio(candles: pd.DataFrame) -> pd.Series:
    """Volume of the last WINDOW minutes / its mean at the same time of the previous DAYS days
    (a full minute grid, so that a shift of 1440 rows is one day)."""
    volume = candles.set_index("date")["volume"].asfreq("1min", fill_value=0.0)
    recent = volume.rolling(WINDOW).sum()
    norm = sum(recent.shift(1440 * day) for day in range(1, DAYS + 1)) / DAYS
    return (recent / norm.where(norm > 0)).rename("volume_ratio")


def rules(a: pd.DataFrame, loud: np.ndarray) -> dict[str, np.ndarray]:
    signal = a["entry_tag"].to_numpy() != ""
    return {
        "all signals (defaults)": np.flatnonzero(signal),
        "O: signals with 15 min volume >= 2x same time, 7 days": np.flatnonzero(signal & loud),
        "A: one per episode (60 min)": first_of_episode(signal, 60),
        "O+A: one per episode with the volume rule": first_of_episode(signal & loud, 60),
    }


def main(datadir: Path) -> None:
    frames = analysed_frames(datadir)
    loud = {pair: same_time_volume_ratio(market.read_candles(datadir, pair))
            .reindex(a["date"]).to_numpy() >= RATIO for pair, a in frames.items()}
    shares = []

    def pools(pair: str, a: pd.DataFrame, inside: np.ndarray) -> dict[str, np.ndarray]:
        shares.append(loud[pair][inside].mean())
        return {"control: trend": np.flatnonzero(in_trend(a, inside)),
                "control: trend + volume rule": np.flatnonzero(in_trend(a, inside) & loud[pair])}

    parts, pair_days = scored(frames, lambda pair, a: rules(a, loud[pair]), pools)
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days, volume rule holds "
          f"{np.mean(shares):.1%} of the minutes")
    print_table(parts, pair_days, 80)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
