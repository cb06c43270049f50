"""Settings of trade management: sizing and scaling in, and one exit profile per style.

The three profiles share one declaration of their fields (description and range, in
`PROFILE_FIELDS`); only their defaults differ (`PROFILE_DEFAULTS`).
"""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass

from botpy_ext.parameters import param
from botpy_ext.setups.settings import Validated


@dataclass(frozen=True)
class TradeSettings(Validated):
    risk_per_trade: float = param(0.01, "share of equity lost if the initial stop is hit",
                                  low=0.001, high=0.05)
    max_position: float = param(0.2, "largest position as a share of equity", low=0.01,
                                high=1.0)
    initial_fraction: float = param(0.5, "first order as a share of the full position when "
                                    "scaling in applies", low=0.1, high=1.0)
    scale_precision: bool = param(True, "scale into Precision trades")
    scale_momentum: bool = param(True, "scale into Momentum trades")
    scale_ignition: bool = param(False, "scale into Ignition trades")
    flash_trail: float = param(0.015, "Ignition: stop this share below the highest price since "
                               "entry", low=0.005, high=0.05, space="sell")
    min_stop: float = param(0.0, "narrowest initial stop as a share of the entry price: a "
                            "tighter ATR stop is widened to it, and the profile's trails widen "
                            "in the same proportion (0 = off)", low=0.0, high=0.05,
                            space="sell")
    max_stop: float = param(0.09, "widest initial stop as a share of the entry price (the "
                            "static stoploss of -10 % stays behind it)", low=0.01, high=0.095)
    atr_day_floor: bool = param(False, "stops and trails count in ATR14(15m) at least as large "
                                "as its median over the last 24 h, so that a squeeze's calm "
                                "does not tighten them (false: the ATR at the signal)")

    def contradicts(self, prefix: str) -> str | None:
        if self.min_stop > self.max_stop:
            return (f"{prefix}min_stop ({self.min_stop:g}) is above {prefix}max_stop "
                    f"({self.max_stop:g}): no initial stop can be both")
        return None


# field -> (description, low, high); declared once for the three profiles
PROFILE_FIELDS: dict[str, tuple[str, float, float]] = {
    "stop_atr": ("initial stop: this many ATR14(15m) below the entry", 0.5, 8.0),
    "breakeven_r": ("move the stop to entry + fees once the high reaches this many R", 0.5, 3.0),
    "trail_atr": ("beyond breakeven: trail this many ATR below the highest price", 0.3, 10.0),
    "tighten_r": ("from this many R the trail tightens", 1.0, 10.0),
    "tight_trail_atr": ("tightened trail: this many ATR below the highest price", 0.2, 8.0),
    "take_profit_r": ("fixed take-profit in R (0 = none, trail only)", 0.0, 10.0),
}
# The spec's values (user_data/config/spec-literal.json) were stops of 1-2.5 ATR and trails of
# 0.6-3 ATR: about 0.35 % of the price on large caps, so a round trip's fees cost a third to half
# of R. The defaults are wide (5 ATR, trails 3-6 ATR): docs/edge.md, hypothesis I (sections 4, 7).
PROFILE_DEFAULTS: dict[str, dict[str, float]] = {
    # trend follower: no fixed target, trails and tightens late
    "sniper": {"stop_atr": 5.0, "breakeven_r": 1.0, "trail_atr": 6.0, "tighten_r": 2.0,
               "tight_trail_atr": 4.0, "take_profit_r": 0.0},
    # ranging market: takes +1.5R
    "scalper": {"stop_atr": 5.0, "breakeven_r": 1.0, "trail_atr": 5.0, "tighten_r": 1.3,
                "tight_trail_atr": 3.0, "take_profit_r": 1.5},
    # volatile market: wide trail
    "volatility_hunter": {"stop_atr": 5.0, "breakeven_r": 1.0, "trail_atr": 6.0,
                          "tighten_r": 2.5, "tight_trail_atr": 4.0, "take_profit_r": 0.0},
}


def trails_contradict(exits, prefix: str) -> str | None:
    """A tightened trail wider than the trail (hyperopt may draw one: the ladder then trails at
    the narrower of the two, see `current_stop`; a config is refused)."""
    if exits.tight_trail_atr > exits.trail_atr:
        return (f"{prefix}tight_trail_atr ({exits.tight_trail_atr:g}) is above "
                f"{prefix}trail_atr ({exits.trail_atr:g}): the tightened trail would be wider")
    return None


def profile_settings(name: str) -> type:
    """The settings dataclass of one exit profile."""
    specs = [
        (key, float, param(PROFILE_DEFAULTS[name][key], description, low=low, high=high,
                           space="sell"))
        for key, (description, low, high) in PROFILE_FIELDS.items()
    ]
    return make_dataclass(f"{name.title().replace('_', '')}Exits", specs, bases=(Validated,),
                          frozen=True, namespace={"contradicts": trails_contradict})


PROFILE_SETTINGS: dict[str, type] = {name: profile_settings(name) for name in PROFILE_DEFAULTS}
TRADE_SETTINGS_GROUPS: dict[str, type] = {"trade": TradeSettings, **PROFILE_SETTINGS}
