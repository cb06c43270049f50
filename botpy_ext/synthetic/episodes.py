"""Planted episodes: one planting function per kind, and the ground-truth record they produce.

An episode edits a pair's ``PairPath`` (returns, volumes, wicks) around a time ``t`` given as a
minute index. Sizes that the setup rules state relative to the data (ATR, mean volumes) are
measured on the path itself before planting, and the shaping that the rules need with margin
(trend filter, RSI, squeeze) is verified on the rebuilt candles and strengthened until it holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from botpy_ext import indicators as ind
from botpy_ext.synthetic.texture import MINUTES_PER_DAY, MINUTES_PER_HOUR, PairPath, resample_ohlcv

logger = logging.getLogger(__name__)

ONE_MINUTE = pd.Timedelta(minutes=1)
M5, M15 = 5, 15  # minutes in a 5m and a 15m candle
VOLUME_LOOKBACK = 20  # the rules compare a volume with the mean of the previous 20 candles
IGNITION_LOOKBACK = 60  # ignition also compares with the mean of the previous 60 minutes
PRECISION_SIGNAL = M5 - 1  # precision: signal row = last minute of the 5m candle from T
MOMENTUM_SIGNAL = M15 + M5 - 1  # momentum: last minute of the 5m candle after the impulse
DAY_MINUTES_24H = MINUTES_PER_DAY  # the anti-whale guard's "mean hourly volume of the last 24 h"

TREND_EMA_SPAN = 50  # EMA of 4h closes in the master trend filter
RSI_PERIOD = 14  # RSI on 1h and 15m
ATR_PERIOD = 14  # ATR on 15m
BB_PERIOD = 20  # Bollinger window on 15m closes
BB_STDS = 2.0  # Bollinger band width in population standard deviations
SQUEEZE_LOOKBACK = 50  # closed 15m bandwidths the squeeze percentile is taken over
SQUEEZE_PERCENTILE = 25.0  # a squeeze's bandwidth is at or below this percentile of them
CALM_SHOCK_CLIP = 3.0  # a calm span (squeeze) keeps texture shocks within this many sigmas
BREAKER_WINDOW_MINUTES = 5  # the BTC circuit breaker looks at falls within this many minutes
BREAKER_COOLDOWN_MINUTES = 30  # and then blocks entries for this long
BREAKER_CLEARANCE = 0.012  # BTC falls near expected entries stay below this (trip: 0.015)
BREAKER_DAMPING = 0.5  # factor on BTC's texture near an expected entry until it is clear
CALM_REVERSION_HALF_LIFE = 10.0  # minutes for a calm span's price to half-revert to its level
CALM_VOLUME_SPREAD = 0.3  # a calm span's 1m volumes stay within this share of their level


# ----------------------------------------------------------------------------- ground truth
@dataclass(frozen=True)
class Expectation:
    """What a correct strategy does at an episode's signal row."""

    entry: bool | None  # an entry is expected with every guard on (None: see the cluster)
    enter_tag: str | None  # the setup's tag, also when a guard blocks it
    blocked_by: str | None = None  # guard that must block it: anti_whale, btc_breaker, sector
    entry_without_guards: bool = False  # the setup itself is valid (guards off → entry)
    max_entries: int | None = None  # for clusters: most entries allowed across the pairs


@dataclass(frozen=True)
class EpisodeRecord:
    """Ground truth of one planted episode (times are 1m candle open times, UTC)."""

    id: str
    kind: str
    pair: str
    signal_time: pd.Timestamp  # row where the entry signal is expected (or would be)
    window_start: pd.Timestamp  # first minute of the planted set-up (after the trend drift)
    window_end: pd.Timestamp  # last minute of the planted aftermath
    expect: Expectation
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict with ISO-8601 UTC times."""
        return {
            "id": self.id,
            "kind": self.kind,
            "pair": self.pair,
            "signal_time": iso(self.signal_time),
            "window_start": iso(self.window_start),
            "window_end": iso(self.window_end),
            "expect": asdict(self.expect),
            "details": self.details,
        }


def iso(time: pd.Timestamp) -> str:
    """ISO-8601 UTC time like 2024-01-21T14:04:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ")


PRECISION_ENTRY = Expectation(True, "precision", entry_without_guards=True)
MOMENTUM_ENTRY = Expectation(True, "momentum", entry_without_guards=True)
IGNITION_ENTRY = Expectation(True, "ignition", entry_without_guards=True)
NO_ENTRY = Expectation(False, None)
WHALE_BLOCKED = Expectation(False, "precision", "anti_whale", entry_without_guards=True)
BREAKER_BLOCKED = Expectation(False, "momentum", "btc_breaker", entry_without_guards=True)
# which cluster member enters depends on the order the bot scans pairs: decided per cluster
SECTOR_MEMBER = Expectation(None, "momentum", "sector", entry_without_guards=True)


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class ApproachParams:
    """Uptrend and cooling pullback planted before every entry episode."""

    drift_days: float = 10.0  # length of the planted uptrend before the set-up
    drift_first: float = 0.12  # first try of the uptrend's total log move
    drift_step: float = 0.04  # added to the uptrend while the trend filter lacks margin
    cool_step: float = -0.005  # added to the pullback while an RSI is too warm
    trend_margin_target: float = 0.05  # close/EMA50(4h) - 1 aimed at (rule: >= 0.03)
    rsi_target: float = 60.0  # RSI 1h and 15m aimed below (rule: < 65)
    squeeze_ratio_target: float = 0.85  # bandwidth / its 25th percentile aimed at (rule: <= 1)
    calm_source_step: int = 997  # minutes further back for the next squeeze noise to try
    max_attempts: int = 40  # give up (error) after this many reshapings


