"""The scanner's view of one pair, which pairs it keeps, and its outputs (log table, JSON).

A row is the last closed 1m candle of `setups.engine.analyse`, the function the strategy runs:
the scanner has no rule of its own. Pure functions: the pairlist fetches, these decide.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pandas import DataFrame

from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES, MARKET_4H
from botpy_ext.setups.engine import EngineSettings, analyse

TIMEFRAMES = ("1m", *INFORMATIVE_TIMEFRAMES)
SIGNAL_ICONS = {"precision": "🎯", "momentum": "🔥", "ignition": "🚀"}
# the condition dots, in the order the table shows them (setups.score makes the dot_* columns)
DOTS = ("trend", "squeeze", "impulse", "above_ema", "volume", "obv_rising", "cvd_rising",
        "rsi_cool", "small_wick", "not_parabolic")
JSON_VERSION = 1


@dataclass(frozen=True)
class ScanRow:
    pair: str
    candle: str  # open time (UTC, ISO) of the last closed 1m candle the row describes
    price: float
    signal: str  # setup that fired on that candle: precision, momentum, ignition or ''
    profile: str  # exit profile the strategy would pick: sniper, scalper, volatility_hunter
    qualified: str  # precision, momentum, precision+momentum or ''
    score: float  # 0-100, see setups.score
    dots: dict[str, bool]
    trend_4h: bool  # close above EMA50 on the last closed 4h candle
    trend_margin_4h: float | None  # close / EMA50 - 1, in %
    rsi_1h: float | None
    adx_15m: float | None
    atr_pct_15m: float | None

    @property
    def keep_always(self) -> bool:
        """A setup fired or is qualified: kept whatever the score."""
        return bool(self.signal or self.qualified)


def number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def scan_pair(pair: str, candles: Mapping[str, DataFrame],
              settings: EngineSettings) -> ScanRow | None:
    """The row of `pair` from its closed candles of every timeframe; None if one is missing."""
    if any(candles.get(tf) is None or candles[tf].empty for tf in TIMEFRAMES):
        return None
    informative = {tf: candles[tf] for tf in INFORMATIVE_TIMEFRAMES}
    if candles.get(MARKET_4H) is not None:
        informative[MARKET_4H] = candles[MARKET_4H]
    last = analyse(candles["1m"], informative, settings).iloc[-1]
    margin = number(last["trend_margin_4h"])
    return ScanRow(
        pair=pair,
        candle=last["date"].isoformat().replace("+00:00", "Z"),
        price=float(last["close"]),
        signal=str(last["entry_setup"]),
        profile=str(last["profile"]),
        qualified=str(last["scan_qualified"]),
        score=float(last["scan_score"]),
        dots={name: bool(last[f"dot_{name}"]) for name in DOTS},
        trend_4h=bool(last["trend_up_4h"]),
        trend_margin_4h=None if margin is None else round(100 * margin, 3),
        rsi_1h=number(last["rsi_1h"]),
        adx_15m=number(last["adx_15m"]),
        atr_pct_15m=number(last["atr_pct_15m"]),
    )


def ranked(rows: Iterable[ScanRow]) -> list[ScanRow]:
    """Pairs with a signal on the last closed candle first, then by score, then by name."""
    return sorted(rows, key=lambda row: (not row.signal, -row.score, row.pair))


def kept(rows: Iterable[ScanRow], min_score: float, number_assets: int) -> list[str]:
    """The pairs the scanner passes on: fired or qualified, or scoring at least `min_score`;
    ranked, at most `number_assets`."""
    chosen = [row for row in ranked(rows) if row.keep_always or row.score >= min_score]
    return [row.pair for row in chosen[:number_assets]]


# ---------------------------------------------------------------------------- outputs
def dots_text(row: ScanRow) -> str:
    return "".join("●" if row.dots[name] else "○" for name in DOTS)


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[ScanRow], whitelist: list[str]) -> str:
    """The log table: one line per scanned pair, ranked; `*` marks the pairs passed on."""
    header = (f"{'':2} {'sig':3} {'pair':<14} {'price':>12} {'score':>5}  {'dots':<10}  "
              f"{'4h trend':>9} {'RSI 1h':>6} {'ADX 15m':>7} {'ATR% 15m':>8}")
    lines = [header, f"{'':2} dots: {' '.join(DOTS)}"]
    for row in ranked(rows):
        trend = "▲" if row.trend_4h else "▼"
        lines.append(
            f"{'*' if row.pair in whitelist else '':2} {SIGNAL_ICONS.get(row.signal, '·'):3} "
            f"{row.pair:<14} {row.price:>12.6g} {row.score:>5.1f}  {dots_text(row):<10}  "
            f"{trend}{fmt(row.trend_margin_4h, '+.2f'):>7}% {fmt(row.rsi_1h, '.1f'):>6} "
            f"{fmt(row.adx_15m, '.1f'):>7} {fmt(row.atr_pct_15m, '.2f'):>8}")
    return "\n".join(lines)


def document(rows: list[ScanRow], whitelist: list[str], *, scanned_at: datetime,
             refresh_period: int, min_score: float, number_assets: int,
             parameters: dict | None = None) -> dict:
    """The scanner JSON: the same rows as the log table, ranked, with what was kept and the
    engine settings scanned with (`parameters`: their source and the values not at default)."""
    return {
        "version": JSON_VERSION,
        "scanned_at": scanned_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "refresh_period": refresh_period,
        "min_score": min_score,
        "number_assets": number_assets,
        "parameters": parameters,
        "dots": list(DOTS),
        "whitelist": whitelist,
        "rows": [{**asdict(row), "kept": row.pair in whitelist,
                  "icon": SIGNAL_ICONS.get(row.signal, "")} for row in ranked(rows)],
    }


def write_json(path: Path, doc: dict) -> None:
    """Replace `path` atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    os.replace(temporary, path)
