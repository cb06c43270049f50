"""Walk-forward folds: consecutive, non-overlapping test windows after the warm-up, each
optionally preceded by a train window of the same length that it never overlaps.

Windows are half-open, [start, end): freqtrade's timerange includes its stop candle, so a window
is handed to freqtrade as `start-(end - 1 minute)` and the next window starts at `end`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ALIGN = timedelta(hours=1)  # inner boundaries fall on whole hours (every timeframe ≤ 1h aligns)
ONE_MINUTE = timedelta(minutes=1)


class InputError(ValueError):
    """Bad evaluation input: `option` names the command-line option at fault."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option, self.message = option, message


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive

    @property
    def timerange(self) -> str:
        """freqtrade's timerange for the candles opening in [start, end)."""
        last = self.end - ONE_MINUTE
        return f"{self.start:%Y%m%dT%H%M}-{last:%Y%m%dT%H%M}"

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "timerange": self.timerange, "days": round(self.days, 4)}


@dataclass(frozen=True)
class Fold:
    number: int  # 1-based
    test: Window
    train: Window | None = None

    def as_dict(self) -> dict:
        return {"fold": self.number, "test": self.test.as_dict(),
                "train": self.train.as_dict() if self.train else None}


def duration(span: timedelta) -> str:
    """'10 days', '6 h 40 min', '3 h'."""
    minutes = round(span.total_seconds() / 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days:g} days" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "0 min"


def ceil_to(moment: datetime, step: timedelta) -> datetime:
    floored = floor_to(moment, step)
    return floored if floored == moment else floored + step


def floor_to(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    return epoch + ((moment - epoch) // step) * step


def usable_span(data_start: datetime, data_end: datetime, warmup: timedelta,
                start: datetime | None = None, end: datetime | None = None
                ) -> tuple[datetime, datetime]:
    """[first, last) the folds may cover: after the warm-up of the data (whole minutes), inside
    the requested timerange; `data_end` is the open time of the last candle."""
    earliest = ceil_to(data_start + warmup, ONE_MINUTE)
    latest = data_end + ONE_MINUTE
    if (start and start >= latest) or (end and end <= data_start):
        raise InputError("--timerange", f"lies outside the data ({data_start:%Y-%m-%d %H:%M} to "
                         f"{data_end:%Y-%m-%d %H:%M})")
    first = max(earliest, start) if start else earliest
    last = min(latest, end) if end else latest
    if start and start < earliest:
        raise InputError("--timerange", f"starts at {start:%Y-%m-%d %H:%M}, before the end of the "
                         f"warm-up ({earliest:%Y-%m-%d %H:%M}: data from "
                         f"{data_start:%Y-%m-%d %H:%M} plus {duration(warmup)})")
    if end and end > latest:
        raise InputError("--timerange", f"ends at {end:%Y-%m-%d %H:%M}, after the data "
                         f"(last candle {data_end:%Y-%m-%d %H:%M})")
    if last <= first:  # the data's fault unless a timerange was asked for
        raise InputError("--timerange" if start or end else "--datadir",
                         f"leaves nothing to test after the warm-up: data "
                         f"{data_start:%Y-%m-%d %H:%M} to {data_end:%Y-%m-%d %H:%M}, warm-up "
                         f"{duration(warmup)}")
    return first, last


def plan_folds(first: datetime, last: datetime, folds: int, *, train: bool = False,
               min_window: timedelta = timedelta(0)) -> list[Fold]:
    """`folds` consecutive test windows covering [first, last) exactly. With `train`, the span
    is cut into folds + 1 segments: fold k trains on segment k and tests on segment k + 1."""
    if folds < 1:
        raise InputError("--folds", f"must be at least 1, got {folds}")
    segments = folds + 1 if train else folds
    span = last - first
    cuts = [first] + [floor_to(first + span * k / segments, ALIGN) for k in range(1, segments)]
    cuts.append(last)
    shortest = min(b - a for a, b in zip(cuts, cuts[1:], strict=False))
    if shortest < max(min_window, ALIGN):
        raise InputError("--folds", f"{folds} folds cut {first:%Y-%m-%d %H:%M} to "
                         f"{last:%Y-%m-%d %H:%M} into windows of {duration(shortest)}, shorter "
                         f"than the strategy's warm-up of {duration(max(min_window, ALIGN))}; "
                         "use fewer folds")
    windows = [Window(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    if train:
        return [Fold(k + 1, windows[k + 1], windows[k]) for k in range(folds)]
    return [Fold(k + 1, window) for k, window in enumerate(windows)]
