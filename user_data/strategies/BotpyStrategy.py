"""BOTPY for freqtrade: Precision 🎯, Momentum 🔥 and Ignition 🚀 on 1m, long only, USDT spot.

Glue only: the rules live in `botpy_ext` (pure functions), the parameters in
`botpy_ext.setups.settings` (declared once, installed here as freqtrade parameters).
"""

from __future__ import annotations

from freqtrade.strategy import IStrategy
from pandas import DataFrame

from botpy_ext import parameters
from botpy_ext.scanner.plot import PLOT_CONFIG
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES
from botpy_ext.setups.engine import EngineSettings, analyse
from botpy_ext.setups.settings import SETTINGS_GROUPS

BTC_PAIR = "BTC/USDT"


class BotpyStrategy(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = False
    process_only_new_candles = True
    # 400 candles of every timeframe: EMA50(4h), ADX and the squeeze's 50-candle percentile are
    # converged (recursive-analysis: 0 % variance) and live needs one candle call per timeframe.
    startup_candle_count = 400
    # Interim exits until the trade-management issue: a static stop and a time-decaying ROI.
    stoploss = -0.03
    minimal_roi = {"0": 0.03, "120": 0.01, "240": 0.0}
    use_exit_signal = False
    plot_config = PLOT_CONFIG

    def bot_start(self, **kwargs) -> None:
        self.engine_settings()  # refuse out-of-range parameter values at start-up

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(**{
            group: parameters.current(self, group, settings)
            for group, settings in SETTINGS_GROUPS.items()
        })

    def informative_pairs(self) -> list[tuple[str, str]]:
        pairs = self.dp.current_whitelist()
        return [(pair, tf) for pair in pairs for tf in INFORMATIVE_TIMEFRAMES] + [
            (BTC_PAIR, self.timeframe)]

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        informative = {
            tf: self.dp.get_pair_dataframe(metadata["pair"], tf) for tf in INFORMATIVE_TIMEFRAMES
        }
        return analyse(dataframe, informative, self.engine_settings())

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        signal = dataframe["entry_tag"] != ""
        dataframe.loc[signal, "enter_long"] = 1
        dataframe.loc[signal, "enter_tag"] = dataframe.loc[signal, "entry_tag"]
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe


parameters.install(BotpyStrategy, SETTINGS_GROUPS)
