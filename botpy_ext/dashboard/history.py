"""History export: the bot's closed trades, from freqtrade's REST API, as CSV with BOTPY's setup
and exit profile split out of the entry tag (FreqUI has no export)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

PAGE = 500  # trades per /api/v1/trades request
FLASH = "flash"  # Ignition has no profile: its exit is the flash trailing stop
CSV_COLUMNS = ("trade_id", "pair", "setup", "profile", "enter_tag", "exit_reason", "open_date",
               "close_date", "duration_min", "open_rate", "close_rate", "amount",
               "stake_amount", "fees", "profit_abs", "profit_pct")


def setup_and_profile(enter_tag: str | None) -> tuple[str, str]:
    """`precision:sniper` -> (precision, sniper); `ignition` -> (ignition, flash); other tags
    (a manual /forceenter without one) -> ('', '')."""
    setup, _, profile = (enter_tag or "").partition(":")
    if setup == "ignition":
        return setup, FLASH
    if setup in ("precision", "momentum") and profile:
        return setup, profile
    return "", ""


def closed_trades(get_page: Callable[[int, int], dict]) -> Iterator[dict]:
    """Every closed trade, oldest first; `get_page(limit, offset)` answers /api/v1/trades."""
    offset = 0
    while True:
        page = get_page(PAGE, offset)
        yield from page["trades"]
        offset += page["trades_count"]
        if page["trades_count"] == 0 or offset >= page["total_trades"]:
            return


def filled_orders(trade: dict, entries: bool) -> list[dict]:
    return [order for order in trade.get("orders") or []
            if order.get("ft_is_entry") == entries and order.get("cost")]


def csv_row(trade: dict) -> dict:
    """One closed trade as a whole, whatever its scale-ins and partial exits: the amount bought,
    the stake it held at most (the one `profit_pct` is of, FreqUI's "Total stake amount") and the
    fees of all its orders at the trade's fee rates, in the quote currency."""
    setup, profile = setup_and_profile(trade.get("enter_tag"))
    entries, exits = filled_orders(trade, True), filled_orders(trade, False)
    fees = (sum(order["cost"] for order in entries) * (trade.get("fee_open") or 0)
            + sum(order["cost"] for order in exits) * (trade.get("fee_close") or 0))
    return {
        **{column: trade.get(column) for column in CSV_COLUMNS},
        "setup": setup,
        "profile": profile,
        "duration_min": trade.get("trade_duration"),
        "amount": round(sum(order["amount"] for order in entries), 8) if entries
        else trade.get("amount"),
        "stake_amount": trade.get("max_stake_amount") or trade.get("stake_amount"),
        "fees": round(fees, 8) if entries else None,
    }


def to_csv(trades: Iterator[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for trade in trades:
        writer.writerow(csv_row(trade))
    return out.getvalue()
