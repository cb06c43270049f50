"""A spot account on the simulated market: balances, orders and their fills (no HTTP here).

What Live mode needs from an exchange, with Binance spot's rules:
- MARKET orders fill at once against the synthesized book (walked level by level);
- LIMIT orders fill at once when marketable (a buy at or above the best ask, a sell at or below
  the best bid) at the mean price of the book's levels up to their limit, else rest (also when
  those levels hold less than the order: no partial fills) and fill at their limit price when
  the replayed price reaches it;
- STOP_LOSS_LIMIT sells (freqtrade's stop on the exchange) rest until the price trades at or
  below the stop; then they sell at the stop, or at the candle's open if the market opened below
  it, unless that is below the limit price: then they rest as a limit sell at that price;
- the commission (0.1 %) is taken from what an order receives: the base asset on a buy, the
  quote asset on a sell, as Binance does without BNB;
- funds are locked while an order rests; an order that needs more than the free balance is
  refused.

"Reaches" follows the price path the simulator serves inside each 1m candle (three straight
legs, open -> first extreme -> second extreme -> close, `candles.partial_candle`) from the moment
the order was placed up to now: an order is matched at the first moment that path touches its
price, whatever the candle did before the order existed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from botpy_ext.simulator.candles import CLOSE, HIGH, LOW, OPEN, Candles

COMMISSION = 0.001  # Binance spot's base rate, maker and taker
MINUTE_MS = 60_000


class OrderRefused(Exception):
    """Binance's answer to an order it does not accept: HTTP status, code, message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def insufficient_balance() -> OrderRefused:
    return OrderRefused(400, -2010, "Account has insufficient balance for requested action.")


def book_too_thin() -> OrderRefused:
    """A market order larger than the whole synthesized book (5,000 levels a side)."""
    return OrderRefused(400, -2010, "Order book too thin for the market order.")


@dataclass
class Fill:
    trade_id: int
    order_id: int
    symbol: str
    price: float
    qty: float
    commission: float
    commission_asset: str
    time_ms: int
    is_buyer: bool
    is_maker: bool


@dataclass
class Order:
    order_id: int
    client_id: str
    symbol: str
    base: str
    quote: str
    side: str  # BUY, SELL
    type: str  # MARKET, LIMIT, STOP_LOSS_LIMIT
    quantity: float
    price: float  # limit price; 0 for MARKET
    stop_price: float  # STOP_LOSS_LIMIT only; else 0
    time_in_force: str
    placed_ms: int
    status: str = "NEW"  # NEW, FILLED, CANCELED
    triggered: bool = False  # a STOP_LOSS_LIMIT whose stop traded (it is a limit sell now)
    triggered_ms: int = 0
    updated_ms: int = 0
    fills: list[Fill] = field(default_factory=list)

    @property
    def executed(self) -> float:
        return sum(fill.qty for fill in self.fills)

    @property
    def quote_executed(self) -> float:
        return sum(fill.qty * fill.price for fill in self.fills)

    @property
    def is_open(self) -> bool:
        return self.status == "NEW"

    def locked(self) -> tuple[str, float]:
        """The asset and amount this resting order holds."""
        if self.side == "BUY":
            return self.quote, self.quantity * self.price
        return self.base, self.quantity


@dataclass(frozen=True)
class Market:
    """What the account sees of one symbol now: the book's levels (price, quantity; best first)
    and the symbol's 1m candles opened up to now, complete rows: the path inside the last one is
    only followed up to `now_ms`."""
    bids: np.ndarray
    asks: np.ndarray
    candles: Candles
    now_ms: int


