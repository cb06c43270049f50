"""Parameters: declared once, installed as freqtrade parameters, validated, documented."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest
from freqtrade.exceptions import OperationalException
from freqtrade.strategy.parameters import BaseParameter

from botpy_ext import parameters
from botpy_ext.exits.settings import TRADE_SETTINGS_GROUPS
from botpy_ext.setups.settings import SETTINGS_GROUPS, PrecisionSettings
from tests.helpers import REPO


class Holder:
    """A stand-in class to install parameters on (freqtrade reads them as class attributes)."""


parameters.install(Holder, SETTINGS_GROUPS)


def test_every_field_becomes_a_freqtrade_parameter_with_its_default():
    for group, settings in SETTINGS_GROUPS.items():
        for item in fields(settings):
            installed = getattr(Holder, f"{group}_{item.name}")
            assert isinstance(installed, BaseParameter)
            assert installed.value == item.default


def test_only_thresholds_are_hyperoptable():
    assert Holder.precision_squeeze_percentile.optimize
    assert Holder.precision_squeeze_percentile.space == "buy"
    assert not Holder.precision_bb_period.optimize
    assert not Holder.trend_ema_period.optimize


def test_current_values_flow_back_into_the_settings():
    holder = Holder()
    holder.precision_volume_multiplier = parameters.to_freqtrade(
        next(f for f in fields(PrecisionSettings) if f.name == "volume_multiplier"))
    holder.precision_volume_multiplier.value = 2.5
    current = parameters.current(holder, "precision", PrecisionSettings)
    assert current.volume_multiplier == 2.5 and current.bb_period == 20


def test_out_of_range_value_names_key_and_range():
    holder = Holder()
    param = parameters.to_freqtrade(
        next(f for f in fields(PrecisionSettings) if f.name == "rsi_max"))
    param.value = 95.0
    holder.precision_rsi_max = param
    with pytest.raises(OperationalException,
                       match=r"parameter precision_rsi_max must be in \[50, 90\], got 95"):
        parameters.current(holder, "precision", PrecisionSettings)


@pytest.mark.parametrize("doc, groups", [
    ("strategy.md", SETTINGS_GROUPS), ("trade-management.md", TRADE_SETTINGS_GROUPS)])
def test_docs_table_matches_the_declarations(doc, groups):
    text = (REPO / "docs" / doc).read_text()
    table = re.search(r"<!-- parameters:start -->\n(.*)<!-- parameters:end -->", text, re.S)
    assert table and table.group(1) == parameters.markdown_table(groups)


GROUPS = {**SETTINGS_GROUPS, **TRADE_SETTINGS_GROUPS}


def test_config_parameters_are_split_by_hyperopt_space():
    config = {"botpy": {"parameters": {"sniper_stop_atr": 1.5, "precision_rsi_max": 70,
                                       "profile_dynamic": False}}}
    assert parameters.from_config(config, GROUPS) == {
        "buy": {"precision_rsi_max": 70, "profile_dynamic": False},
        "sell": {"sniper_stop_atr": 1.5},
    }
    assert parameters.from_config({}, GROUPS) == {"buy": {}, "sell": {}}


@pytest.mark.parametrize("values, message", [
    ({"sniper_stop_loss": 1.5}, r"botpy\.parameters\.sniper_stop_loss is not a strategy "
                                r"parameter"),
    ({"sniper_stop_atr": 50.0}, r"botpy\.parameters\.sniper_stop_atr must be in \[0\.5, "),
    ({"trend_ema_period": 50.5}, r"botpy\.parameters\.trend_ema_period must be an integer"),
    ({"profile_default": "sniperr"}, r"botpy\.parameters\.profile_default must be one of"),
    ([1, 2], r"botpy\.parameters must be an object"),
    ({"sniper_tight_trail_atr": 7.0}, r"botpy\.parameters\.sniper_tight_trail_atr \(7\) is "
                                      r"above botpy\.parameters\.sniper_trail_atr \(6\)"),
    ({"trade_min_stop": 0.05, "trade_max_stop": 0.02},
     r"botpy\.parameters\.trade_min_stop \(0\.05\) is above botpy\.parameters\.trade_max_stop"),
])
def test_bad_config_parameters_are_refused_with_the_key(values, message):
    with pytest.raises(OperationalException, match=message):
        parameters.from_config({"botpy": {"parameters": values}}, GROUPS)


def test_a_botpy_section_that_is_not_an_object_is_refused():
    with pytest.raises(OperationalException, match=r"botpy must be an object, got 'on'"):
        parameters.from_config({"botpy": "on"}, GROUPS)


def test_parameter_values_of_the_wrong_type_are_refused_when_read():
    """freqtrade sets a parameter file's values into its parameters as they are; the settings
    built from them check the types (hyperopt's numpy numbers pass)."""
    import numpy as np

    from botpy_ext.setups.settings import TrendSettings

    assert parameters.built(TrendSettings, (("ema_period", np.int64(60)), ("market", False),
                                            ("relative_strength", np.bool_(False))))
    with pytest.raises(ValueError, match=r"ema_period must be an integer, got 20\.5"):
        parameters.built(TrendSettings, (("ema_period", 20.5),))


def test_the_episode_gap_fits_in_a_backtests_startup_candles():
    """A row's episode depends on the signals of the gap before it; a backtest loads
    STARTUP_CANDLES 1m candles before its start, and the earliest of those signals needs
    precision_volume_lookback candles of its own: live and backtest see the same signals."""
    from botpy_ext.setups.context import STARTUP_CANDLES
    from botpy_ext.setups.settings import EntrySettings
    gap = next(f for f in fields(EntrySettings) if f.name == "gap_minutes")
    lookback = next(f for f in fields(PrecisionSettings) if f.name == "volume_lookback")
    assert parameters.spec_of(gap).high + parameters.spec_of(lookback).high <= STARTUP_CANDLES


def test_the_config_values_a_parameter_file_overrides_are_named():
    assert parameters.overridden_by_file(
        {"sniper_stop_atr": 1.5, "trend_market": False, "precision_rsi_max": 70.0},
        {"sniper_stop_atr": 5.0, "precision_rsi_max": 70.0, "ignition_min_rise": 0.05},
    ) == ["botpy.parameters.sniper_stop_atr = 1.5 (the file has 5.0)"]
    assert parameters.overridden_by_file({"sniper_stop_atr": 1.5}, {}) == []
