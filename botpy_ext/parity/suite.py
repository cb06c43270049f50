"""`make parity`: the long parity windows, one `botpy parity` each, and their figures together
in `.parity/report.json`.

    python -m botpy_ext.parity.suite [--only NAME ...] [--speed K]

Windows: the dense synthetic market's afternoon (every planted episode, ≥ 10 entry signals over
several pairs and setups), three hours of the real `../shared/data/binance`, and the same real
window under the simulator's faults (10 % HTTP 503, 5 % 429, 300 ms latency, 1 % missing
candles).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from botpy_ext.synthetic import generate_market, write_market

logger = logging.getLogger("botpy")

REPO = Path(__file__).resolve().parents[2]
OUT = Path(".parity")
DENSE_MARKET = Path("user_data/data/synthetic-dense")
REAL_DATA = REPO.parent / "shared" / "data" / "binance"
FAULTS = {"error_rate": 0.10, "rate_limit_rate": 0.05, "latency_ms": 300,
          "missing_candles": 0.01}


@dataclass(frozen=True)
class ParityWindow:
    name: str
    datadir: Path
    start: str
    hours: float
    faults: dict | None = None


WINDOWS = (
    ParityWindow("synthetic-dense", DENSE_MARKET, "2024-01-15T13:00", 3.5),
    ParityWindow("binance", REAL_DATA, "2023-04-13T07:00", 3.0),
    ParityWindow("binance-faults", REAL_DATA, "2023-04-13T07:00", 3.0, FAULTS),
)


def ensure_dense_market() -> None:
    if not (DENSE_MARKET / "market.json").exists():
        logger.info("Generating the dense synthetic market into %s", DENSE_MARKET)
        write_market(generate_market(7, 30, dense=True), DENSE_MARKET)


def run(window: ParityWindow, speed: float) -> dict:
    out = OUT / window.name
    command = [str(Path(sys.executable).parent / "botpy"), "parity", "--datadir",
               str(window.datadir), "--start", window.start, "--hours", str(window.hours),
               "--speed", str(speed), "--out", str(out)]
    if window.faults:
        command += ["--faults", json.dumps(window.faults)]
    logger.info("%s", " ".join(command))
    code = subprocess.run(command).returncode
    report = out / "report.json"
    if code or not report.exists():
        return {"error": f"botpy parity exited with {code}", "command": command}
    return figures(json.loads(report.read_text())) | {"command": " ".join(command[1:])}


def figures(report: dict) -> dict:
    """What `.parity/report.json` keeps of one window's full report."""
    return {key: report.get(key) for key in ("window", "signals", "speed", "faults", "summary",
                                             "targets_failed", "integrity", "fail_closed")}


def table(results: dict[str, dict]) -> str:
    """The windows' figures as the Markdown table of docs/parity.md."""
    lines = ["| window | K | trades backtest / Virtual | entries identical | exits same | "
             "profit backtest / Virtual | gap: net, summed | integrity | failed closed | "
             "targets |",
             "|---|---:|---|---:|---:|---|---:|---|---|---|"]
    for name, result in results.items():
        if "error" in result:
            lines.append(f"| {name} | | {result['error']} | | | | | | | |")
            continue
        s, closed = result["summary"], result.get("fail_closed") or {}
        integrity = "intact" if result["integrity"]["intact"] else ", ".join(
            f"{k} {v}" for k, v in result["integrity"].items() if v and k != "orders")
        lines.append(
            f"| {name} | {result['speed']:g} | {s['trades_backtest']} / {s['trades_virtual']} | "
            f"{s['entries_identical_pct']:.1f} % | {s['exits_same_reason_pct']:.1f} % | "
            f"{s['profit_backtest_pct']:+.2f} % / {s['profit_virtual_pct']:+.2f} % | "
            f"{s['profit_gap_pp']:.2f}, {s.get('profit_gap_gross_pp', float('nan')):.2f} pp | "
            f"{integrity} ({result['integrity']['orders']} orders) | "
            f"{closed.get('entries_refused_missing_data', '—')} refused, "
            f"{closed.get('signals_dropped_missing_candles', '—')} dropped | "
            f"{'; '.join(result['targets_failed']) or 'met'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m botpy_ext.parity.suite")
    parser.add_argument("--only", nargs="*", choices=[w.name for w in WINDOWS],
                        help="run only these windows (the others keep their last figures)")
    parser.add_argument("--speed", type=float, default=10.0, help="replay speed K")
    parser.add_argument("--table", action="store_true",
                        help="print the last figures as a Markdown table and run nothing")
    args = parser.parse_args(argv)
    path = OUT / "report.json"
    results = json.loads(path.read_text()).get("windows", {}) if path.exists() else {}
    if args.table:  # from each window's own report, the newest figures
        print(table({w.name: figures(json.loads((OUT / w.name / "report.json").read_text()))
                     for w in WINDOWS if (OUT / w.name / "report.json").exists()}))
        return 0
    ensure_dense_market()
    OUT.mkdir(exist_ok=True)
    for window in WINDOWS:
        if args.only and window.name not in args.only:
            continue
        results[window.name] = run(window, args.speed)
        path.write_text(json.dumps({"windows": results}, indent=1))
    logger.info("Parity report: %s", path)
    print(table(results))
    return 0 if all("error" not in r for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
