"""The stop ladder: initial ATR stop → breakeven at +1R → ATR trail that tightens; Ignition's
flash trail; the Scalper's take-profit. Pure functions of the frozen trade facts and the highest
price reached, so backtesting, dry-run and live decide alike.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from botpy_ext.exits.settings import TradeSettings

IGNITION = "ignition"


@dataclass(frozen=True)
class TradeFacts:
    """Frozen at the first fill; scaling in changes none of them."""

    setup: str
    profile: str
    entry: float  # first entry price
    atr: float  # ATR14(15m) at the signal
    initial_stop: float
    risk: float  # R: first entry price minus initial stop
    full_stake: float  # the whole position in quote currency (first order + scale-in)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TradeFacts:
        return cls(**values)


@dataclass(frozen=True)
class Stop:
    price: float
    stage: str  # initial_stop, breakeven_stop, atr_trail, flash_trail


UNTAGGED_PROFILE = "sniper"  # a forced entry without a BOTPY tag (FreqUI, Telegram)


def parse_tag(enter_tag: str | None) -> tuple[str, str]:
    """('precision', 'sniper') from 'precision:sniper'; Ignition has no profile (its own flash
    trail); any other tag without one (a forced entry's 'force_entry') is managed as Sniper."""
    setup, _, profile = (enter_tag or "").partition(":")
    return setup, profile or (IGNITION if setup == IGNITION else UNTAGGED_PROFILE)


def exit_atr(atr: float, day_median: float, day_floor: bool) -> float:
    """The ATR that stops and trails count in: the signal's ATR14(15m), or with `day_floor` at
    least its median over the last 24 h (missing while the day's history is short)."""
    if day_floor and not math.isnan(day_median):
        return max(float(atr), float(day_median))
    return float(atr)


def stop_distance(setup: str, atr: float, price: float, profile_exits, trade: TradeSettings
                  ) -> float:
    """Initial stop distance as a share of `price`: `stop_atr` ATR, at least `trade.min_stop`
    (so that the round trip's fees stay a small part of R), at most `trade.max_stop`."""
    if setup == IGNITION:
        return trade.flash_trail
    return min(max(profile_exits.stop_atr * atr / price, trade.min_stop), trade.max_stop)


def trail_unit(facts: TradeFacts, profile_exits) -> float:
    """The price distance the trails count in: ATR14(15m), or more when `min_stop` widened the
    initial stop beyond `stop_atr` ATR; then the trails widen in the same proportion, so the
    ladder keeps its shape in R."""
    return max(facts.atr, facts.risk / profile_exits.stop_atr)


def freeze(setup: str, profile: str, entry: float, atr: float, full_stake: float,
           profile_exits, trade: TradeSettings) -> TradeFacts:
    distance = stop_distance(setup, atr, entry, profile_exits, trade)
    stop = entry * (1 - distance)
    return TradeFacts(setup, profile, entry, atr, stop, entry - stop, full_stake)


def current_stop(facts: TradeFacts, highest: float, average_entry: float, fee_ratio: float,
                 profile_exits, trade: TradeSettings) -> Stop:
    """The stop for the highest price reached so far; it never decreases as `highest` rises.

    Breakeven protects the whole position: after a scale-in the average entry is above the first
    one, so the breakeven stop sits at the higher of the two plus the fees of both sides.
    """
    if facts.setup == IGNITION:
        return Stop(highest * (1 - trade.flash_trail), "flash_trail")
    reached = (highest - facts.entry) / facts.risk
    stop = Stop(facts.initial_stop, "initial_stop")
    if reached < profile_exits.breakeven_r:
        return stop
    breakeven = max(facts.entry, average_entry) * (1 + fee_ratio)
    stop = Stop(max(stop.price, breakeven), "breakeven_stop")
    # tightened: never wider than the trail (a hyperopt may draw a wider one)
    distance = (min(profile_exits.tight_trail_atr, profile_exits.trail_atr)
                if reached >= profile_exits.tighten_r else profile_exits.trail_atr)
    trail = highest - distance * trail_unit(facts, profile_exits)
    return Stop(trail, "atr_trail") if trail > stop.price else stop


def take_profit_price(facts: TradeFacts, profile_exits) -> float | None:
    """The Scalper's fixed target (first entry + take_profit_r × R), None without one."""
    if facts.setup == IGNITION or not profile_exits.take_profit_r:
        return None
    return facts.entry + profile_exits.take_profit_r * facts.risk