@dataclass(frozen=True)
class PrecisionParams:
    """Bollinger squeeze, 1m trigger and 5m confirmation of the precision kinds."""

    squeeze_hours: float = 16.0  # length of the volatility squeeze before the trigger
    squeeze_vol_start: float = 0.6  # volatility multiplier at the start of the squeeze
    squeeze_floor: float = 0.2  # volatility multiplier at its end
    squeeze_volume_start: float = 0.7  # volume multiplier at the start of the squeeze
    squeeze_volume_end: float = 0.45  # volume multiplier at its end
    squeeze_volume_dispersion: float = 0.3  # power that flattens volume spikes in the squeeze
    pullback_hours: float = 8.0  # pullback between the uptrend and the squeeze (cools RSI 1h)
    cool_first: float = -0.01  # first try of the pullback's total log move
    setup_sigmas: float = 0.4  # each minute of the bullish 5m before T, in squeeze sigmas
    pre_trigger_volume_ratio: float = 0.45  # mean of the 20 volumes before trigger / 24h mean
    first_minute_atr: float = 0.2  # move of minute T, in ATR14(15m)
    trigger_atr: float = 1.2  # move of the trigger minute T+1, in ATR14(15m)
    trigger_upper_wick: float = 0.03  # trigger's upper wick, as a share of its body
    follow_atr: float = 0.4  # move of minutes T+2..T+4 of the bullish 5m, in ATR14(15m)
    follow_volume: float = 1.6  # their volume, in mean volumes of the 20 minutes before
    bearish_close_atr: float = -0.6  # bearish 5m close below its open, in ATR14(15m)
    continuation_gain: float = 0.04  # breakout move after the 5m confirmation
    continuation_minutes: int = 75  # over this many minutes
    continuation_volume: float = 1.8  # volume multiplier during the breakout
    continuation_noise: float = 0.6  # texture noise kept during the breakout
    quiet_minutes: int = 90  # calm, low-volume minutes after a failed (bearish) 5m
    quiet_ramp_minutes: int = 30  # its last minutes, where volume and noise return to normal
    quiet_move: float = -0.006  # total drift of that calm period
    quiet_noise: float = 0.4  # volatility multiplier in it
    quiet_volume: float = 0.5  # its volume, in mean volumes of the 20 minutes before T
    quiet_volume_dispersion: float = 0.1  # power that flattens its volume (no trigger spikes)


@dataclass(frozen=True)
class PrecisionVariant:
    """What tells the precision kinds apart."""

    trigger_share: float  # trigger 1m volume / mean hourly volume of the last 24 h
    bullish_5m: bool  # the 5m candle holding the trigger closes bullish
    expect: Expectation


PRECISION_VARIANTS = {
    "precision_breakout": PrecisionVariant(0.028, True, PRECISION_ENTRY),
    "precision_bearish_5m": PrecisionVariant(0.028, False, NO_ENTRY),
    "whale": PrecisionVariant(0.09, True, WHALE_BLOCKED),
}


@dataclass(frozen=True)
class MomentumParams:
    """15m impulse, 5m confirmation and continuation of the momentum kinds."""

    pullback_hours: float = 12.0  # calm pullback before the impulse (cools the RSIs)
    cool_first: float = -0.015  # first try of the pullback's total log move
    impulse_atr: float = 2.0  # impulse body, in ATR14(15m) of the previous 15m candle
    impulse_volume: float = 3.4  # impulse volume, in means of the previous 20 15m volumes
    impulse_wick: float = 0.1  # impulse minutes keep this share of their texture wicks
    confirm_atr: float = 0.5  # rise of the confirming 5m candle, in ATR14(15m)
    confirm_volume: float = 2.2  # its volume, in means of the previous 20 5m volumes
    confirm_last_share: float = 0.025  # its last 1m volume / mean hourly volume of 24 h
    continuation_gain: float = 0.03  # move after the confirmation
    continuation_minutes: int = 90  # over this many minutes
    continuation_noise: float = 0.6  # texture noise kept during the continuation
    continuation_volume: float = 1.5  # volume multiplier during the continuation


