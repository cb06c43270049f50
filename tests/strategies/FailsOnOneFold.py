"""A strategy that refuses to start on one timerange: `botpy evaluate` must report that fold's
freqtrade error and still finish the others (tests/test_evaluate.py)."""

from freqtrade.exceptions import OperationalException
from freqtrade.strategy import IStrategy
from pandas import DataFrame

FAILING_START = "20230408T0000"  # the second of three folds over 20230405-20230414


class FailsOnOneFold(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    minimal_roi = {"0": 0.01}
    stoploss = -0.02
    startup_candle_count = 30

    def bot_start(self, **kwargs) -> None:
        if str(self.config.get("timerange", "")).startswith(FAILING_START):
            raise OperationalException(f"this test strategy refuses {FAILING_START}")

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["ema"] = dataframe["close"].ewm(span=20, adjust=False).mean()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        crossed = (dataframe["close"] > dataframe["ema"]) & (
            dataframe["close"].shift(1) <= dataframe["ema"].shift(1))
        dataframe.loc[crossed & (dataframe["volume"] > 0), "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        return dataframe
