"""`botpy evaluate --signals`: every entry signal the engine emits on a datadir (not only the
ones freqtrade could take: no guard, no slot limit), its excursions in R over the next hours
(`excursions`), per setup and profile, next to a random-entry control: as many random candles
per pair as it had signals, inside the 4h uptrend, with the same stop distances. Seconds per
pair instead of a backtest: a tool to discover with; `botpy evaluate` confirms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from botpy_ext.evaluation import market
from botpy_ext.evaluation.excursions import excursions, summary
from botpy_ext.evaluation.folds import Fold
from botpy_ext.exits.settings import PROFILE_SETTINGS, TradeSettings
from botpy_ext.exits.stops import parse_tag, stop_distance
from botpy_ext.setups.engine import EngineSettings, analyse

CONTROL = "random (control)"
SEED = 20261201


@dataclass(frozen=True)
class ScanSettings:
    horizon_minutes: int = 240
    fee: float = 0.001


def risk_ratios(frame: pd.DataFrame, trade: TradeSettings) -> np.ndarray:
    """Initial stop distance (share of the price) of each signal row, as the strategy sizes it."""
    exits = {name: settings() for name, settings in PROFILE_SETTINGS.items()}
    ratios = []
    for tag, atr, close in zip(frame["entry_tag"], frame["atr_15m"], frame["close"],
                               strict=True):
        setup, profile = parse_tag(tag)
        ratios.append(stop_distance(setup, atr, close, exits.get(profile, exits["sniper"]),
                                    trade))
    return np.asarray(ratios, dtype=float)


def scan_pair(datadir, pair: str, folds: list[Fold], settings: ScanSettings,
              rng: np.random.Generator) -> pd.DataFrame:
    base = market.read_candles(datadir, pair)
    analysed = analyse(base, market.engine_frames(datadir, pair), EngineSettings())
    dates = analysed["date"]
    inside = (dates >= folds[0].test.start) & (dates < folds[-1].test.end)
    signals = analysed[inside & (analysed["entry_tag"] != "")]
    rows = signals.index.to_numpy()
    ratios = risk_ratios(signals, TradeSettings())
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
        "pairs": list(pairs),
        "days": days,
        "all_signals": figures(every[every["tag"] != CONTROL]),
        "per_setup": {k: figures(v) for k, v in every.groupby("setup")},
        "per_tag": {k: figures(v) for k, v in every.groupby("tag")},
    }