@dataclass(frozen=True)
class IgnitionParams:
    """The +6.5 % candle and the designed path that a flash trailing stop exits."""

    pullback_hours: float = 12.0  # calm pullback before the ignition (cools the RSIs)
    cool_first: float = -0.015  # first try of the pullback's total log move
    jump: float = 0.065  # close/open - 1 of the ignition candle
    jump_upper_wick: float = 0.05  # its upper wick, as a share of its body
    jump_volume: float = 20.0  # its volume, in means of the previous 60 (and 20) volumes
    climb_step: float = 0.008  # rise of each of the following minutes
    climb_volumes: tuple[float, ...] = (6.0, 5.0, 4.0, 3.0)  # their volumes, in 60-minute means
    climb_lower_wick: float = 0.1  # their lower wicks, as a share of their rise
    flush: float = -0.03  # close/open - 1 of the candle that hits the trail
    flush_lower_wick: float = 0.003  # its lower wick below the close (log)
    flush_volume: float = 8.0  # its volume, in 60-minute means
    trail: float = 0.015  # flash trailing stop distance the path is designed for


@dataclass(frozen=True)
class DumpParams:
    """BTC dump that trips the circuit breaker."""

    move: float = -0.024  # close of the 4th minute / open of the 1st - 1
    weights: tuple[float, ...] = (0.2, 0.35, 0.3, 0.15)  # share of the move per minute
    volume: float = 6.0  # volume multiplier of the dump minutes
    wick: float = 0.3  # dump minutes keep this share of their texture wicks
    signal_gap_minutes: int = 7  # alt signal row opens this long after the dump's last close


@dataclass(frozen=True)
class Shaping:
    """The adjustable part of an episode, strengthened until the rules hold with margin."""

    drift: float  # total log move of the uptrend before the set-up
    cool: float  # total log move of the pullback or squeeze just before the set-up
    calm_source: int = 0  # minutes back in the texture a squeeze takes its shocks from


@dataclass(frozen=True)
class SignalView:
    """Values a strategy sees at one 1m row, from the candles closed by then."""

    trend_margin: float  # last closed 4h close / EMA50(4h) - 1
    rsi_1h: float  # RSI14 of the last closed 1h candle
    rsi_15m: float  # RSI14 of the last closed 15m candle
    squeeze_ratio: float | None  # last 15m bandwidth / 25th percentile of the last 50

    def misses(self, params: ApproachParams) -> tuple[bool, bool, bool, bool]:
        """Which targets (trend, RSI 1h, RSI 15m, squeeze) are not yet met with margin."""
        squeeze = self.squeeze_ratio is not None and (
            self.squeeze_ratio > params.squeeze_ratio_target
        )
        return (
            self.trend_margin < params.trend_margin_target,
            self.rsi_1h >= params.rsi_target,
            self.rsi_15m >= params.rsi_target,
            squeeze,
        )


@dataclass(frozen=True)
class Planted:
    """One planting attempt: the edited path, what the strategy sees, and the plant's facts."""

    path: PairPath
    view: SignalView
    details: dict[str, Any]


APPROACH = ApproachParams()
PRECISION = PrecisionParams()
MOMENTUM = MomentumParams()
IGNITION = IgnitionParams()
DUMP = DumpParams()


# ----------------------------------------------------------------------------- measurements
def last_closed(frame: pd.DataFrame, row_time: pd.Timestamp, minutes: int) -> int:
    """Position of the last candle closed when the 1m row opened at ``row_time`` closes."""
    closes = frame["date"] + pd.Timedelta(minutes=minutes)
    return int(np.flatnonzero(closes <= row_time + ONE_MINUTE)[-1])


def atr_15m_before(path: PairPath, t: int) -> tuple[float, float]:
    """ATR14(15m) of the 15m candle closing at minute ``t``, and that candle's close."""
    frame = resample_ohlcv(path.candles(t), "15m")
    return float(ind.atr(frame, period=ATR_PERIOD).iloc[-1]), float(frame["close"].iloc[-1])


def signal_view(path: PairPath, row: int, squeeze: bool) -> SignalView:
    """Trend margin, RSIs and (optionally) squeeze ratio seen at 1m row ``row``."""
    candles = path.candles(row + 1)
    time = candles["date"].iloc[-1]
    h4, h1, m15 = (resample_ohlcv(candles, tf) for tf in ("4h", "1h", "15m"))
    i4 = last_closed(h4, time, 4 * MINUTES_PER_HOUR)
    margin = h4["close"].iloc[i4] / ind.ema(h4["close"], period=TREND_EMA_SPAN).iloc[i4] - 1.0
    i1 = last_closed(h1, time, MINUTES_PER_HOUR)
    rsi_1h = ind.rsi(h1["close"], period=RSI_PERIOD).iloc[i1]
    i15 = last_closed(m15, time, M15)
    rsi_15m = ind.rsi(m15["close"], period=RSI_PERIOD).iloc[i15]
    ratio = None
    if squeeze:
        bands = ind.bollinger(m15["close"], period=BB_PERIOD, stds=BB_STDS)
        widths = bands.bandwidth.to_numpy()[i15 - SQUEEZE_LOOKBACK + 1 : i15 + 1]
        ratio = float(widths[-1] / np.percentile(widths, SQUEEZE_PERCENTILE))
    return SignalView(float(margin), float(rsi_1h), float(rsi_15m), ratio)


