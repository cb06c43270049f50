"""`botpy evaluate --signals`: every entry signal the engine emits on a datadir (not only the
ones freqtrade could take: no guard, no slot limit), its excursions in R over the next hours
(`excursions`), per setup and profile, next to a random-entry control: as many random candles
per pair as it had signals, inside the 4h uptrend, with the same stop distances. Seconds per
pair instead of a backtest: a tool to discover with; `botpy evaluate` confirms."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from freqtrade.data.converter import ohlcv_fill_up_missing_data

from botpy_ext.evaluation import market
from botpy_ext.evaluation.excursions import excursions, summary
from botpy_ext.evaluation.folds import Fold
from botpy_ext.exits.settings import PROFILE_SETTINGS, TradeSettings
from botpy_ext.exits.stops import parse_tag, stop_distance
from botpy_ext.setups.context import MARKET_4H
from botpy_ext.setups.engine import EngineSettings, analyse

CONTROL = "random (control)"
MARKET_TIMEFRAME = {MARKET_4H: "4h"}  # the informative frames not named by their timeframe
SEED = 20261201


def default_exits() -> dict:
    return {name: settings() for name, settings in PROFILE_SETTINGS.items()}


@dataclass(frozen=True)
class ScanSettings:
    horizon_minutes: int = 240
    fee: float = 0.001
    # the strategy's values (its config's `botpy.parameters` and parameter file)
    engine: EngineSettings = field(default_factory=EngineSettings)
    trade: TradeSettings = field(default_factory=TradeSettings)
    exits: dict = field(default_factory=default_exits)  # profile -> its exit settings
    values: dict = field(default_factory=dict)  # the parameters set, by name (for the report)


def risk_ratios(frame: pd.DataFrame, trade: TradeSettings, exits: dict | None = None
                ) -> np.ndarray:
    """Initial stop distance (share of the price) of each signal row, as the strategy sizes it."""
    exits = exits or default_exits()
    ratios = []
    for tag, atr, close in zip(frame["entry_tag"], frame["atr_15m"], frame["close"],
                               strict=True):
        setup, profile = parse_tag(tag)
        ratios.append(stop_distance(setup, atr, close, exits.get(profile, exits["sniper"]),
                                    trade))
    return np.asarray(ratios, dtype=float)


def scan_pair(datadir, pair: str, folds: list[Fold], settings: ScanSettings,
              rng: np.random.Generator) -> pd.DataFrame:
    # the missing minutes filled as freqtrade fills them: a row is a minute, as a horizon counts
    base = ohlcv_fill_up_missing_data(market.read_candles(datadir, pair), "1m", pair)
    informative = {name: ohlcv_fill_up_missing_data(frame, MARKET_TIMEFRAME.get(name, name), pair)
                   for name, frame in market.engine_frames(datadir, pair).items()}
    analysed = analyse(base, informative, settings.engine)
    dates = analysed["date"]
    inside = (dates >= folds[0].test.start) & (dates < folds[-1].test.end)
    signals = analysed[inside & (analysed["entry_tag"] != "")]
    rows = signals.index.to_numpy()
    ratios = risk_ratios(signals, settings.trade, settings.exits)
    valid = np.isfinite(ratios) & (ratios > 0)
    rows, ratios, tags = rows[valid], ratios[valid], signals["entry_tag"].to_numpy()[valid]
    found = excursions(analysed, rows, ratios, settings.horizon_minutes)
    found["tag"] = pd.Series(tags, index=pd.Index(rows)).loc[found["row"]].to_numpy()
    candidates = analysed.index[inside & analysed["trend_up_4h"].fillna(False).astype(bool)]
    picked = rng.choice(candidates.to_numpy(), size=min(len(rows), len(candidates)),
                        replace=False) if len(rows) else np.array([], dtype=int)
    control = excursions(analysed, np.sort(picked), rng.permutation(ratios)[: len(picked)],
                         settings.horizon_minutes)
    control["tag"] = CONTROL
    both = pd.concat([found, control], ignore_index=True)
    both["pair"] = pair
    both["date"] = dates.to_numpy()[both["row"].to_numpy(dtype=int)] if len(both) else []
    both["fold"] = fold_of(both["date"], folds) if len(both) else []
    return both


def fold_of(dates: pd.Series, folds: list[Fold]) -> np.ndarray:
    starts = np.array([np.datetime64(f.test.start.replace(tzinfo=None), "ns") for f in folds])
    values = pd.to_datetime(dates, utc=True).dt.tz_localize(None).to_numpy("datetime64[ns]")
    return np.searchsorted(starts, values, side="right")


def scan(datadir, pairs: tuple[str, ...], folds: list[Fold], settings: ScanSettings) -> dict:
    rng = np.random.default_rng(SEED)
    frames = [scan_pair(datadir, pair, folds, settings, rng) for pair in pairs]
    every = pd.concat(frames, ignore_index=True)
    days = sum(fold.test.days for fold in folds)
    every["setup"] = every["tag"].map(lambda tag: tag if tag == CONTROL else parse_tag(tag)[0])

    def figures(frame: pd.DataFrame) -> dict:
        result = summary(frame, settings.fee)
        result["signals_per_pair_day"] = len(frame) / (len(pairs) * days)
        result["bracket_r_per_fold"] = {
            int(fold): float(part["first"].mean()) for fold, part in frame.groupby("fold")}
        return result

    return {
        "horizon_minutes": settings.horizon_minutes,
        "fee": settings.fee,
        "strategy_values": settings.values,
        "pairs": list(pairs),
        "days": days,
        "all_signals": figures(every[every["tag"] != CONTROL]),
        "per_setup": {k: figures(v) for k, v in every.groupby("setup")},
        "per_tag": {k: figures(v) for k, v in every.groupby("tag")},
    }
