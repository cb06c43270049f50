"""Settings of the entry engine, with the defaults of the spec (`../shared/spec/BOTPY.md`)."""

from __future__ import annotations

from dataclasses import dataclass

from botpy_ext.parameters import param, validate

PROFILES = ("sniper", "scalper", "volatility_hunter")
# the trend switches that compare with BTC/USDT's 4h candles
MARKET_SWITCHES = ("market", "relative_strength")


class Validated:
    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class TrendSettings(Validated):
    ema_period: int = param(50, "EMA period on 4h closes; the last closed 4h candle must close "
                            "strictly above it", low=10, high=100)
    market: bool = param(False, "the market's trend too: BTC/USDT's last closed 4h candle must "
                         "also close above its EMA (alts follow BTC)")
    relative_strength: bool = param(False, "the pair at least as strong as the market: its "
                                    "last closed 4h close's change over the 24 h before at "
                                    "or above BTC/USDT's over the same 24 h (BTC's own "
                                    "candles pass)")

    @property
    def uses_market(self) -> bool:
        """A switch is on that reads BTC/USDT's 4h candles."""
        return any(getattr(self, name) for name in MARKET_SWITCHES)


@dataclass(frozen=True)
class PrecisionSettings(Validated):
    bb_period: int = param(20, "Bollinger period on 15m closes", low=10, high=50)
    bb_stds: float = param(2.0, "Bollinger width in standard deviations", low=1.0, high=3.0)
    squeeze_lookback: int = param(50, "closed 15m candles the squeeze percentile is taken over",
                                  low=20, high=200)
    squeeze_percentile: float = param(25.0, "squeeze: previous closed 15m bandwidth at or below "
                                      "this percentile of the lookback", low=5.0, high=50.0,
                                      space="buy")
    ema_fast: int = param(9, "trigger: the 1m close must be above this EMA (1m)", low=3, high=50)
    volume_lookback: int = param(20, "trigger: 1m volume is compared with the mean of this many "
                                 "previous candles", low=5, high=120)
    volume_multiplier: float = param(1.5, "trigger: 1m volume above this multiple of that mean",
                                     low=1.0, high=5.0, space="buy")
    rsi_max: float = param(70.0, "safety: RSI14 on 1h and 15m must be below this", low=50.0,
                           high=90.0, space="buy")
    max_upper_wick: float = param(0.4, "safety: the trigger's upper wick at most this share of "
                                  "its range", low=0.1, high=1.0, space="buy")
    parabolic_atr: float = param(3.0, "safety: the close at most this many ATR14(15m) above "
                                 "EMA20(15m)", low=1.0, high=6.0, space="buy")


@dataclass(frozen=True)
class MomentumSettings(Validated):
    body_share: float = param(0.6, "impulse: 15m body at least this share of its range",
                              low=0.3, high=1.0, space="buy")
    body_atr: float = param(1.2, "impulse: 15m body at least this many ATR14(15m)", low=0.5,
                            high=3.0, space="buy")
    volume_multiplier: float = param(2.0, "impulse: 15m volume at least this multiple of the "
                                     "previous 20 candles' mean", low=1.0, high=5.0, space="buy")
    confirm_minutes: int = param(15, "confirmation: the 5m candle must close within this many "
                                 "minutes after the impulse", low=5, high=60)
    confirm_volume: float = param(1.0, "confirmation: 5m volume at least this multiple of the "
                                  "previous 20 candles' mean", low=0.5, high=3.0, space="buy")


@dataclass(frozen=True)
class IgnitionSettings(Validated):
    min_rise: float = param(0.05, "one 1m candle rising more than this (close over open)",
                            low=0.02, high=0.2, space="buy")
    volume_multiplier: float = param(10.0, "with volume at least this multiple of the mean of the "
                                     "previous 20 1m candles", low=3.0, high=30.0, space="buy")


@dataclass(frozen=True)
class ProfileSettings(Validated):
    dynamic: bool = param(True, "pick the exit profile from the market's character (ADX, ATR%)")
    default: str = param("sniper", "profile used when the dynamic selector is off",
                         choices=PROFILES)
    adx_range: float = param(20.0, "ADX14(15m) below this: ranging market -> Scalper",
                             low=10.0, high=40.0, space="buy")
    atr_pct_volatile: float = param(1.0, "ATR14(15m) in % of price above this: -> Volatility "
                                    "Hunter", low=0.2, high=5.0, space="buy")


# The earlier signals a row depends on must be the same in a backtest and live: a backtest loads
# STARTUP_CANDLES (400) 1m candles before its start, and a signal needs up to 120 of them itself
# (precision_volume_lookback's range), so the gap ends at 240 (a live window holds about 1000).
MAX_ENTRY_GAP = 240


@dataclass(frozen=True)
class EntrySettings(Validated):
    gap_minutes: int = param(0, "one entry per episode: a signal counts only when the pair had "
                             "no signal in this many minutes before (0 = every qualifying "
                             "candle)", low=0, high=MAX_ENTRY_GAP)


SETTINGS_GROUPS: dict[str, type] = {
    "trend": TrendSettings,
    "precision": PrecisionSettings,
    "momentum": MomentumSettings,
    "ignition": IgnitionSettings,
    "profile": ProfileSettings,
    "entry": EntrySettings,
}
