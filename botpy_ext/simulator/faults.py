"""Fault injection for reliability tests: latency, 5xx and 429 answers, missing candles."""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, fields

import numpy as np

# name -> (lowest, highest allowed value, description); the single declaration of each switch.
FAULT_SWITCHES: dict[str, tuple[float, float, str]] = {
    "latency_ms": (0.0, 60_000.0, "delay added to every exchange API answer, in ms"),
    "error_rate": (0.0, 1.0, "share of exchange API requests answered with HTTP 503"),
    "rate_limit_rate": (0.0, 1.0, "share of exchange API requests answered with HTTP 429"),
    "missing_candles": (0.0, 1.0, "share of complete candles left out of klines answers"),
}


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    missing_candles: float = 0.0

    def __post_init__(self) -> None:
        for item in fields(self):
            low, high, _ = FAULT_SWITCHES[item.name]
            value = getattr(self, item.name)
            if not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(
                    f"fault '{item.name}' must be in [{low:g}, {high:g}], got {value!r}"
                )
        if self.error_rate + self.rate_limit_rate > 1.0:
            raise ValueError("fault 'error_rate' + 'rate_limit_rate' must not exceed 1")

    def updated(self, changes: dict) -> Faults:
        unknown = sorted(set(changes) - set(FAULT_SWITCHES))
        if unknown:
            raise ValueError(f"unknown fault switch(es) {unknown}; known: {sorted(FAULT_SWITCHES)}")
        return Faults(**{**asdict(self), **changes})

    def as_dict(self) -> dict:
        return asdict(self)


def dropped_candles(symbol: str, open_ms: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of candles to leave out: a fixed pseudo-random `share` of them, the same
    candles on every request (a hash of symbol and open time), like holes in an exchange's data."""
    if share <= 0:
        return np.zeros(len(open_ms), dtype=bool)
    salt = np.uint64(zlib.crc32(symbol.encode()))
    mixed = (open_ms.astype(np.uint64) // np.uint64(1000) + salt) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(40)).astype(np.float64) / float(1 << 24) < share
