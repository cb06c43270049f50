"""The simulator's two clocks.

- static: every candle of the dataset is visible, with its own timestamps;
- replay: the dataset is shifted by a whole number of `align` intervals so that a chosen dataset
  time is "now"; it then advances with the wall clock and only candles up to now are visible,
  the current one partial.
- frozen: the market as it stood at one dataset time, shifted by whole `align` intervals into the
  last interval before the wall clock, and standing still: a snapshot a client that asks for "the
  latest candles" (a pairlist, test-pairlist) sees exactly, candle bins of `align` and shorter
  intact. Unlike replay, the exact moment does not depend on when the server starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from botpy_ext.simulator.timeframes import INTERVAL_MS


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Clock:
    """Served time = dataset time + `offset_ms`; served "now" is the wall clock."""

    replay: bool
    offset_ms: int = 0
    wall_ms: Callable[[], int] = wall_clock_ms
    # the candle in progress is served (partial); a frozen market serves closed candles only:
    # its last candle would otherwise never close
    serves_partial: bool = True

    @property
    def name(self) -> str:
        if not self.replay:
            return "static"
        return "replay" if self.serves_partial else "frozen"

    def now_ms(self) -> int:
        return self.wall_ms()

    def dataset_now_ms(self) -> int | None:
        """The dataset time being replayed now; None on the static clock (all is visible)."""
        return self.now_ms() - self.offset_ms if self.replay else None


def static_clock(wall_ms: Callable[[], int] = wall_clock_ms) -> Clock:
    return Clock(replay=False, wall_ms=wall_ms)


def replay_clock(
    start_ms: int, align: str = "1m", wall_ms: Callable[[], int] = wall_clock_ms
) -> Clock:
    """A replay that shows dataset time `start_ms` now.

    The offset is rounded up to a multiple of `align` so that candles of that interval and all
    shorter ones keep their dataset bins; the replay then starts less than one `align` interval
    before `start_ms`.
    """
    step = alignment(align)
    offset = -(-(wall_ms() - start_ms) // step) * step
    return Clock(replay=True, offset_ms=offset, wall_ms=wall_ms)


def frozen_clock(
    start_ms: int, align: str = "4h", wall_ms: Callable[[], int] = wall_clock_ms
) -> Clock:
    """The market at dataset time `start_ms`, standing still: served "now" is `start_ms` plus a
    whole number of `align` intervals, less than one interval before the wall clock; only the
    candles closed by then are served."""
    step = alignment(align)
    offset = (wall_ms() - start_ms) // step * step
    return Clock(replay=True, offset_ms=offset, wall_ms=lambda: start_ms + offset,
                 serves_partial=False)


def alignment(align: str) -> int:
    if align not in INTERVAL_MS or align == "1M":
        raise ValueError(f"align must be one of {', '.join(list(INTERVAL_MS)[:-1])}, got {align!r}")
    return INTERVAL_MS[align]
