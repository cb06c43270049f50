"""Reproduces the table of hypotheses D to H in docs/edge.md (section 3): a signal scan, not a
backtest, and not part of the product. Each candidate entry rule is a filter of the engine's
defaults-analysed frame; every entry it selects, and as many random candles inside the 4h uptrend
of the same pair (the control), is scored as a 2:1 bracket over 24 h with
R = max(1.5 × ATR14(15m), 2 %), entry at the next candle's open, round-trip fees (0.1 % per side)
subtracted in R, a time exit at the horizon's open when neither level is reached.
Train = the first two thirds of each pair's span (after 10 warm-up days), test = the last third.

    .venv/bin/python docs/research/scan_d_to_h.py ../shared/data/binance
"""

from __future__ import annotations

import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from botpy_ext.evaluation import market
from botpy_ext.evaluation.excursions import excursions
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES
from botpy_ext.setups.engine import EngineSettings, analyse

FEE = 0.001
TARGET_R = 2.0
HORIZON = 1440  # 1m candles: 24 h
WARMUP = pd.Timedelta(days=10)
SEED = 20261202
COLUMNS = ["date", "open", "high", "low", "close", "entry_tag", "signal_precision",
           "signal_momentum", "trend_up_4h", "bb_upper_15m", "atr_15m", "rsi_1h"]


def analysed_frames(datadir: Path) -> dict[str, pd.DataFrame]:
    cache = Path(tempfile.gettempdir()) / "botpy-research" / f"{datadir.resolve().name}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    frames = {}
    for pair in market.datadir_pairs(datadir):
        informative = {tf: market.read_candles(datadir, pair, tf) for tf in INFORMATIVE_TIMEFRAMES}
        frames[pair] = analyse(market.read_candles(datadir, pair), informative,
                               EngineSettings())[COLUMNS].reset_index(drop=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(frames))
    return frames


def first_of_episode(mask: np.ndarray, gap: int) -> np.ndarray:
    """Rows where `mask` holds and did not hold in the `gap` rows before."""
    rows = np.flatnonzero(mask)
    before = np.concatenate([[-10**9], rows[:-1]])
    return rows[rows - before > gap]


def rules(a: pd.DataFrame) -> dict[str, np.ndarray]:
    signal = a["entry_tag"].to_numpy() != ""
    precision = a["signal_precision"].to_numpy()
    clears_band = (a["close"] > a["bb_upper_15m"]).to_numpy()
    rsi_1h_up = (a["rsi_1h"] > 50).to_numpy()
    trend = a["trend_up_4h"].fillna(False).to_numpy(bool)
    day_high = (a["close"] > a["high"].rolling(1440).max().shift(1)).to_numpy()
    return {
        "all signals (defaults)": np.flatnonzero(signal),
        "A: one per episode (60 min)": first_of_episode(signal, 60),
        "D: A + close above 15m upper band": first_of_episode(precision & clears_band, 60),
        "E: D + RSI(1h) > 50": first_of_episode(precision & clears_band & rsi_1h_up, 60),
        "F: E, one per 4 h": first_of_episode(precision & clears_band & rsi_1h_up, 240),
        "G: Momentum only": np.flatnonzero(a["signal_momentum"].to_numpy()),
        "H: close > 24 h high, 4h trend, one per 24 h": first_of_episode(day_high & trend, 1440),
    }


def net_r(a: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    ratio = np.maximum(1.5 * a["atr_15m"].to_numpy()[rows] / a["close"].to_numpy()[rows], 0.02)
    found = excursions(a, rows, ratio, HORIZON)
    opens, highs, lows = (a[c].to_numpy(float) for c in ("open", "high", "low"))
    results = []
    for row, entry, risk in zip(found["row"], found["entry"], found["risk"], strict=True):
        window = slice(row + 1, row + 1 + HORIZON)
        up = np.flatnonzero(highs[window] >= entry + TARGET_R * risk)
        down = np.flatnonzero(lows[window] <= entry - risk)
        first_up = up[0] if len(up) else HORIZON
        first_down = down[0] if len(down) else HORIZON
        if first_down < HORIZON and first_down <= first_up:
            gain = -1.0  # both in one candle: the stop is assumed first
        elif first_up < HORIZON:
            gain = TARGET_R
        else:
            gain = (opens[row + HORIZON] - entry) / risk
        results.append(gain - 2 * FEE * entry / risk)
    return found.assign(net_r=results)


def scored(frames: dict[str, pd.DataFrame], rules_of, pools_of) -> tuple[dict, float]:
    """Every rule's entries and, per control pool, as many random candles of that pool, scored
    with `net_r` and split into train/test. `rules_of(pair, a)` and `pools_of(pair, a, inside)`
    give the rows of a pair's frame `a`: name -> rows."""
    rng = np.random.default_rng(SEED)
    parts: dict[str, list[pd.DataFrame]] = {}
    pair_days = 0.0
    for pair, a in frames.items():
        dates = a["date"]
        start, end = dates.iloc[0] + WARMUP, dates.iloc[-1] - pd.Timedelta(minutes=HORIZON)
        cut = start + (end - start) * 2 / 3
        pair_days += (end - start).total_seconds() / 86400
        inside = ((dates >= start) & (dates < end)).to_numpy()
        pools = pools_of(pair, a, inside)
        for name, rows in rules_of(pair, a).items():
            rows = rows[inside[rows]]
            chosen = {name: rows}
            for pool_name, pool in pools.items():
                if len(pool):
                    chosen[f"{name} [{pool_name}]"] = np.sort(rng.choice(
                        pool, size=min(len(rows), len(pool)), replace=False))
            for label, picked in chosen.items():
                found = net_r(a, picked)
                if len(found):
                    test = (dates.iloc[found["row"].to_numpy(int)] >= cut).to_numpy()
                    parts.setdefault(label, []).append(found.assign(test=test))
    return parts, pair_days


def print_table(parts: dict, pair_days: float, width: int) -> None:
    print(f"{'rule':{width}s} {'train n':>7s} {'net R':>7s} {'test n':>7s} {'net R':>7s} "
          f"{'per pair/day':>12s}")
    for label, frames_of_rule in parts.items():
        every = pd.concat(frames_of_rule)
        train, test = every[~every["test"]], every[every["test"]]
        print(f"{label:{width}s} {len(train):7d} {train['net_r'].mean():+7.3f} {len(test):7d} "
              f"{test['net_r'].mean():+7.3f} {len(every) / pair_days:12.2f}")


def in_trend(a: pd.DataFrame, inside: np.ndarray) -> np.ndarray:
    return a["trend_up_4h"].fillna(False).to_numpy(bool) & inside


def main(datadir: Path) -> None:
    frames = analysed_frames(datadir)
    parts, pair_days = scored(
        frames, lambda pair, a: rules(a),
        lambda pair, a, inside: {"control": np.flatnonzero(in_trend(a, inside))})
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days, {TARGET_R:g}:1 bracket, "
          f"{HORIZON // 60} h, R = max(1.5 ATR15m, 2 %), fee {FEE:.2%} per side")
    print_table(parts, pair_days, 55)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
