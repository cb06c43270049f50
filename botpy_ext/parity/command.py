"""`botpy parity`: the same window traded in Virtual mode and backtested, compared trade by trade.

    botpy parity --datadir DIR --start ISO --hours H [--speed K] [--faults JSON]
                 [--config FILE] [--out DIR] [--check]

Writes `<out>/report.json` (`summary`, `rows`, `integrity`, the commands' settings) and prints
the table of trades with the reason of each difference. `--check` exits 1 when the summary is
below the targets (95 % of entries identical, 90 % of exits with the same reason within one
candle, profit within 0.5 percentage points).
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from botpy_ext.parity import compare, integrity
from botpy_ext.parity.runner import ParityError, Setup, Window, run_backtest, run_virtual
from botpy_ext.parity.signals import window_signals
from botpy_ext.simulator.faults import Faults

logger = logging.getLogger("botpy")

DEFAULT_SPEED = 10.0
MAX_SPEED = 60.0  # beyond this the bot's analysis of a candle takes longer than the candle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datadir", required=True, help="candles to replay and to backtest")
    parser.add_argument("--start", required=True, type=parse_start,
                        help="first candle of the window (ISO date-time, UTC, a whole minute)")
    parser.add_argument("--hours", required=True, type=float, help="length of the window")
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                        help=f"replay clock K times faster than real time (1..{MAX_SPEED:g}, "
                        "default %(default)g; 1 is the reference)")
    parser.add_argument("--faults", default="{}", help="simulator faults as JSON, e.g. "
                        "'{\"error_rate\": 0.1, \"rate_limit_rate\": 0.05, \"latency_ms\": 300, "
                        "\"missing_candles\": 0.01}'")
    parser.add_argument("--config", action="append", default=[], help="extra freqtrade config "
                        "for both runs (e.g. user_data/config/spec-literal.json); repeatable")
    parser.add_argument("--out", help="folder for the runs and report.json (default: "
                        ".parity/<datadir name>-<start>)")
    parser.add_argument("--check", action="store_true", help="exit 1 when parity is below the "
                        "targets")


def parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from exc
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment.second or moment.microsecond:
        raise argparse.ArgumentTypeError(f"--start must be a whole minute, got {text!r}")
    return moment


def validated(args: argparse.Namespace) -> tuple[Window, Faults]:
    if not 1 <= args.speed <= MAX_SPEED:
        raise ParityError(f"--speed must be in [1, {MAX_SPEED:g}], got {args.speed:g}")
    if not 0 < args.hours <= 24 * 14:
        raise ParityError(f"--hours must be in (0, {24 * 14}], got {args.hours:g}")
    datadir = Path(args.datadir)
    if not any(datadir.glob("*-1m.feather")):
        raise ParityError(f"--datadir {datadir}: no *-1m.feather candles there")
    try:
        faults = Faults().updated(json.loads(args.faults))
    except (json.JSONDecodeError, ValueError, TypeError) as exc:
        raise ParityError(f"--faults: {exc}") from None
    for config in args.config:
        if not Path(config).exists():
            raise ParityError(f"--config {config}: no such file")
    return Window(datadir, args.start, args.hours), faults


def parity(args: argparse.Namespace, userdir: Path, python_bin: Path) -> int:
    try:
        window, faults = validated(args)
        out = Path(args.out) if args.out else Path(".parity") / (
            f"{window.datadir.name}-{window.start:%Y%m%dT%H%M}")
        setup = Setup(userdir, python_bin, tuple(Path(c) for c in args.config))
        logger.info("Virtual run of %s, %s + %g h, %g x real time (about %.0f min)",
                    window.datadir, f"{window.start:%Y-%m-%d %H:%M}", window.hours, args.speed,
                    window.hours * 60 / args.speed + 1.5)
        virtual = run_virtual(window, setup, out / "virtual", args.speed, faults)
        logger.info("Backtest of the same window")
        backtest = run_backtest(window, setup, out / "backtest")
    except ParityError as exc:
        logger.error("%s", exc)
        return 2
    report = build_report(window, args, faults, virtual, backtest,
                          window_signals(window.datadir, window.start, window.end),
                          integrity.check(*integrity.read_database(out / "virtual" /
                                                                   "trades.sqlite")))
    (out / "report.json").write_text(json.dumps(report, indent=1))
    print(render(report))
    print(f"\nReport: {out / 'report.json'}")
    failed = report["targets_failed"]
    return 1 if args.check and failed else 0


def build_report(window: Window, args: argparse.Namespace, faults: Faults, virtual, backtest,
                 signals: dict, checked: integrity.Integrity) -> dict:
    rows = compare.compare(
        [compare.TradeRecord.from_freqtrade(t) for t in backtest.trades],
        [compare.TradeRecord.from_freqtrade(t) for t in virtual.trades],
        compare.refusals_in(virtual.log), compare.refusals_in(backtest.log))
    summary = compare.summarise(rows, backtest.starting_balance)
    failed = compare.Targets().failures(summary) + (
        [] if checked.intact else [f"integrity: {checked.as_dict()}"])
    return {
        "window": {"datadir": str(window.datadir), "start": window.start.isoformat(),
                   "end": window.end.isoformat(), "hours": window.hours},
        "signals": signals,
        "speed": args.speed,
        "faults": faults.as_dict(),
        "configs": list(args.config),
        "summary": summary.as_dict(),
        "targets_failed": failed,
        "integrity": checked.as_dict(),
        "fail_closed": compare.fail_closed(virtual.log),
        "virtual": virtual.notes,
        "rows": [row.as_dict() for row in rows],
    }


def render(report: dict) -> str:
    summary = report["summary"]
    lines = [f"{'pair':<11} {'backtest':<34} {'Virtual':<34} differences"]
    for row in report["rows"]:
        lines.append(f"{row['pair']:<11} {cell(row['backtest']):<34} {cell(row['virtual']):<34} "
                     + ("; ".join(row["differences"]) or "same"))
    signals = report["signals"]
    lines += [
        "",
        f"window: {signals['signal_candles']} entry signal candles on {signals['pairs']} pairs "
        f"({', '.join(signals['setups'])})",
        f"trades: backtest {summary['trades_backtest']}, Virtual {summary['trades_virtual']}, "
        f"matched {summary['matched']}",
        f"entries identical (pair, tag, candle): {summary['entries_identical_pct']:.1f} %",
        f"exits with the same reason within one candle: {summary['exits_same_reason_pct']:.1f} %",
        f"profit: backtest {summary['profit_backtest_pct']:+.2f} %, Virtual "
        f"{summary['profit_virtual_pct']:+.2f} %, gap {summary['profit_gap_pp']:.2f} pp",
        "integrity: " + ", ".join(f"{k} {v}" for k, v in report["integrity"].items()),
        "fail closed (Virtual): {entries_refused_missing_data} entries refused for missing data, "
        "{signals_dropped_missing_candles} signals dropped for missing candles"
        .format(**report["fail_closed"]),
        "targets: " + ("; ".join(report["targets_failed"]) or "met"),
    ]
    return "\n".join(lines)


def cell(trade: dict | None) -> str:
    if trade is None:
        return "-"
    entry = trade["entry_candle"][11:16]
    exit_ = (trade["exit_candle"] or "")[11:16]
    return f"{trade['enter_tag'][:14]} {entry}→{exit_} {trade['exit_reason'][:10]}"[:34]
