"""The simulator's spot account (`botpy_ext/simulator/account.py`) on hand-built books and
candles: fills, the commission, locked funds, resting orders reached by the replayed price, and
the stop-limit sell that Live mode keeps on the exchange."""

from __future__ import annotations

import numpy as np
import pytest

from botpy_ext.simulator.account import (
    COMMISSION,
    Account,
    Market,
    Order,
    OrderRefused,
    walk,
)
from botpy_ext.simulator.candles import Candles

T0 = 1_700_000_040_000  # a minute's start (ms)
MINUTE = 60_000
BIDS = np.array([[99.9, 1.0], [99.8, 2.0], [99.7, 5.0]])
ASKS = np.array([[100.0, 1.0], [100.1, 2.0], [100.2, 5.0]])


def candles(*rows: tuple[float, float, float, float]) -> Candles:
    """1m candles from T0 on: (open, high, low, close) each, volume 10."""
    ohlcv = np.array([[*row, 10.0] for row in rows], dtype=float)
    return Candles(T0 + MINUTE * np.arange(len(rows), dtype=np.int64), ohlcv)


def market(bars: Candles, at: float = 1.0) -> Market:
    """The book above, the candles, "now" after `at` of the last candle's minute (the end, for
    matching; half-way, where the orders are placed)."""
    return Market(BIDS, ASKS, bars, int(bars.open_ms[-1]) + int(at * MINUTE) - (at == 1.0))


def order(side: str, kind: str, quantity: float, price: float = 0.0, stop: float = 0.0,
          placed_ms: int = T0 + 30_000) -> Order:
    return Order(0, "client-1", "SOLUSDT", "SOL", "USDT", side, kind, quantity, price, stop,
                 "GTC", placed_ms)


def within(time_ms: int, candle: int) -> bool:
    """Whether `time_ms` lies inside candle number `candle` (from T0)."""
    return T0 + candle * MINUTE <= time_ms < T0 + (candle + 1) * MINUTE


FLAT = candles((100, 100.2, 99.8, 100))


def test_walk_takes_the_book_level_by_level():
    assert walk(ASKS, 1.0) == 100.0
    assert walk(ASKS, 2.0) == pytest.approx((100.0 + 100.1) / 2)
    assert walk(ASKS, 9.0) is None  # more than the book holds


def test_a_market_buy_pays_the_ask_and_the_commission_in_the_coin():
    account = Account.with_balances({"USDT": 1000})
    done = account.place(order("BUY", "MARKET", 2.0), market(FLAT))
    assert done.status == "FILLED" and done.order_id == 1
    [fill] = done.fills
    assert fill.price == pytest.approx(100.05) and fill.commission_asset == "SOL"
    assert fill.commission == pytest.approx(2.0 * COMMISSION)
    assert account.balances["USDT"] == [pytest.approx(1000 - 200.1), 0.0]
    assert account.balances["SOL"] == [pytest.approx(2.0 * (1 - COMMISSION)), 0.0]


def test_a_sell_pays_the_commission_in_usdt():
    account = Account.with_balances({"SOL": 1.0})
    done = account.place(order("SELL", "MARKET", 1.0), market(FLAT))
    assert done.fills[0].price == 99.9 and done.fills[0].commission_asset == "USDT"
    assert account.balances["USDT"][0] == pytest.approx(99.9 * (1 - COMMISSION))
    assert account.balances["SOL"] == [0.0, 0.0]


def test_more_than_the_free_balance_is_refused_and_nothing_moves():
    account = Account.with_balances({"USDT": 150})
    with pytest.raises(OrderRefused, match="insufficient balance") as refused:
        account.place(order("BUY", "MARKET", 2.0), market(FLAT))
    assert refused.value.code == -2010
    with pytest.raises(OrderRefused, match="insufficient balance"):
        account.place(order("SELL", "LIMIT", 1.0, price=101), market(FLAT))
    assert account.balances == {"USDT": [150.0, 0.0]} and not account.orders


