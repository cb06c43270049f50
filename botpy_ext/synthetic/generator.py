"""Deterministic synthetic market: 12 USDT pairs of 1m candles with planted, labelled episodes.

``generate_market(seed, days)`` builds the texture of every pair, plants the episode schedule
and returns the candles with their ground truth; ``write_market`` stores them as freqtrade
feather files (1m, 5m, 15m, 1h, 4h) plus ``episodes.json`` and ``market.json``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import kurtosis

from botpy_ext import indicators as ind
from botpy_ext.simulator.exchange_info import tick_size
from botpy_ext.synthetic.episodes import (
    PRECISION_VARIANTS,
    EpisodeRecord,
    clear_btc_breaker,
    iso,
    plant_btc_dump,
    plant_ignition,
    plant_momentum,
    plant_precision,
    plant_sector_cluster,
)
from botpy_ext.synthetic.texture import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    PairPath,
    TextureParams,
    minute_hours,
    own_returns,
    resample_ohlcv,
    volumes,
    wicks,
)

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 1  # bump when the same seed would give different candles
QUOTE = "USDT"
TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h")  # files written per pair
MIN_DAYS = 30  # shortest market the episode schedule fits in
WARMUP_DAYS = 12  # no episode before this (EMA50 on 4h needs 200 h of history)
TAIL_DAYS = 3  # no episode in the last days
FULL_SCHEDULE_DAYS = 60  # from this length on, a second precision and momentum episode
DENSE_DAY = WARMUP_DAYS + 2  # --dense: every episode on this day's afternoon (13:30-16:00 UTC)
DENSE_NEXT_DAY = ("btc_dump",)  # its 30 min breaker would block the others: the day after
FEATHER_OPTIONS = {"compression": "lz4", "compression_level": 9}  # freqtrade's own format
TREND_ADX_LEVEL = 25.0  # an hour counts as trending when ADX14(1h) is above this

# Ranges that contain the texture statistics of all 13 real Binance reference pairs (see docs).
REALISTIC_RANGES: dict[str, tuple[float, float]] = {
    "ret_excess_kurtosis": (5.0, 400.0),
    "abs_ret_acf1": (0.1, 0.6),
    "ret_acf1": (-0.1, 0.1),
    "hourly_volume_ratio": (1.3, 4.0),
    "vol_abs_ret_corr": (0.2, 0.9),
    "trend_share": (0.2, 0.75),
}


@dataclass(frozen=True)
class PairSpec:
    """One traded asset of the synthetic market."""

    base: str
    sector: str
    start_price: float  # first open, in USDT
    beta: float  # sensitivity of its 1m returns to BTC's (BTC itself: 1)
    sigma: float  # overall 1m log-return volatility
    quote_volume: float  # mean USDT volume per minute

    @property
    def pair(self) -> str:
        return f"{self.base}/{QUOTE}"


PAIRS = (
    PairSpec("BTC", "Store of Value", 42000.0, 1.0, 0.0007, 1_200_000.0),
    PairSpec("ETH", "L1", 2300.0, 0.95, 0.0008, 600_000.0),
    PairSpec("SOL", "L1", 100.0, 1.15, 0.0011, 300_000.0),
    PairSpec("AVAX", "L1", 38.0, 1.1, 0.0011, 60_000.0),
    PairSpec("NEAR", "L1", 3.5, 1.05, 0.0012, 40_000.0),
    PairSpec("ARB", "L2", 1.9, 1.0, 0.0012, 50_000.0),
    PairSpec("OP", "L2", 3.6, 1.0, 0.0012, 40_000.0),
    PairSpec("UNI", "DeFi", 6.5, 0.85, 0.0010, 20_000.0),
    PairSpec("DOGE", "Meme", 0.09, 1.0, 0.0013, 100_000.0),
    PairSpec("FET", "AI", 0.6, 1.1, 0.0014, 30_000.0),
    PairSpec("LINK", "Oracle", 15.0, 0.8, 0.0010, 40_000.0),
    PairSpec("XRP", "Payments", 0.6, 0.7, 0.0009, 80_000.0),
)
BTC_PAIR = PAIRS[0].pair


@dataclass(frozen=True)
class Slot:
    """One planned episode: its kind, pairs (bases) and the UTC time of its minute t."""

    kind: str
    bases: tuple[str, ...]
    time_of_day: str  # "HH:MM", on a 15-minute boundary, in the busy hours


SCHEDULE = (
    Slot("precision_breakout", ("LINK",), "14:15"),
    Slot("momentum_continuation", ("ETH",), "15:00"),
    Slot("ignition", ("DOGE",), "13:30"),
    Slot("precision_bearish_5m", ("UNI",), "14:45"),
    Slot("whale", ("ARB",), "15:30"),
    Slot("btc_dump", ("XRP",), "14:00"),
    Slot("sector_cluster", ("SOL", "AVAX", "NEAR"), "16:00"),
)
EXTRA_SCHEDULE = (
    Slot("precision_breakout", ("OP",), "13:45"),
    Slot("momentum_continuation", ("FET",), "14:30"),
)


@dataclass(frozen=True)
class SyntheticMarket:
    """Candles of every pair (1m) and the ground truth of the planted episodes."""

    seed: int
    days: int
    start: pd.Timestamp
    pairs: tuple[PairSpec, ...]
    candles: dict[str, pd.DataFrame]
    episodes: tuple[EpisodeRecord, ...]
    dense: bool = False  # the whole schedule within one afternoon


def generate_market(seed: int, days: int, start: str = "2024-01-01", *,
                    episodes: bool = True, dense: bool = False) -> SyntheticMarket:
    """Market of ``days`` days of 1m candles from ``start`` (a UTC midnight), fully determined
    by ``seed``. Without ``episodes`` it is pure noise: the texture alone (fat-tailed returns,
    volatility regimes, BTC as the market factor) and no planted setup, the market a strategy
    without an edge must mostly wait on. ``dense`` plants the whole schedule within one
    afternoon (`DENSE_DAY`), a short window with many signals (`botpy parity`)."""
    if episodes and days < MIN_DAYS:
        raise ValueError(
            f"days={days} is too short for the episode schedule: need at least {MIN_DAYS} days"
        )
    start_time = _parse_start(start)
    paths = texture_paths(seed, days, start_time)
    records: tuple[EpisodeRecord, ...] = ()
    if episodes:
        paths, records = plant_schedule(paths, schedule(days, dense), start_time)
        paths[BTC_PAIR] = clear_btc_breaker(paths[BTC_PAIR],
                                            _unblocked_signals(records, start_time))
    candles = {pair: path.candles() for pair, path in paths.items()}
    logger.info("synthetic market seed=%s days=%s: %s episodes", seed, days, len(records))
    return SyntheticMarket(seed, days, start_time, PAIRS, candles, records, dense)


def _parse_start(start: str) -> pd.Timestamp:
    time = pd.Timestamp(start)
    time = time.tz_localize("UTC") if time.tzinfo is None else time.tz_convert("UTC")
    if time != time.normalize():
        raise ValueError(f"start={start!r} must be a UTC midnight")
    return time


def schedule(days: int, dense: bool = False) -> list[tuple[Slot, int]]:
    """Slots with their day index, spread evenly between the warm-up and the tail; `dense`:
    all on `DENSE_DAY` at their own time of day (the BTC dump on the day after)."""
    if dense:
        return [(slot, DENSE_DAY + (slot.kind in DENSE_NEXT_DAY))
                for slot in SCHEDULE + EXTRA_SCHEDULE]
    slots = SCHEDULE + EXTRA_SCHEDULE if days >= FULL_SCHEDULE_DAYS else SCHEDULE
    span = days - WARMUP_DAYS - TAIL_DAYS
    return [(slot, WARMUP_DAYS + i * span // len(slots)) for i, slot in enumerate(slots)]


def texture_paths(seed: int, days: int, start: pd.Timestamp) -> dict[str, PairPath]:
    """Unplanted paths: BTC is the market factor, each alt = beta x BTC + its own texture."""
    params = TextureParams()
    n = days * MINUTES_PER_DAY
    dates = pd.date_range(start, periods=n, freq="1min", unit="ms")
    hours = minute_hours(start, n)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(PAIRS))]
    btc_returns, btc_vol = own_returns(rngs[0], hours, PAIRS[0].sigma, params)
    paths = {}
    for spec, rng in zip(PAIRS, rngs, strict=True):
        returns, vol = btc_returns, btc_vol
        if spec.pair != BTC_PAIR:
            own_sigma = math.sqrt(spec.sigma**2 - (spec.beta * PAIRS[0].sigma) ** 2)
            own, own_vol = own_returns(rng, hours, own_sigma, params)
            returns = spec.beta * btc_returns + own
            vol = np.hypot(spec.beta * btc_vol, own_vol)
        volume = volumes(rng, returns, vol, hours, spec.quote_volume / spec.start_price, params)
        wick_up, wick_down = wicks(rng, vol, params)
        paths[spec.pair] = PairPath(
            spec.pair,
            spec.start_price,
            tick_size(spec.start_price),
            dates,
            returns,
            volume,
            wick_up,
            wick_down,
            vol,
        )
    return paths


Planter = Callable[
    [dict[str, PairPath], tuple[str, ...], int], tuple[dict[str, PairPath], list[EpisodeRecord]]
]


def _single(plant_one: Callable[[PairPath, int], tuple[PairPath, EpisodeRecord]]) -> Planter:
    """Planter of a kind that edits one pair."""

    def plant(
        paths: dict[str, PairPath], pairs: tuple[str, ...], t: int
    ) -> tuple[dict[str, PairPath], list[EpisodeRecord]]:
        (pair,) = pairs
        path, rec = plant_one(paths[pair], t)
        return {pair: path}, [rec]

    return plant


def _btc_dump(
    paths: dict[str, PairPath], pairs: tuple[str, ...], t: int
) -> tuple[dict[str, PairPath], list[EpisodeRecord]]:
    # the alts were generated from BTC's texture already: the dump touches BTC alone
    btc, alt, records = plant_btc_dump(paths[BTC_PAIR], paths[pairs[0]], t)
    return {BTC_PAIR: btc, pairs[0]: alt}, records


def _sector_cluster(
    paths: dict[str, PairPath], pairs: tuple[str, ...], t: int
) -> tuple[dict[str, PairPath], list[EpisodeRecord]]:
    sector = SECTORS[pairs[0]]
    planted, records = plant_sector_cluster([paths[p] for p in pairs], t, sector)
    return dict(zip(pairs, planted, strict=True)), records


SECTORS = {spec.pair: spec.sector for spec in PAIRS}
PLANTERS: dict[str, Planter] = {
    **{kind: _single(partial(plant_precision, kind=kind)) for kind in PRECISION_VARIANTS},
    "momentum_continuation": _single(plant_momentum),
    "ignition": _single(plant_ignition),
    "btc_dump": _btc_dump,
    "sector_cluster": _sector_cluster,
}


def plant_schedule(
    paths: dict[str, PairPath], slots: list[tuple[Slot, int]], start: pd.Timestamp
) -> tuple[dict[str, PairPath], tuple[EpisodeRecord, ...]]:
    """Plant every slot in turn; records get ids numbered per kind in time order."""
    records: list[EpisodeRecord] = []
    paths = dict(paths)
    for slot, day in slots:
        hours, minutes = (int(x) for x in slot.time_of_day.split(":"))
        t = day * MINUTES_PER_DAY + hours * MINUTES_PER_HOUR + minutes
        pairs = tuple(f"{base}/{QUOTE}" for base in slot.bases)
        changed, planted = PLANTERS[slot.kind](paths, pairs, t)
        paths |= changed
        records += planted
    return paths, _numbered(records)


def _unblocked_signals(records: tuple[EpisodeRecord, ...], start: pd.Timestamp) -> list[int]:
    """Signal minutes where the BTC circuit breaker must stay quiet."""
    return [
        int((rec.signal_time - start) / pd.Timedelta(minutes=1))
        for rec in records
        if rec.expect.entry is not False and rec.expect.blocked_by != "btc_breaker"
    ]


def _numbered(records: list[EpisodeRecord]) -> tuple[EpisodeRecord, ...]:
    ordered = sorted(records, key=lambda r: (r.signal_time, r.kind != "sector_cluster", r.pair))
    counts: dict[str, int] = {}
    numbered = []
    for rec in ordered:
        counts[rec.kind] = counts.get(rec.kind, 0) + 1
        numbered.append(replace(rec, id=f"{rec.kind}-{counts[rec.kind]}"))
    return tuple(numbered)


def ground_truth(market: SyntheticMarket) -> dict[str, Any]:
    """Content of episodes.json."""
    return {
        "version": GENERATOR_VERSION,
        "seed": market.seed,
        "start": iso(market.start),
        "days": market.days,
        "episodes": [rec.to_json() for rec in market.episodes],
    }


def market_info(market: SyntheticMarket) -> dict[str, Any]:
    """Content of market.json."""
    pairs = [
        {
            "pair": s.pair,
            "sector": s.sector,
            "tick_size": tick_size(s.start_price),
            "start_price": s.start_price,
            "beta": s.beta,
        }
        for s in market.pairs
    ]
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": market.seed,
        "start": iso(market.start),
        "days": market.days,
        "dense": market.dense,
        "timeframes": list(TIMEFRAMES),
        "pairs": pairs,
    }


FEAR_GREED_RANGE = (30, 70)  # synthetic index: never in the extreme bands (no planted risk-off)


def fear_greed_history(market: SyntheticMarket) -> dict[str, Any]:
    """A synthetic daily Fear & Greed Index in alternative.me's format (newest first): a
    bounded random walk, so that the guard has a value for every day of the market."""
    rng = np.random.default_rng(market.seed + 1)
    low, high = FEAR_GREED_RANGE
    value, rows = (low + high) / 2, []
    for day in range(market.days):
        value = float(np.clip(value + rng.normal(0, 4), low, high))
        stamp = market.start + pd.Timedelta(days=day)
        rows.append({"value": str(round(value)), "value_classification": "synthetic",
                     "timestamp": str(int(stamp.timestamp()))})
    return {"name": "Fear and Greed Index (synthetic)", "data": rows[::-1]}


def write_market(market: SyntheticMarket, out_dir: Path) -> None:
    """Write freqtrade feather files for every pair and timeframe, episodes.json, market.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for pair, candles in market.candles.items():
        for timeframe in TIMEFRAMES:
            frame = candles if timeframe == "1m" else resample_ohlcv(candles, timeframe)
            name = f"{pair.replace('/', '_')}-{timeframe}.feather"
            frame.reset_index(drop=True).to_feather(out_dir / name, **FEATHER_OPTIONS)
    for name, content in (
        ("episodes.json", ground_truth(market)),
        ("market.json", market_info(market)),
        ("fear_greed.json", fear_greed_history(market)),
    ):
        (out_dir / name).write_text(json.dumps(content, sort_keys=True, indent=2) + "\n")
    logger.info("wrote synthetic market to %s", out_dir)


def texture_stats(df_1m: pd.DataFrame) -> dict[str, float]:
    """Stylised facts of 1m candles, to compare synthetic with real data."""
    returns = np.diff(np.log(df_1m["close"].to_numpy()))
    abs_returns = pd.Series(np.abs(returns))
    hourly = df_1m.groupby(df_1m["date"].dt.hour)["volume"].mean()
    h1 = resample_ohlcv(df_1m, "1h")
    adx = ind.adx(h1, period=14).dropna().to_numpy()
    return {
        "ret_excess_kurtosis": float(kurtosis(returns)),
        "abs_ret_acf1": float(abs_returns.autocorr(1)),
        "ret_acf1": float(pd.Series(returns).autocorr(1)),
        "hourly_volume_ratio": float(hourly.max() / hourly.min()),
        "vol_abs_ret_corr": float(np.corrcoef(df_1m["volume"].to_numpy()[1:], abs_returns)[0, 1]),
        # proxy for "time in trending regimes": hours whose ADX14(1h) says trend
        "trend_share": float(np.mean(adx > TREND_ADX_LEVEL)),
        "ret_std": float(returns.std()),
    }
