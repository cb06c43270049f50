"""Where the stop goes when the ladder asks for a level the price has already left, in process
with freqtrade's resolver and persistence. In a backtest freqtrade calls `custom_stoploss` with
the candle's high as the rate and fills a stop between the candle's low and high at the stop:
a stop the ladder raised above the candle's open must be placed at the open, where a live bot
leaves (just under the price), or the backtest books a price the market had left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from freqtrade.persistence import Trade

from botpy_ext.exits.candles import CandleArrays
from botpy_ext.guards.settings import GUARD_SETTINGS
from tests.helpers import filled_trade, live_strategy

PAIR = "ETH/USDT"
OPENED = datetime(2024, 2, 5, 10, 0, 30, tzinfo=UTC)
NOW = datetime(2024, 2, 5, 10, 10, tzinfo=UTC)  # a backtest's candle: the callbacks at its open


def trade_with_candles(strategy, now_open: float, now_high: float) -> Trade:
    """Signal close 1990, ATR 4 (Sniper: stop 1970, R 20); ten candles after the entry reach
    2100 (5.5 R: the trail is far above breakeven); the current candle opens at `now_open`."""
    dates = pd.date_range(OPENED.replace(second=0) - timedelta(minutes=30), NOW, freq="1min")
    after = dates >= OPENED.replace(second=0)
    frame = pd.DataFrame({"date": dates, "open": np.where(after, 2080.0, 1990.0),
                          "high": np.where(after, 2100.0, 1995.0),
                          "low": np.where(after, 2070.0, 1985.0),
                          "close": np.where(after, 2090.0, 1990.0), "atr_15m": 4.0,
                          "atr_day_median_15m": np.nan})
    frame.loc[frame["date"] == NOW, ["open", "high"]] = [now_open, now_high]
    strategy._candles[PAIR] = CandleArrays.of(frame, ("close", "atr_15m", "atr_day_median_15m"))
    return filled_trade(PAIR, 2000.0, OPENED)


def placed_stop(strategy, trade: Trade, rate: float) -> float:
    ratio = strategy.custom_stoploss(PAIR, trade, NOW, rate, 0.0, False)
    return rate * (1 - ratio)


@pytest.mark.parametrize(("now_open", "expected"), [
    (2050.0, 2050.0),  # opened under the trail: at the open, not at the trail inside the range
    (2095.0, None),  # opened above it: the trail itself
])
def test_a_stop_above_the_candles_open_is_placed_at_the_open(tmp_path, now_open, expected):
    strategy = live_strategy(tmp_path, {name: {"enabled": False} for name in GUARD_SETTINGS})
    trade = trade_with_candles(strategy, now_open, now_high=2100.0)  # no new high
    ladder = strategy.ladder_stop(PAIR, trade, strategy.facts(trade), NOW)
    assert ladder.stage == "atr_trail" and 2060 < ladder.price < 2095
    stop = placed_stop(strategy, trade, rate=2100.0)  # the backtest's rate: the high
    assert stop == pytest.approx(expected or ladder.price, rel=1e-5)
    # resting below the ladder's level, the stop is looked at again on the next candle
    assert strategy.ladder_may_move(trade, NOW + timedelta(minutes=1)) == (expected is not None)
