"""The freqtrade `exchange` settings that point ccxt's binance client at a simulator."""

from __future__ import annotations

DEFAULT_BASE_URL = "http://127.0.0.1:8765"


def simulator_exchange(base_url: str = DEFAULT_BASE_URL) -> dict:
    """`exchange` section for a simulator at `base_url` (REST only: the simulator has no
    websocket, and data must come from it rather than Binance's public archive)."""
    return {
        "name": "binance",
        "enable_ws": False,
        "only_from_ccxt": True,
        "ccxt_config": {
            "urls": {
                "api": {
                    "public": f"{base_url}/api/v3",
                    "private": f"{base_url}/api/v3",
                    "sapi": f"{base_url}/sapi/v1",
                }
            },
            "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
        },
    }
