"""`python -m botpy_ext.parity.speed REPORT_A REPORT_B`: the Virtual trades of two `botpy parity`
runs of one window (e.g. `--speed 1` and `--speed 15`) compared with each other, the same way a
run is compared with its backtest: does the replay speed change what the bot does?"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from botpy_ext.parity import compare


def virtual_trades(report: dict) -> list[compare.TradeRecord]:
    return [record(row["virtual"]) for row in report["rows"] if row["virtual"]]


def record(trade: dict) -> compare.TradeRecord:
    values = dict(trade)
    for key in ("entry_candle", "entry_filled", "exit_candle"):
        if values[key]:
            values[key] = datetime.fromisoformat(values[key])
    return compare.TradeRecord(**values)


def main(argv: list[str]) -> int:
    first, second = (json.loads(Path(path).read_text()) for path in argv)
    rows = compare.compare(virtual_trades(first), virtual_trades(second))
    summary = compare.summarise(rows, 1000.0)
    print(f"speed {first['speed']:g} (left) against speed {second['speed']:g} (right)")
    for row in rows:
        left, right = row.backtest, row.virtual
        print(f"{row.pair:<11} {cell(left):<40} {cell(right):<40} "
              + ("; ".join(row.differences).replace("backtest", "left")
                 .replace("Virtual", "right") or "same"))
    print(json.dumps(summary.as_dict(), indent=1))
    return 0


def cell(trade: compare.TradeRecord | None) -> str:
    if trade is None:
        return "-"
    return (f"{trade.enter_tag} {trade.entry_candle:%H:%M} {trade.entry_price:g} → "
            f"{trade.exit_candle:%H:%M} {trade.exit_reason} {trade.profit_pct:+.2f} %")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
