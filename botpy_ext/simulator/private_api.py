"""Binance spot's signed endpoints over the simulator's `Account`: what Live mode calls.

`botpy-sim serve --account USDT=1000` opens a spot account with that balance; requests must
carry the key and an HMAC-SHA256 signature made with the secret (from `BOTPY_SIM_API_KEY` and
`BOTPY_SIM_API_SECRET`, the same values a bot gets as `FREQTRADE__EXCHANGE__KEY` / `__SECRET`),
and a timestamp within `recvWindow` of the simulator's wall clock, as Binance checks them.
Served: GET /api/v3/account, POST/GET/DELETE /api/v3/order, GET /api/v3/openOrders,
GET /api/v3/allOrders, GET /api/v3/myTrades, and the margin pair lists ccxt loads with keys
(empty: spot only). Resting orders are matched against the replayed
candles whenever any of these is called (`account.Account.match`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

import numpy as np
from fastapi import FastAPI, Request

from botpy_ext.simulator.account import Market, Order, OrderRefused, last_price
from botpy_ext.simulator.errors import BinanceError
from botpy_ext.simulator.exchange_info import MIN_NOTIONAL, fmt

ORDER_TYPES = ("MARKET", "LIMIT", "STOP_LOSS_LIMIT")
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
BOOK_DEPTH = 5000  # orders take from the whole synthesized book


@dataclass(frozen=True)
class Credentials:
    key: str
    secret: str


class PrivateApi:
    """The account's side of the signed endpoints: checks, matching, lookups."""

    def __init__(self, state, known_symbol, order_book) -> None:
        self.state, self.account, self.credentials = state, state.account, state.credentials
        self._known_symbol, self._order_book = known_symbol, order_book

    def market(self, symbol: str) -> Market:
        view = self.state.view
        book = self._order_book(self.state, symbol, BOOK_DEPTH)
        now = view.clock.now_ms()
        served = view.served(symbol, view.pairs[symbol].base_interval)  # complete rows
        opened = served.slice(0, int(np.searchsorted(served.open_ms, now, side="right")))
        return Market(book.bids, book.asks, opened, now)

    async def signed(self, request: Request) -> dict[str, str]:
        """The request's parameters, after Binance's key, signature and timestamp checks."""
        raw = request.url.query if request.method in ("GET", "DELETE") else (
            await request.body()).decode()
        if request.headers.get("X-MBX-APIKEY") != self.credentials.key:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        payload, _, signature = raw.rpartition("&signature=")
        expected = hmac.new(self.credentials.secret.encode(), payload.encode(), hashlib.sha256)
        if not signature or not hmac.compare_digest(expected.hexdigest(), signature):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(payload, keep_blank_values=True))
        check_timestamp(params)
        return params

    def symbol(self, params: dict[str, str]) -> str:
        if not params.get("symbol"):
            raise missing("symbol")
        return self._known_symbol(self.state, params["symbol"])

    def matched(self, symbols) -> None:
        """Fill what the price reached since the last request, for these symbols."""
        for symbol in symbols:
            if self.state.view.last_candle(symbol) is not None:
                self.account.match(symbol, self.market(symbol))

    def find(self, params: dict[str, str], symbol: str) -> Order:
        order = None
        if params.get("orderId", "").isdigit():
            order = self.account.orders.get(int(params["orderId"]))
        elif params.get("origClientOrderId"):
            order = next((o for o in self.account.orders.values()
                          if o.client_id == params["origClientOrderId"]), None)
        if order is None or order.symbol != symbol:
            raise BinanceError(400, -2013, "Order does not exist.")
        return order

    def now_ms(self) -> int:
        return self.state.view.clock.now_ms()


def add_private_routes(app: FastAPI, state, known_symbol, order_book) -> None:
    """The signed endpoints over `state.account`; `known_symbol(state, raw)` and
    `order_book(state, symbol, depth)` are the public API's (server.py)."""
    api = PrivateApi(state, known_symbol, order_book)
    add_account_routes(app, api)
    add_order_routes(app, api)


