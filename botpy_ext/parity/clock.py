"""The fake clock of a parity run, `speed` times faster than the wall clock.

Debian's `faketime` wrapper (libfaketime) starts the run's process tree on
`FAKETIME="@<start> x<speed>"`; with FAKETIME_DONT_RESET=1 every process of the tree continues
that one clock (see `clock_tree`). The runner itself stays on real time and follows the tree's
clock through `FakeClock`: `fake = fake_anchor + speed × (real − real_anchor)`. Specs have whole
seconds, so the tree is started right when the runner's estimate passes a whole second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

INSTALL_HINT = "install libfaketime and its wrapper (Debian/Ubuntu: `apt-get install faketime`)"


@dataclass(frozen=True)
class FakeClock:
    fake_anchor: float  # fake epoch seconds at `real_anchor`
    speed: float
    real_anchor: float

    def now(self, real: float | None = None) -> float:
        """Fake epoch seconds at the real time `real` (now by default)."""
        return self.fake_anchor + self.speed * ((time.time() if real is None else real)
                                                - self.real_anchor)

    def real_at(self, fake: float) -> float:
        """The real epoch seconds at which the shared clock shows `fake`."""
        return self.real_anchor + (fake - self.fake_anchor) / self.speed

    def seconds_until(self, fake: float) -> float:
        """Real seconds until the shared clock shows `fake` (≤ 0: already past)."""
        return self.real_at(fake) - time.time()

    def sleep_until(self, fake: float) -> None:
        wait = self.seconds_until(fake)
        if wait > 0:
            time.sleep(wait)

    def next_whole_second(self) -> int:
        """Wait until the shared clock passes its next whole second; that second."""
        second = int(self.now()) + 1
        self.sleep_until(second)
        return second


def faketime_spec(fake_second: int, speed: float) -> str:
    """libfaketime's FAKETIME value: start at `fake_second` (UTC) and run `speed` times faster."""
    moment = datetime.fromtimestamp(fake_second, tz=UTC)
    return f"@{moment:%Y-%m-%d %H:%M:%S} x{speed:g}"
