"""BOTPY for freqtrade: Precision 🎯, Momentum 🔥 and Ignition 🚀 on 1m, long only, USDT spot.

Glue only: the rules live in `botpy_ext` (pure functions), the parameters in the settings
dataclasses of `botpy_ext.setups.settings` and `botpy_ext.exits.settings` (declared once,
installed here as freqtrade parameters).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
from datetime import datetime, timedelta
from pathlib import Path

from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.optimize.hyperopt_tools import HyperoptTools
from freqtrade.persistence import Order, PairLocks, Trade
from freqtrade.strategy import IStrategy, stoploss_from_absolute
from pandas import DataFrame

from botpy_ext import parameters
from botpy_ext.evaluation.control import control_draw, random_entries
from botpy_ext.exits import sizing
from botpy_ext.exits.candles import CandleArrays
from botpy_ext.exits.journal import FactsJournal
from botpy_ext.exits.settings import PROFILE_SETTINGS, TradeSettings
from botpy_ext.exits.stops import (
    TradeFacts,
    current_stop,
    exit_atr,
    freeze,
    parse_tag,
    stop_distance,
    take_profit_price,
)
from botpy_ext.guards.checks import ENTRY_GUARDS, SCALE_IN_GUARDS
from botpy_ext.guards.columns import COLUMNS as GUARD_COLUMNS
from botpy_ext.guards.columns import guard_columns
from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import GUARD_SETTINGS, REFUSALS_KEY, TRADE_FACTS_KEY
from botpy_ext.guards.settings import SECTION as BOTPY_SECTION
from botpy_ext.guards.sources import GuardSources
from botpy_ext.guards.tally import RefusalTally
from botpy_ext.scanner.plot import PLOT_CONFIG
from botpy_ext.scanner.strategy_values import STRATEGY_GROUPS
from botpy_ext.setups.context import (
    INFORMATIVE_TIMEFRAMES,
    MARKET_4H,
    MARKET_PAIR,
    STARTUP_CANDLES,
    trend_settled_at,
)
from botpy_ext.setups.engine import EngineSettings, analyse
from botpy_ext.setups.settings import SETTINGS_GROUPS

FACTS = "botpy_facts"  # custom data: the frozen TradeFacts
STAGE = "botpy_stop_stage"  # custom data: the stage of the stop in place
SCALE_DECIDED = "botpy_scale_decided"  # custom data: the scale-in window has passed
HIGH = "botpy_high"  # custom data: the highest closed high since the entry (dry-run/live)
STOP_EXITS = {"stop_loss", "stoploss_on_exchange", "trailing_stop_loss"}
ONE_MINUTE = timedelta(minutes=1)
# read from the last closed candle
CALLBACK_COLUMNS = ("close", "atr_15m", "atr_day_median_15m", *GUARD_COLUMNS)
logger = logging.getLogger(__name__)
PARAMETER_GROUPS = STRATEGY_GROUPS  # one declaration, shared with the scanner
# the callbacks `switch_idle_callbacks` turns on and off in backtests; a config may switch them off
SWITCHED_CALLBACKS = ("position_adjustment_enable", "use_custom_roi", "use_custom_stoploss")


def checked_parameter_file(params: dict, strategy: IStrategy, name: str) -> dict:
    """A parameter file's values, refused at start-up with the key when one is not of its
    parameter's type or range; the file is `name`'s (the strategy's own, or BotpyStrategy's for
    the control, which reads it)."""
    if params:
        where = Path(getattr(strategy, "__file__", f"{name}.py")).with_suffix(".json")
        parameters.from_parameter_file(params, name, PARAMETER_GROUPS, str(where))
    return params


def roi_table(table: dict) -> dict[int, float]:
    return {int(minutes): float(roi) for minutes, roi in table.items()}


def override_warnings(running: IStrategy, trade: TradeSettings) -> list[str]:
    """What freqtrade settings of a config (or of hyperopt's parameter file: `roi`, `stoploss`,
    `trailing` spaces) change in BotpyStrategy's exits, said once at start: freqtrade applies
    them, as for every strategy, but they bypass the R ladder."""
    lines = []
    if roi_table(running.minimal_roi) != roi_table(type(running).minimal_roi):
        lines.append(f"minimal_roi {roi_table(running.minimal_roi)} (config or parameter file) "
                     "also closes trades, besides the R ladder (exit reason roi; "
                     "BotpyStrategy's own never fires)")
    if -running.stoploss < trade.max_stop:
        lines.append(f"stoploss {running.stoploss} (config or parameter file) is tighter than "
                     f"the widest initial stop (trade_max_stop {trade.max_stop}): it cuts "
                     "trades before their R stop")
    if running.trailing_stop:
        lines.append("trailing_stop (config or parameter file) moves the stop besides the R "
                     "ladder")
    if not running.use_custom_stoploss:
        lines.append("the config's use_custom_stoploss false switches the R ladder off: the "
                     f"static stoploss {running.stoploss} is the only stop")
    if not running.position_adjustment_enable:
        lines.append("the config's position_adjustment_enable false switches scaling in off: "
                     "trades keep their first order (trade_initial_fraction of the position)")
    return lines


class BotpyStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = False
    process_only_new_candles = True
    # every timeframe settled (see STARTUP_CANDLES); live needs one candle call per timeframe
    startup_candle_count = STARTUP_CANDLES
    # Exits are managed per trade (custom_stoploss, custom_roi). The static stop is only the
    # last-resort net behind the widest initial stop (trade_max_stop, 9 %); ROI never fires.
    stoploss = -0.10
    # order_types stay freqtrade's defaults (limit), so a config written by `freqtrade
    # new-config` (price_side "same") runs as it is. The project's configs (base.json) switch to
    # market orders at the other side of the book: filled at once live, as a backtest assumes;
    # a limit order at the bid can miss a breakout (measured with `botpy parity`, docs/parity.md).
    use_custom_stoploss = True
    use_custom_roi = True
    minimal_roi = {"0": 100.0}
    use_exit_signal = False
    position_adjustment_enable = True
    max_entry_position_adjustment = 1
    plot_config = PLOT_CONFIG
    # Backtesting only: switch position adjustment, custom ROI and the custom stop off while no
    # open trade can use them (see `switch_idle_callbacks`). The same trades, fewer deep copies;
    # False runs every callback on every candle, as dry-run and live do.
    skip_idle_callbacks = True

    def __init__(self, config: dict) -> None:
        timeframe = config.get("timeframe", self.timeframe)
        if timeframe != "1m":
            raise OperationalException(
                f"BotpyStrategy runs on 1m candles and reads its 5m, 15m, 1h and 4h candles "
                f"itself; the config (or --timeframe) sets timeframe {timeframe!r}: remove it")
        super().__init__(config)
        parameters.check_hyperopt(config)
        # the config's `botpy.parameters` (e.g. user_data/config/spec-literal.json): applied by
        # freqtrade over the defaults, a parameter file over them
        values = parameters.from_config(config, PARAMETER_GROUPS)
        self.buy_params, self.sell_params = values["buy"], values["sell"]
        from_file = {name: value for space in ("buy", "sell")
                     if isinstance(given := self._ft_params_from_file.get(space), dict)
                     for name, value in given.items()}
        if ignored := parameters.overridden_by_file({**values["buy"], **values["sell"]},
                                                    from_file):
            where = Path(getattr(self, "__file__", "BotpyStrategy.py")).with_suffix(".json")
            logger.warning("The parameter file %s overrides the config's %s: %s.", where,
                           "; ".join(ignored), parameters.FILE_OVERRIDES)
        # Per-trade memory of the custom data this strategy reads on every candle. The database
        # (custom data) stays the record: after a restart the memory is refilled from it.
        # freqtrade's in-memory custom data of backtesting is a list scanned on every read.
        self._memory: dict[tuple, dict] = {}
        self._candles: dict[str, CandleArrays] = {}  # per pair, for the stop ladder
        self._unsettled_said: set[str] = set()  # pairs told their 4h trend is not settled
        self._exchange_stops_seen = None  # close date of the last closed trade looked at
        self._settings: dict[str, object] = {}  # per bot loop, see `settings`
        self._callbacks_on = {name: bool(getattr(self, name)) for name in SWITCHED_CALLBACKS}
        # Dry-run/live keep trade memory in the database (custom data, survives restarts);
        # backtests in `_memory` only: freqtrade's backtest custom data is a list scanned on
        # every read and write, and nothing reads it after the run.
        self._persist = config.get("runmode") in (RunMode.DRY_RUN, RunMode.LIVE)
        # capital guards: the config's `botpy.guards` section, refused at start-up if invalid
        self.guards = GuardSources(config)
        # `botpy evaluate` reads each backtest trade's frozen facts (its R) from this journal:
        # freqtrade's backtest export has no custom data
        journal = config.get(BOTPY_SECTION, {}).get(TRADE_FACTS_KEY)
        self._facts_journal = FactsJournal(Path(journal)) if (
            journal and config.get("runmode") == RunMode.BACKTEST) else None
        self._backtest = config.get("runmode") in (RunMode.BACKTEST, RunMode.HYPEROPT)
        self._skip_idle = self.skip_idle_callbacks and self._backtest
        # Dry-run/live: `custom_exit` takes a take-profit that a candle's high reached between
        # two loops of the bot (freqtrade calls it only with exit signals on; there are none)
        if self._persist:
            self.use_exit_signal = True
        # Backtests: the guards' refusals are counted and summed up once at the end (each one is
        # a DEBUG line); dry-run/live log each one, message it and lock the pair.
        self.refusals = RefusalTally()
        if config.get("runmode") == RunMode.BACKTEST:
            summary_file = config.get(BOTPY_SECTION, {}).get(REFUSALS_KEY)
            atexit.register(self.summarise_refusals, Path(summary_file) if summary_file else None)

    def bot_start(self, **kwargs) -> None:
        self.engine_settings()  # refuse out-of-range parameter values at start-up
        self.trade_settings()
        for name in PROFILE_SETTINGS:
            self.profile_exits(name)
        # the callbacks a config may switch off (freqtrade's overrides, applied by now): off
        # stays off; on, a backtest still skips them while no open trade can use them
        self._callbacks_on = {name: bool(getattr(self, name)) for name in SWITCHED_CALLBACKS}
        for line in override_warnings(self, self.trade_settings()):
            logger.warning("%s", line)
        if self._persist:
            self.release_locks_of_guards_off()
        if warning := self.guards.unmapped_warning(self.start_whitelist()):
            logger.warning("%s", warning)
        # freqtrade loads a parameter file after bot_start: read the values again from there
        self._settings.clear()

    def start_whitelist(self) -> list[str]:
        """The whitelist at the start, [] where there is none yet (a live pairlist's first
        refresh comes after `bot_start`)."""
        dp = getattr(self, "dp", None)  # a strategy built outside a bot (the scanner) has none
        try:
            return list(dp.current_whitelist()) if dp else []
        except OperationalException:
            return []

    def release_locks_of_guards_off(self) -> None:
        """Dry-run/live: a guard switched off in the config releases the locks it set before
        the restart (they would keep refusing entries until their end)."""
        off = {name for name in GUARD_SETTINGS if not getattr(self.guards.settings, name).enabled}
        for reason in sorted({lock.reason for lock in PairLocks.get_pair_locks(None)
                              if lock.reason and lock.reason.split(":")[0] in off}):
            logger.info("Releasing the locks of %s, switched off: %s", reason.split(":")[0],
                        reason)
            PairLocks.unlock_reason(reason)

    def engine_settings(self) -> EngineSettings:
        """Read afresh on every analysis, not per bot loop: hyperopt (--analyze-per-epoch) sets
        new values between epochs without a bot loop in between."""
        return EngineSettings(**{
            group: parameters.current(self, group, settings)
            for group, settings in SETTINGS_GROUPS.items()
        })

    def trade_settings(self) -> TradeSettings:
        return self.settings("trade", lambda: parameters.current(self, "trade", TradeSettings))

    def profile_exits(self, profile: str):
        name = profile if profile in PROFILE_SETTINGS else "sniper"  # ignition: stop unused
        return self.settings(name, lambda: parameters.current(self, name, PROFILE_SETTINGS[name]))

    def settings(self, name: str, build):
        """Settings read once per bot loop (per candle in a backtest): callbacks ask for them for
        every open trade, and hyperopt changes them only between epochs."""
        if name not in self._settings:
            self._settings[name] = build()
        return self._settings[name]

    def load_params_from_file(self) -> dict:
        """freqtrade's loader, then every value checked for its type and range, as the config's
        are: freqtrade would set 20.5 into an integer parameter, or "70" into a number."""
        return checked_parameter_file(super().load_params_from_file(), self, type(self).__name__)

    # ---- signals --------------------------------------------------------------------------

    def informative_pairs(self) -> list[tuple[str, str]]:
        pairs = self.dp.current_whitelist()
        return [(pair, tf) for pair in pairs for tf in INFORMATIVE_TIMEFRAMES] + [
            (MARKET_PAIR, self.timeframe), (MARKET_PAIR, "4h")]

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        informative = {
            tf: self.dp.get_pair_dataframe(metadata["pair"], tf) for tf in INFORMATIVE_TIMEFRAMES
        }
        settings = self.engine_settings()
        if settings.trend.uses_market:
            informative[MARKET_4H] = self.dp.get_pair_dataframe(MARKET_PAIR, "4h")
        missing = [name for name, frame in informative.items() if frame.empty]
        if missing:
            # the exchange did not deliver them (errors, a gap): no signal rather than a guess
            logger.warning("%s: no %s candles: no entry signal on %s", metadata["pair"],
                           ", ".join(missing),
                           "this candle" if self.dp.runmode in (RunMode.DRY_RUN, RunMode.LIVE)
                           else "any candle of this run")
            return dataframe.assign(entry_tag="")
        if self.dp.runmode in (RunMode.BACKTEST, RunMode.HYPEROPT):
            self.warn_unsettled_trend(metadata["pair"], dataframe, informative, settings)
        analysed = analyse(dataframe, informative, settings)
        btc = self.dp.get_pair_dataframe(MARKET_PAIR, self.timeframe)
        # no BTC candles: the breaker's columns say so and its check refuses the entry
        analysed = guard_columns(analysed, informative["1h"], None if btc.empty else btc,
                                 self.guards.settings)
        self._candles[metadata["pair"]] = CandleArrays.of(analysed, CALLBACK_COLUMNS)
        return analysed

    def warn_unsettled_trend(self, pair: str, dataframe: DataFrame, informative: dict,
                             settings: EngineSettings) -> None:
        """A backtest on a short download: freqtrade warns when the 1m candles do not cover the
        start-up, not when the 4h candles are too few for the EMA, which silently allows no
        entry for days. Said once per pair: a warning for the first, then a line each."""
        frames = [informative["4h"]] + ([informative[MARKET_4H]] if MARKET_4H in informative
                                       else [])
        settled = [trend_settled_at(frame, settings.trend) for frame in frames]
        start = dataframe["date"].iloc[0] + timedelta(minutes=self.startup_candle_count)
        first_entry = None if None in settled else max(settled)
        if pair in self._unsettled_said or (first_entry is not None and first_entry <= start):
            return
        self._unsettled_said.add(pair)
        days = None if first_entry is None else (first_entry - start).total_seconds() / 86400
        when = ("in the whole backtest" if first_entry is None else
                f"before {first_entry:%Y-%m-%d %H:%M} ({days:.1f} days into the backtest)")
        if len(self._unsettled_said) > 1:
            logger.info("%s: no entry %s: the 4h trend is not settled", pair, when)
            return
        period = settings.trend.ema_period
        logger.warning(
            "%s: no entry %s: the 4h trend filter (EMA%d of 4h closes) needs %d 4h candles "
            "(%.1f days) of history, and the 4h candles start %s. Download more history before "
            "your timerange (freqtrade download-data --prepend, or an earlier --timerange); "
            "the next pairs with the same gap get one line each", pair, when, period, period,
            period / 6, f"{informative['4h']['date'].iloc[0]:%Y-%m-%d %H:%M}")

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        signal = dataframe["entry_tag"] != ""
        dataframe.loc[signal, "enter_long"] = 1
        dataframe.loc[signal, "enter_tag"] = dataframe.loc[signal, "entry_tag"]
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe

    # ---- capital guards -------------------------------------------------------------------

    def bot_loop_start(self, current_time: datetime, **kwargs) -> None:
        self._settings.clear()
        self.guards.refresh(current_time)
        if self._persist and self.config.get("order_types", {}).get("stoploss_on_exchange"):
            self.name_exchange_stop_exits()
        if self._backtest and self._callbacks_on["use_custom_stoploss"]:
            for trade in Trade.get_open_trades():
                self.place_ladder_at_open(trade, current_time)
        if self._skip_idle:
            self.switch_idle_callbacks(Trade.get_open_trades(), current_time)

    def place_ladder_at_open(self, trade: Trade, now: datetime) -> None:
        """Backtests: freqtrade calls `custom_stoploss` on a candle only while the trade's stop
        is below the candle's low (`dir_correct` in `ft_stoploss_adjust`). On a candle that falls
        through the stop in place, the ladder's level from the candles closed before it is then
        never placed, and the trade leaves at the older, lower stop; a bot places that level at
        its first loop of the candle and leaves there. Here, at the candle's open, the ladder's
        stop is placed as freqtrade places it (the ratio at the candle's high), before
        freqtrade checks the candle's low against it."""
        candles = self._candles.get(trade.pair)
        bar = candles.high_low_at(now) if candles is not None else None
        if bar is None or trade.stop_loss < bar[1] or self.facts(trade) is None:
            return  # no candle, or freqtrade places the stop itself
        high = bar[0]
        ratio = self.custom_stoploss(trade.pair, trade, now, high, trade.calc_profit_ratio(high),
                                     False)
        if ratio is not None:
            trade.adjust_stop_loss(high, ratio)

    def name_exchange_stop_exits(self) -> None:
        """Live with `stoploss_on_exchange`: freqtrade names the exit of a filled exchange stop
        `stoploss_on_exchange` after `order_filled` ran, so the stage's name (`initial_stop`,
        `breakeven_stop`, `atr_trail`, …) is given here, at the next loop. (Its exit message has
        gone out with freqtrade's name.)"""
        named = False
        for trade in Trade.get_trades_proxy(is_open=False, close_date=self._exchange_stops_seen):
            stage = trade.get_custom_data(STAGE)
            if trade.exit_reason == "stoploss_on_exchange" and stage:
                trade.exit_reason, named = stage, True
            if trade.close_date and (self._exchange_stops_seen is None
                                     or trade.close_date > self._exchange_stops_seen):
                self._exchange_stops_seen = trade.close_date
        if named:
            Trade.commit()

    def switch_idle_callbacks(self, open_trades: list[Trade], now: datetime) -> None:
        """Turn position adjustment, custom ROI and the custom stop on only while an open trade
        can use them.

        freqtrade deep-copies the trade (with its orders) for every callback, for every open
        trade on every candle: a backtest of long trades spends most of its time copying. Only
        a trade that has not had its scale-in look can scale in, only a trade with a
        take-profit can reach it, and the ladder's stop only moves when a trade's highest
        closed high moved since the stop was last placed; a trade not yet frozen counts as all
        three. Called at the start of each candle; an entry fill during the candle switches
        custom ROI and the stop on at once (the stop is placed right after the fill, the entry
        candle can reach the target), the scale-in look comes on the next candle anyway.
        """
        on = self._callbacks_on
        self.position_adjustment_enable = on["position_adjustment_enable"] and any(
            self.awaits_scale_in(t) for t in open_trades)
        self.use_custom_roi = on["use_custom_roi"] and any(
            self.has_take_profit(t) for t in open_trades)
        self.use_custom_stoploss = on["use_custom_stoploss"] and any(
            self.ladder_may_move(t, now) for t in open_trades)

    def awaits_scale_in(self, trade: Trade) -> bool:
        facts = self.facts(trade)
        return (trade.nr_of_successful_entries <= 1 and not self.remembered(trade, SCALE_DECIDED)
                and (facts is None or sizing.scales_in(facts.setup, self.trade_settings())))

    def has_take_profit(self, trade: Trade) -> bool:
        facts = self.facts(trade)
        if facts is None:
            return True
        return take_profit_price(facts, self.profile_exits(facts.profile)) is not None

    def ladder_may_move(self, trade: Trade, now: datetime) -> bool:
        """The stop may move: a new closed high, or a stop resting below the ladder's level,
        which follows the price (the opens) up to it as a live bot's does."""
        memory = self.memory(trade)
        placed = memory.get("placed_high")  # see custom_stoploss
        return (placed is None or memory.get("short_of_ladder")
                or self.closed_high(trade, now) != placed)

    def confirm_trade_entry(self, pair: str, order_type: str, amount: float, rate: float,
                            time_in_force: str, current_time: datetime, entry_tag: str | None,
                            side: str, **kwargs) -> bool:
        return self.guards_allow(pair, parse_tag(entry_tag)[0], amount * rate, current_time)

    def guards_allow(self, pair: str, setup: str, order_value: float, current_time: datetime,
                     guards: tuple[str, ...] = ENTRY_GUARDS, order: str = "Entry") -> bool:
        """The guards before an order that adds to the account's risk; a refusal is reported.
        A guard that fails (an error in its data or code) refuses: freqtrade would let the
        order through on an exception in `confirm_trade_entry`."""
        signal = self.last_closed(pair, current_time)
        try:
            refusal = not_analysed(pair) if signal is None else self.guards.first_refusal(
                pair, setup, current_time, order_value, signal,
                lambda other: (self.last_closed(other, current_time) or {}).get("close"),
                self.wallets.get_starting_balance(), self.dp, guards)
        except Exception as exc:  # noqa: BLE001 - refuse rather than trade unguarded
            logger.exception("%s: a guard check failed", pair)
            refusal = Refusal("guards", f"{pair}: a guard check failed ({exc!r}): no order",
                              None, pair)
        if refusal is not None:
            self.report(pair, refusal, current_time, order)
        return refusal is None

    def last_closed(self, pair: str, current_time: datetime) -> dict | None:
        """`CALLBACK_COLUMNS` of the pair's last closed candle at `current_time`."""
        candles = self._candles.get(pair)
        return candles.closed_before(current_time) if candles else None

    def report(self, pair: str, refusal: Refusal, current_time: datetime,
               order: str = "Entry") -> None:
        """Dry-run/live: log a refused entry, send a strategy message, lock. Backtests: count it
        for the summary at the end, one DEBUG line."""
        live = self.dp.runmode in (RunMode.DRY_RUN, RunMode.LIVE)
        logger.log(logging.INFO if live else logging.DEBUG, "%s refused for %s at %s by %s",
                   order, pair, f"{current_time:%Y-%m-%d %H:%M}", refusal.text())
        if not live:
            self.refusals.record(refusal, current_time)
            return
        # as inline code: Telegram parses strategy messages as Markdown, where the "_" of a
        # guard's name opens an italic that never closes, and the message is refused
        self.dp.send_msg(f"\U0001f6e1 BOTPY guard `{refusal.text().replace('`', chr(39))}`")
        until = refusal.until or current_time.replace(second=0, microsecond=0) + ONE_MINUTE
        # freqtrade rounds a lock's end up to the next candle, one already on a boundary too:
        # a microsecond before it, the lock ends at `until`, and the next candle is checked again
        self.lock_pair(refusal.scope, until - timedelta(microseconds=1), reason=refusal.text())

    def summarise_refusals(self, summary_file: Path | None) -> None:
        """At the end of a backtest (freqtrade has no callback for it: at exit): one INFO line
        per guard, and the counts as JSON to `botpy.refusal_summary_file` when set. Nothing
        when no pair was analysed: the backtest stopped before it ran (a refused setting)."""
        if not self._candles:
            return
        for line in self.refusals.summary(type(self).__name__):
            logger.info("%s", line)
        if summary_file is not None:
            summary_file.write_text(json.dumps(self.refusals.as_dict(), indent=1))

    # ---- sizing and scaling in ------------------------------------------------------------

    def signal_atr(self, candle: dict) -> float:
        """ATR14(15m) on an analysed candle (with `trade_atr_day_floor`, at least its median
        over the last 24 h)."""
        return exit_atr(candle["atr_15m"], candle["atr_day_median_15m"],
                        self.trade_settings().atr_day_floor)

    def custom_stake_amount(self, pair: str, current_time: datetime, current_rate: float,
                            proposed_stake: float, min_stake: float | None, max_stake: float,
                            leverage: float, entry_tag: str | None, side: str,
                            **kwargs) -> float:
        setup, profile = parse_tag(entry_tag)
        trade = self.trade_settings()
        candle = self.last_closed(pair, current_time)
        if candle is None:
            self.report(pair, not_analysed(pair), current_time)
            return 0.0
        atr = self.signal_atr(candle)
        distance = stop_distance(setup, atr, current_rate, self.profile_exits(profile), trade)
        cap = self.config.get("stake_amount")  # a number caps the whole position
        full = sizing.full_position(self.wallets.get_total_stake_amount(), distance, trade,
                                    cap if isinstance(cap, int | float) else None,
                                    self.expected_fee(pair))
        first = sizing.first_order(full, setup, trade)
        if min_stake and 0 < first < min_stake:
            self.report(pair, Refusal(
                "sizing", f"first order {first:.2f} below the exchange's minimum stake "
                f"{min_stake:.2f} (the risk-based size: a larger wallet or "
                "trade_risk_per_trade)", None, pair), current_time)
        return sizing.first_stake(full, setup, trade, min_stake, max_stake)

    def expected_fee(self, pair: str) -> float:
        """The fee of one side: a config's `fee` (backtesting's --fee), else the market's taker
        fee as the exchange lists it."""
        fee = self.config.get("fee")
        if fee is None and getattr(self, "dp", None) is not None:
            try:
                fee = (self.dp.market(pair) or {}).get("taker")
            except OperationalException:  # no exchange (a strategy loaded without one)
                fee = None
        return float(fee or 0.0)

    def adjust_trade_position(self, trade: Trade, current_time: datetime, current_rate: float,
                              current_profit: float, min_stake: float | None, max_stake: float,
                              **kwargs) -> float | None | tuple[float | None, str | None]:
        facts = self.facts(trade)
        if (facts is None or trade.nr_of_successful_entries != 1 or trade.has_open_orders
                or self.remembered(trade, SCALE_DECIDED)
                or not sizing.scales_in(facts.setup, self.trade_settings())):
            return None
        df, _ = self.dp.get_analyzed_dataframe(trade.pair, self.timeframe)
        entry_candle = trade.open_date_utc.replace(second=0, microsecond=0)
        last = df.iloc[-1]
        if last["date"] < entry_candle:
            return None  # the entry candle has not closed yet
        self.remember(trade, SCALE_DECIDED, True)  # one look, right after the entry candle
        if last["date"] > entry_candle or not sizing.confirms(last["open"], last["close"]):
            return None
        if current_rate <= self.ladder_stop(trade.pair, trade, facts, current_time).price:
            return None  # the ladder is closing this trade: never add to it
        rest = min(sizing.scale_in_stake(facts.full_stake, trade.stake_amount, trade.open_rate,
                                         current_rate, facts.initial_stop,
                                         self.expected_fee(trade.pair)), max_stake)
        if rest <= 0 or rest < (min_stake or 0):
            return None
        if not self.guards_allow(trade.pair, facts.setup, rest, current_time, SCALE_IN_GUARDS,
                                 "Scale-in"):
            return None  # one look: the trade stays at its first order
        return rest, "scale_in"

    # ---- frozen facts, stops, take-profit, exit reasons -----------------------------------

    def memory(self, trade: Trade) -> dict:
        return self._memory.setdefault((trade.id, trade.pair, trade.open_date_utc), {})

    def remembered(self, trade: Trade, key: str):
        memory = self.memory(trade)
        if key not in memory:
            memory[key] = trade.get_custom_data(key) if self._persist else None
        return memory[key]

    def remember(self, trade: Trade, key: str, value) -> None:
        """Write through to custom data (dry-run/live: the database) and this memory."""
        if self._persist:
            trade.set_custom_data(key, value)
        self.memory(trade)[key] = value

    def facts(self, trade: Trade) -> TradeFacts | None:
        """The trade's frozen facts; frozen now if its entry filled and they are not yet."""
        memory = self.memory(trade)
        if memory.get("facts") is None:
            stored = self.remembered(trade, FACTS)
            memory["facts"] = TradeFacts.from_dict(stored) if stored else (
                self.freeze_facts(trade) if trade.nr_of_successful_entries else None)
        return memory["facts"]

    def freeze_facts(self, trade: Trade) -> TradeFacts | None:
        """Entry, ATR, initial stop and R from the candle the setup fired on, fixed at the first
        fill. A fill before the pair's first analysis (a live bot's start-up finds an order
        that filled while it was down) is frozen at the first callback after it, from the
        signal candle if the analysed window still holds it, else from the fill price with the
        latest candle's ATR."""
        candles = self._candles.get(trade.pair)
        if candles is None:
            return None
        setup, profile = parse_tag(trade.enter_tag)
        entry_candle = trade.open_date_utc.replace(second=0, microsecond=0)
        signal = candles.closed_before(entry_candle)
        known = signal or candles.latest()  # the ATR of the latest candle when it is gone
        if known is None:
            return None
        facts = freeze(setup, profile, reference_price(signal, trade.open_rate),
                       self.signal_atr(known), self.full_stake(trade, setup),
                       self.profile_exits(profile), self.trade_settings())
        self.remember(trade, FACTS, facts.as_dict())
        if self._facts_journal:
            self._facts_journal.write(trade.pair, trade.open_date_utc, facts)
        # a trade frozen by this process has no other custom data yet: no need to read it
        self.memory(trade).update({STAGE: None, SCALE_DECIDED: None, HIGH: None})
        return facts

    def order_filled(self, pair: str, trade: Trade, order: Order, current_time: datetime,
                     **kwargs) -> None:
        if order.ft_order_side == trade.entry_side and self._skip_idle:
            # freqtrade places the stop right after the fill
            self.use_custom_stoploss = self._callbacks_on["use_custom_stoploss"]
        if order.ft_order_side == trade.entry_side:
            if self.facts(trade) is None:  # frozen here, at the first fill, when analysed
                logger.warning("%s: the entry filled before the pair's first analysis: its stop "
                               "and R are set at the first callback after it", pair)
            elif self._skip_idle and self.has_take_profit(trade):
                self.use_custom_roi = self._callbacks_on["use_custom_roi"]
        elif order.ft_order_side == trade.exit_side:
            if trade.exit_reason in STOP_EXITS:
                rename_exit(trade, self.remembered(trade, STAGE) or trade.exit_reason)
            elif trade.exit_reason == "roi" and self.target_fired(trade, current_time):
                rename_exit(trade, "take_profit")  # else a config's minimal_roi: it stays "roi"

    def target_fired(self, trade: Trade, now: datetime) -> bool:
        """The ROI exit was the trade's take-profit (its `custom_roi`), not a return of a
        config's `minimal_roi`: freqtrade takes the lower of the two (`min_roi_reached_entry`)."""
        minutes = int((now - trade.open_date_utc).total_seconds() // 60)
        ours = self.custom_roi(trade.pair, trade, now, minutes, trade.enter_tag, trade.exit_side)
        reached = [key for key in roi_table(self.minimal_roi) if key <= minutes]
        table = roi_table(self.minimal_roi)[max(reached)] if reached else None
        return ours is not None and (table is None or ours < table)

    def full_stake(self, trade: Trade, setup: str) -> float:
        settings = self.trade_settings()
        first = trade.stake_amount
        return first / settings.initial_fraction if sizing.scales_in(setup, settings) else first

    def closed_high(self, trade: Trade, now: datetime) -> float:
        """Highest high of the trade's closed candles at `now`, once per trade and candle. A
        bot's window holds about 1000 1m candles (16.7 h), less than a long trade: dry-run and
        live keep the highest high in custom data, so that the ladder's stage does not fall
        back when the candle of the high leaves the window (or after a restart)."""
        memory = self.memory(trade)
        if memory.get("high_at") != now:
            high = self._candles[trade.pair].highest_closed_high(trade.open_date_utc, now)
            if self._persist:
                kept = self.remembered(trade, HIGH)
                if kept is not None and kept >= high:
                    high = kept
                elif math.isfinite(high):
                    self.remember(trade, HIGH, high)
            memory["high"] = high
            memory["high_at"] = now
        return memory["high"]

    def ladder_stop(self, pair: str, trade: Trade, facts: TradeFacts, current_time: datetime):
        """The ladder's stop at `current_time`, computed once per trade and candle."""
        memory = self.memory(trade)
        if memory.get("ladder_at") != current_time:
            memory["ladder"] = current_stop(
                facts, max(self.closed_high(trade, current_time), facts.entry), trade.open_rate,
                breakeven_fees(trade.fee_open, trade.fee_close), self.profile_exits(facts.profile),
                self.trade_settings())
            memory["ladder_at"] = current_time
        return memory["ladder"]

    def custom_stoploss(self, pair: str, trade: Trade, current_time: datetime,
                        current_rate: float, current_profit: float, after_fill: bool,
                        **kwargs) -> float | None:
        facts = self.facts(trade)
        if facts is None:
            return None
        stop = self.ladder_stop(pair, trade, facts, current_time)
        self.memory(trade)["placed_high"] = self.closed_high(trade, current_time)
        if self.remembered(trade, STAGE) != stop.stage:
            self.remember(trade, STAGE, stop.stage)
        price = stop.price
        # now: this candle's open in a backtest (where `current_rate` is the candle's high), the
        # price of the moment live
        now = self._candles[pair].open_at(current_time, default=current_rate)
        short = price >= now
        if short:
            # The price is already under the stop the ladder asks for (a gap, or a level reached
            # between two checks): the stop cannot rest above the price, so it goes where the
            # trade can leave now. Compared with the high, a backtest would fill a stop between
            # the open and the high at the stop, a price the market had left (live: the open).
            price = now * (1 - 1e-6)
        self.memory(trade)["short_of_ladder"] = short  # see ladder_may_move
        return stoploss_from_absolute(min(price, current_rate * (1 - 1e-6)), current_rate,
                                      is_short=False, leverage=trade.leverage)

    def custom_exit(self, pair: str, trade: Trade, current_time: datetime, current_rate: float,
                    current_profit: float, **kwargs) -> str | None:
        """Dry-run/live only: the take-profit also counts when a closed candle's high reached it.
        A backtest takes it inside the candle whose high reaches it; a bot checks its price once
        a loop and misses a high between two loops. It then exits at the next loop, at the
        price of that moment, with the same reason (docs/parity.md)."""
        roi = self.custom_roi(pair, trade, current_time, 0, trade.enter_tag, trade.exit_side)
        candles = self._candles.get(pair)
        if roi is None or candles is None:
            return None
        after_entry = trade.open_date_utc.replace(second=0, microsecond=0) + ONE_MINUTE
        high = candles.highest_closed_high(after_entry, current_time)
        # the same test as freqtrade's ROI: the profit after fees at that price
        reached = high > 0 and trade.calc_profit_ratio(high) >= roi
        return "take_profit" if reached else None

    def custom_roi(self, pair: str, trade: Trade, current_time: datetime, trade_duration: int,
                   entry_tag: str | None, side: str, **kwargs) -> float | None:
        facts = self.facts(trade)
        target = take_profit_price(facts, self.profile_exits(facts.profile)) if facts else None
        # freqtrade's ROI is the profit after fees: the ratio at the target, so that the exit
        # is at the target (target / open_rate - 1 would exit about two fees above it)
        return None if target is None else trade.calc_profit_ratio(target)


def breakeven_fees(fee_open: float, fee_close: float) -> float:
    """The rise over the entry at which an exit pays both fees exactly: p (1 - fee_close) =
    entry (1 + fee_open)."""
    return (1 + fee_open) / (1 - fee_close) - 1


def not_analysed(pair: str) -> Refusal:
    """An entry on a pair the strategy has not analysed (a forced entry before the first
    analysis, or on a pair outside the whitelist): no ATR to size the stop from, no guard
    column to decide on."""
    return Refusal("analysis", f"{pair} has no analysed candle yet (a forced entry before the "
                   "first analysis, or a pair outside the whitelist)", None, pair)


def reference_price(signal_candle: dict | None, fill_price: float) -> float:
    """The price a trade's stop, R and targets are measured from: the close of the candle the
    setup fired on. A backtest fills at the next open (on continuous markets the same price or
    a tick away); a live bot fills seconds later, across the spread. Levels from the candle are
    the same in both, and do not depend on how fast the bot was (docs/parity.md). The fill price
    only when the candle is not known."""
    return float(signal_candle["close"]) if signal_candle else fill_price


def rename_exit(trade: Trade, reason: str) -> None:
    """Name the exit after the stop stage that closed the trade.

    freqtrade hands callbacks a deep copy of the trade, so the reason is set on the bot's own
    object, found through `Trade.get_trades_proxy` (the database session live, the backtest's
    trades in backtesting; freqtrade commits after the callback). A backtest calls
    `order_filled` before it closes the trade, dry-run/live after: the trade is looked for among
    the open ones first, then among the closed ones. (Only the open ones were searched before,
    so live exits kept freqtrade's names, `roi` and `trailing_stop_loss`: found by
    `botpy parity`.)
    """
    for is_open in (True, False):
        for own in Trade.get_trades_proxy(pair=trade.pair, is_open=is_open):
            if own.id == trade.id:
                own.exit_reason = reason
                return


parameters.install(BotpyStrategy, PARAMETER_GROUPS)


class BotpyRandomControl(BotpyStrategy):
    """The control of `botpy evaluate --control`: BotpyStrategy's exits, guards and number of
    entry signals per pair, on random candles inside the 4h uptrend. Not a strategy to trade."""

    control_draw = 0  # which draw of random candles (`botpy.control_draw`), read at bot_start

    def load_params_from_file(self) -> dict:
        """BotpyStrategy's parameter file (hyperopt's export next to this module), if any: the
        control trades with the parameters of the strategy it stands beside. freqtrade's own
        loader would refuse the file, which names BotpyStrategy, not this class."""
        module = getattr(self, "__file__", "")
        filename = Path(module).with_suffix(".json") if module else None
        if filename is None or not filename.is_file():
            return {}
        params = HyperoptTools.load_params_from_file(filename)
        if params.get("strategy_name") != BotpyStrategy.__name__:
            raise OperationalException(f"Invalid parameter file provided: {filename} is not "
                                       f"{BotpyStrategy.__name__}'s")
        return checked_parameter_file(params, self, BotpyStrategy.__name__)

    def bot_start(self, **kwargs) -> None:
        self.control_draw = control_draw(self.config)
        super().bot_start(**kwargs)

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        # only the rows freqtrade trades: its start-up candles come before the test window
        tradable = dataframe["date"] >= (dataframe["date"].iloc[0]
                                         + timedelta(minutes=self.startup_candle_count))
        dataframe["entry_tag"] = random_entries(dataframe["entry_tag"], dataframe["trend_up_4h"],
                                                metadata["pair"], self.control_draw, tradable)
        return super().populate_entry_trend(dataframe, metadata)