@dataclass
class Account:
    balances: dict[str, list[float]]  # asset -> [free, locked]
    orders: dict[int, Order] = field(default_factory=dict)
    next_order_id: int = 1
    next_trade_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def with_balances(cls, amounts: dict[str, float]) -> Account:
        return cls({asset: [float(amount), 0.0] for asset, amount in amounts.items()})

    def free(self, asset: str) -> float:
        return self.balances.get(asset, [0.0, 0.0])[0]

    def _move(self, asset: str, free: float = 0.0, locked: float = 0.0) -> None:
        row = self.balances.setdefault(asset, [0.0, 0.0])
        row[0] = clean(row[0] + free)
        row[1] = clean(row[1] + locked)

    # ---- placing and cancelling ----------------------------------------------------------

    def place(self, order: Order, market: Market) -> Order:
        """Accept `order` (its id is set here), fill what is marketable now, rest the rest."""
        with self.lock:
            self._check_funds(order, market)
            order.order_id, self.next_order_id = self.next_order_id, self.next_order_id + 1
            order.updated_ms = order.placed_ms
            if order.type == "MARKET":
                self._fill_market(order, market)
            else:
                if order.type == "STOP_LOSS_LIMIT" and last_price(market) <= order.stop_price:
                    raise OrderRefused(400, -2010, "Order would trigger immediately.")
                asset, amount = order.locked()
                self._move(asset, free=-amount, locked=amount)
                if order.type == "LIMIT":
                    self._fill_if_marketable(order, market)
            self.orders[order.order_id] = order
            return order

    def cancel(self, order: Order, now_ms: int) -> Order:
        with self.lock:
            if not order.is_open:
                raise OrderRefused(400, -2011, "Unknown order sent.")
            asset, amount = order.locked()
            self._move(asset, free=amount, locked=-amount)
            order.status, order.updated_ms = "CANCELED", now_ms
            return order

    def _check_funds(self, order: Order, market: Market) -> None:
        if order.side == "BUY":
            price = order.price if order.type != "MARKET" else walk(market.asks, order.quantity)
            if price is None:
                raise book_too_thin()
            if order.quantity * price > self.free(order.quote) + 1e-9:
                raise insufficient_balance()
        elif order.quantity > self.free(order.base) + 1e-12:
            raise insufficient_balance()

    # ---- fills ---------------------------------------------------------------------------

    def _fill_market(self, order: Order, market: Market) -> None:
        book = market.asks if order.side == "BUY" else market.bids
        price = walk(book, order.quantity)
        if price is None:
            raise book_too_thin()
        self._execute(order, price, market.now_ms, maker=False, was_locked=False)

    def _fill_if_marketable(self, order: Order, market: Market) -> None:
        """A limit order that crosses the book takes the levels up to its price (their mean
        price); when those hold less than its quantity it rests whole (no partial fills)."""
        if order.side == "BUY":
            levels = market.asks[market.asks[:, 0] <= order.price] if len(market.asks) else []
        else:
            levels = market.bids[market.bids[:, 0] >= order.price] if len(market.bids) else []
        price = walk(np.asarray(levels).reshape(-1, 2), order.quantity)
        if price is not None:
            self._execute(order, price, market.now_ms, maker=False)

    def _execute(self, order: Order, price: float, time_ms: int, maker: bool,
                 was_locked: bool = True) -> None:
        """The whole order fills at `price`; balances move, the commission is charged."""
        qty, cost = order.quantity, order.quantity * price
        if order.side == "BUY":
            held = order.quantity * order.price if was_locked else 0.0
            self._move(order.quote, free=held - cost, locked=-held)
            commission, asset = qty * COMMISSION, order.base
            self._move(order.base, free=qty - commission)
        else:
            self._move(order.base, free=0.0 if was_locked else -qty,
                       locked=-qty if was_locked else 0.0)
            commission, asset = cost * COMMISSION, order.quote
            self._move(order.quote, free=cost - commission)
        order.fills.append(Fill(self.next_trade_id, order.order_id, order.symbol, price, qty,
                                commission, asset, time_ms, order.side == "BUY", maker))
        self.next_trade_id += 1
        order.status, order.updated_ms = "FILLED", time_ms

    def match(self, symbol: str, market: Market) -> None:
        """Fill the symbol's resting orders that the price has reached since they were placed."""
        with self.lock:
            for order in [o for o in self.orders.values() if o.symbol == symbol and o.is_open]:
                self._match_one(order, market)

    def _match_one(self, order: Order, market: Market) -> None:
        since = order.placed_ms
        if order.type == "STOP_LOSS_LIMIT" and not order.triggered:
            hit = first_reach(market, "low", order.stop_price, since)
            if hit is None:
                return
            time_ms, price = hit
            order.triggered, order.triggered_ms = True, time_ms
            price = min(order.stop_price, price)  # below the stop only when it opened below
            if price >= order.price:
                self._execute(order, price, time_ms, maker=False)
                return
        if order.triggered:  # resting at its limit since the trigger
            since = order.triggered_ms
        hit = first_reach(market, "low" if order.side == "BUY" else "high", order.price, since)
        if hit is not None:
            self._execute(order, order.price, hit[0], maker=True)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        return [o for o in self.orders.values()
                if o.is_open and (symbol is None or o.symbol == symbol)]


