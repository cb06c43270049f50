"""Trade-by-trade comparison of a Virtual-mode run with the backtest of the same window (pure).

A trade of one side is matched with the nearest trade of the same pair on the other side whose
entry lies within `MATCH_MINUTES`. An entry is identical when pair, enter tag and entry candle
agree; an exit agrees when the reason is the same and the exit candles are at most one candle
apart. Both percentages are taken over all trades of either side (a trade only one side made
counts as a difference), so a bot that trades more or less than the backtest cannot look good.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

CANDLE = timedelta(minutes=1)
MATCH_MINUTES = 15  # entries further apart than this are different trades
EXIT_TOLERANCE = CANDLE  # "the same exit": same reason, exit candles at most this far apart
TRADE_PROFIT_TOLERANCE_PP = 0.25  # a matched trade's profit ratio may differ by this many points


@dataclass(frozen=True)
class TradeRecord:
    """What the comparison reads of a freqtrade trade (REST API or backtest export)."""

    pair: str
    enter_tag: str
    entry_candle: datetime  # the candle in which the entry order was placed
    entry_delay_s: float  # seconds into that candle (a backtest: 0)
    entry_filled: datetime | None  # when the first entry order filled
    entry_price: float
    entries: int  # filled entry orders (2: scaled in)
    exit_reason: str
    exit_candle: datetime | None
    exit_price: float | None
    profit_abs: float
    profit_pct: float

    @classmethod
    def from_freqtrade(cls, trade: dict) -> TradeRecord:
        entry_orders = [o for o in trade.get("orders", []) if o.get("ft_is_entry")
                        and (o.get("filled", o.get("amount")) or 0) > 0]
        filled = [o["order_filled_timestamp"] for o in entry_orders
                  if o.get("order_filled_timestamp")]
        return cls(
            pair=trade["pair"],
            enter_tag=trade.get("enter_tag") or "",
            entry_candle=candle_of(trade["open_timestamp"]),
            entry_delay_s=(trade["open_timestamp"] % 60_000) / 1000,
            entry_filled=moment(min(filled)) if filled else None,
            entry_price=float(trade["open_rate"]),
            entries=len(entry_orders),
            exit_reason=trade.get("exit_reason") or "",
            exit_candle=candle_of(trade["close_timestamp"]) if trade.get("close_timestamp")
            else None,
            exit_price=float(trade["close_rate"]) if trade.get("close_rate") else None,
            profit_abs=float(trade.get("profit_abs") or 0.0),
            profit_pct=100 * float(trade.get("profit_ratio") or 0.0),
        )


def moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def candle_of(ms: int) -> datetime:
    return moment(ms).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Refusal:
    """An entry a guard refused, read from a log line of BotpyStrategy."""

    pair: str
    candle: datetime
    text: str


REFUSAL_LINE = re.compile(r"Entry refused for (?P<pair>\S+) at (?P<time>[\d-]+ [\d:]+) by "
                          r"(?P<text>.*)$", re.MULTILINE)


def refusals_in(log: str) -> list[Refusal]:
    return [Refusal(m["pair"], datetime.fromisoformat(m["time"]).replace(tzinfo=UTC),
                    m["text"].strip()) for m in REFUSAL_LINE.finditer(log)]


MISSING_DATA = re.compile(r"missing|unavailable|no \S+(, \S+)* candles", re.IGNORECASE)
NO_SIGNAL_LINE = re.compile(r"(?P<pair>\S+): no (?P<what>.+) candles: no entry signal",
                            re.MULTILINE)


def fail_closed(log: str) -> dict:
    """How a run met missing data (under faults): entries the guards refused because their data
    was missing, and candles whose signal was dropped because informative candles were missing.
    Both count the bot failing closed; an entry taken on missing data would be neither."""
    refused = [r for r in refusals_in(log) if MISSING_DATA.search(r.text)]
    dropped = NO_SIGNAL_LINE.findall(log)
    return {"entries_refused_missing_data": len(refused),
            "signals_dropped_missing_candles": len(dropped),
            "examples": [f"{r.pair} {r.candle:%H:%M}: {r.text}" for r in refused[:3]]}


@dataclass
class Row:
    """One line of the comparison: a matched pair of trades, or a trade one side alone made."""

    pair: str
    backtest: TradeRecord | None
    virtual: TradeRecord | None
    entry_identical: bool = False
    exit_same: bool = False
    differences: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"pair": self.pair, "entry_identical": self.entry_identical,
                "exit_same": self.exit_same, "differences": self.differences,
                "backtest": trade_json(self.backtest), "virtual": trade_json(self.virtual)}


def trade_json(trade: TradeRecord | None) -> dict | None:
    if trade is None:
        return None
    return {key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(trade).items()}


def match_trades(backtest: Sequence[TradeRecord], virtual: Sequence[TradeRecord]
                 ) -> list[tuple[TradeRecord | None, TradeRecord | None]]:
    """Pairs (backtest, virtual) in entry order; None where one side has no such trade.
    Closest entries first, each trade used once."""
    candidates = sorted(
        ((abs(b.entry_candle - v.entry_candle), i, j)
         for i, b in enumerate(backtest) for j, v in enumerate(virtual)
         if b.pair == v.pair and abs(b.entry_candle - v.entry_candle)
         <= timedelta(minutes=MATCH_MINUTES)),
        key=lambda item: item[0])
    used_b: dict[int, int] = {}
    used_v: set[int] = set()
    for _, i, j in candidates:
        if i not in used_b and j not in used_v:
            used_b[i] = j
            used_v.add(j)
    pairs = [(b, virtual[used_b[i]] if i in used_b else None) for i, b in enumerate(backtest)]
    pairs += [(None, v) for j, v in enumerate(virtual) if j not in used_v]
    return sorted(pairs, key=lambda p: ((p[0] or p[1]).entry_candle, (p[0] or p[1]).pair))


def compare(backtest: Sequence[TradeRecord], virtual: Sequence[TradeRecord],
            virtual_refusals: Iterable[Refusal] = (), backtest_refusals: Iterable[Refusal] = ()
            ) -> list[Row]:
    virtual_refusals, backtest_refusals = list(virtual_refusals), list(backtest_refusals)
    rows = []
    for b, v in match_trades(backtest, virtual):
        row = Row((b or v).pair, b, v)
        if b is not None and v is not None:
            describe_matched(row, b, v)
        elif b is not None:
            row.differences.append(missing_reason("Virtual", b, virtual_refusals))
        else:
            row.differences.append(missing_reason("backtest", v, backtest_refusals))
        rows.append(row)
    return rows


def describe_matched(row: Row, b: TradeRecord, v: TradeRecord) -> None:
    late = minutes(v.entry_candle - b.entry_candle)
    filled_late = bool(v.entry_filled and not late
                       and v.entry_filled.replace(second=0, microsecond=0) > v.entry_candle)
    row.entry_identical = (b.enter_tag == v.enter_tag and late == 0 and not filled_late
                           and b.entries == v.entries)
    if b.enter_tag != v.enter_tag:
        row.differences.append(f"enter tag: backtest {b.enter_tag}, Virtual {v.enter_tag}")
    if late:
        row.differences.append(f"entry {abs(late)} candle(s) {'later' if late > 0 else 'earlier'}"
                               " in Virtual mode (the bot acted on another candle)")
    elif v.entry_filled and v.entry_filled.replace(second=0, microsecond=0) > v.entry_candle:
        waited = minutes(v.entry_filled.replace(second=0, microsecond=0) - v.entry_candle)
        row.differences.append(f"the Virtual entry order filled {waited} candle(s) after it was "
                               "placed")
    if b.entries != v.entries:
        row.differences.append(f"entry orders filled: backtest {b.entries}, Virtual {v.entries}")
    apart = (abs(minutes(v.exit_candle - b.exit_candle))
             if b.exit_candle and v.exit_candle else None)
    row.exit_same = (b.exit_reason == v.exit_reason and apart is not None
                     and apart <= minutes(EXIT_TOLERANCE))
    if b.exit_reason != v.exit_reason:
        row.differences.append(f"exit reason: backtest {b.exit_reason}, Virtual {v.exit_reason}")
    elif apart:
        row.differences.append(f"exit {apart} candle(s) apart")
    # named, and counted in the summed gap; not a different exit: where a bot's loop meets a
    # falling price moves its exit price from run to run
    gap = abs(v.profit_pct - b.profit_pct)
    if gap > TRADE_PROFIT_TOLERANCE_PP:
        row.differences.append(f"profit {b.profit_pct:+.2f} % backtest, {v.profit_pct:+.2f} % "
                               f"Virtual ({gap:.2f} points apart)")


def minutes(delta: timedelta) -> int:
    return round(delta / CANDLE)


def missing_reason(side: str, trade: TradeRecord, refusals: list[Refusal]) -> str:
    """Why `side` has no trade like `trade`: a guard's refusal near its signal, if one was
    logged (the signal candle is the one before the entry candle)."""
    signal = trade.entry_candle - CANDLE
    near = [r for r in refusals if r.pair == trade.pair
            and abs(r.candle - signal) <= timedelta(minutes=2)]
    if near:
        return f"no {side} trade: {side} guard refused it ({near[0].text})"
    return f"no {side} trade"


@dataclass(frozen=True)
class Summary:
    trades_backtest: int
    trades_virtual: int
    matched: int
    entries_identical: int
    entries_identical_pct: float
    exits_same_reason: int
    exits_same_reason_pct: float
    profit_backtest_pct: float  # of the starting balance
    profit_virtual_pct: float
    profit_gap_pp: float  # |Virtual − backtest|, percentage points of the starting balance
    profit_gap_gross_pp: float = 0.0  # Σ per row |Virtual − backtest|: gaps that cancel count

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(rows: Sequence[Row], starting_balance: float) -> Summary:
    """Figures over every trade of either side; an empty window counts as full agreement."""
    total = len(rows)
    identical = sum(row.entry_identical for row in rows)
    same_exit = sum(row.exit_same for row in rows)
    profit_b = sum(row.backtest.profit_abs for row in rows if row.backtest)
    profit_v = sum(row.virtual.profit_abs for row in rows if row.virtual)
    return Summary(
        trades_backtest=sum(row.backtest is not None for row in rows),
        trades_virtual=sum(row.virtual is not None for row in rows),
        matched=sum(row.backtest is not None and row.virtual is not None for row in rows),
        entries_identical=identical,
        entries_identical_pct=100.0 * identical / total if total else 100.0,
        exits_same_reason=same_exit,
        exits_same_reason_pct=100.0 * same_exit / total if total else 100.0,
        profit_backtest_pct=100 * profit_b / starting_balance,
        profit_virtual_pct=100 * profit_v / starting_balance,
        profit_gap_pp=abs(100 * (profit_v - profit_b) / starting_balance),
        profit_gap_gross_pp=100 * sum(
            abs((row.virtual.profit_abs if row.virtual else 0.0)
                - (row.backtest.profit_abs if row.backtest else 0.0)) for row in rows)
        / starting_balance,
    )


@dataclass(frozen=True)
class Targets:
    """The issue's bar: entries identical, exits alike, profit gap."""

    entries_identical_pct: float = 95.0
    exits_same_reason_pct: float = 90.0
    profit_gap_pp: float = 0.5

    def failures(self, summary: Summary) -> list[str]:
        failed = []
        if summary.entries_identical_pct < self.entries_identical_pct:
            failed.append(f"entries identical {summary.entries_identical_pct:.1f} % < "
                          f"{self.entries_identical_pct:g} %")
        if summary.exits_same_reason_pct < self.exits_same_reason_pct:
            failed.append(f"exits same reason {summary.exits_same_reason_pct:.1f} % < "
                          f"{self.exits_same_reason_pct:g} %")
        if summary.profit_gap_gross_pp > self.profit_gap_pp:
            failed.append(f"profit gap (per trade, summed) {summary.profit_gap_gross_pp:.2f} pp > "
                          f"{self.profit_gap_pp:g} pp")
        return failed
