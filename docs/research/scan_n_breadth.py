"""Hypothesis N of docs/edge.md (section 9): market breadth. A signal counts only while at least
two thirds of the set's pairs are in their 4h uptrend (`trend_up_4h`): buy breakouts when most of
the market rises, not when one pair's noise does. A research script, not part of the product.

Scored like hypotheses D to H (`scan_d_to_h.py`: 2:1 bracket over 24 h, R = max(1.5 ATR14(15m),
2 %), next open, fees in R, train = first two thirds of each pair's span, test = last third),
against two controls: random candles in the pair's 4h uptrend (as before) and random candles in
the pair's uptrend while the breadth rule holds (does the regime alone explain a difference?).

    .venv/bin/python docs/research/scan_n_breadth.py DATADIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scan_d_to_h import analysed_frames, first_of_episode, in_trend, print_table, scored

BREADTH = 2 / 3


def breadth(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """Share of the pairs (with a candle at that minute) in their 4h uptrend."""
    trends = pd.concat({pair: a.set_index("date")["trend_up_4h"].astype(float)
                        for pair, a in frames.items()}, axis=1)
    return trends.mean(axis=1)


def rules(a: pd.DataFrame, broad: np.ndarray) -> dict[str, np.ndarray]:
    signal = a["entry_tag"].to_numpy() != ""
    return {
        "all signals (defaults)": np.flatnonzero(signal),
        "N: signals while breadth >= 2/3": np.flatnonzero(signal & broad),
        "A: one per episode (60 min)": first_of_episode(signal, 60),
        "N+A: one per episode while breadth >= 2/3": first_of_episode(signal & broad, 60),
    }


def main(datadir: Path) -> None:
    frames = analysed_frames(datadir)
    share = breadth(frames)
    broad = {pair: share.reindex(a["date"]).to_numpy() >= BREADTH for pair, a in frames.items()}
    parts, pair_days = scored(
        frames, lambda pair, a: rules(a, broad[pair]),
        lambda pair, a, inside: {
            "control: trend": np.flatnonzero(in_trend(a, inside)),
            "control: trend + breadth": np.flatnonzero(in_trend(a, inside) & broad[pair])})
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days, breadth >= {BREADTH:.2f} "
          f"{(share >= BREADTH).mean():.0%} of the minutes")
    print_table(parts, pair_days, 75)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
