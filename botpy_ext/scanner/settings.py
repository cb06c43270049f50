"""The scanner pairlist's parameters, declared once: FreqUI's Pairlist Config page, the start-up
validation and the docs table all read these declarations."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from botpy_ext.parameters import param, span, spec_of


@dataclass(frozen=True)
class ScannerSettings:
    number_assets: int = param(
        20, "Most pairs passed on, best ranked first (a signal on the last closed candle ranks "
        "first, then the score).", low=1, high=500)
    min_score: float = param(
        60.0, "Score (0-100) from which a pair without a fired or qualified setup is kept too. "
        "60: the 4h trend plus 5 of the 7 trigger rules (64).", low=0, high=100)
    refresh_period: int = param(
        60, "Seconds between two scans. Candles are fetched again only once their timeframe has "
        "a new candle.", low=10, high=86400)
    json_path: str = param(
        "scanner/scanner.json", "Scanner JSON written after each scan, relative to the user "
        "data directory; empty: not written.")
    log_table: bool = param(True, "Log the scanner table after each scan.")


def frequi_type(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    return "number" if isinstance(default, int | float) else "string"


def available_parameters() -> dict[str, dict]:
    """`IPairList.available_parameters()` from the declarations."""
    return {
        item.name: {
            "type": frequi_type(item.default),
            "default": item.default,
            "description": item.name.replace("_", " ").capitalize(),
            "help": spec_of(item).description,
        }
        for item in fields(ScannerSettings)
    }


def markdown_table() -> str:
    rows = ["| parameter | default | range | description |", "|---|---|---|---|"]
    for item in fields(ScannerSettings):
        spec = spec_of(item)
        rows.append(f"| `{item.name}` | `{item.default!r}` | {span(spec, '—')} | "
                    f"{spec.description} |")
    return "\n".join(rows) + "\n"
