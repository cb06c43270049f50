"""Binance spot `exchangeInfo`: symbols with PRICE_FILTER, LOT_SIZE and NOTIONAL filters.

Tick and lot sizes follow from each pair's median price the way Binance sets them in
practice: about five significant digits of price, and a lot step worth about 1/10 to 1 USDT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_NOTIONAL = 5.0  # USDT, Binance's spot minimum order value
MAX_NOTIONAL = 9_000_000.0


def tick_size(price: float) -> float:
    """Price step: five significant digits of `price`, clamped to [1e-8, 0.01]."""
    return min(max(10.0 ** (math.floor(math.log10(price)) - 4), 1e-8), 0.01)


def lot_step(price: float) -> float:
    """Quantity step: a tenth of the quantity worth the minimum notional, as a power of 10."""
    return min(max(10.0 ** (math.floor(math.log10(MIN_NOTIONAL / price)) - 1), 1e-8), 1.0)


def max_quantity(price: float) -> float:
    """Largest order quantity (LOT_SIZE maxQty): 9,000,000, or the power of ten worth at least
    MAX_NOTIONAL at `price` for cheaper coins (a fixed quantity would cap the stake of a coin at
    1e-5 USDT at 90 USDT)."""
    return max(10.0 ** math.ceil(math.log10(MAX_NOTIONAL / price)), 9_000_000.0)


@dataclass(frozen=True)
class SymbolFilters:
    tick: float
    step: float
    max_qty: float = 9_000_000.0

    @classmethod
    def for_price(cls, price: float) -> SymbolFilters:
        return cls(tick_size(price), lot_step(price), max_quantity(price))


def fmt(value: float) -> str:
    """Binance writes decimals as strings with 8 places."""
    return f"{value:.8f}"


def precision(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def symbol_info(
    symbol: str, base: str, quote: str, filters: SymbolFilters, trading: bool = True
) -> dict:
    price_decimals = precision(filters.tick)
    return {
        "symbol": symbol,
        "status": "TRADING" if trading else "BREAK",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(filters.tick),
                "maxPrice": fmt(10.0 ** (7 - max(price_decimals - 2, 0))),
                "tickSize": fmt(filters.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(filters.step),
                "maxQty": fmt(filters.max_qty),
                "stepSize": fmt(filters.step),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": fmt(filters.max_qty),
                "stepSize": "0.00000000",
            },
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10,
             "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10,
             "maxTrailingBelowDelta": 2000},
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt(MIN_NOTIONAL),
                "applyMinToMarket": True,
                "maxNotional": fmt(MAX_NOTIONAL),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def exchange_info(symbols: list[dict], server_time_ms: int) -> dict:
    return {
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5,
             "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": symbols,
    }
