"""Guards on the bot's own results: the daily loss limit and the losing streak.

Both decide from the trade history and `current_time` only (never the wall clock), so backtests
and live agree. A closed trade is `(close_date, profit_abs)`.

Daily loss: closed P&L of the UTC day + open P&L (from each open trade's entry) <= -limit x the
day's starting equity (starting balance + P&L of trades closed before 00:00 UTC) → no new entry
until the next 00:00 UTC.

Losing streak: `losses` losing trades in a row (profit < 0, any exit reason) → pause for
`pause_hours` after the last one closed; a trade with profit >= 0 resets the count, and so does
the pause itself (the next streak is counted from the trade after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import DailyLossSettings, LosingStreakSettings

ClosedTrade = tuple[datetime, float]
ONE_DAY = timedelta(days=1)


def utc_day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def check_daily_loss(now: datetime, closed: Sequence[ClosedTrade], open_pnl: float,
                     starting_balance: float, settings: DailyLossSettings) -> Refusal | None:
    day = utc_day_start(now)
    before = sum(profit for when, profit in closed if when < day)
    today = sum(profit for when, profit in closed if day <= when <= now)
    equity = starting_balance + before
    result = today + open_pnl
    if equity > 0 and result <= -settings.limit * equity:
        return Refusal("daily_loss", f"day's P&L {result:+.2f} ({result / equity:+.2%}) reached "
                       f"the limit of -{settings.limit:.1%} of {equity:.2f}; entries resume "
                       f"at 00:00 UTC", day + ONE_DAY)
    return None


def streak_pause_until(closed: Sequence[ClosedTrade],
                       settings: LosingStreakSettings) -> datetime | None:
    """End of the last pause the history started (None if it never started one)."""
    count, until = 0, None
    pause = timedelta(hours=settings.pause_hours)
    for when, profit in sorted(closed, key=lambda trade: trade[0]):
        count = count + 1 if profit < 0 else 0
        if count >= settings.losses:
            until, count = when + pause, 0
    return until


def check_losing_streak(now: datetime, closed: Sequence[ClosedTrade],
                        settings: LosingStreakSettings) -> Refusal | None:
    until = streak_pause_until([trade for trade in closed if trade[0] <= now], settings)
    if until is not None and now < until:
        return Refusal("losing_streak", f"{settings.losses} losing trades in a row; pause of "
                       f"{settings.pause_hours:g} h", until)
    return None