def first_reach(market: Market, side: str, level: float, since_ms: int
                ) -> tuple[int, float] | None:
    """The first moment in [since_ms, now] at which the price path falls to `level` (side
    "low") or rises to it ("high"), and the price there (`level`, or beyond it when a candle
    opened beyond it); None if it has not been there."""
    candles = market.candles
    first = int(np.searchsorted(candles.open_ms, since_ms - since_ms % MINUTE_MS))
    last = int(np.searchsorted(candles.open_ms, market.now_ms, side="right"))
    extremes = candles.ohlcv[first:last, LOW if side == "low" else HIGH]
    candidates = np.flatnonzero(extremes <= level if side == "low" else extremes >= level)
    for index in first + candidates:
        opened = int(candles.open_ms[index])
        start = max((since_ms - opened) / MINUTE_MS, 0.0)
        end = min((market.now_ms - opened) / MINUTE_MS, 1.0)
        hit = path_crossing(candles.ohlcv[index], start, end, side, level)
        if hit is not None:
            fraction, price = hit
            return opened + int(fraction * MINUTE_MS), price
    return None


def candle_path(row: np.ndarray) -> list[float]:
    """The path's four corners (`candles.partial_candle`): a bullish candle visits its low
    first, a bearish one its high."""
    o, h, lo, c = (float(row[i]) for i in (OPEN, HIGH, LOW, CLOSE))
    return [o, lo, h, c] if c >= o else [o, h, lo, c]


def path_price(row: np.ndarray, fraction: float) -> float:
    """The price on the candle's path after `fraction` (0..1) of its minute."""
    path = candle_path(row)
    legs = min(max(fraction, 0.0), 1.0) * 3.0
    leg = min(int(legs), 2)
    return path[leg] + (path[leg + 1] - path[leg]) * (legs - leg)


def path_crossing(row: np.ndarray, start: float, end: float, side: str,
                  level: float) -> tuple[float, float] | None:
    """The first fraction in [start, end] at which the candle's path is at or beyond `level`,
    with the price there."""
    beyond = (lambda price: price <= level) if side == "low" else (lambda price: price >= level)
    for leg in range(3):
        lo, hi = max(leg / 3, start), min((leg + 1) / 3, end)
        if lo > hi:
            continue
        first, second = path_price(row, lo), path_price(row, hi)
        if beyond(first):
            return lo, first
        if beyond(second):
            return lo + (hi - lo) * (level - first) / (second - first), level
    return None


def walk(levels: np.ndarray, quantity: float) -> float | None:
    """The mean price of taking `quantity` from the book's levels (best first); None when the
    book holds less."""
    if not len(levels):
        return None
    taken = np.minimum(levels[:, 1], np.maximum(quantity - np.r_[0, np.cumsum(levels[:-1, 1])],
                                                0))
    if taken.sum() < quantity * (1 - 1e-9):
        return None
    return float((taken * levels[:, 0]).sum() / taken.sum())


def last_price(market: Market) -> float:
    """The price now: on the path of the candle in progress."""
    candles = market.candles
    if not len(candles):
        return math.nan
    return path_price(candles.ohlcv[-1], (market.now_ms - int(candles.open_ms[-1])) / MINUTE_MS)


def clean(value: float) -> float:
    """Balances without float dust (8 decimals, as Binance reports them)."""
    return round(value, 8) if abs(value) > 5e-9 else 0.0