def _mean_before(volume: np.ndarray, stop: int, minutes: int) -> float:
    """Mean volume of the VOLUME_LOOKBACK candles of ``minutes`` minutes ending at ``stop``."""
    return float(volume[stop - VOLUME_LOOKBACK * minutes : stop].sum() / VOLUME_LOOKBACK)


def hourly_share(volume: np.ndarray, row: int) -> float:
    """Volume of minute ``row`` / mean hourly volume of the 24 h ending with it."""
    window = volume[row + 1 - DAY_MINUTES_24H : row + 1]
    return float(volume[row] / (MINUTES_PER_HOUR * window.mean()))


# ----------------------------------------------------------------------------- shaping helpers
def shaped_returns(
    path: PairPath, start: int, stop: int, total: float, scale: float | np.ndarray = 1.0
) -> np.ndarray:
    """Texture returns of [start, stop) without their own trend, rescaled, adding up to total."""
    noise = path.returns[start:stop] * scale
    return noise - noise.mean() + total / (stop - start)


def calm_returns(
    path: PairPath, start: int, stop: int, total: float, scale: np.ndarray, source: int = 0
) -> np.ndarray:
    """Returns of a tight range: texture shocks of [start, stop) at a smooth volatility
    following ``scale`` (no bursts, clipped tails), mean-reverting around a level that moves
    by ``total`` in all. The shocks are taken ``source`` minutes earlier in the texture."""
    # wrap around the texture so any source offset names a full span of shocks
    first = (start - source) % (len(path.returns) - (stop - start))
    taken = slice(first, first + stop - start)
    shocks = np.clip(path.returns[taken] / path.vol[taken], -CALM_SHOCK_CLIP, CALM_SHOCK_CLIP)
    phi = 0.5 ** (1.0 / CALM_REVERSION_HALF_LIFE)
    # a range, not a random walk: the Bollinger width then follows ``scale`` closely
    level = lfilter([1.0], [1.0, -phi], shocks * path.vol[start:stop].mean() * scale)
    noise = np.diff(level, prepend=0.0)
    return noise - noise.mean() + total / (stop - start)


def weighted(path: PairPath, start: int, stop: int, total: float) -> np.ndarray:
    """Split ``total`` over [start, stop) by weights that follow the texture's |shocks|."""
    weights = 1.0 + np.abs(path.returns[start:stop]) / path.vol[start:stop]
    return total * weights / weights.sum()


def approach(path: PairPath, cool_start: int, cool_stop: int, shaping: Shaping) -> PairPath:
    """Uptrend over the days before ``cool_start``, then a trendless pullback of texture noise
    that cools the RSIs."""
    drift_start = max(0, cool_start - int(APPROACH.drift_days * MINUTES_PER_DAY))
    drift = path.returns[drift_start:cool_start] + shaping.drift / (cool_start - drift_start)
    cool = shaped_returns(path, cool_start, cool_stop, shaping.cool)
    return path.with_segment(drift_start, returns=np.concatenate([drift, cool]))


def fit(plant: Callable[[Shaping], Planted], first: Shaping, label: str) -> Planted:
    """Replant with a stronger uptrend / pullback / squeeze until the view has its margins."""
    shaping = first
    for _ in range(APPROACH.max_attempts):
        planted = plant(shaping)
        trend, rsi_1h, rsi_15m, squeeze = planted.view.misses(APPROACH)
        if not (trend or rsi_1h or rsi_15m or squeeze):
            return planted
        # a squeeze's 15m RSI forgot the pullback: only other noise in the squeeze changes it
        in_squeeze = planted.view.squeeze_ratio is not None
        shaping = Shaping(
            drift=shaping.drift + APPROACH.drift_step * trend,
            cool=shaping.cool + APPROACH.cool_step * (rsi_1h or (rsi_15m and not in_squeeze)),
            calm_source=shaping.calm_source
            + APPROACH.calm_source_step * (squeeze or (rsi_15m and in_squeeze)),
        )
    raise RuntimeError(f"{label}: could not shape the episode, last view {planted.view}")


def view_details(view: SignalView, shaping: Shaping) -> dict[str, Any]:
    """Facts about the shaping common to every entry episode."""
    details = {
        "trend_margin": view.trend_margin,
        "rsi_1h": view.rsi_1h,
        "rsi_15m": view.rsi_15m,
        "drift_log_move": shaping.drift,
        "cool_log_move": shaping.cool,
    }
    if view.squeeze_ratio is not None:
        details["squeeze_bandwidth_ratio_p25"] = view.squeeze_ratio
    return rounded(details)


