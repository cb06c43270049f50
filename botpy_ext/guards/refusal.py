"""What a guard says when it refuses an entry."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

ALL_PAIRS = "*"


class Refusal(NamedTuple):
    guard: str  # liquidity, anti_whale, sector, fear_greed, btc_breaker, daily_loss, losing_streak
    reason: str  # for the log, the strategy message and the lock
    until: datetime | None  # entries stay refused until then (None: this signal only)
    scope: str = ALL_PAIRS  # "*" (every pair) or the pair the refusal is about

    def text(self) -> str:
        return f"{self.guard}: {self.detail()}"

    def detail(self) -> str:
        until = f" (until {self.until:%Y-%m-%d %H:%M} UTC)" if self.until else ""
        return f"{self.reason}{until}"
