"""What happens after an entry signal, in R, without a backtest: the maximum favourable and
adverse excursion over the next hours and whether +1R comes before −1R. Pure numpy over the
1m candles; the entry is the open of the candle after the signal candle (freqtrade's fill)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def excursions(candles: pd.DataFrame, signal_rows: np.ndarray, risk_ratio: np.ndarray,
               horizon: int) -> pd.DataFrame:
    """Per signal row i: entry = open[i + 1], R = entry × risk_ratio; over the `horizon`
    candles from i + 1: `mfe_r` = (highest high − entry) / R, `mae_r` = (entry − lowest low) / R,
    `first` = +1 when a high reaches entry + R before a low reaches entry − R, −1 for the
    reverse or both in one candle (the stop is assumed first), 0 when neither within the
    horizon. Signals without `horizon` candles after them are dropped."""
    opens, highs, lows = (candles[c].to_numpy(dtype=float) for c in ("open", "high", "low"))
    rows = np.asarray(signal_rows, dtype=int)
    ratios = np.asarray(risk_ratio, dtype=float)
    keep = rows + horizon < len(opens)
    rows, ratios = rows[keep], ratios[keep]
    if not len(rows):
        return pd.DataFrame(columns=["row", "entry", "risk", "mfe_r", "mae_r", "first"])
    window = rows[:, None] + 1 + np.arange(horizon)[None, :]
    entry = opens[rows + 1]
    risk = entry * ratios
    high, low = highs[window], lows[window]
    up = high >= (entry + risk)[:, None]
    down = low <= (entry - risk)[:, None]
    first_up = np.where(up.any(axis=1), up.argmax(axis=1), horizon)
    first_down = np.where(down.any(axis=1), down.argmax(axis=1), horizon)
    first = np.where(first_down <= first_up, -1, 1)
    first[(first_up == horizon) & (first_down == horizon)] = 0
    return pd.DataFrame({
        "row": rows,
        "entry": entry,
        "risk": risk,
        "mfe_r": (high.max(axis=1) - entry) / risk,
        "mae_r": (entry - low.min(axis=1)) / risk,
        "first": first,
    })


def summary(frame: pd.DataFrame, fee_ratio: float) -> dict:
    """Count, +1R-first share, mean excursions and the round-trip fee in R."""
    if frame.empty:
        return {"signals": 0}
    decided = frame[frame["first"] != 0]
    return {
        "signals": int(len(frame)),
        "win_first": float((decided["first"] > 0).mean()) if len(decided) else None,
        "undecided": float((frame["first"] == 0).mean()),
        # +1R-first minus −1R-first, per signal: the edge of a 1:1 bracket before fees
        "bracket_r": float(frame["first"].mean()),
        "mfe_r": float(frame["mfe_r"].mean()),
        "mae_r": float(frame["mae_r"].mean()),
        "fee_r": float((2 * fee_ratio * frame["entry"] / frame["risk"]).mean()),
    }
