"""Position size from risk, and the decision to scale in."""

from __future__ import annotations

from botpy_ext.exits.settings import TradeSettings


def full_position(equity: float, distance: float, trade: TradeSettings,
                  cap: float | None = None, fee: float = 0.0) -> float:
    """Stake (quote currency) that loses `risk_per_trade` of equity at a stop `distance` (share of
    price) below the entry, the fees of both sides (`fee` each) included, capped at
    `max_position` of equity and at `cap` (a config's numeric `stake_amount`: no trade larger
    than it)."""
    full = min(equity * trade.risk_per_trade / (distance + 2 * fee),
               equity * trade.max_position)
    return full if cap is None else min(full, cap)


def scale_in_stake(full_stake: float, first_stake: float, first_price: float, add_price: float,
                   stop: float, fee: float = 0.0) -> float:
    """The rest of the position, but no more than keeps the loss at the initial `stop` (fees
    included) within what the full position bought at `first_price` would lose there: a scale-in
    at a higher price buys less, so the trade's risk stays the one it was sized for."""
    def loss_per_stake(price: float) -> float:
        return 1 - stop / price + 2 * fee

    budget = (full_stake - first_stake) * loss_per_stake(first_price)
    return max(0.0, min(full_stake - first_stake, budget / loss_per_stake(add_price)))


def scales_in(setup: str, trade: TradeSettings) -> bool:
    return {"precision": trade.scale_precision, "momentum": trade.scale_momentum,
            "ignition": trade.scale_ignition}.get(setup, False)


def first_stake(full: float, setup: str, trade: TradeSettings, min_stake: float | None,
                max_stake: float) -> float:
    """The first order: the initial fraction when the setup scales in, else the whole position;
    0 (no trade) when the risk-based size is below the exchange's minimum, since taking the
    minimum would risk more than allowed."""
    stake = first_order(full, setup, trade)
    if min_stake and stake < min_stake:
        return 0.0
    return min(stake, max_stake)


def first_order(full: float, setup: str, trade: TradeSettings) -> float:
    return full * trade.initial_fraction if scales_in(setup, trade) else full


def confirms(candle_open: float, candle_close: float) -> bool:
    """The entry candle confirms the move: it closed bullish (never add to a stalling or falling
    trade). Judged on the closed candle alone, which live and backtests see alike: not on the
    fill price (a backtest fills at the open, a live fill seconds and a spread away) nor on the
    price at the moment of the look (a backtest looks at the next open, a live bot whenever its
    loop gets there), see docs/parity.md."""
    return candle_close > candle_open
