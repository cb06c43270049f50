"""BOTPY's library: indicators, setups, exits, guards, scanner and the offline Binance simulator."""

__version__ = "0.1.0"
