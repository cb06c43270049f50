"""A Binance-spot-compatible public REST API over a `MarketView` (FastAPI).

Serves what ccxt's `binance` class asks for on public endpoints: exchangeInfo, klines,
ticker/24hr, ticker/price, ticker/bookTicker, depth, avgPrice, time, ping. Bad requests get
Binance's error bodies (`{"code": -1121, "msg": "Invalid symbol."}`) and a log line; an
unexpected failure is logged with its traceback and answered with code -1000, never a traceback.
Admin endpoints under /_sim/ report the clock and switch faults at run time. With an account
(`--account`), the signed spot endpoints Live mode needs are served too (`private_api`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from botpy_ext.simulator.account import Account
from botpy_ext.simulator.candles import CLOSE, HIGH, LOW, OPEN, VOLUME, Candles
from botpy_ext.simulator.errors import BinanceError
from botpy_ext.simulator.exchange_info import exchange_info, fmt, symbol_info
from botpy_ext.simulator.faults import Faults, dropped_candles
from botpy_ext.simulator.orderbook import BookModel, OrderBook, synth_book
from botpy_ext.simulator.private_api import Credentials, add_private_routes
from botpy_ext.simulator.timeframes import INTERVAL_MS, bin_length_ms
from botpy_ext.simulator.view import MarketView

logger = logging.getLogger(__name__)

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)
KLINES_MAX = 1000
KLINES_DEFAULT = 500
MEAN_TRADE_USDT = 250.0  # sets the trade count reported with each candle


@dataclass
class SimulatorState:
    view: MarketView
    faults: Faults = Faults()
    book: BookModel = BookModel()
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    # Fear & Greed rows (alternative.me format, any order) served at /fng/; None: not served
    fear_greed: list[dict] | None = None
    # a spot account for Live mode (`--account`); None: public market data only
    account: Account | None = None
    credentials: Credentials | None = None


# ---- request parameters -------------------------------------------------------------------


def param_int(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 20:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; "
                           "legal range is '^[0-9]{1,20}$'.")
    return int(raw)


def param_symbol(state: SimulatorState, request: Request, required: bool = True) -> str | None:
    raw = request.query_params.get("symbol")
    if not raw:
        if required:
            raise BinanceError(400, -1102, "Mandatory parameter 'symbol' was not sent, "
                               "was empty/null, or malformed.")
        return None
    return known_symbol(state, raw)


def known_symbol(state: SimulatorState, raw: str) -> str:
    symbol = raw.strip().upper()
    if symbol not in state.view.pairs:
        raise BinanceError(400, -1121, "Invalid symbol.")
    return symbol


def param_symbols(state: SimulatorState, request: Request) -> list[str]:
    """`symbol=` or `symbols=["A","B"]`; neither means every symbol."""
    single = param_symbol(state, request, required=False)
    if single:
        return [single]
    raw = request.query_params.get("symbols")
    if not raw:
        return sorted(state.view.pairs)
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BinanceError(400, -1100, "Illegal characters found in parameter 'symbols'.")
    return [known_symbol(state, n) for n in names]


# ---- answers ------------------------------------------------------------------------------


def kline_rows(candles: Candles, interval: str) -> list[list]:
    """Binance kline arrays; taker-buy volume estimated from the candle's shape."""
    o, h, lo, c, v = (candles.ohlcv[:, i] for i in (OPEN, HIGH, LOW, CLOSE, VOLUME))
    span = h - lo
    delta = np.divide(2 * c - h - lo, span, out=np.zeros_like(span), where=span > 0)
    taker_buy = v * (1 + delta) / 2
    quote = v * (o + h + lo + c) / 4
    trades = np.maximum(np.rint(quote / MEAN_TRADE_USDT), 1).astype(np.int64)
    close_ms = candles.open_ms + bin_length_ms(candles.open_ms, interval) - 1
    return [
        [int(t), fmt(a), fmt(b), fmt(d), fmt(e), fmt(f), int(ct), fmt(q), int(n), fmt(tb),
         fmt(tb * (a + b + d + e) / 4), "0"]
        for t, a, b, d, e, f, ct, q, n, tb in zip(
            candles.open_ms, o, h, lo, c, v, close_ms, quote, trades, taker_buy, strict=True
        )
    ]


