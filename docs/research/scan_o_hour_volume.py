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
from scan_d_to_h import HORIZON, SEED, WARMUP, analysed_frames, first_of_episode, net_r

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
    rng = np.random.default_rng(SEED)
    frames = analysed_frames(datadir)
    parts: dict[str, list[pd.DataFrame]] = {}
    pair_days = 0.0
    loud_share = []
    for pair, a in frames.items():
        dates = a["date"]
        ratio = same_time_volume_ratio(market.read_candles(datadir, pair))
        loud = (ratio.reindex(dates).to_numpy() >= RATIO)
        start, end = dates.iloc[0] + WARMUP, dates.iloc[-1] - pd.Timedelta(minutes=HORIZON)
        cut = start + (end - start) * 2 / 3
        pair_days += (end - start).total_seconds() / 86400
        inside = ((dates >= start) & (dates < end)).to_numpy()
        loud_share.append(loud[inside].mean())
        trend = a["trend_up_4h"].fillna(False).to_numpy(bool) & inside
        pools = {"control: trend": np.flatnonzero(trend),
                 "control: trend + volume rule": np.flatnonzero(trend & loud)}
        for name, rows in rules(a, loud).items():
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
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days, volume rule holds "
          f"{np.mean(loud_share):.1%} of the minutes")
    print(f"{'rule':80s} {'train n':>7s} {'net R':>7s} {'test n':>7s} {'net R':>7s} "
          f"{'per pair/day':>12s}")
    for label, frames_of_rule in parts.items():
        every = pd.concat(frames_of_rule)
        train, test = every[~every["test"]], every[every["test"]]
        print(f"{label:80s} {len(train):7d} {train['net_r'].mean():+7.3f} {len(test):7d} "
              f"{test['net_r'].mean():+7.3f} {len(every) / pair_days:12.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
