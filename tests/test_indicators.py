"""Indicators: hand-computed values, and one generic test over every exported indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from botpy_ext import indicators as ind


def candles(n: int = 120, seed: int = 3) -> pd.DataFrame:
    """A deterministic random walk with consistent OHLCV."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0, 0.004, n)) * close
    return pd.DataFrame({
        "open": open_,
        "high": np.maximum(open_, close) + spread,
        "low": np.minimum(open_, close) - spread,
        "close": close,
        "volume": rng.uniform(10, 100, n),
    })


def test_ema_by_hand():
    values = ind.ema(pd.Series([1.0, 2.0, 3.0, 4.0]), period=3)
    # alpha = 0.5, seeded with the first value: 1, 1.5, 2.25, 3.125; warm-up NaN for 2 rows
    assert values.isna().tolist() == [True, True, False, False]
    assert values.iloc[2:].tolist() == [2.25, 3.125]


def test_bollinger_by_hand():
    close = pd.Series([1.0, 2.0, 3.0])
    bands = ind.bollinger(close, period=3, stds=2)
    sd = np.std([1, 2, 3])  # population
    assert bands.middle.iloc[-1] == 2.0
    assert bands.upper.iloc[-1] == pytest.approx(2 + 2 * sd)
    assert bands.bandwidth.iloc[-1] == pytest.approx(4 * sd / 2)


def test_obv_and_delta_by_hand():
    df = pd.DataFrame({"open": [1, 1, 2, 2.0], "high": [1, 2, 2, 3.0], "low": [1, 1, 1, 2.0],
                       "close": [1, 2, 1.5, 2.0], "volume": [5, 10, 20, 40.0]})
    assert ind.obv(df).tolist() == [0, 10, -10, 30]
    # delta = v * (2c - h - l)/(h - l): no range -> 0; close at high -> +v; mid -> 0; at low -> -v
    assert ind.candle_delta(df).tolist() == [0, 10, 0, -40]
    assert ind.cvd(df).tolist() == [0, 10, 10, -30]


def test_volume_ratio_uses_previous_candles():
    ratio = ind.volume_ratio(pd.Series([1.0, 1.0, 1.0, 6.0]), period=3)
    assert ratio.iloc[-1] == 6.0 and ratio.iloc[:3].isna().all()


def test_rolling_quantile_includes_current_value():
    values = pd.Series([4.0, 1.0, 3.0, 2.0])
    assert ind.rolling_quantile(values, window=4, q=0.25).iloc[-1] == pytest.approx(1.75)


def test_rsi_atr_adx_ranges():
    df = candles()
    assert ind.rsi(df["close"]).dropna().between(0, 100).all()
    assert (ind.atr(df).dropna() > 0).all()
    assert ind.adx(df).dropna().between(0, 100).all()
    np.testing.assert_allclose(ind.atr_pct(df), ind.atr(df) / df["close"] * 100)


def test_rsi_is_100_when_price_only_rises():
    assert ind.rsi(pd.Series(np.arange(1.0, 40.0))).iloc[-1] == 100.0


EXPORTED = {
    "ema": lambda df: ind.ema(df["close"], period=9),
    "rsi": lambda df: ind.rsi(df["close"]),
    "adx": lambda df: ind.adx(df),
    "atr": lambda df: ind.atr(df),
    "atr_pct": lambda df: ind.atr_pct(df),
    "bollinger.bandwidth": lambda df: ind.bollinger(df["close"]).bandwidth,
    "bollinger.upper": lambda df: ind.bollinger(df["close"]).upper,
    "rolling_quantile": lambda df: ind.rolling_quantile(df["close"], window=10, q=0.25),
    "obv": lambda df: ind.obv(df),
    "candle_delta": lambda df: ind.candle_delta(df),
    "cvd": lambda df: ind.cvd(df),
    "volume_ratio": lambda df: ind.volume_ratio(df["volume"]),
}


def test_every_export_is_covered():
    names = {n.split(".")[0] for n in EXPORTED}
    assert names == set(ind.__all__) - {"Bollinger"}


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_generic_contract(name):
    """A float Series aligned with the input, the input unchanged, no look-ahead."""
    df = candles()
    before = df.copy()
    values = EXPORTED[name](df)
    pd.testing.assert_frame_equal(df, before)
    assert isinstance(values, pd.Series) and values.index.equals(df.index)
    assert values.dtype == float
    assert values.iloc[-60:].notna().all()
    for n in (40, 75, len(df) - 1):
        prefix = EXPORTED[name](df.iloc[: n + 1])
        np.testing.assert_allclose(prefix.to_numpy(), values.iloc[: n + 1].to_numpy(), rtol=1e-12)
