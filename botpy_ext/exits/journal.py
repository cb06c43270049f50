"""A JSON-lines journal of the facts frozen at each trade's first fill (pair, open date, R):
backtests keep them in memory only, and `botpy evaluate` needs each trade's R afterwards."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from botpy_ext.exits.stops import TradeFacts


class FactsJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")  # one journal per run

    def write(self, pair: str, open_date: datetime, facts: TradeFacts) -> None:
        with self.path.open("a") as out:
            out.write(json.dumps({"pair": pair, "open_date": open_date.isoformat(),
                                  **facts.as_dict()}) + "\n")


def read_journal(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]