def rounded(values: dict[str, Any]) -> dict[str, Any]:
    """Floats rounded to 6 decimals so the JSON stays short and stable."""
    return {
        k: round(float(v), 6) if isinstance(v, float | np.floating) else v
        for k, v in values.items()
    }


def record(
    kind: str,
    path: PairPath,
    signal: int,
    window: tuple[int, int],
    expect: Expectation,
    details: dict[str, Any],
) -> EpisodeRecord:
    """Ground-truth record; the id is given once all episodes are known."""
    return EpisodeRecord(
        "",
        kind,
        path.pair,
        path.dates[signal],
        path.dates[window[0]],
        path.dates[window[1]],
        expect,
        details,
    )


# ----------------------------------------------------------------------------- precision kinds
def plant_precision(path: PairPath, t: int, kind: str) -> tuple[PairPath, EpisodeRecord]:
    """Squeeze before minute t, 1m trigger at t+1, 5m confirmation (or failure) at t+4."""
    variant = PRECISION_VARIANTS[kind]
    first = Shaping(APPROACH.drift_first, PRECISION.cool_first)
    planted = fit(lambda s: _precision_attempt(path, t, variant, s), first, f"{kind} {path.pair}")
    after = PRECISION.continuation_minutes if variant.bullish_5m else PRECISION.quiet_minutes
    signal = t + PRECISION_SIGNAL
    window = (t - _squeeze_minutes() - _pullback_minutes(PRECISION.pullback_hours), signal + after)
    return planted.path, record(kind, planted.path, signal, window, variant.expect, planted.details)


def _squeeze_minutes() -> int:
    return int(PRECISION.squeeze_hours * MINUTES_PER_HOUR)


def _precision_attempt(
    path: PairPath, t: int, variant: PrecisionVariant, shaping: Shaping
) -> Planted:
    squeezed = squeeze(path, t, shaping)
    atr, close = atr_15m_before(squeezed, t)
    planted = precision_trigger(squeezed, t, variant, atr / close)
    if variant.bullish_5m:
        planted = aftermath(
            planted,
            t + M5,
            PRECISION.continuation_minutes,
            np.log1p(PRECISION.continuation_gain),
            PRECISION.continuation_noise,
            planted.volume[t + M5 :] * PRECISION.continuation_volume,
        )
    else:
        planted = quiet_span(planted, t + M5, _mean_before(planted.volume, t + 1, 1))
    view = signal_view(planted, t + PRECISION_SIGNAL, squeeze=True)
    details = view_details(view, shaping) | _precision_details(planted, t, variant, atr)
    return Planted(planted, view, details | {"squeeze_noise_source_minutes": shaping.calm_source})


def _precision_details(
    path: PairPath, t: int, variant: PrecisionVariant, atr: float
) -> dict[str, Any]:
    signal = t + PRECISION_SIGNAL
    details = {
        "trigger_time": iso(path.dates[t + 1]),
        "squeeze_start": iso(path.dates[t - _squeeze_minutes()]),
        "atr_15m": atr,
        "trigger_volume_share_of_hourly": hourly_share(path.volume, t + 1),
        "trigger_volume_ratio_20": path.volume[t + 1] / _mean_before(path.volume, t + 1, 1),
        "five_minute_pct": np.expm1(path.returns[t : t + M5].sum()),
    }
    if variant.bullish_5m:
        end = signal + PRECISION.continuation_minutes
        details["continuation_end"] = iso(path.dates[end])
        details["continuation_pct"] = np.expm1(path.returns[signal + 1 : end + 1].sum())
    else:
        details["quiet_end"] = iso(path.dates[signal + PRECISION.quiet_minutes])
    return rounded(details)


def squeeze(path: PairPath, t: int, shaping: Shaping) -> PairPath:
    """Uptrend and pullback, then a tight range of falling volatility and volume, then a quiet
    bullish 5m candle [t-5, t) that closes at its high."""
    start, setup = t - _squeeze_minutes(), t - M5
    floor = PRECISION.squeeze_floor
    vol_scale = np.linspace(PRECISION.squeeze_vol_start, floor, setup - start)
    volume_scale = np.linspace(
        PRECISION.squeeze_volume_start, PRECISION.squeeze_volume_end, t - start
    )
    calm = _flattened(path.volume[start:t], PRECISION.squeeze_volume_dispersion)
    # wicks at the same smooth volatility as the closes: no burst widens the squeeze's ATR
    wick_scale = vol_scale * path.vol[start:setup].mean() / path.vol[start:setup]
    cooled = approach(path, start - _pullback_minutes(PRECISION.pullback_hours), start, shaping)
    squeezed = cooled.with_segment(
        start,
        returns=calm_returns(path, start, setup, 0.0, vol_scale, shaping.calm_source),
        volume=calm * volume_scale,
        wick_up=path.wick_up[start:setup] * wick_scale,
        wick_down=path.wick_down[start:setup] * wick_scale,
    )
    sigma = floor * path.vol[start:setup].mean()
    return squeezed.with_segment(
        setup,
        returns=np.full(M5, PRECISION.setup_sigmas * sigma),
        wick_up=np.zeros(M5),
        wick_down=np.full(M5, sigma),
    )


