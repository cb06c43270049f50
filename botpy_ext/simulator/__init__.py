"""Offline stand-in for Binance's public spot REST API, serving a freqtrade datadir."""
