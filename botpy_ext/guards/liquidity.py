"""Liquidity: enough ask depth near the best ask and a narrow spread (order book, dry-run/live);
in backtests, which have no order book, a proxy from recent 1m quote volume.

Proxy: the mean quote volume (close x volume) of the last `proxy_minutes` closed 1m candles must
be at least `proxy_multiple` x the order value: an order that is a small share of what trades in
a typical minute fills without moving the book much.
"""

from __future__ import annotations

import math

import pandas as pd

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import LiquiditySettings

GUARD = "liquidity"


def quote_volume_mean(df: pd.DataFrame, minutes: int) -> pd.Series:
    """Mean 1m quote volume of the last `minutes` candles up to each row (that row included)."""
    return (df["close"] * df["volume"]).rolling(minutes, min_periods=minutes).mean()


def check_book(book: dict | None, order_value: float, settings: LiquiditySettings,
               pair: str) -> Refusal | None:
    """The order-book rule; a missing or empty book refuses."""
    asks, bids = (book or {}).get("asks") or [], (book or {}).get("bids") or []
    if not asks or not bids:
        return Refusal(GUARD, f"{pair}: order book empty or unavailable", None, pair)
    best_ask, best_bid = float(asks[0][0]), float(bids[0][0])
    spread = (best_ask - best_bid) / best_ask
    if spread > settings.max_spread:
        return Refusal(GUARD, f"{pair}: spread {spread:.3%} above {settings.max_spread:.3%}",
                       None, pair)
    ceiling = best_ask * (1 + settings.band)
    depth = sum(float(price) * float(amount) for price, amount, *_ in asks if price <= ceiling)
    needed = settings.depth_multiple * order_value
    if depth < needed:
        return Refusal(GUARD, f"{pair}: ask depth {depth:.0f} within {settings.band:.2%} of the "
                       f"best ask is below {settings.depth_multiple:g} x order value "
                       f"({needed:.0f})", None, pair)
    return None


def check_proxy(mean_quote_volume: float, order_value: float, settings: LiquiditySettings,
                pair: str) -> Refusal | None:
    """The backtest proxy; missing volume history refuses."""
    if mean_quote_volume is None or math.isnan(mean_quote_volume):
        return Refusal(GUARD, f"{pair}: no 1m volume history for the liquidity proxy", None,
                       pair)
    needed = settings.proxy_multiple * order_value
    if mean_quote_volume < needed:
        return Refusal(GUARD, f"{pair}: mean 1m quote volume {mean_quote_volume:.0f} over "
                       f"{settings.proxy_minutes} min is below {settings.proxy_multiple:g} x "
                       f"order value ({needed:.0f})", None, pair)
    return None
