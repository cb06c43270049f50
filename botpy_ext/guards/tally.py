"""The guards' refusals of a backtest, counted per guard: one summary instead of a line each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from botpy_ext.guards.refusal import Refusal


@dataclass
class GuardCount:
    count: int
    first: datetime
    last: datetime
    example: str  # the first refusal's reason


class RefusalTally:
    def __init__(self) -> None:
        self.by_guard: dict[str, GuardCount] = {}

    def record(self, refusal: Refusal, at: datetime) -> None:
        seen = self.by_guard.get(refusal.guard)
        if seen is None:
            self.by_guard[refusal.guard] = GuardCount(1, at, at, refusal.detail())
            return
        seen.count += 1
        seen.first, seen.last = min(seen.first, at), max(seen.last, at)

    def summary(self, strategy: str | None = None) -> list[str]:
        """One line per guard, most refusals first; a single line when none refused. The
        `strategy` is named (`--strategy-list` runs several in one process)."""
        of = f" ({strategy})" if strategy else ""
        if not self.by_guard:
            return [f"BOTPY guards: no entry refused{of}"]
        total = sum(c.count for c in self.by_guard.values())
        lines = [f"BOTPY guards: {total} entry signal(s) refused{of}"]
        for guard, c in sorted(self.by_guard.items(), key=lambda item: -item[1].count):
            lines.append(f"  {guard}: {c.count} refused, {c.first:%Y-%m-%d %H:%M} to "
                         f"{c.last:%Y-%m-%d %H:%M}; e.g. {c.example}")
        return lines

    def as_dict(self) -> dict[str, dict]:
        return {guard: {"count": c.count, "first": c.first.isoformat(),
                        "last": c.last.isoformat(), "example": c.example}
                for guard, c in self.by_guard.items()}