def select_klines(candles: Candles, start: int | None, end: int | None, limit: int) -> Candles:
    """Binance's klines window: from startTime forward, else back from endTime, else the latest."""
    lo = 0 if start is None else int(np.searchsorted(candles.open_ms, start))
    hi = len(candles) if end is None else int(np.searchsorted(candles.open_ms, end, side="right"))
    if start is not None:
        return candles.slice(lo, min(hi, lo + limit))
    return candles.slice(max(lo, hi - limit), hi)


def ticker_24h(state: SimulatorState, symbol: str) -> dict:
    window = state.view.window(symbol)
    book = order_book(state, symbol, 5)
    values = window.ohlcv
    first_open, last = float(values[0, OPEN]), float(values[-1, CLOSE])
    volume = float(values[:, VOLUME].sum())
    quote = float((values[:, VOLUME] * values[:, :4].mean(axis=1)).sum())
    close_time = state.view.clock.now_ms() if state.view.clock.replay else int(
        window.open_ms[-1] + INTERVAL_MS[state.view.pairs[symbol].base_interval] - 1
    )
    return {
        "symbol": symbol,
        "priceChange": fmt(last - first_open),
        "priceChangePercent": f"{(last / first_open - 1) * 100:.3f}",
        "weightedAvgPrice": fmt(quote / volume if volume else last),
        "prevClosePrice": fmt(first_open),
        "lastPrice": fmt(last),
        "lastQty": fmt(state.view.filters[symbol].step),
        "bidPrice": fmt(book.bids[0, 0]),
        "bidQty": fmt(book.bids[0, 1]),
        "askPrice": fmt(book.asks[0, 0]),
        "askQty": fmt(book.asks[0, 1]),
        "openPrice": fmt(first_open),
        "highPrice": fmt(values[:, HIGH].max()),
        "lowPrice": fmt(values[:, LOW].min()),
        "volume": fmt(volume),
        "quoteVolume": fmt(quote),
        "openTime": int(window.open_ms[0]),
        "closeTime": int(close_time),
        "firstId": 0,
        "lastId": max(int(quote / MEAN_TRADE_USDT), 1) - 1,
        "count": max(int(quote / MEAN_TRADE_USDT), 1),
    }


def order_book(state: SimulatorState, symbol: str, depth: int) -> OrderBook:
    view = state.view
    interval = view.pairs[symbol].base_interval
    recent = view.window(symbol, span_ms=state.book.lookback * INTERVAL_MS[interval])
    if len(recent) == 0:
        raise BinanceError(400, -1121, "Invalid symbol.")  # not yet trading in the replay
    minute = (view.clock.now_ms() if view.clock.replay else int(recent.open_ms[-1])) // 60_000
    return synth_book(
        recent,
        INTERVAL_MS[interval] / 60_000,
        view.filters[symbol],
        depth,
        seed_key=f"{symbol}:{minute}",
        model=state.book,
    )


# ---- application --------------------------------------------------------------------------


def create_app(state: SimulatorState) -> FastAPI:
    app = FastAPI(title="BOTPY Binance simulator", docs_url=None, redoc_url=None)
    app.state.sim = state
    install_error_handlers(app)
    install_fault_middleware(app)
    if state.account is not None:
        add_private_routes(app, state, known_symbol, order_book)
    add_market_routes(app, state)
    add_fear_greed_route(app, state)
    add_admin_routes(app, state)
    return app


