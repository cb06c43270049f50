"""Settings of the capital guards: the `botpy.guards` section of the freqtrade config.

Each guard is a settings dataclass; its fields are declared once with `param()` (default, range,
description). `load(config)` reads the section, refuses unknown keys, wrong types and values out
of range with the full key and the allowed range, and is called where the strategy is built, so
a bad value stops `freqtrade` at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from freqtrade.exceptions import OperationalException

from botpy_ext.parameters import (
    CONFIG_KEY,
    check_type,
    contradiction,
    param,
    span,
    spec_of,
    validate,
)

SECTION = "botpy"
# backtests only: the file each trade's frozen facts are journalled to (`botpy evaluate` sets it)
TRADE_FACTS_KEY = "trade_facts_file"
# backtests only: the file the guards' refusal counts are written to at the end (`botpy demo`)
REFUSALS_KEY = "refusal_summary_file"
CONTROL_DRAW_KEY = "control_draw"  # `botpy evaluate --control`: the random-entry control's draw
GUARDS_KEY = "guards"
MODES = ("virtual", "paper", "live", "backtest", "demo")
ON_UNAVAILABLE = ("block", "allow")


@dataclass(frozen=True)
class LiquiditySettings:
    enabled: bool = param(True, "refuse entries into thin markets")
    band: float = param(0.005, "order book: ask depth is counted up to this share above the "
                        "best ask", low=0.0005, high=0.05)
    depth_multiple: float = param(3.0, "order book: ask depth within the band must be at least "
                                  "this multiple of the order value", low=1.0, high=100.0)
    max_spread: float = param(0.002, "order book: largest spread (best ask - best bid) / best "
                              "ask", low=0.0001, high=0.05)
    book_depth: int = param(100, "order book levels fetched per side", low=5, high=1000)
    proxy_minutes: int = param(15, "backtest proxy: mean 1m quote volume over this many closed "
                               "candles", low=1, high=240)
    proxy_multiple: float = param(5.0, "backtest proxy: that mean must be at least this multiple "
                                  "of the order value", low=0.5, high=1000.0)


@dataclass(frozen=True)
class AntiWhaleSettings:
    enabled: bool = param(True, "drop Precision and Momentum signals on whale-sized candles")
    max_hourly_share: float = param(0.05, "largest trigger 1m volume as a share of the mean "
                                    "hourly volume of the last 24 closed 1h candles",
                                    low=0.005, high=1.0)


@dataclass(frozen=True)
class SectorSettings:
    enabled: bool = param(True, "limit open trades per sector")
    max_open: int = param(1, "most open trades in one sector", low=1, high=20)
    map_file: str = param("", "sector map (base asset -> sector); empty: the map shipped with "
                          "botpy_ext; a relative path is read from <userdir>/config/")
    unknown: str = param("own", "sector of assets missing from the map: 'own' (each its own "
                         "sector) or a sector name shared by all of them")

    def contradicts(self, prefix: str) -> str | None:
        if not self.unknown.strip():
            return (f"{prefix}unknown must be 'own' or a sector name, got {self.unknown!r}")
        return None


@dataclass(frozen=True)
class FearGreedSettings:
    enabled: bool = param(True, "no new entries in the extreme bands of the Fear & Greed Index")
    extreme_fear: int = param(25, "block when the index is at or below this (alternative.me "
                              "labels 0-25 'Extreme Fear')", low=0, high=50)
    extreme_greed: int = param(76, "block when the index is at or above this (alternative.me "
                               "labels 76-100 'Extreme Greed')", low=50, high=100)
    url: str = param("https://api.alternative.me/fng/", "the index's public API")
    timeout_s: float = param(5.0, "timeout of one request, seconds", low=0.5, high=60.0)
    retries: int = param(2, "extra attempts after a failed request", low=0, high=5)
    refresh_minutes: int = param(60, "fetch the index at most this often", low=5, high=1440)
    retry_minutes: int = param(5, "after a failed fetch, wait this long before the next one",
                               low=1, high=120)
    max_age_hours: float = param(36.0, "the last value is used while younger than this (the "
                                 "index is published daily)", low=1.0, high=240.0)
    on_unavailable: str = param("block", "with no usable value: 'block' new entries or 'allow' "
                                "them", choices=ON_UNAVAILABLE)
    history_file: str = param("fear_greed.json", "daily history for backtests, from `botpy "
                              "fear-greed download`; a relative path is looked up in the "
                              "datadir, then in user_data/data/")

    def contradicts(self, prefix: str) -> str | None:
        if self.extreme_fear >= self.extreme_greed:
            return (f"{prefix}extreme_fear ({self.extreme_fear}) must be below "
                    f"{prefix}extreme_greed ({self.extreme_greed}): every value would block")
        if not self.history_file.strip():
            return f"{prefix}history_file must name a file, got {self.history_file!r}"
        if not self.url.startswith(("http://", "https://")):
            return f"{prefix}url must be an http(s) address, got {self.url!r}"
        return None


@dataclass(frozen=True)
class BtcBreakerSettings:
    enabled: bool = param(True, "no new entries after a sharp BTC/USDT fall")
    fall: float = param(0.015, "trip when a 1m close is this share below the highest high of the "
                        "window", low=0.002, high=0.2)
    window_minutes: int = param(5, "the window, in 1m candles ending with the trip candle",
                                low=1, high=60)
    cooldown_minutes: int = param(30, "entries stay blocked this long after the trip candle "
                                  "closes", low=1, high=1440)


@dataclass(frozen=True)
class DailyLossSettings:
    enabled: bool = param(True, "no new entries after the day's loss limit (UTC day)")
    limit: float = param(0.03, "closed P&L of the day plus open P&L at or below minus this share "
                         "of the day's starting equity", low=0.005, high=0.5)


@dataclass(frozen=True)
class LosingStreakSettings:
    enabled: bool = param(True, "pause after a run of losing trades")
    losses: int = param(5, "losing trades in a row (any exit reason) that start the pause",
                        low=2, high=50)
    pause_hours: float = param(4.0, "pause after the last of them closed, hours", low=0.25,
                               high=72.0)


@dataclass(frozen=True)
class PairCooldownSettings:
    enabled: bool = param(True, "after a losing trade on a pair, leave that pair alone for a "
                          "while")
    hours: float = param(24.0, "no new entry on the pair until this long after the losing "
                         "trade closed, hours", low=1.0, high=168.0)
    losses_only: bool = param(True, "only a losing trade starts the cooldown; false: every "
                              "closed trade does (at most one trade per pair per `hours`)")


GUARD_SETTINGS: dict[str, type] = {
    "liquidity": LiquiditySettings,
    "anti_whale": AntiWhaleSettings,
    "sector": SectorSettings,
    "fear_greed": FearGreedSettings,
    "btc_breaker": BtcBreakerSettings,
    "daily_loss": DailyLossSettings,
    "losing_streak": LosingStreakSettings,
    "pair_cooldown": PairCooldownSettings,
}


@dataclass(frozen=True)
class GuardSettings:
    liquidity: LiquiditySettings = field(default_factory=LiquiditySettings)
    anti_whale: AntiWhaleSettings = field(default_factory=AntiWhaleSettings)
    sector: SectorSettings = field(default_factory=SectorSettings)
    fear_greed: FearGreedSettings = field(default_factory=FearGreedSettings)
    btc_breaker: BtcBreakerSettings = field(default_factory=BtcBreakerSettings)
    daily_loss: DailyLossSettings = field(default_factory=DailyLossSettings)
    losing_streak: LosingStreakSettings = field(default_factory=LosingStreakSettings)
    pair_cooldown: PairCooldownSettings = field(default_factory=PairCooldownSettings)


def load(config: dict) -> GuardSettings:
    """The guard settings of a freqtrade config; OperationalException naming the key on error."""
    section = config.get(SECTION, {})
    try:
        if GUARDS_KEY in config:
            raise ValueError(f"a top-level `{GUARDS_KEY}` section is not read: the guards' "
                             f"settings go under `{SECTION}.{GUARDS_KEY}`")
        check_mapping(section, SECTION,
                      {"mode", GUARDS_KEY, TRADE_FACTS_KEY, REFUSALS_KEY, CONFIG_KEY[1],
                       CONTROL_DRAW_KEY})
        for key in (TRADE_FACTS_KEY, REFUSALS_KEY):
            if not isinstance(section.get(key, ""), str):
                raise ValueError(f"{SECTION}.{key} must be a file path")
        draw = section.get(CONTROL_DRAW_KEY, 0)
        if isinstance(draw, bool) or not isinstance(draw, int) or draw < 0:
            raise ValueError(f"{SECTION}.{CONTROL_DRAW_KEY} must be an integer >= 0, got "
                             f"{draw!r}")
        if "mode" in section and section["mode"] not in MODES:
            raise ValueError(f"{SECTION}.mode must be one of {list(MODES)}, "
                             f"got {section['mode']!r}")
        guards = section.get(GUARDS_KEY, {})
        key = f"{SECTION}.{GUARDS_KEY}"
        check_mapping(guards, key, set(GUARD_SETTINGS))
        return GuardSettings(**{
            name: build(settings, guards.get(name, {}), f"{key}.{name}")
            for name, settings in GUARD_SETTINGS.items()
        })
    except ValueError as exc:
        raise OperationalException(f"Invalid config: {exc}") from None


def check_mapping(values: Any, key: str, known: set[str]) -> None:
    if not isinstance(values, dict):
        raise ValueError(f"{key} must be an object, got {values!r}")
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{key}.{unknown[0]} is not a setting; known: {sorted(known)}")


def build(settings: type, values: Any, key: str) -> Any:
    """`settings` from a config mapping, every value checked against its declaration."""
    check_mapping(values, key, {item.name for item in fields(settings)})
    for item in fields(settings):
        if item.name in values:
            check_type(values[item.name], item.default, f"{key}.{item.name}")
    built = settings(**values)
    try:
        validate(built)
    except ValueError as exc:
        raise ValueError(f"{key}.{exc}") from None
    if found := contradiction(built, f"{key}."):
        raise ValueError(found)
    return built


def markdown_table() -> str:
    """The guard settings reference of the docs, generated from the declarations."""
    rows = ["| key | default | range | description |", "|---|---|---|---|"]
    for name, settings in GUARD_SETTINGS.items():
        for item in fields(settings):
            spec = spec_of(item)
            rows.append(f"| `{SECTION}.{GUARDS_KEY}.{name}.{item.name}` | `{item.default}` | "
                        f"{span(spec, '—')} | {spec.description} |")
    return "\n".join(rows) + "\n"
