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


def simulator_env(base_url: str) -> dict[str, str]:
    """freqtrade environment variables that point the configs' simulator addresses (exchange
    and Fear & Greed Index, `exchange-simulator.json`, `virtual.json`) at `base_url` instead;
    none for the default address. The environment wins over every config file."""
    if base_url == DEFAULT_BASE_URL:
        return {}
    urls = "FREQTRADE__EXCHANGE__CCXT_CONFIG__URLS__API__"  # ccxt keys keep their case
    return {f"{urls}public": f"{base_url}/api/v3", f"{urls}private": f"{base_url}/api/v3",
            f"{urls}sapi": f"{base_url}/sapi/v1",
            "FREQTRADE__BOTPY__GUARDS__FEAR_GREED__URL": f"{base_url}/fng/"}
