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
from scan_d_to_h import HORIZON, SEED, WARMUP, analysed_frames, first_of_episode, net_r

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
    rng = np.random.default_rng(SEED)
    frames = analysed_frames(datadir)
    share = breadth(frames)
    parts: dict[str, list[pd.DataFrame]] = {}
    pair_days = 0.0
    for a in frames.values():
        dates = a["date"]
        broad = (share.reindex(dates).to_numpy() >= BREADTH)
        start, end = dates.iloc[0] + WARMUP, dates.iloc[-1] - pd.Timedelta(minutes=HORIZON)
        cut = start + (end - start) * 2 / 3
        pair_days += (end - start).total_seconds() / 86400
        inside = ((dates >= start) & (dates < end)).to_numpy()
        trend = a["trend_up_4h"].fillna(False).to_numpy(bool) & inside
        pools = {"control: trend": np.flatnonzero(trend),
                 "control: trend + breadth": np.flatnonzero(trend & broad)}
        for name, rows in rules(a, broad).items():
            rows = rows[inside[rows]]
            chosen = {name: rows}
            for pool_name, pool in pools.items():
                if len(pool):
                    chosen[f"{name} [{pool_name}]"] = np.sort(rng.choice(
                        pool, size=min(len(rows), len(pool)), replace=False))
            for label, picked in chosen.items():
                scored = net_r(a, picked)
                if len(scored):
                    test = (dates.iloc[scored["row"].to_numpy(int)] >= cut).to_numpy()
                    parts.setdefault(label, []).append(scored.assign(test=test))
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days, breadth >= {BREADTH:.2f} "
          f"{(share >= BREADTH).mean():.0%} of the minutes")
    print(f"{'rule':75s} {'train n':>7s} {'net R':>7s} {'test n':>7s} {'net R':>7s} "
          f"{'per pair/day':>12s}")
    for label, frames_of_rule in parts.items():
        every = pd.concat(frames_of_rule)
        train, test = every[~every["test"]], every[every["test"]]
        print(f"{label:75s} {len(train):7d} {train['net_r'].mean():+7.3f} {len(test):7d} "
              f"{test['net_r'].mean():+7.3f} {len(every) / pair_days:12.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
