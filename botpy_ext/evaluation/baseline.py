"""Buy-and-hold of the pairs, equal weight, from the candles: buy every pair at the open of the
window's first candle, sell at the close of its last one, a fee on each side."""

from __future__ import annotations

import pandas as pd

from botpy_ext.evaluation.folds import Window


def in_window(candles: pd.DataFrame, window: Window) -> pd.DataFrame:
    dates = candles["date"]
    return candles[(dates >= window.start) & (dates < window.end)]


def buy_and_hold_curve(candles: dict[str, pd.DataFrame], window: Window, fee: float,
                       every: str = "1h") -> pd.Series:
    """Value of 1 unit of quote split equally over the pairs, marked at each close net of the
    exit fee, sampled at the end of every `every` and at the window's last candle."""
    values = []
    for frame in candles.values():
        rows = in_window(frame, window)
        if rows.empty:
            continue
        entry = rows["open"].iloc[0] * (1 + fee)
        values.append(pd.Series((rows["close"] * (1 - fee) / entry).to_numpy(),
                                index=rows["date"]))
    if not values:
        return pd.Series(dtype=float)
    curve = pd.concat(values, axis=1).sort_index().ffill().bfill().mean(axis=1)
    sampled = curve.resample(every, label="right", closed="left").last()
    sampled.index = sampled.index.where(sampled.index < window.end, curve.index[-1])
    return sampled.dropna()


def buy_and_hold_pct(candles: dict[str, pd.DataFrame], window: Window, fee: float) -> float:
    """Return of the equal-weight buy-and-hold over the window, in %."""
    returns = []
    for frame in candles.values():
        rows = in_window(frame, window)
        if not rows.empty:
            returns.append(rows["close"].iloc[-1] * (1 - fee)
                           / (rows["open"].iloc[0] * (1 + fee)) - 1)
    return float(sum(returns) / len(returns) * 100) if returns else 0.0