def _flattened(volume: np.ndarray, power: float) -> np.ndarray:
    """Volumes pulled towards their mean (geometrically, then bounded): no spikes in calm spans."""
    mean = volume.mean()
    spread = CALM_VOLUME_SPREAD
    return mean * np.clip((volume / mean) ** power, 1.0 - spread, 1.0 + spread)


def precision_trigger(
    path: PairPath, t: int, variant: PrecisionVariant, atr_rel: float
) -> PairPath:
    """Minutes t..t+4: the trigger at t+1 and a 5m candle that closes bullish or bearish."""
    first, trigger = PRECISION.first_minute_atr * atr_rel, PRECISION.trigger_atr * atr_rel
    if variant.bullish_5m:
        follow = PRECISION.follow_atr * atr_rel / 3
    else:
        follow = (PRECISION.bearish_close_atr * atr_rel - first - trigger) / 3
    pre, trigger_volume = trigger_volumes(path.volume, t + 1, variant.trigger_share)
    follow_volume = PRECISION.follow_volume * pre.mean()
    return path.with_segment(
        t + 1 - VOLUME_LOOKBACK,
        volume=np.concatenate([pre, [trigger_volume], np.full(M5 - 2, follow_volume)]),
    ).with_segment(
        t,
        returns=np.array([first, trigger, follow, follow, follow]),
        wick_up=np.concatenate(
            [
                [0.0, PRECISION.trigger_upper_wick * trigger],
                path.wick_up[t + 2 : t + M5] * PRECISION.quiet_noise,
            ]
        ),
        wick_down=path.wick_down[t : t + M5] * PRECISION.quiet_noise,
    )


def trigger_volumes(volume: np.ndarray, trigger: int, share: float) -> tuple[np.ndarray, float]:
    """The 20 volumes before the trigger and the trigger's own volume, so that the trigger is
    ``share`` of the mean hourly volume of the 24 h ending with it (that mean includes both)."""
    ratio = PRECISION.pre_trigger_volume_ratio
    others = volume[trigger + 1 - DAY_MINUTES_24H : trigger - VOLUME_LOOKBACK].sum()
    mean_24h = others / (DAY_MINUTES_24H - VOLUME_LOOKBACK * ratio - MINUTES_PER_HOUR * share)
    pre = volume[trigger - VOLUME_LOOKBACK : trigger]
    return pre * ratio * mean_24h / pre.mean(), share * MINUTES_PER_HOUR * mean_24h


def quiet_span(path: PairPath, start: int, pre_trigger_volume: float) -> PairPath:
    """Sideways, slightly falling, low-volume span after a failed 5m candle. Volume and
    volatility come back to normal over its last minutes, so nothing looks like a trigger."""
    n, ramp = PRECISION.quiet_minutes, PRECISION.quiet_ramp_minutes
    stop = start + n
    back = np.clip((np.arange(n) - (n - ramp)) / ramp, 0.0, 1.0)  # 0, then up to 1
    scale = PRECISION.quiet_noise + (1.0 - PRECISION.quiet_noise) * back
    quiet = PRECISION.quiet_volume * pre_trigger_volume
    level = quiet + (path.volume[start:stop].mean() - quiet) * back
    jitter = _flattened(path.volume[start:stop], PRECISION.quiet_volume_dispersion)
    return path.with_segment(
        start,
        returns=calm_returns(path, start, stop, PRECISION.quiet_move, scale),
        volume=level * jitter / jitter.mean(),
        wick_up=path.wick_up[start:stop] * scale,
        wick_down=path.wick_down[start:stop] * scale,
    )


def aftermath(
    path: PairPath, start: int, minutes: int, move: float, noise: float, volume: np.ndarray
) -> PairPath:
    """A trendless-texture span of ``minutes`` that adds up to the log ``move``."""
    stop = start + minutes
    return path.with_segment(
        start,
        returns=shaped_returns(path, start, stop, move, noise),
        volume=volume[:minutes],
        wick_up=path.wick_up[start:stop] * noise,
        wick_down=path.wick_down[start:stop] * noise,
    )


# ----------------------------------------------------------------------------- momentum kinds
def plant_momentum(
    path: PairPath,
    t: int,
    kind: str = "momentum_continuation",
    expect: Expectation = MOMENTUM_ENTRY,
) -> tuple[PairPath, EpisodeRecord]:
    """15m impulse [t, t+15), confirming 5m candle [t+15, t+20), continuation after."""
    first = Shaping(APPROACH.drift_first, MOMENTUM.cool_first)
    planted = fit(lambda s: _momentum_attempt(path, t, s), first, f"{kind} {path.pair}")
    signal = t + MOMENTUM_SIGNAL
    window = (
        t - _pullback_minutes(MOMENTUM.pullback_hours),
        signal + MOMENTUM.continuation_minutes,
    )
    return planted.path, record(kind, planted.path, signal, window, expect, planted.details)


