"""The scanner as a freqtrade pairlist filter: fetch, scan with `scanner.state`, keep, report.

freqtrade loads it as `BotpyScannerPairList` (botpy_ext/freqtrade_plugins/pairlist/). It filters
the list of the handler before it (StaticPairList, VolumePairList, ...): every `refresh_period`
it fetches each pair's 1m/5m/15m/1h/4h candles (freqtrade's expiring candle cache: a timeframe
is fetched again only after its next candle), runs the strategy's analysis on them and keeps the
pairs whose setup fired or is qualified, or whose score reaches `min_score`, ranked. The analysis
runs with the strategy's parameter values: its parameter file over the config's
`botpy.parameters` over the defaults (`scanner.strategy_values`), read at start-up.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.exchange.exchange_types import Tickers
from freqtrade.mixins import LoggingMixin
from freqtrade.plugins.pairlist.IPairList import IPairList, SupportsBacktesting

from botpy_ext.guards.settings import build
from botpy_ext.scanner import settings as scanner_settings
from botpy_ext.scanner.settings import ScannerSettings
from botpy_ext.scanner.state import (
    TIMEFRAMES,
    ScanRow,
    document,
    kept,
    scan_pair,
    table,
    write_json,
)
from botpy_ext.scanner.strategy_values import (
    StrategyValues,
    search_paths,
    strategy_file,
    strategy_name,
    strategy_values,
)
from botpy_ext.setups.context import MARKET_4H, MARKET_PAIR, STARTUP_CANDLES

logger = logging.getLogger(__name__)


class ScannerPairList(IPairList):
    # The scan needs the latest candles of the live market: a backtest evaluates pairlists once,
    # at its start, so the result would mean nothing. Backtests use a static list; the
    # strategy's own scan_* columns replay the scanner candle by candle.
    supports_backtesting = SupportsBacktesting.NO

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        values = {key: value for key, value in self._pairlistconfig.items() if key != "method"}
        try:
            self.settings: ScannerSettings = build(
                ScannerSettings, values, f"pairlists[{self._pairlist_pos}]")
        except ValueError as exc:
            raise OperationalException(f"Invalid config: {exc} ({self.name})") from None
        self.refresh_period = self.settings.refresh_period
        LoggingMixin.__init__(self, logger, self.refresh_period)
        self.strategy = self.strategy_values()
        self.engine = self.strategy.engine
        self._candle_type = self._config.get("candle_type_def", "spot")
        self._rows: dict[str, ScanRow] = {}
        self._scanned: frozenset[str] = frozenset()
        self._scanned_at = 0.0

    @staticmethod
    def description() -> str:
        return ("BOTPY market scanner: keeps the pairs whose setup fired or is qualified, or "
                "whose score passes a threshold, ranked by score.")

    @staticmethod
    def available_parameters():
        return scanner_settings.available_parameters()

    def short_desc(self) -> str:
        return (f"{self.name} - BOTPY scanner: setups fired or qualified, or score >= "
                f"{self.settings.min_score:g}; best {self.settings.number_assets}.")

    def strategy_values(self) -> StrategyValues:
        """The engine settings of the strategy the bot runs; without its file, the config's."""
        name = strategy_name(self._config)
        found = strategy_file(self._config)
        if found is None:
            folders = ", ".join(str(folder) for folder in search_paths(self._config))
            logger.warning(f"{self.name}: no file defines the strategy {name} in {folders}: no "
                           "parameter file read. Set `strategy_path` (or --strategy-path) to "
                           "the strategy's folder.")
        values = strategy_values(self._config, None if found is None else found.with_suffix(
            ".json"))
        logger.info(f"{self.name}: entry engine settings of {name}: {values.describe()}")
        return values

    @property
    def json_path(self) -> Path | None:
        """Where the scan is written; None when not. A `freqtrade webserver` (FreqUI's Pairlist
        Config page evaluating a list) shares the bot's user directory: its trial scans would
        replace the running bot's file, which the dashboard reads."""
        if not self.settings.json_path or self._config.get("runmode") == RunMode.WEBSERVER:
            return None
        return Path(self._config["user_data_dir"]) / self.settings.json_path

    def filter_pairlist(self, pairlist: list[str], tickers: Tickers) -> list[str]:
        if self.due(pairlist):
            self.scan(pairlist)
        rows = [self._rows[pair] for pair in pairlist if pair in self._rows]
        return kept(rows, self.settings.min_score, self.settings.number_assets)

    def due(self, pairlist: list[str]) -> bool:
        expired = time.monotonic() - self._scanned_at >= self.refresh_period
        # the same pairs in another order (a ShuffleFilter before it) are no reason to rescan
        return expired or frozenset(pairlist) != self._scanned

    def scan(self, pairlist: list[str]) -> None:
        market = (MARKET_PAIR, "4h", self._candle_type)
        wanted = [(pair, tf, self._candle_type) for pair in pairlist for tf in TIMEFRAMES]
        candles = self._exchange.refresh_ohlcv_with_cache([*wanted, market],
                                                          lookback_period=STARTUP_CANDLES)
        rows = {}
        for pair in pairlist:
            by_timeframe = {tf: candles.get((pair, tf, self._candle_type)) for tf in TIMEFRAMES}
            by_timeframe[MARKET_4H] = candles.get(market)
            row = scan_pair(pair, by_timeframe, self.engine)
            if row is None:
                self.log_once(f"Removed {pair} from whitelist: no candles of every timeframe "
                              f"({', '.join(TIMEFRAMES)}).", logger.info)
                continue
            rows[pair] = row
        self._rows, self._scanned, self._scanned_at = rows, frozenset(pairlist), time.monotonic()
        self.report(list(rows.values()))

    def report(self, rows: list[ScanRow]) -> None:
        whitelist = kept(rows, self.settings.min_score, self.settings.number_assets)
        if self.settings.log_table:
            logger.info(f"{self.name}: {len(rows)} pairs scanned, {len(whitelist)} kept "
                        f"(engine settings: {self.strategy.source})\n{table(rows, whitelist)}")
        if self.json_path is not None:
            write_json(self.json_path, document(
                rows, whitelist, scanned_at=datetime.now(UTC),
                refresh_period=self.refresh_period, min_score=self.settings.min_score,
                number_assets=self.settings.number_assets,
                parameters={"source": self.strategy.source, "changed": self.strategy.changed}))
