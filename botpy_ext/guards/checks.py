"""All guards before one entry, cheapest and broadest first; the first refusal wins."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botpy_ext.guards import anti_whale, btc_breaker, cooldown, liquidity, pnl, sector
from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import GuardSettings

ENTRY_GUARDS = ("losing_streak", "daily_loss", "btc_breaker", "fear_greed", "pair_cooldown",
                "sector", "anti_whale", "liquidity")
# Before a scale-in, the guards that are about the account and the market, and the liquidity for
# the added order; not the ones about opening a trade on the pair (its own trade holds its
# sector, its cooldown is about re-entering it, the whale check is its signal candle's).
SCALE_IN_GUARDS = ("losing_streak", "daily_loss", "btc_breaker", "fear_greed", "liquidity")


@dataclass(frozen=True)
class EntryFacts:
    """What the guards look at for one entry."""

    pair: str
    setup: str  # precision, momentum, ignition
    now: datetime
    order_value: float  # quote currency
    signal: Mapping[str, Any]  # the signal candle's guard columns (`columns.COLUMNS`)
    open_pairs: Sequence[str]
    history: pnl.ClosedTrades  # fed with every trade closed so far
    cooldown_start: datetime | None  # close date of the trade that started the pair's cooldown
    open_pnl: float
    starting_balance: float


@dataclass(frozen=True)
class Sources:
    """Guard inputs that come from outside the candles."""

    sectors: Mapping[str, str]  # asset -> sector
    fear_greed: Callable[[datetime], Refusal | None]  # live feed or backtest history
    order_book: Callable[[], dict | None] | None  # dry-run/live; None: backtest proxy


def first_refusal(facts: EntryFacts, settings: GuardSettings, sources: Sources,
                  guards: Sequence[str] = ENTRY_GUARDS) -> Refusal | None:
    for name in guards:
        if getattr(settings, name).enabled:
            refusal = CHECKS[name](facts, settings, sources)
            if refusal is not None:
                return refusal
    return None


def _streak(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    return facts.history.check_streak(facts.now)


def _daily(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    before, today = facts.history.day_totals(facts.now)
    return pnl.check_daily_loss(facts.now, before, today, facts.open_pnl,
                                facts.starting_balance, settings.daily_loss)


def _breaker(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    signal = facts.signal
    return btc_breaker.check(bool(signal.get("btc_candle")), signal.get("btc_block_until"),
                             signal.get("btc_last_trip"), facts.now, settings.btc_breaker)


def _fear_greed(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    return sources.fear_greed(facts.now)


def _cooldown(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    return cooldown.check(facts.pair, facts.cooldown_start, facts.now, settings.pair_cooldown)


def _sector(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    return sector.check(facts.pair, facts.open_pairs, sources.sectors, settings.sector)


def _whale(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    return anti_whale.check(facts.setup, facts.signal.get("whale_share", float("nan")),
                            settings.anti_whale, facts.pair)


def _liquidity(facts: EntryFacts, settings: GuardSettings, sources: Sources) -> Refusal | None:
    if sources.order_book is None:
        return liquidity.check_proxy(facts.signal.get("quote_volume_mean", float("nan")),
                                     facts.order_value, settings.liquidity, facts.pair)
    try:
        book = sources.order_book()
    except Exception as exc:  # any failure of the exchange call refuses, with its message
        return Refusal(liquidity.GUARD, f"{facts.pair}: order book unavailable: {exc}", None,
                       facts.pair)
    return liquidity.check_book(book, facts.order_value, settings.liquidity, facts.pair)


CHECKS: dict[str, Callable[[EntryFacts, GuardSettings, Sources], Refusal | None]] = {
    "losing_streak": _streak, "daily_loss": _daily, "btc_breaker": _breaker,
    "fear_greed": _fear_greed, "pair_cooldown": _cooldown, "sector": _sector,
    "anti_whale": _whale, "liquidity": _liquidity,
}