def add_account_routes(app: FastAPI, api: PrivateApi) -> None:
    account = api.account

    @app.get("/api/v3/account")
    async def account_information(request: Request) -> dict:
        await api.signed(request)
        api.matched({o.symbol for o in account.open_orders()})
        with account.lock:
            rows = [{"asset": asset, "free": fmt(free), "locked": fmt(locked)}
                    for asset, (free, locked) in sorted(account.balances.items())]
        return account_answer(rows, api.now_ms())

    @app.get("/sapi/v1/margin/allPairs")
    @app.get("/sapi/v1/margin/isolated/allPairs")
    async def margin_pairs(request: Request) -> list:
        """ccxt asks for the margin pairs when it loads markets with keys: there are none."""
        await api.signed(request)
        return []

    @app.get("/api/v3/myTrades")
    async def my_trades(request: Request) -> list:
        params = await api.signed(request)
        symbol = api.symbol(params)
        api.matched([symbol])
        wanted = int(params["orderId"]) if params.get("orderId", "").isdigit() else None
        since = int(params.get("startTime") or 0)
        fills = [fill for o in account.orders.values() if o.symbol == symbol
                 for fill in o.fills
                 if (wanted is None or fill.order_id == wanted) and fill.time_ms >= since]
        return [trade_answer(fill) for fill in fills[:int(params.get("limit") or 500)]]


def add_order_routes(app: FastAPI, api: PrivateApi) -> None:
    account = api.account

    @app.post("/api/v3/order")
    async def new_order(request: Request) -> dict:
        params = await api.signed(request)
        symbol = api.symbol(params)
        api.matched([symbol])
        order = parse_order(params, symbol, api.state, api.market(symbol))
        try:
            account.place(order, api.market(symbol))
        except OrderRefused as error:
            raise BinanceError(error.status, error.code, error.msg) from None
        return order_answer(order, full=params.get("newOrderRespType", "FULL") == "FULL")

    @app.get("/api/v3/order")
    async def query_order(request: Request) -> dict:
        params = await api.signed(request)
        symbol = api.symbol(params)
        api.matched([symbol])
        return order_answer(api.find(params, symbol), full=False, query=True)

    @app.delete("/api/v3/order")
    async def cancel_order(request: Request) -> dict:
        params = await api.signed(request)
        symbol = api.symbol(params)
        api.matched([symbol])
        try:
            order = account.cancel(api.find(params, symbol), api.now_ms())
        except OrderRefused as error:
            raise BinanceError(error.status, error.code, error.msg) from None
        return order_answer(order, full=False)

    @app.get("/api/v3/openOrders")
    async def open_orders(request: Request) -> list:
        params = await api.signed(request)
        symbol = api.symbol(params) if params.get("symbol") else None
        api.matched([symbol] if symbol else {o.symbol for o in account.open_orders()})
        return [order_answer(o, full=False, query=True) for o in account.open_orders(symbol)]

    @app.get("/api/v3/allOrders")
    async def all_orders(request: Request) -> list:
        params = await api.signed(request)
        symbol = api.symbol(params)
        api.matched([symbol])
        since = int(params.get("startTime") or 0)
        return [order_answer(o, full=False, query=True) for o in account.orders.values()
                if o.symbol == symbol and o.placed_ms >= since]


def missing(name: str) -> BinanceError:
    return BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, "
                        "or malformed.")


