"""What a run under faults must keep (pure): every order the bot placed is in its database in a
final state, no order was placed twice, no trade was opened twice for the same pair."""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

FINAL_STATES = ("closed", "canceled", "cancelled", "expired", "rejected")


@dataclass(frozen=True)
class Integrity:
    orders: int
    orders_not_final: int
    duplicate_orders: int  # two entry (or exit) orders of one trade placed in the same candle
    overlapping_trades: int  # two trades of one pair open at the same time
    open_trades: int  # trades still open after the force exit

    @property
    def intact(self) -> bool:
        return not (self.orders_not_final or self.duplicate_orders or self.overlapping_trades
                    or self.open_trades)

    def as_dict(self) -> dict:
        return asdict(self) | {"intact": self.intact}


def check(orders: list[dict], trades: list[dict]) -> Integrity:
    """`orders`: rows with trade_id, side, status, placed (minute); `trades`: rows with pair,
    opened, closed (None while open)."""
    placed = Counter((o["trade_id"], o["side"], o["placed"]) for o in orders
                     if o["status"] not in ("canceled", "cancelled", "expired", "rejected"))
    by_pair: dict[str, list[dict]] = {}
    for trade in sorted(trades, key=lambda t: t["opened"]):
        by_pair.setdefault(trade["pair"], []).append(trade)
    overlapping = sum(
        1 for rows in by_pair.values() for before, after in itertools.pairwise(rows)
        if before["closed"] is None or after["opened"] < before["closed"])
    return Integrity(
        orders=len(orders),
        orders_not_final=sum(o["status"] not in FINAL_STATES for o in orders),
        duplicate_orders=sum(count - 1 for count in placed.values() if count > 1),
        overlapping_trades=overlapping,
        open_trades=sum(t["closed"] is None for t in trades),
    )


def read_database(path: Path) -> tuple[list[dict], list[dict]]:
    """Orders and trades as the bot's sqlite database holds them."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        orders = [{"trade_id": trade_id, "side": side, "status": status,
                   "placed": (placed or "")[:16]}
                  for trade_id, side, status, placed in db.execute(
                      "SELECT ft_trade_id, ft_order_side, status, order_date FROM orders")]
        trades = [{"pair": pair, "opened": opened, "closed": closed}
                  for pair, opened, closed in db.execute(
                      "SELECT pair, open_date, close_date FROM trades")]
    return orders, trades
