"""Random texture of a synthetic market: returns, volatility, volume, wicks and candles.

Every function is pure: it takes a ``numpy.random.Generator`` (or plain arrays) and returns new
arrays, so a seed fully determines the market.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from botpy_ext.simulator.exchange_info import precision as tick_decimals

logger = logging.getLogger(__name__)

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1440

VOLUME_DECIMALS = 4  # base-asset volume is rounded to this many decimals

# Mean 1m volume per UTC hour relative to the daily mean, the shape averaged over the 13 real
# Binance reference pairs (quiet Asian night around 04 UTC, busy US session around 15 UTC).
HOURLY_VOLUME_PROFILE = (
    1.11, 1.06, 0.86, 0.69, 0.65, 0.69, 0.87, 0.90, 1.24, 0.90, 0.86, 0.91,
    1.23, 1.21, 1.25, 1.43, 1.17, 1.14, 1.04, 1.32, 1.13, 0.81, 0.78, 0.74,
)  # fmt: skip

# Markov chain of regimes: rows = current state, columns = next state (range, up, down).
REGIME_NAMES = ("range", "up", "down")
REGIME_TRANSITIONS = (
    (0.0, 0.5, 0.5),
    (0.7, 0.0, 0.3),
    (0.7, 0.3, 0.0),
)


@dataclass(frozen=True)
class TextureParams:
    """Knobs of the random texture, calibrated against real Binance 1m data (see docs)."""

    t_dof: float = 5.0  # degrees of freedom of the Student-t return shocks (fat tails)
    slow_vol_half_life: float = 720.0  # minutes for the slow log-volatility factor to half-decay
    slow_vol_std: float = 0.55  # stationary std of the slow log-volatility factor
    fast_vol_half_life: float = 20.0  # minutes for the fast (burst) log-volatility factor
    fast_vol_std: float = 0.6  # stationary std of the fast log-volatility factor
    intraday_vol_exponent: float = 0.6  # volatility follows the volume profile to this power
    regime_mean_hours: tuple[float, float, float] = (20.0, 14.0, 10.0)  # mean regime durations
    regime_min_hours: float = 2.0  # shortest regime
    trend_drift_per_day: tuple[float, float] = (0.005, 0.02)  # |log drift| per day in a trend
    regime_vol_multiplier: tuple[float, float, float] = (0.85, 1.05, 1.2)  # per regime
    volume_vol_exponent: float = 1.0  # volume grows with the volatility level to this power
    volume_shock_weight: float = 1.0  # weight of the minute's |shock| in its volume
    volume_noise_std: float = 0.8  # std of the log-normal noise on volume
    wick_scale: float = 0.45  # mean wick length beyond the body, in units of the minute's sigma
    return_cap_sigmas: float = 60.0  # soft cap on one minute's move, in overall sigmas


def minute_hours(start: pd.Timestamp, n_minutes: int) -> np.ndarray:
    """UTC hour of day of each minute from ``start`` (start is a UTC midnight)."""
    offset = start.hour * MINUTES_PER_HOUR + start.minute
    return ((np.arange(n_minutes) + offset) // MINUTES_PER_HOUR) % 24


def ar1(rng: np.random.Generator, n: int, half_life: float, std: float) -> np.ndarray:
    """Stationary Gaussian AR(1) path, filtered in one vectorized call."""
    phi = 0.5 ** (1.0 / half_life)
    shocks = rng.standard_normal(n) * std * math.sqrt(1.0 - phi**2)
    # start from a stationary draw so the first days are not calmer than the rest
    initial = np.array([phi * std * rng.standard_normal()])
    return lfilter([1.0], [1.0, -phi], shocks, zi=initial)[0]


def student_t(rng: np.random.Generator, n: int, dof: float) -> np.ndarray:
    """Student-t shocks scaled to unit variance."""
    return rng.standard_t(dof, n) / math.sqrt(dof / (dof - 2.0))


def regime_states(rng: np.random.Generator, n: int, params: TextureParams) -> np.ndarray:
    """Regime index (see REGIME_NAMES) of each minute, from the Markov chain of regimes."""
    transitions = np.asarray(REGIME_TRANSITIONS)
    states: list[int] = []
    durations: list[int] = []
    state, covered = 0, 0
    while covered < n:  # one step per regime (~100 per quarter), not per minute
        mean = params.regime_mean_hours[state] * MINUTES_PER_HOUR
        minimum = params.regime_min_hours * MINUTES_PER_HOUR
        duration = int(minimum + rng.exponential(mean - minimum))
        states.append(state)
        durations.append(duration)
        covered += duration
        state = int(rng.choice(len(REGIME_NAMES), p=transitions[state]))
    return np.repeat(np.asarray(states), durations)[:n]


def regime_drift(rng: np.random.Generator, states: np.ndarray, params: TextureParams) -> np.ndarray:
    """Per-minute log drift: each trend regime gets its own random slope, ranges none."""
    starts = np.flatnonzero(np.diff(states, prepend=-1) != 0)
    lengths = np.diff(np.append(starts, len(states)))
    low, high = params.trend_drift_per_day
    slopes = rng.uniform(low, high, len(starts)) / MINUTES_PER_DAY
    signs = np.select([states[starts] == 1, states[starts] == 2], [1.0, -1.0], 0.0)
    return np.repeat(slopes * signs, lengths)


def volatility_path(
    rng: np.random.Generator,
    hours: np.ndarray,
    states: np.ndarray,
    sigma: float,
    params: TextureParams,
) -> np.ndarray:
    """Per-minute volatility: slow and fast clusters, intraday shape and regime level."""
    log_vol = ar1(rng, len(hours), params.slow_vol_half_life, params.slow_vol_std)
    log_vol += ar1(rng, len(hours), params.fast_vol_half_life, params.fast_vol_std)
    intraday = np.asarray(HOURLY_VOLUME_PROFILE)[hours] ** params.intraday_vol_exponent
    regime = np.asarray(params.regime_vol_multiplier)[states]
    raw = np.exp(log_vol) * intraday * regime
    return raw * sigma / np.sqrt(np.mean(raw**2))


def own_returns(
    rng: np.random.Generator, hours: np.ndarray, sigma: float, params: TextureParams
) -> tuple[np.ndarray, np.ndarray]:
    """Log returns and volatility of one asset's own (non-market) component."""
    states = regime_states(rng, len(hours), params)
    drift = regime_drift(rng, states, params)
    vol = volatility_path(rng, hours, states, sigma, params)
    returns = drift + vol * student_t(rng, len(hours), params.t_dof)
    # a fat shock in a volatile hour can reach 100 sigmas; real 1m moves top out near 20-60
    cap = params.return_cap_sigmas * sigma
    return cap * np.tanh(returns / cap), vol


