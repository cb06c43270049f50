"""Guards on the bot's own results: the daily loss limit and the losing streak.

Both decide from the trade history and `current_time` only (never the wall clock), so backtests
and live agree. `ClosedTrades` reads the history incrementally (each closed trade once, in close
order), so a check costs the same on the first and on the ten-thousandth trade.

Daily loss: closed P&L of the UTC day + open P&L (from each open trade's entry) <= -limit x the
day's starting equity (starting balance + P&L of trades closed before 00:00 UTC) → no new entry
until the next 00:00 UTC.

Losing streak: `losses` losing trades in a row (profit < 0, any exit reason) → pause for
`pause_hours` after the last one closed; a trade with profit >= 0 resets the count, and so does
the pause itself (the next streak is counted from the trade after it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import DailyLossSettings, LosingStreakSettings

ClosedTrade = tuple[datetime, float]  # (close date, profit in quote currency)
ONE_DAY = timedelta(days=1)


def utc_day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def check_daily_loss(now: datetime, closed_before_day: float, closed_today: float,
                     open_pnl: float, starting_balance: float,
                     settings: DailyLossSettings) -> Refusal | None:
    equity = starting_balance + closed_before_day
    result = closed_today + open_pnl
    if equity > 0 and result <= -settings.limit * equity:
        return Refusal("daily_loss", f"day's P&L {result:+.2f} ({result / equity:+.2%}) reached "
                       f"the limit of -{settings.limit:.1%} of {equity:.2f}; entries resume "
                       f"at 00:00 UTC", utc_day_start(now) + ONE_DAY)
    return None


class ClosedTrades:
    """The closed-trade history fed in close order: the losing-streak state and the P&L totals
    the daily limit needs."""

    def __init__(self, streak: LosingStreakSettings) -> None:
        self.pause = timedelta(hours=streak.pause_hours)
        self.losses = streak.losses
        self.count = 0  # losing trades in a row since the last reset
        self.pause_until: datetime | None = None
        self.total = 0.0  # P&L of every trade fed
        self.recent: list[ClosedTrade] = []  # the trades of the last two days

    def add(self, trades: Iterable[ClosedTrade]) -> None:
        for when, profit in sorted(trades, key=lambda trade: trade[0]):
            self.count = self.count + 1 if profit < 0 else 0
            if self.count >= self.losses:
                self.pause_until, self.count = when + self.pause, 0
            self.total += profit
            self.recent.append((when, profit))
        if self.recent and self.recent[0][0] < self.recent[-1][0] - 2 * ONE_DAY:
            horizon = self.recent[-1][0] - 2 * ONE_DAY
            self.recent = [trade for trade in self.recent if trade[0] >= horizon]

    def day_totals(self, now: datetime) -> tuple[float, float]:
        """(P&L closed before `now`'s 00:00 UTC, P&L closed since then)."""
        day = utc_day_start(now)
        today = sum(profit for when, profit in self.recent if when >= day)
        return self.total - today, today

    def check_streak(self, now: datetime) -> Refusal | None:
        if self.pause_until is not None and now < self.pause_until:
            return Refusal("losing_streak", f"{self.losses} losing trades in a row; pause of "
                           f"{self.pause.total_seconds() / 3600:g} h", self.pause_until)
        return None


def streak_pause_until(closed: Sequence[ClosedTrade],
                       settings: LosingStreakSettings) -> datetime | None:
    """End of the last pause a history started (None if it never started one)."""
    history = ClosedTrades(settings)
    history.add(closed)
    return history.pause_until


def check_losing_streak(now: datetime, closed: Sequence[ClosedTrade],
                        settings: LosingStreakSettings) -> Refusal | None:
    history = ClosedTrades(settings)
    history.add(trade for trade in closed if trade[0] <= now)
    return history.check_streak(now)
