"""Scanner columns on every row: qualification, signal, condition dots and a 0-100 score.

Score = 100 × (2·trend + 2·qualified + the seven trigger dots) / 11, where trend is the 4h
filter, qualified is a setup the strategy could take (the 4h trend and a squeeze or an impulse on
the last closed 15m candle, `scan_qualified`), and the trigger dots
are Precision's seven rules (above EMA9, volume surge, OBV rising, CVD rising, RSI cool, small
wick, not parabolic). A pair with everything in place but the trigger scores 36; every rule true
scores 100.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas import DataFrame

TREND_WEIGHT = 2
QUALIFIED_WEIGHT = 2


def qualification(ctx: DataFrame, setup: pd.Series) -> pd.Series:
    """'precision', 'momentum', 'precision+momentum' or '' on each row; a row that signals a
    setup is qualified for it (a Momentum confirmation can close after the next 15m candle,
    a Precision hold after the squeeze's last 15m candle)."""
    trend = ctx["trend_up_4h"]
    names = np.where(trend & (ctx["squeeze_15m"] | (setup == "precision")), "precision", "")
    momentum = np.where(trend & (ctx["impulse_15m"] | (setup == "momentum")), "momentum", "")
    both = np.char.add(np.char.add(names, np.where((names != "") & (momentum != ""), "+", "")),
                       momentum)
    return pd.Series(both, index=ctx.index)


def score(ctx: DataFrame, checks: DataFrame, setup: pd.Series) -> pd.Series:
    # as `qualification`: outside the 4h uptrend no setup is qualified, so a squeeze there adds
    # nothing to the rank of a pair the strategy cannot enter
    qualified = ctx["trend_up_4h"] & (ctx["squeeze_15m"] | ctx["impulse_15m"]
                                      | setup.isin(["precision", "momentum"]))
    points = (TREND_WEIGHT * ctx["trend_up_4h"] + QUALIFIED_WEIGHT * qualified
              + checks.sum(axis=1))
    total = TREND_WEIGHT + QUALIFIED_WEIGHT + checks.shape[1]
    return (100 * points / total).round(1)


def scanner_columns(ctx: DataFrame, checks: DataFrame, setup: pd.Series) -> DataFrame:
    dots = DataFrame({
        "dot_trend": ctx["trend_up_4h"],
        "dot_squeeze": ctx["squeeze_15m"],
        "dot_impulse": ctx["impulse_15m"],
        **{f"dot_{name}": checks[name] for name in checks.columns},
    }, index=ctx.index)
    return pd.concat([
        DataFrame({
            "scan_qualified": qualification(ctx, setup),
            "scan_signal": setup,
            "scan_score": score(ctx, checks, setup),
        }, index=ctx.index),
        dots,
    ], axis=1)