def volumes(
    rng: np.random.Generator,
    returns: np.ndarray,
    vol: np.ndarray,
    hours: np.ndarray,
    mean_volume: float,
    params: TextureParams,
) -> np.ndarray:
    """Base-asset volume per minute: intraday profile, volatility level and |shock| driven."""
    shock = np.abs(returns) / vol
    profile = np.asarray(HOURLY_VOLUME_PROFILE)[hours]
    # the volatility already carries part of the intraday shape: count it once
    level = (vol / profile**params.intraday_vol_exponent) ** params.volume_vol_exponent
    noise = np.exp(params.volume_noise_std * rng.standard_normal(len(returns)))
    raw = profile * level / np.mean(level)
    raw *= (1.0 + params.volume_shock_weight * shock) * noise
    return raw * mean_volume / np.mean(raw)


def wicks(
    rng: np.random.Generator, vol: np.ndarray, params: TextureParams
) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower wick lengths (log price units, >= 0) beyond each candle's body."""
    shape = (2, len(vol))
    lengths = rng.exponential(params.wick_scale, shape) * vol
    return lengths[0], lengths[1]


def round_to_tick(prices: np.ndarray, tick: float) -> np.ndarray:
    """Prices rounded to the pair's tick, without float noise in the last digits."""
    return np.round(np.round(prices / tick) * tick, tick_decimals(tick))


def build_candles(
    dates: pd.DatetimeIndex,
    start_price: float,
    returns: np.ndarray,
    wick_up: np.ndarray,
    wick_down: np.ndarray,
    volume: np.ndarray,
    tick: float,
) -> pd.DataFrame:
    """1m OHLCV candles of a continuous market: open = previous close, prices on the tick grid."""
    close = round_to_tick(start_price * np.exp(np.cumsum(returns)), tick)
    open_ = np.concatenate([[round_to_tick(np.array([start_price]), tick)[0]], close[:-1]])
    body_top, body_bottom = np.maximum(open_, close), np.minimum(open_, close)
    high = np.maximum(round_to_tick(body_top * np.exp(wick_up), tick), body_top)
    low = np.minimum(round_to_tick(body_bottom * np.exp(-wick_down), tick), body_bottom)
    step = 10.0**-VOLUME_DECIMALS
    vol = np.maximum(np.round(volume, VOLUME_DECIMALS), step)
    return pd.DataFrame(
        {"date": dates, "open": open_, "high": high, "low": low, "close": close, "volume": vol}
    )


def resample_ohlcv(df_1m: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Candles of a larger timeframe from 1m candles (left-closed, left-labelled bins)."""
    rule = timeframe.replace("m", "min")
    aggregated = (
        df_1m.set_index("date")
        .resample(rule, closed="left", label="left")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
    )
    # sums of 4-decimal volumes, without float noise in the last digits
    aggregated["volume"] = aggregated["volume"].round(VOLUME_DECIMALS)
    return aggregated.reset_index()


@dataclass(frozen=True)
class PairPath:
    """What one pair's 1m candles are built from; episodes return edited copies of it."""

    pair: str
    start_price: float
    tick: float
    dates: pd.DatetimeIndex
    returns: np.ndarray  # log close-to-close return of each minute
    volume: np.ndarray  # base-asset volume of each minute
    wick_up: np.ndarray  # log length of the upper wick above the body
    wick_down: np.ndarray  # log length of the lower wick below the body
    vol: np.ndarray  # texture volatility of each minute (scale for planted noise)

    def candles(self, stop: int | None = None) -> pd.DataFrame:
        """1m candles of the first ``stop`` minutes (all by default)."""
        part = slice(0, stop)
        return build_candles(
            self.dates[part],
            self.start_price,
            self.returns[part],
            self.wick_up[part],
            self.wick_down[part],
            self.volume[part],
            self.tick,
        )

    def with_segment(self, start: int, **segments: np.ndarray | float) -> PairPath:
        """Copy with the arrays named in ``segments`` overwritten from minute ``start`` on."""
        changes = {}
        for name, values in segments.items():
            array = getattr(self, name).copy()
            values = np.atleast_1d(np.asarray(values, dtype=float))
            array[start : start + len(values)] = values
            changes[name] = array
        return replace(self, **changes)