def _pullback_minutes(hours: float) -> int:
    return int(hours * MINUTES_PER_HOUR)


def _momentum_attempt(path: PairPath, t: int, shaping: Shaping) -> Planted:
    cooled = approach(path, t - _pullback_minutes(MOMENTUM.pullback_hours), t, shaping)
    atr, close = atr_15m_before(cooled, t)
    signal = t + MOMENTUM_SIGNAL
    planted = confirmation(impulse(cooled, t, atr / close), t + M15, atr / close)
    end = signal + 1 + MOMENTUM.continuation_minutes
    planted = aftermath(
        planted,
        signal + 1,
        MOMENTUM.continuation_minutes,
        np.log1p(MOMENTUM.continuation_gain),
        MOMENTUM.continuation_noise,
        planted.volume[signal + 1 :] * MOMENTUM.continuation_volume,
    )
    view = signal_view(planted, signal, squeeze=False)
    impulse_volume = planted.volume[t : t + M15].sum()
    details = view_details(view, shaping) | rounded(
        {
            "impulse_start": iso(path.dates[t]),
            "atr_15m": atr,
            "impulse_body_atr": close * np.expm1(planted.returns[t : t + M15].sum()) / atr,
            "impulse_volume_ratio_20": impulse_volume / _mean_before(planted.volume, t, M15),
            "confirm_last_share_of_hourly": hourly_share(planted.volume, signal),
            "continuation_end": iso(path.dates[end - 1]),
            "continuation_pct": np.expm1(planted.returns[signal + 1 : end].sum()),
        }
    )
    return Planted(planted, view, details)


def impulse(path: PairPath, t: int, atr_rel: float) -> PairPath:
    """A strong, high-volume, nearly wickless bullish 15m candle [t, t+15)."""
    stop = t + M15
    volume = MOMENTUM.impulse_volume * _mean_before(path.volume, t, M15)
    return path.with_segment(
        t,
        returns=weighted(path, t, stop, np.log1p(MOMENTUM.impulse_atr * atr_rel)),
        volume=weighted(path, t, stop, volume),
        wick_up=path.wick_up[t:stop] * MOMENTUM.impulse_wick,
        wick_down=path.wick_down[t:stop] * MOMENTUM.impulse_wick,
    )


def confirmation(path: PairPath, start: int, atr_rel: float) -> PairPath:
    """A bullish 5m candle [start, start+5) with strong volume but a modest last minute."""
    stop = start + M5
    total = MOMENTUM.confirm_volume * _mean_before(path.volume, start, M5)
    mean_24h = (path.volume[stop - DAY_MINUTES_24H : start].sum() + total) / DAY_MINUTES_24H
    last = MOMENTUM.confirm_last_share * MINUTES_PER_HOUR * mean_24h
    if last >= total:
        raise ValueError(f"{path.pair}: confirmation volume too low at minute {start}")
    return path.with_segment(
        start,
        returns=weighted(path, start, stop, np.log1p(MOMENTUM.confirm_atr * atr_rel)),
        volume=np.append(weighted(path, start, stop - 1, total - last), last),
        wick_up=path.wick_up[start:stop] * MOMENTUM.impulse_wick,
        wick_down=path.wick_down[start:stop] * MOMENTUM.impulse_wick,
    )


# ----------------------------------------------------------------------------- ignition
def plant_ignition(path: PairPath, t: int) -> tuple[PairPath, EpisodeRecord]:
    """A +6.5 % high-volume candle at t, a 4-minute climb, then a flush that hits the trail."""
    first = Shaping(APPROACH.drift_first, IGNITION.cool_first)
    planted = fit(lambda s: _ignition_attempt(path, t, s), first, f"ignition {path.pair}")
    window = (t - _pullback_minutes(IGNITION.pullback_hours), t + 1 + len(IGNITION.climb_volumes))
    return planted.path, record(
        "ignition", planted.path, t, window, IGNITION_ENTRY, planted.details
    )


def _ignition_attempt(path: PairPath, t: int, shaping: Shaping) -> Planted:
    cooled = approach(path, t - _pullback_minutes(IGNITION.pullback_hours), t, shaping)
    mean_60 = cooled.volume[t - IGNITION_LOOKBACK : t].mean()
    mean_20 = _mean_before(cooled.volume, t, 1)
    jump, climb = np.log1p(IGNITION.jump), np.log1p(IGNITION.climb_step)
    steps = len(IGNITION.climb_volumes)
    planted = cooled.with_segment(
        t,
        returns=np.array([jump, *[climb] * steps, np.log1p(IGNITION.flush)]),
        wick_up=np.array([IGNITION.jump_upper_wick * jump, *[0.0] * (steps + 1)]),
        wick_down=np.array(
            [
                cooled.wick_down[t],
                *[IGNITION.climb_lower_wick * climb] * steps,
                IGNITION.flush_lower_wick,
            ]
        ),
        volume=np.array(
            [
                IGNITION.jump_volume * max(mean_60, mean_20),
                *np.multiply(IGNITION.climb_volumes, mean_60),
                IGNITION.flush_volume * mean_60,
            ]
        ),
    )
    view = signal_view(planted, t, squeeze=False)
    return Planted(planted, view, view_details(view, shaping) | _flash_details(planted, t))


