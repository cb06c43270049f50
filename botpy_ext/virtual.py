"""What `botpy trade` settles before freqtrade starts: the config it will run (for its database
and API server), and Virtual mode's replay across restarts.

A Virtual bot trades a replayed market whose "now" is a dataset time. The replay's offset
(served time = dataset time + offset) is kept beside the bot's database
(`<database>.replay.json`), so that a restarted bot finds the market where it would be had it
kept running (the open trades see the minutes they missed), not at the start of the replay again.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from botpy_ext.simulator.timeframes import INTERVAL_MS, ms_text

logger = logging.getLogger("botpy")

REPLAY_SUFFIX = ".replay.json"
SQLITE_FILE = "sqlite:///"


def option_values(extra: list[str], *names: str) -> list[str]:
    """The values of `--name X` and `--name=X` in freqtrade's arguments, in order."""
    values = []
    for index, item in enumerate(extra):
        for name in names:
            if item == name and index + 1 < len(extra):
                values.append(extra[index + 1])
            elif item.startswith(f"{name}="):
                values.append(item.split("=", 1)[1])
    return values


def run_config(files: list[str]) -> dict:
    """The config freqtrade will merge from `files` (with the files they add); {} when it cannot
    be read, which freqtrade then reports itself."""
    from freqtrade.configuration.load_config import load_from_files

    try:
        return load_from_files(files)
    except Exception:  # noqa: BLE001 - freqtrade says what is wrong with a config, at its start
        return {}


def database_file(config: dict, extra: list[str], env: dict[str, str]) -> Path | None:
    """The bot's SQLite file (`--db-url` over `FREQTRADE__DB_URL` over the config's `db_url`, as
    freqtrade reads them); None for another database or one in memory."""
    url = (option_values(extra, "--db-url")
           or [env.get("FREQTRADE__DB_URL") or config.get("db_url", "")])[-1]
    if not url.startswith(SQLITE_FILE) or url.endswith(":memory:") or url == SQLITE_FILE:
        return None
    return Path(url[len(SQLITE_FILE):])


def api_port_taken(config: dict, env: dict[str, str]) -> int | None:
    """The port of the bot's API server when something already listens there: freqtrade would
    log the error and trade on without its API (and FreqUI would show the other program)."""
    api = config.get("api_server", {})
    enabled = env.get("FREQTRADE__API_SERVER__ENABLED", str(api.get("enabled", False)))
    if enabled.lower() not in ("true", "1"):
        return None
    host = env.get("FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", api.get("listen_ip_address",
                                                                       "127.0.0.1"))
    try:
        port = int(env.get("FREQTRADE__API_SERVER__LISTEN_PORT", api.get("listen_port", 8080)))
        address = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        with socket.create_connection((address, port), timeout=1):
            return port
    except (OSError, ValueError):  # nothing listens (or freqtrade will say what is wrong)
        return None


@dataclass(frozen=True)
class ReplayState:
    datadir: str  # resolved
    offset_ms: int


def state_file(database: Path | None) -> Path | None:
    return None if database is None else database.with_name(database.name + REPLAY_SUFFIX)


def read_state(path: Path | None) -> ReplayState | None:
    if path is None or not path.exists():
        return None
    try:
        stored = json.loads(path.read_text())
        return ReplayState(str(stored["datadir"]), int(stored["offset_ms"]))
    except (ValueError, KeyError, TypeError):
        logger.warning("%s is not a replay state: ignored, the replay starts afresh", path)
        return None


def write_state(path: Path, state: ReplayState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"datadir": state.datadir, "offset_ms": state.offset_ms,
                                "saved": datetime.now(UTC).isoformat()}, indent=1) + "\n")


# A replay shifts the dataset by a whole number of these, so that the bot's 5m, 15m, 1h and 4h
# candles (rebuilt from the 1m series on the served grid) are the dataset's own; it then starts
# up to 4 h before --start.
REPLAY_ALIGN = "4h"
REPLAY_ALIGN_MS = INTERVAL_MS[REPLAY_ALIGN]


def replay_options(start: str | None, path: Path | None, datadir: Path) -> list[str]:
    """The simulator's clock options: `--start` when given (a new replay), else the stored
    replay of this database on this datadir, continued (while the database exists: deleting it
    starts afresh), else a new replay from the default start."""
    database = path and path.with_name(path.name[:-len(REPLAY_SUFFIX)])
    stored = read_state(path) if database and database.exists() else None
    same_market = stored is not None and stored.datadir == str(datadir.resolve())
    if start:
        if same_market:
            logger.warning("--start %s begins a new replay; the database beside %s was "
                           "replaying this market: its open trades will see the market jump "
                           "(a new --db-url keeps them apart)", start, path)
        return ["--clock", "replay", "--start", start, "--align", REPLAY_ALIGN]
    if same_market:
        logger.info("Virtual mode continues the replay of %s (%s): the market went on while the "
                    "bot was stopped", database, path)
        if stored.offset_ms % REPLAY_ALIGN_MS:
            logger.warning("%s was started by an older launcher, %s off the 4h grid: the bot's "
                           "5m to 4h candles are regroupings of the dataset's 1m candles, not "
                           "its own (--start, or a new --db-url, begins an aligned replay)",
                           path, f"{stored.offset_ms % REPLAY_ALIGN_MS // 60_000} min")
        return ["--clock", "replay", "--offset-ms", str(stored.offset_ms)]
    if stored is not None:
        logger.warning("%s replays another datadir (%s): a new replay starts", path,
                       stored.datadir)
    return ["--clock", "replay", "--align", REPLAY_ALIGN]


def replay_span_text(status: dict) -> str:
    """Where the replay stands and how much of the data is left, from the simulator's status."""
    now, end = status["dataset_now_ms"], status["data_end_ms"]
    hours = max(end - now, 0) / 3_600_000
    return (f"Virtual replay at dataset time {moment_text(now)}; the data end at "
            f"{moment_text(end)}, {hours:.1f} h from now")


def moment_text(ms: int) -> str:
    return ms_text(ms, "%Y-%m-%d %H:%M")


@contextmanager
def warning_at_data_end(status: dict) -> Iterator[None]:
    """Says what is left of the replayed market, and warns when the data run out while the bot
    runs: from then on the market stands still and freqtrade gets no new candle."""
    logger.info("%s", replay_span_text(status))
    end = status["data_end_ms"]
    timer = threading.Timer(
        max(end - status["dataset_now_ms"], 0) / 1000, logger.warning,
        args=("Virtual replay: the data end at %s (dataset time); the market stands still from "
              "now on and the bot gets no new candle. Stop it; `botpy trade virtual --start ISO` "
              "begins a new replay (or a new --db-url, a new bot)", moment_text(end)))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
