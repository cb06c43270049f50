"""One clock for every process of a parity run, `speed` times faster than the wall clock.

libfaketime (Debian's `faketime` package) fakes a process's clock from an absolute start and a
rate, counted from the moment the process starts: `FAKETIME="@2023-04-20 00:00:00 x10"`. Two
processes started with the same spec at different moments would disagree, so each child gets
the spec of the shared clock at the moment it is started: `fake = fake_anchor + speed × (real −
real_anchor)`. Specs have whole seconds, so a child is started right when the shared clock passes
a whole second (at most 1/speed s of waiting).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LIBFAKETIME_GLOBS = ("/usr/lib/*/faketime/libfaketimeMT.so.1",
                     "/usr/lib/faketime/libfaketimeMT.so.1",
                     "/usr/local/lib/faketime/libfaketimeMT.so.1")
INSTALL_HINT = "install libfaketime (Debian/Ubuntu: `apt-get install faketime`)"


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


def faketime_env(library: Path, fake_second: int, speed: float) -> dict[str, str]:
    """Environment variables that start a child on the shared clock (TZ=UTC: the spec is UTC)."""
    return {"LD_PRELOAD": str(library), "FAKETIME": faketime_spec(fake_second, speed),
            "FAKETIME_DONT_RESET": "1", "TZ": "UTC"}


def find_libfaketime() -> Path | None:
    for pattern in LIBFAKETIME_GLOBS:
        found = sorted(Path("/").glob(pattern.lstrip("/")))
        if found:
            return found[0]
    return None