def test_a_resting_limit_buy_locks_its_cost_and_fills_when_the_price_comes_down():
    account = Account.with_balances({"USDT": 1000})
    resting = account.place(order("BUY", "LIMIT", 1.0, price=99.0), market(FLAT))
    assert resting.status == "NEW" and account.balances["USDT"] == [901.0, 99.0]
    # the placement candle's low (99.8) was known; the next candle stays above 99
    later = candles((100, 100.2, 99.8, 100), (100, 100.1, 99.2, 99.5))
    account.match("SOLUSDT", market(later))
    assert resting.is_open
    fell = candles((100, 100.2, 99.8, 100), (100, 100.1, 99.2, 99.5), (99.5, 99.6, 98.7, 99))
    account.match("SOLUSDT", market(fell))
    assert resting.status == "FILLED" and resting.fills[0].price == 99.0
    # the bearish candle's path: 99.5 -> 99.6 -> 98.7 -> 99: at 99 five ninths into the minute
    assert resting.fills[0].is_maker and resting.fills[0].time_ms == T0 + 2 * MINUTE + 33_333
    assert account.balances["USDT"] == [901.0, 0.0]
    assert account.balances["SOL"][0] == pytest.approx(1 - COMMISSION)


def test_a_marketable_limit_takes_the_levels_up_to_its_price():
    account = Account.with_balances({"USDT": 1000})
    done = account.place(order("BUY", "LIMIT", 1.0, price=100.5), market(FLAT))
    assert done.status == "FILLED" and done.fills[0].price == 100.0  # the ask, not the limit
    assert account.balances["USDT"] == [pytest.approx(900.0), 0.0]  # the rest unlocked
    deeper = account.place(order("BUY", "LIMIT", 3.0, price=100.1), market(FLAT))
    assert deeper.fills[0].price == pytest.approx((100.0 + 2 * 100.1) / 3)
    # the levels up to 100.1 hold 3: an order of 4 at that price rests whole
    rests = account.place(order("BUY", "LIMIT", 4.0, price=100.1), market(FLAT))
    assert rests.is_open and account.balances["USDT"][1] == pytest.approx(400.4)


def test_cancel_returns_the_locked_funds_and_a_second_cancel_is_refused():
    account = Account.with_balances({"SOL": 2.0})
    resting = account.place(order("SELL", "LIMIT", 2.0, price=105), market(FLAT))
    assert account.balances["SOL"] == [0.0, 2.0]
    account.cancel(resting, T0 + MINUTE)
    assert resting.status == "CANCELED" and account.balances["SOL"] == [2.0, 0.0]
    with pytest.raises(OrderRefused, match="Unknown order"):
        account.cancel(resting, T0 + MINUTE)


def stop_order(account: Account, stop: float = 98.0, limit: float = 97.0) -> Order:
    return account.place(order("SELL", "STOP_LOSS_LIMIT", 1.0, price=limit, stop=stop),
                         market(FLAT))


def test_a_stop_that_would_trigger_at_once_is_refused():
    account = Account.with_balances({"SOL": 1.0})
    with pytest.raises(OrderRefused, match="trigger immediately"):
        stop_order(account, stop=100.5, limit=99)


def test_a_stop_sells_at_its_stop_price_when_the_market_trades_through_it():
    account = Account.with_balances({"SOL": 1.0})
    stop = stop_order(account)
    assert account.balances["SOL"] == [0.0, 1.0]
    account.match("SOLUSDT", market(candles((100, 100.2, 99.8, 100), (100, 100, 98.5, 99))))
    assert stop.is_open and not stop.triggered
    account.match("SOLUSDT", market(candles((100, 100.2, 99.8, 100), (100, 100, 98.5, 99),
                                            (99, 99.1, 95.0, 96))))
    assert stop.status == "FILLED" and stop.fills[0].price == 98.0
    assert not stop.fills[0].is_maker and within(stop.fills[0].time_ms, 2)
    assert account.balances["SOL"] == [0.0, 0.0]
    assert account.balances["USDT"][0] == pytest.approx(98.0 * (1 - COMMISSION))


