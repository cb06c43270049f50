"""The strategy's side of the guards: settings, sector map and Fear & Greed source loaded at
start-up (a bad value or file stops freqtrade there), and the entry facts gathered from
freqtrade's trades, wallets and data provider for `checks.first_refusal`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.persistence import Trade

from botpy_ext.guards import checks, cooldown, fear_greed, pnl, sector, settings
from botpy_ext.guards.refusal import ALL_PAIRS, Refusal

LIVE_MODES = (RunMode.DRY_RUN, RunMode.LIVE)
logger = logging.getLogger(__name__)


def timerange_days(timerange: str | None) -> tuple[date | None, date | None]:
    """The first and last UTC day of a backtest's `--timerange` (None where it is open)."""
    if not timerange:
        return None, None
    from freqtrade.configuration import TimeRange

    parsed = TimeRange.parse_timerange(timerange)
    start = parsed.startdt.date() if parsed.startdt else None
    stop = (parsed.stopdt - timedelta(microseconds=1)).date() if parsed.stopdt else None
    return start, stop


class GuardSources:
    def __init__(self, config: dict) -> None:
        self.settings = settings.load(config)
        self.live = RunMode(config.get("runmode", RunMode.OTHER)) in LIVE_MODES
        userdir = Path(config.get("user_data_dir", "user_data"))
        self.sectors: Mapping[str, str] = {}
        self.sector_map: Path = sector.DEFAULT_MAP
        self.feed: fear_greed.FearGreedFeed | None = None
        self.fear_greed_days: dict = {}  # backtests: day -> Fear & Greed reading
        # per guard, its last refusal for every pair, kept until its end
        self.latched: dict[str, Refusal] = {}
        self.last_now = datetime.min.replace(tzinfo=UTC)  # the last entry time asked about
        self.history = pnl.ClosedTrades(self.settings.losing_streak)
        # pair -> close date of the trade that started its cooldown (its latest loss, or with
        # losses_only off its latest trade)
        self.cooldown_starts: dict[str, datetime] = {}
        self.last_close: datetime | None = None  # close date of the last trade fed (as stored)
        self.fed_at_last_close: set[int] = set()  # ids of the trades fed that closed then
        try:
            if self.settings.sector.enabled:
                self.sector_map = sector.map_path(self.settings.sector.map_file,
                                                  userdir / "config")
                self.sectors = sector.load_map(self.sector_map)
            if self.settings.fear_greed.enabled and self.live:
                self.feed = fear_greed.FearGreedFeed(self.settings.fear_greed)
            elif self.settings.fear_greed.enabled:
                path = fear_greed.history_path(self.settings.fear_greed.history_file,
                                               config.get("datadir"), userdir)
                try:
                    self.fear_greed_days = fear_greed.history_or_download(
                        path, self.settings.fear_greed)
                except fear_greed.FearGreedError as exc:
                    looked = config.get("datadir")
                    raise fear_greed.FearGreedError(
                        f"{exc} (looked in the datadir {looked} first)" if looked and
                        not Path(self.settings.fear_greed.history_file).is_absolute()
                        else str(exc)) from None
                if warning := fear_greed.coverage_warning(
                        self.fear_greed_days, *timerange_days(config.get("timerange")), path):
                    logger.warning("%s", warning)
        except (sector.SectorMapError, fear_greed.FearGreedError) as exc:
            raise OperationalException(str(exc)) from None

    def unmapped_warning(self, whitelist: list[str]) -> str | None:
        """The whitelist's assets the sector map does not know (at the start: the whitelist
        freqtrade expanded from the config's patterns)."""
        if not self.settings.sector.enabled:
            return None
        return sector.unmapped_warning(whitelist, self.sectors, self.sector_map,
                                       self.settings.sector)

    def refresh(self, now: datetime) -> None:
        """Dry-run/live: fetch the Fear & Greed Index when it is due (`bot_loop_start`)."""
        if self.feed is not None:
            self.feed.refresh(now)

    def fear_greed(self, now: datetime) -> Refusal | None:
        if self.feed is not None:
            refusal = self.feed.check(now)
            return refusal and refusal._replace(until=self.feed.next_fetch)
        return fear_greed.check_history(self.fear_greed_days, now, self.settings.fear_greed)

    def first_refusal(self, pair: str, setup: str, now: datetime, order_value: float,
                      signal: Mapping[str, Any], last_close: Callable[[str], float | None],
                      starting_balance: float, dp,
                      guards: tuple[str, ...] = checks.ENTRY_GUARDS) -> Refusal | None:
        if guards == checks.ENTRY_GUARDS:
            # Entry checks come in time order within a backtest; a backtest asks about a
            # scale-in with its loop's time, a candle later than an entry's on the same loop,
            # so only the entries tell a new backtest (hyperopt epoch) in this process.
            if now < self.last_now:
                self.restart()  # time went back: a new backtest
            self.last_now = now
        self.feed_closed_trades()
        open_trades = Trade.get_trades_proxy(is_open=True)
        facts = checks.EntryFacts(
            pair=pair, setup=setup, now=now, order_value=order_value, signal=signal,
            open_pairs=[trade.pair for trade in open_trades], history=self.history,
            cooldown_start=self.cooldown_starts.get(pair),
            open_pnl=sum(trade.calc_profit(rate) for trade in open_trades
                         if (rate := last_close(trade.pair))),
            starting_balance=starting_balance,
        )
        book = ((lambda: dp.orderbook(pair, self.settings.liquidity.book_depth))
                if self.live else None)
        sources = checks.Sources(self.sectors, self.fear_greed, book)
        return self.latch(now, checks.first_refusal(facts, self.settings, sources, guards))

    def restart(self) -> None:
        self.latched = {}
        self.history = pnl.ClosedTrades(self.settings.losing_streak)
        self.cooldown_starts = {}
        self.last_close, self.fed_at_last_close = None, set()

    def feed_closed_trades(self) -> None:
        """Feed the trades closed since the last call to the history, each once."""
        since = self.last_close - timedelta(microseconds=1) if self.last_close else None
        fresh = [trade for trade in Trade.get_trades_proxy(is_open=False, close_date=since)
                 if not (trade.close_date == self.last_close
                         and trade.id in self.fed_at_last_close)]
        if not fresh:
            return
        self.history.add((trade.close_date_utc, trade.close_profit_abs or 0.0) for trade in fresh)
        self.cooldown_starts = cooldown.cooldown_starts(
            ((trade.pair, trade.close_date_utc, trade.close_profit_abs or 0.0) for trade in fresh),
            self.cooldown_starts, self.settings.pair_cooldown.losses_only)
        last = max(trade.close_date for trade in fresh)
        if last != self.last_close:
            self.last_close, self.fed_at_last_close = last, set()
        self.fed_at_last_close |= {trade.id for trade in fresh if trade.close_date == last}

    def latch(self, now: datetime, refusal: Refusal | None) -> Refusal | None:
        """A refusal for every pair holds until its end even if its cause fades (the daily loss
        limit stays tripped until 00:00 UTC when open trades recover). Live the lock in the
        database does the same across restarts. Each guard keeps its own: a losing streak's
        4-hour pause that comes after the day's limit must not end the day's refusal with it."""
        if refusal is not None and refusal.scope == ALL_PAIRS and refusal.until is not None:
            self.latched[refusal.guard] = refusal
        if refusal is not None:
            return refusal
        holding = [kept for kept in self.latched.values() if now < kept.until]
        return max(holding, key=lambda kept: kept.until) if holding else None