def check_timestamp(params: dict[str, str]) -> None:
    """Binance's clock checks: not more than 1 s ahead, not older than recvWindow."""
    if not params.get("timestamp", "").isdigit():
        raise missing("timestamp")
    now = int(time.time() * 1000)
    sent = int(params["timestamp"])
    window = params.get("recvWindow") or str(DEFAULT_RECV_WINDOW)
    if not window.isdigit() or int(window) > MAX_RECV_WINDOW:
        raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    window = int(window)
    if sent > now + 1000:
        raise BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the "
                           "server's time.")
    if now - sent > window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def parse_order(params: dict[str, str], symbol: str, state, market: Market) -> Order:
    """An order from POST /api/v3/order's parameters, checked against the symbol's filters."""
    pair = state.view.pairs[symbol]
    filters = state.view.filters[symbol]
    side, kind = params.get("side", "").upper(), params.get("type", "").upper()
    if side not in ("BUY", "SELL"):
        raise missing("side")
    if kind not in ORDER_TYPES:
        raise BinanceError(400, -1116, "Invalid orderType.")
    if kind == "STOP_LOSS_LIMIT" and side != "SELL":
        raise BinanceError(400, -1116, "Invalid orderType. (the simulator's stop orders are sells)")
    quantity = number(params, "quantity")
    price = number(params, "price") if kind != "MARKET" else 0.0
    stop = number(params, "stopPrice") if kind == "STOP_LOSS_LIMIT" else 0.0
    if not on_grid(quantity, filters.step) or not filters.step <= quantity <= filters.max_qty:
        raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
    if any(value and not on_grid(value, filters.tick) for value in (price, stop)):
        raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
    reference = price or last_price(market)
    if quantity * reference < MIN_NOTIONAL:
        raise BinanceError(400, -1013, "Filter failure: NOTIONAL")
    if kind != "MARKET" and params.get("timeInForce", "GTC") != "GTC":
        raise BinanceError(400, -1115, "Invalid timeInForce. (the simulator's orders are GTC)")
    return Order(0, params.get("newClientOrderId") or f"sim-{time.time_ns()}", symbol,
                 pair.base_asset, pair.quote_asset, side, kind, quantity, price, stop,
                 params.get("timeInForce", "GTC") if kind != "MARKET" else "GTC",
                 market.now_ms)


def number(params: dict[str, str], name: str) -> float:
    try:
        value = float(params[name])
    except (KeyError, ValueError):
        raise missing(name) from None
    if not value > 0:
        raise BinanceError(400, -1013, f"Invalid {name}.")
    return value


def on_grid(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-6


# ---- Binance's answers -----------------------------------------------------------------------

def account_answer(balances: list[dict], now_ms: int) -> dict:
    return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {"maker": "0.00100000", "taker": "0.00100000",
                                "buyer": "0.00000000", "seller": "0.00000000"},
            "canTrade": True, "canWithdraw": False, "canDeposit": False, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now_ms,
            "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1}


def order_answer(order: Order, full: bool, query: bool = False) -> dict:
    answer = {
        "symbol": order.symbol, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_id, "price": fmt(order.price),
        "origQty": fmt(order.quantity), "executedQty": fmt(order.executed),
        "cummulativeQuoteQty": fmt(order.quote_executed), "status": order.status,
        "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
        "workingTime": order.placed_ms, "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if order.type == "STOP_LOSS_LIMIT":
        answer["stopPrice"] = fmt(order.stop_price)
    if query:
        answer |= {"icebergQty": fmt(0), "time": order.placed_ms, "updateTime": order.updated_ms,
                   "isWorking": order.type != "STOP_LOSS_LIMIT" or order.triggered,
                   "origQuoteOrderQty": fmt(0)}
    else:
        answer["transactTime"] = order.updated_ms
    if full:
        answer["fills"] = [{"price": fmt(f.price), "qty": fmt(f.qty),
                            "commission": fmt(f.commission), "commissionAsset": f.commission_asset,
                            "tradeId": f.trade_id} for f in order.fills]
    return answer


def trade_answer(fill) -> dict:
    return {"symbol": fill.symbol, "id": fill.trade_id, "orderId": fill.order_id,
            "orderListId": -1, "price": fmt(fill.price), "qty": fmt(fill.qty),
            "quoteQty": fmt(fill.price * fill.qty), "commission": fmt(fill.commission),
            "commissionAsset": fill.commission_asset, "time": fill.time_ms,
            "isBuyer": fill.is_buyer, "isMaker": fill.is_maker, "isBestMatch": True}