def test_a_stop_gapped_through_sells_at_the_open_or_waits_below_its_limit():
    account = Account.with_balances({"SOL": 2.0})
    near = stop_order(account, stop=98.0, limit=97.0)
    account.match("SOLUSDT", market(candles((100, 100.2, 99.8, 100), (97.5, 97.6, 97.2, 97.4))))
    assert near.status == "FILLED" and near.fills[0].price == 97.5  # opened below the stop
    # placed during the next candle, lower: the market then opens below its limit
    far = account.place(order("SELL", "STOP_LOSS_LIMIT", 1.0, price=95.5, stop=96.0,
                              placed_ms=T0 + MINUTE + 30_000), market(FLAT))
    gap = candles((100, 100.2, 99.8, 100), (97.5, 97.6, 97.2, 97.4), (95, 95.4, 94, 95))
    account.match("SOLUSDT", market(gap))
    assert far.triggered and far.is_open  # triggered, but the market is below its limit
    back = candles((100, 100.2, 99.8, 100), (97.5, 97.6, 97.2, 97.4), (95, 95.4, 94, 95),
                   (95, 95.6, 95, 95.2))
    account.match("SOLUSDT", market(back))
    assert far.status == "FILLED" and far.fills[0].price == 95.5 and far.fills[0].is_maker
    assert within(far.fills[0].time_ms, 3)


def test_a_stop_gapped_below_its_limit_fills_when_its_own_candle_comes_back():
    """The trigger is the gap candle's open: everything in that candle comes after it."""
    account = Account.with_balances({"SOL": 1.0})
    stop = account.place(order("SELL", "STOP_LOSS_LIMIT", 1.0, price=95.5, stop=96.0),
                         market(FLAT))
    account.match("SOLUSDT", market(candles((100, 100.2, 99.8, 100), (95, 96, 89, 89.5))))
    assert stop.status == "FILLED" and stop.fills[0].price == 95.5
    assert stop.fills[0].time_ms == T0 + MINUTE + 10_000  # 95 -> 96 in the first third


def test_orders_follow_the_served_path_from_their_placement_on():
    """Inside a minute the simulator serves a path of three legs (a bullish candle: open, low,
    high, close). An order placed after the low does not see it; a level the path crosses again
    after the placement is reached there, without a new low."""
    bars = candles((100, 102, 97, 100))  # 100 -> 97 -> 102 -> 100
    placed_ms = T0 + 36_000  # 0.6 of the minute: on the way up, at 101
    account = Account.with_balances({"SOL": 2.0})
    under_the_low = account.place(order("SELL", "STOP_LOSS_LIMIT", 1.0, price=96, stop=96.5,
                                        placed_ms=placed_ms), market(bars, at=0.6))
    crossed_again = account.place(order("SELL", "STOP_LOSS_LIMIT", 1.0, price=99, stop=100.5,
                                        placed_ms=placed_ms), market(bars, at=0.6))
    account.match("SOLUSDT", market(bars))
    assert under_the_low.is_open and not under_the_low.triggered  # 97 came before it
    assert crossed_again.status == "FILLED" and crossed_again.fills[0].price == 100.5
    assert crossed_again.fills[0].time_ms == T0 + 55_000  # 102 -> 100 in the last third


def test_nothing_after_now_is_seen():
    bars = candles((100, 100.2, 99.8, 100), (100, 100.1, 95, 96))  # 100 -> 100.1 -> 95 -> 96
    account = Account.with_balances({"SOL": 1.0})
    stop = stop_order(account)  # 98
    account.match("SOLUSDT", market(bars, at=0.4))  # at 0.4 the path is just past 100.1
    assert stop.is_open and not stop.triggered
    account.match("SOLUSDT", market(bars, at=0.6))
    assert stop.status == "FILLED" and stop.fills[0].price == 98.0