def _flash_details(path: PairPath, t: int) -> dict[str, Any]:
    """Where the flash trailing stop (entry at the open of t+1) exits."""
    exit_row = t + 1 + len(IGNITION.climb_volumes)
    candles = path.candles(exit_row + 1)
    highest = candles["high"].iloc[t + 1 : exit_row].max()
    return rounded(
        {
            "entry_price": candles["open"].iloc[t + 1],
            "highest_high": highest,
            "flash_stop_price": highest * (1 - IGNITION.trail),
            "flash_exit_time": iso(path.dates[exit_row]),
            "flash_exit_low": candles["low"].iloc[exit_row],
            "jump_pct": candles["close"].iloc[t] / candles["open"].iloc[t] - 1,
            "jump_volume_ratio_60": path.volume[t] / path.volume[t - IGNITION_LOOKBACK : t].mean(),
        }
    )


# ----------------------------------------------------------------------------- guards
def btc_fall(candles: pd.DataFrame) -> np.ndarray:
    """Worst fall within 5 minutes at each 1m row: close / highest high of the last 5 - 1."""
    highest = candles["high"].rolling(BREAKER_WINDOW_MINUTES, min_periods=1).max()
    return (candles["close"] / highest - 1.0).to_numpy()


def clear_btc_breaker(btc: PairPath, signals: list[int]) -> PairPath:
    """Calm BTC's random texture before expected entries until no fall there comes near the
    circuit breaker (only planted dumps may trip it)."""
    for signal in signals:
        start = signal - BREAKER_COOLDOWN_MINUTES - BREAKER_WINDOW_MINUTES
        while btc_fall(btc.candles(signal + 1))[start:].min() < -BREAKER_CLEARANCE:
            calm = slice(start - BREAKER_WINDOW_MINUTES, signal + 1)
            btc = btc.with_segment(
                calm.start,
                returns=btc.returns[calm] * BREAKER_DAMPING,
                wick_up=btc.wick_up[calm] * BREAKER_DAMPING,
                wick_down=btc.wick_down[calm] * BREAKER_DAMPING,
            )
            logger.debug("calmed BTC before minute %s", signal)
    return btc


def plant_btc_dump(
    btc: PairPath, alt: PairPath, t: int
) -> tuple[PairPath, PairPath, list[EpisodeRecord]]:
    """A momentum set-up on ``alt`` whose signal row falls just after a BTC dump."""
    alt, blocked = plant_momentum(alt, t, "btc_dump_blocked_entry", BREAKER_BLOCKED)
    steps = len(DUMP.weights)
    dump_start = t + MOMENTUM_SIGNAL - DUMP.signal_gap_minutes - steps
    stop = dump_start + steps
    btc = btc.with_segment(
        dump_start,
        returns=np.log1p(DUMP.move) * np.asarray(DUMP.weights),
        volume=btc.volume[dump_start:stop] * DUMP.volume,
        wick_up=btc.wick_up[dump_start:stop] * DUMP.wick,
        wick_down=btc.wick_down[dump_start:stop] * DUMP.wick,
    )
    candles = btc.candles(stop)
    dump_pct = candles["close"].iloc[-1] / candles["open"].iloc[dump_start] - 1
    facts = {
        "dump_start": iso(btc.dates[dump_start]),
        "dump_end": iso(btc.dates[stop]),
        "dump_pct": round(float(dump_pct), 6),
    }
    dump = record("btc_dump", btc, stop - 1, (dump_start, stop - 1), NO_ENTRY, facts)
    blocked = replace(
        blocked,
        details=blocked.details | facts | {"minutes_after_dump_end": DUMP.signal_gap_minutes},
    )
    return btc, alt, [dump, blocked]


def plant_sector_cluster(
    paths: list[PairPath], t: int, sector: str
) -> tuple[list[PairPath], list[EpisodeRecord]]:
    """The same momentum signal row on several pairs of one sector."""
    planted = [plant_momentum(path, t, expect=SECTOR_MEMBER) for path in paths]
    members = [rec for _, rec in planted]
    first = members[0]
    pairs = [path.pair for path in paths]
    cluster = replace(
        first,
        kind="sector_cluster",
        expect=Expectation(True, "momentum", "sector", entry_without_guards=True, max_entries=1),
        details={"pairs": pairs, "sector": sector, "entries_without_guards": len(pairs)},
    )
    members = [
        replace(m, details=m.details | {"cluster_pairs": pairs, "sector": sector}) for m in members
    ]
    return [path for path, _ in planted], [cluster, *members]
