"""Position size from risk, and the decision to scale in."""

from __future__ import annotations

from botpy_ext.exits.settings import TradeSettings


def full_position(equity: float, distance: float, trade: TradeSettings) -> float:
    """Stake (quote currency) that loses `risk_per_trade` of equity at a stop `distance` (share of
    price) below the entry, capped at `max_position` of equity."""
    return min(equity * trade.risk_per_trade / distance, equity * trade.max_position)


def scales_in(setup: str, trade: TradeSettings) -> bool:
    return {"precision": trade.scale_precision, "momentum": trade.scale_momentum,
            "ignition": trade.scale_ignition}.get(setup, False)


def first_stake(full: float, setup: str, trade: TradeSettings, min_stake: float | None,
                max_stake: float) -> float:
    """The first order: the initial fraction when the setup scales in, else the whole position;
    0 (no trade) when the risk-based size is below the exchange's minimum, since taking the
    minimum would risk more than allowed."""
    stake = full * trade.initial_fraction if scales_in(setup, trade) else full
    if min_stake and stake < min_stake:
        return 0.0
    return min(stake, max_stake)


def confirms(candle_open: float, candle_close: float, first_entry: float,
             current_rate: float) -> bool:
    """The candle after the entry confirms the move: it closed bullish, above the first entry
    price, and price is still above the entry now (never add to a losing or stalling trade)."""
    return candle_close > candle_open and candle_close > first_entry and current_rate > first_entry