def add_fear_greed_route(app: FastAPI, state: SimulatorState) -> None:
    """alternative.me's `GET /fng/?limit=N` from the datadir's fear_greed.json: the days up to
    the replayed time (all on the static clock), newest first, shifted like the candles."""

    @app.get("/fng/")
    def fear_greed_index(request: Request) -> JSONResponse:
        if state.fear_greed is None:
            return JSONResponse({"name": "Fear and Greed Index", "data": [],
                                 "metadata": {"error": "no fear_greed.json in the datadir"}},
                                status_code=404)
        clock = state.view.clock
        limit = param_int(request, "limit", 1)
        until_s = clock.dataset_now_ms() // 1000 if clock.replay else None
        shift_s = clock.offset_ms // 1000 if clock.replay else 0
        rows = sorted((row for row in state.fear_greed
                       if until_s is None or int(row["timestamp"]) <= until_s),
                      key=lambda row: -int(row["timestamp"]))
        rows = [row | {"timestamp": str(int(row["timestamp"]) + shift_s)}
                for row in (rows[:limit] if limit else rows)]
        return JSONResponse({"name": "Fear and Greed Index", "data": rows,
                             "metadata": {"error": None}})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BinanceError)
    async def binance_error(request: Request, exc: BinanceError) -> JSONResponse:
        logger.warning("%s %s -> %d %s", request.url.path, dict(request.query_params), exc.code,
                       exc.msg)
        return JSONResponse({"code": exc.code, "msg": exc.msg}, status_code=exc.status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("Unexpected error answering %s", request.url.path)
        return JSONResponse(
            {"code": -1000, "msg": "An unknown error occurred while processing the request."},
            status_code=500,
        )


def install_fault_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def faults(request: Request, call_next):
        state: SimulatorState = request.app.state.sim
        if not request.url.path.startswith(("/api/", "/sapi/")):
            return await call_next(request)
        current = state.faults
        if current.latency_ms:
            await asyncio.sleep(current.latency_ms / 1000)
        draw = state.rng.random()
        if draw < current.error_rate:
            logger.info("fault: 503 for %s", request.url.path)
            return JSONResponse(
                {"code": -1001, "msg": "Internal error; unable to process your request. "
                 "Please try again."}, status_code=503)
        if draw < current.error_rate + current.rate_limit_rate:
            logger.info("fault: 429 for %s", request.url.path)
            return JSONResponse(
                {"code": -1003, "msg": "Too many requests; current limit of IP(127.0.0.1) is "
                 "6000 requests per minute."}, status_code=429, headers={"Retry-After": "1"})
        return await call_next(request)


def add_market_routes(app: FastAPI, state: SimulatorState) -> None:
    add_reference_routes(app, state)
    add_kline_routes(app, state)
    add_ticker_routes(app, state)
    add_book_routes(app, state)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    @app.api_route("/sapi/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    def not_served(rest: str) -> None:
        served = ("public market data and the account's order endpoints"
                  if state.account is not None else "public market data only")
        raise BinanceError(
            401, -2015, "Invalid API-key, IP, or permissions for action. "
            f"(the BOTPY simulator serves {served}, not '{rest}')"
        )


def add_reference_routes(app: FastAPI, state: SimulatorState) -> None:
    view = state.view

    @app.get("/api/v3/ping")
    def ping() -> dict:
        return {}

    @app.get("/api/v3/time")
    def server_time() -> dict:
        return {"serverTime": view.clock.now_ms()}

    @app.get("/api/v3/exchangeInfo")
    def exchange_information(request: Request) -> dict:
        infos = [
            symbol_info(s, view.pairs[s].base_asset, view.pairs[s].quote_asset, view.filters[s],
                        trading=view.trading(s))
            for s in param_symbols(state, request)
        ]
        return exchange_info(infos, view.clock.now_ms())


def add_kline_routes(app: FastAPI, state: SimulatorState) -> None:
    view = state.view

    @app.get("/api/v3/klines")
    @app.get("/api/v3/uiKlines")
    def klines(request: Request) -> list:
        symbol = param_symbol(state, request)
        interval = request.query_params.get("interval", "")
        if interval not in INTERVAL_MS or not view.pairs[symbol].serves(interval):
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = param_int(request, "limit", KLINES_DEFAULT)
        if not 1 <= limit <= KLINES_MAX:
            raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        start, end = param_int(request, "startTime"), param_int(request, "endTime")
        if start is not None and end is not None and start > end:
            raise BinanceError(400, -1023, "Start time is greater than end time.")
        candles = view.klines(symbol, interval)
        if state.faults.missing_candles and len(candles):
            keep = ~dropped_candles(symbol, candles.open_ms, state.faults.missing_candles)
            keep[-1] = True  # the newest candle is always answered
            candles = Candles(candles.open_ms[keep], candles.ohlcv[keep])
        return kline_rows(select_klines(candles, start, end, limit), interval)

    @app.get("/api/v3/avgPrice")
    def avg_price(request: Request) -> dict:
        symbol = param_symbol(state, request)
        recent = view.window(symbol, 5 * 60_000)
        return {"mins": 5, "price": fmt(recent.ohlcv[:, CLOSE].mean()),
                "closeTime": int(recent.open_ms[-1]) + 59_999}


def one_or_all(request: Request, rows: list[dict]) -> dict | list[dict]:
    """Binance answers an object for `symbol=` and a list otherwise."""
    if request.query_params.get("symbol"):
        if not rows:
            raise BinanceError(400, -1121, "Invalid symbol.")  # not trading yet in the replay
        return rows[0]
    return rows


def add_ticker_routes(app: FastAPI, state: SimulatorState) -> None:
    view = state.view

    @app.get("/api/v3/ticker/24hr")
    def ticker(request: Request):
        symbols = param_symbols(state, request)
        return one_or_all(request, [ticker_24h(state, s) for s in symbols if len(view.window(s))])

    @app.get("/api/v3/ticker/price")
    def ticker_price(request: Request):
        rows = []
        for s in param_symbols(state, request):
            if (last := view.last_candle(s)) is not None:
                rows.append({"symbol": s, "price": fmt(last[CLOSE])})
        return one_or_all(request, rows)

    @app.get("/api/v3/ticker/bookTicker")
    def book_ticker(request: Request):
        rows = []
        for s in param_symbols(state, request):
            if view.last_candle(s) is not None:
                book = order_book(state, s, 1)
                rows.append({"symbol": s, "bidPrice": fmt(book.bids[0, 0]),
                             "bidQty": fmt(book.bids[0, 1]), "askPrice": fmt(book.asks[0, 0]),
                             "askQty": fmt(book.asks[0, 1])})
        return one_or_all(request, rows)


def add_book_routes(app: FastAPI, state: SimulatorState) -> None:
    @app.get("/api/v3/depth")
    def depth(request: Request) -> dict:
        symbol = param_symbol(state, request)
        limit = param_int(request, "limit", 100)
        if limit not in DEPTH_LIMITS:
            limit = min((d for d in DEPTH_LIMITS if d >= limit), default=5000)
        book = order_book(state, symbol, limit)
        return {
            "lastUpdateId": state.view.clock.now_ms() // 100,
            "bids": [[fmt(p), fmt(q)] for p, q in book.bids],
            "asks": [[fmt(p), fmt(q)] for p, q in book.asks],
        }


def add_admin_routes(app: FastAPI, state: SimulatorState) -> None:
    @app.get("/_sim/status")
    def status() -> dict:
        clock = state.view.clock
        return {
            "clock": clock.name,
            "offset_ms": clock.offset_ms,
            "now_ms": clock.now_ms(),
            "dataset_now_ms": clock.dataset_now_ms(),
            "data_end_ms": state.view.data_end_ms(),
            "pairs": [state.view.pairs[s].pair for s in sorted(state.view.pairs)],
            "faults": state.faults.as_dict(),
        }

    @app.post("/_sim/faults")
    async def set_faults(request: Request) -> JSONResponse:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("send a JSON object such as {\"error_rate\": 0.2}")
            state.faults = state.faults.updated(changes)
        except ValueError as exc:  # includes JSONDecodeError
            logger.warning("Refused fault change: %s", exc)
            return JSONResponse({"error": str(exc)}, status_code=400)
        logger.info("Faults now %s", state.faults.as_dict())
        return JSONResponse(state.faults.as_dict())
