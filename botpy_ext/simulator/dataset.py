"""Load a freqtrade datadir of feather candle files and check that it is usable.

Files are named like freqtrade writes them: `BASE_QUOTE-TIMEFRAME.feather` (spot), with columns
date, open, high, low, close, volume. Every problem is reported as a `DatasetError` that names
the file and what is wrong with it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from botpy_ext.simulator.candles import Candles, aggregate
from botpy_ext.simulator.timeframes import INTERVAL_MS, derivable

logger = logging.getLogger(__name__)

CANDLE_FILE = re.compile(r"^(?P<base>[A-Z0-9]+)_(?P<quote>[A-Z0-9]+)-(?P<tf>\d+[smhdwM])\.feather$")
PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]


class DatasetError(Exception):
    """The datadir cannot be served; the message says which file and why."""


@dataclass
class PairData:
    """All candle files of one pair; longer intervals missing on disk are derived from the
    shortest one (the pair's base interval)."""

    base_asset: str
    quote_asset: str
    files: dict[str, Candles]
    _derived: dict[str, Candles] = field(default_factory=dict, repr=False)

    @property
    def pair(self) -> str:
        return f"{self.base_asset}/{self.quote_asset}"

    @property
    def symbol(self) -> str:
        return f"{self.base_asset}{self.quote_asset}"

    @property
    def base_interval(self) -> str:
        return min(self.files, key=INTERVAL_MS.__getitem__)

    @property
    def base(self) -> Candles:
        return self.files[self.base_interval]

    @property
    def reference_price(self) -> float:
        """Median close of the base series: sets tick and lot sizes."""
        return float(np.median(self.base.ohlcv[:, 3]))

    def serves(self, interval: str) -> bool:
        return interval in self.files or derivable(interval, self.base_interval)

    def candles(self, interval: str) -> Candles:
        """Candles of `interval` as stored, or aggregated from the base series."""
        if interval in self.files:
            return self.files[interval]
        if interval not in self._derived:
            self._derived[interval] = aggregate(self.base, interval)
        return self._derived[interval]


def read_candle_file(path: Path) -> Candles:
    """Read one feather file into `Candles`, refusing anything freqtrade could not have written."""
    try:
        df = pd.read_feather(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise DatasetError(f"{path}: not a readable feather file ({exc})") from exc
    missing = [col for col in ["date", *PRICE_COLUMNS] if col not in df.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise DatasetError(f"{path}: holds no candles")
    values = df[PRICE_COLUMNS].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise DatasetError(f"{path}: has NaN or infinite prices/volumes")
    try:
        open_ms = pd.to_datetime(df["date"], utc=True).dt.as_unit("ms").astype("int64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: column 'date' is not a date ({exc})") from exc
    if (np.diff(open_ms) <= 0).any():
        raise DatasetError(f"{path}: dates are not strictly increasing")
    return Candles(open_ms, values)


def load_datadir(datadir: Path) -> dict[str, PairData]:
    """All spot pairs of `datadir`, keyed by Binance symbol (e.g. 'BTCUSDT')."""
    if not datadir.is_dir():
        raise DatasetError(f"{datadir}: no such directory")
    pairs: dict[str, PairData] = {}
    for path in sorted(datadir.glob("*.feather")):
        match = CANDLE_FILE.match(path.name)
        if not match or match["tf"] not in INTERVAL_MS:
            logger.info("Skipping %s: not a spot candle file (PAIR-TIMEFRAME.feather)", path.name)
            continue
        pair = pairs.setdefault(
            match["base"] + match["quote"], PairData(match["base"], match["quote"], {})
        )
        pair.files[match["tf"]] = read_candle_file(path)
    if not pairs:
        raise DatasetError(
            f"{datadir}: no candle files found (expected freqtrade feather files such as "
            "BTC_USDT-1m.feather; run `botpy-sim generate` or `freqtrade download-data`)"
        )
    logger.info("Loaded %d pairs from %s", len(pairs), datadir)
    return pairs
