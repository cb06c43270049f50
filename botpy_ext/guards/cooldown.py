"""Pair cooldown: after a losing trade on a pair (profit < 0, any exit reason), no new entry on
that pair until `hours` after the trade closed. The setup failed there; the pair's structure is
broken for a while, and a re-entry on the next signal of the same move pays the fees again.
With `losses_only` off every closed trade starts the cooldown: one trade per pair per `hours`.
Decided from the trade history and `now` only, so backtests and live agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import PairCooldownSettings

GUARD = "pair_cooldown"


def cooldown_starts(trades: Iterable[tuple[str, datetime, float]],
                    known: dict[str, datetime], losses_only: bool) -> dict[str, datetime]:
    """Per pair, the close date of its latest losing trade (of its latest trade when not
    `losses_only`), from (pair, close date, profit)."""
    latest = dict(known)
    for pair, when, profit in trades:
        counts = profit < 0 or not losses_only
        if counts and (pair not in latest or when > latest[pair]):
            latest[pair] = when
    return latest


def check(pair: str, cooldown_start: datetime | None, now: datetime,
          settings: PairCooldownSettings) -> Refusal | None:
    if cooldown_start is None or cooldown_start > now:
        return None
    until = cooldown_start + timedelta(hours=settings.hours)
    if now < until:
        kind = "a losing trade" if settings.losses_only else "its last trade"
        return Refusal(GUARD, f"{pair}: {kind} closed at {cooldown_start:%Y-%m-%d %H:%M} "
                       f"UTC; cooldown of {settings.hours:g} h", until, pair)
    return None
