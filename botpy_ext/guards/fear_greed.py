"""Risk-off: the Crypto Fear & Greed Index (alternative.me) in its extreme bands pauses entries.

Live and dry-run: `FearGreedFeed.refresh(now)` (called from `bot_loop_start`) fetches the latest
value with `requests` (timeout, retries) at most every `refresh_minutes`, and after a failure not
before `retry_minutes`. A failed fetch keeps the last value; a value older than `max_age_hours`
(measured from the day it describes) no longer counts, and then `on_unavailable` decides:
"block" (default: a guard without data refuses, capital first) or "allow".

Backtests: the value of the day (UTC) of `current_time`, from the history file written by
`botpy fear-greed download`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import requests

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import FearGreedSettings

GUARD = "fear_greed"
logger = logging.getLogger(__name__)


class FearGreedError(ValueError):
    pass


class Reading(NamedTuple):
    day: datetime  # start (UTC) of the day the value describes
    value: int
    label: str


def parse(payload: object) -> list[Reading]:
    """Readings of an alternative.me answer (`{"data": [{"value", "timestamp", ...}]}`), newest
    first as served; FearGreedError for anything else."""
    rows = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not rows:
        raise FearGreedError("answer has no 'data' list")
    readings = []
    for row in rows:
        try:
            value = int(row["value"])
            day = datetime.fromtimestamp(int(row["timestamp"]), UTC)
        except (KeyError, TypeError, ValueError) as exc:
            raise FearGreedError(f"malformed row {row!r}: {exc!r}") from None
        if not 0 <= value <= 100:
            raise FearGreedError(f"value {value} outside 0-100")
        readings.append(Reading(day, value, str(row.get("value_classification", ""))))
    return readings


def fetch(settings: FearGreedSettings, limit: int = 1,
          get: Callable = requests.get) -> list[Reading]:
    """GET the index with retries; FearGreedError naming the last failure."""
    error = "no attempt"
    for _ in range(settings.retries + 1):
        try:
            answer = get(settings.url, params={"limit": limit, "format": "json"},
                         timeout=settings.timeout_s)
            answer.raise_for_status()
            return parse(answer.json())
        except (requests.RequestException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
    raise FearGreedError(f"{settings.url} unreachable or invalid after "
                         f"{settings.retries + 1} attempt(s): {error}")


def check(reading: Reading | None, now: datetime, settings: FearGreedSettings,
          why_missing: str = "no value") -> Refusal | None:
    """The band rule on a reading; a missing or stale reading follows `on_unavailable`."""
    if reading is not None and now - reading.day > timedelta(hours=settings.max_age_hours):
        why_missing = (f"last value ({reading.value}, {reading.day:%Y-%m-%d}) is older than "
                       f"{settings.max_age_hours:g} h")
        reading = None
    if reading is None:
        if settings.on_unavailable == "allow":
            return None
        return Refusal(GUARD, f"Fear & Greed Index unavailable ({why_missing}); policy: block",
                       None)
    if reading.value <= settings.extreme_fear or reading.value >= settings.extreme_greed:
        band = "fear" if reading.value <= settings.extreme_fear else "greed"
        return Refusal(GUARD, f"Fear & Greed Index {reading.value} ({reading.label or band}) "
                       f"is in the extreme {band} band", None)
    return None


class FearGreedFeed:
    """The latest reading for dry-run/live, refreshed at most every `refresh_minutes`."""

    def __init__(self, settings: FearGreedSettings, get: Callable = requests.get) -> None:
        self.settings = settings
        self.get = get
        self.reading: Reading | None = None
        self.next_fetch: datetime | None = None
        self.last_error = "not fetched yet"

    def refresh(self, now: datetime) -> None:
        if self.next_fetch is not None and now < self.next_fetch:
            return
        try:
            self.reading = fetch(self.settings, get=self.get)[0]
            self.last_error = ""
            self.next_fetch = now + timedelta(minutes=self.settings.refresh_minutes)
        except FearGreedError as exc:
            self.last_error = str(exc)
            self.next_fetch = now + timedelta(minutes=self.settings.retry_minutes)
            logger.warning("Fear & Greed: %s; keeping %s", exc,
                           f"{self.reading.value} of {self.reading.day:%Y-%m-%d}"
                           if self.reading else "no value")

    def check(self, now: datetime) -> Refusal | None:
        return check(self.reading, now, self.settings, self.last_error or "no value")


# ---- history for backtests ---------------------------------------------------------------

def download_history(settings: FearGreedSettings, path: Path,
                     get: Callable = requests.get) -> int:
    """Write the whole history (alternative.me's own JSON) to `path`; the number of days."""
    readings = fetch(settings, limit=0, get=get)
    rows = [{"value": str(r.value), "value_classification": r.label,
             "timestamp": str(int(r.day.timestamp()))} for r in readings]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")  # several backtests may start at once
    partial.write_text(json.dumps({"name": "Fear and Greed Index", "data": rows}, indent=1))
    partial.replace(path)
    return len(rows)


def history_path(history_file: str, datadir: str | Path | None, userdir: Path) -> Path:
    """Where a backtest reads the history: `history_file` itself when absolute; otherwise the
    first that exists of `datadir`/`history_file` and `userdir`/data/`history_file`, else the
    latter (where a download goes)."""
    name = Path(history_file)
    if name.is_absolute():
        return name
    candidates = [Path(datadir) / name] if datadir else []
    candidates.append(userdir / "data" / name)
    return next((path for path in candidates if path.exists()), candidates[-1])


def history_or_download(path: Path, settings: FearGreedSettings,
                        get: Callable = requests.get) -> dict[date, Reading]:
    """The history at `path`; when the file is missing, downloaded there once from the index's
    API first. FearGreedError saying what to do when neither works."""
    if not path.exists():
        try:
            days = download_history(settings, path, get=get)
        except FearGreedError as exc:
            raise FearGreedError(
                f"Fear & Greed history {path} not found, and the download failed ({exc}). "
                f"Run `botpy fear-greed download --out {path}` where {settings.url} can be "
                f"reached (or copy a history file there), or switch the guard off with "
                f"botpy.guards.fear_greed.enabled = false") from None
        logger.info("Fear & Greed Index: %d days downloaded from %s to %s (reused from now on)",
                    days, settings.url, path)
    return load_history(path)


def load_history(path: Path) -> dict[date, Reading]:
    """day -> reading of a history file; FearGreedError naming the file."""
    try:
        readings = parse(json.loads(path.read_text()))
    except FileNotFoundError:
        raise FearGreedError(f"Fear & Greed history {path} not found: run `botpy fear-greed "
                             f"download`, or set botpy.guards.fear_greed.enabled to false") \
            from None
    except (json.JSONDecodeError, FearGreedError) as exc:
        raise FearGreedError(f"Fear & Greed history {path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:  # a directory, no permission, not text
        raise FearGreedError(f"Fear & Greed history {path} cannot be read "
                             f"(botpy.guards.fear_greed.history_file): {exc}") from None
    return {r.day.date(): r for r in readings}


def coverage_warning(history: dict[date, Reading], start: date | None, stop: date | None,
                     path: Path) -> str | None:
    """Backtests: the days of the timerange the history has no value for (each refuses every
    entry of its day), said once at the start rather than in a refusal per signal."""
    if start is None or stop is None or stop < start:
        return None
    days = [start + timedelta(days=n) for n in range((stop - start).days + 1)]
    missing = [day for day in days if day not in history]
    if not missing:
        return None
    return (f"Fear & Greed history {path} has no value for {len(missing)} of the backtest's "
            f"{len(days)} days ({missing[0]} to {missing[-1]}): the guard refuses every entry "
            "on them. Download a newer history (`botpy fear-greed download`) or switch the "
            "guard off (botpy.guards.fear_greed.enabled = false)")


def check_history(history: dict[date, Reading], now: datetime,
                  settings: FearGreedSettings) -> Refusal | None:
    """Backtests: the rule on the value of `now`'s UTC day."""
    reading = history.get(now.date())
    return check(reading, now, settings, f"no value for {now:%Y-%m-%d} in the history")
