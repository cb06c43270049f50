"""Parameters declared once: a settings dataclass field carries default, range and description.

The strategy turns each field into a freqtrade parameter (`IntParameter`, `DecimalParameter`,
`BooleanParameter`, `CategoricalParameter`) named `<group>_<field>`, so hyperopt, FreqUI and
`buy_params` see them, and reads the current values back into the same dataclass for the pure
functions. No default is written anywhere else.
"""

from __future__ import annotations

import numbers
from dataclasses import Field, dataclass, field, fields
from functools import lru_cache
from typing import Any

import numpy as np
from freqtrade.enums import RunMode
from freqtrade.exceptions import OperationalException
from freqtrade.strategy import (
    BooleanParameter,
    CategoricalParameter,
    DecimalParameter,
    IntParameter,
)
from freqtrade.strategy.parameters import BaseParameter


@dataclass(frozen=True)
class Spec:
    description: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    space: str | None = None  # hyperopt space ("buy"), None = not optimized


def param(default: Any, description: str, *, low: float | None = None,
          high: float | None = None, choices: tuple[str, ...] = (),
          space: str | None = None) -> Any:
    """A settings field: `default` plus what freqtrade and the docs need to know about it."""
    spec = Spec(description, low, high, choices, space)
    return field(default=default, metadata={"spec": spec})


def spec_of(item: Field) -> Spec:
    return item.metadata["spec"]


def to_freqtrade(item: Field) -> BaseParameter:
    """The freqtrade parameter for one settings field."""
    spec, default = spec_of(item), item.default
    space = spec.space or "buy"
    optimize = spec.space is not None
    if isinstance(default, bool):
        return BooleanParameter(default=default, space=space, optimize=optimize)
    if spec.choices:
        return CategoricalParameter(list(spec.choices), default=default, space=space,
                                    optimize=optimize)
    if isinstance(default, int):
        return IntParameter(int(spec.low), int(spec.high), default=default, space=space,
                            optimize=optimize)
    decimals = 3 if spec.high is not None and spec.high <= 1 else 2
    return DecimalParameter(spec.low, spec.high, default=default, decimals=decimals, space=space,
                            optimize=optimize)


def install(strategy_class: type, groups: dict[str, type]) -> None:
    """Add `<group>_<field>` freqtrade parameters to `strategy_class` for every settings field."""
    for group, settings in groups.items():
        for item in fields(settings):
            setattr(strategy_class, f"{group}_{item.name}", to_freqtrade(item))


def current(strategy: object, group: str, settings: type) -> Any:
    """`settings` filled with the strategy's current parameter values; a value out of its range
    stops freqtrade with the parameter's full name and the allowed range. Built once per set of
    values (callbacks run for every open trade on every candle)."""
    values = tuple((item.name, getattr(strategy, f"{group}_{item.name}").value)
                   for item in fields(settings))
    try:
        return built(settings, values)
    except ValueError as exc:
        raise OperationalException(f"Strategy parameter {group}_{exc}") from None


@lru_cache(maxsize=256)
def built(settings: type, values: tuple[tuple[str, Any], ...]) -> Any:
    """The type of each value is checked too: freqtrade loads a parameter file into its
    parameters as it is (an `IntParameter` takes 20.5, a `DecimalParameter` "70")."""
    defaults = {item.name: item.default for item in fields(settings)}
    for name, value in values:
        check_type(value, defaults[name], name)
    return settings(**dict(values))


def contradiction(settings: object, prefix: str) -> str | None:
    """What two values of `settings` say against each other (its `contradicts(prefix)`, where
    it declares one), each named `<prefix><field>`; None when they agree."""
    check = getattr(settings, "contradicts", None)
    return check(prefix) if check else None


def validate(values: object) -> None:
    """Refuse a value outside its declared range, naming the field and the range."""
    for item in fields(values):
        check_range(item, getattr(values, item.name), item.name)


def check_range(item: Field, value: Any, key: str) -> None:
    spec = spec_of(item)
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{key} must be one of {list(spec.choices)}, got {value!r}")
    if spec.low is not None and not spec.low <= value <= spec.high:
        raise ValueError(f"{key} must be in [{spec.low:g}, {spec.high:g}], got {value!r}")


def check_type(value: Any, default: Any, key: str) -> None:
    """JSON's types, and numpy's (hyperopt's values)."""
    boolean = isinstance(value, bool | np.bool_)
    if isinstance(default, bool):
        ok = boolean
    elif isinstance(default, int):
        ok = isinstance(value, numbers.Integral) and not boolean
    elif isinstance(default, float):
        ok = isinstance(value, numbers.Real) and not boolean
    else:
        ok = isinstance(value, type(default))
    if not ok:
        kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
            type(default), f"a {type(default).__name__}")
        raise ValueError(f"{key} must be {kind}, got {value!r}")


# the config's strategy parameter values: {"botpy": {"parameters": {"sniper_stop_atr": 1.5}}}
CONFIG_KEY = ("botpy", "parameters")


def from_config(config: dict, groups: dict[str, type]) -> dict[str, dict[str, Any]]:
    """The `botpy.parameters` values of a freqtrade config by hyperopt space ("buy", "sell"),
    for the strategy's `buy_params` / `sell_params`: freqtrade applies them over the defaults,
    and a parameter file (hyperopt's export) over them. Unknown names, wrong types and values out
    of range stop freqtrade at start-up with the full key and the allowed range."""
    section, name = CONFIG_KEY
    key = f"{section}.{name}"
    declared = {f"{group}_{item.name}": item
                for group, settings in groups.items() for item in fields(settings)}
    by_space: dict[str, dict[str, Any]] = {"buy": {}, "sell": {}}
    try:
        if not isinstance(config.get(section, {}), dict):
            raise ValueError(f"{section} must be an object, got {config[section]!r}")
        values = config.get(section, {}).get(name, {})
        if not isinstance(values, dict):
            raise ValueError(f"{key} must be an object, got {values!r}")
        for parameter, value in values.items():
            if parameter not in declared:
                raise ValueError(f"{key}.{parameter} is not a strategy parameter (the parameter "
                                 "tables of docs/strategy.md and docs/trade-management.md list "
                                 "them)")
            item = declared[parameter]
            check_type(value, item.default, f"{key}.{parameter}")
            check_range(item, value, f"{key}.{parameter}")
            by_space[spec_of(item).space or "buy"][parameter] = value
        for group, settings in settings_with(groups, values).items():
            if found := contradiction(settings, f"{key}.{group}_"):
                raise ValueError(found)
    except ValueError as exc:
        raise OperationalException(f"Invalid config: {exc}") from None
    return by_space


def overridden_by_file(configured: dict[str, Any], from_file: dict[str, Any]) -> list[str]:
    """The config's `botpy.parameters` (by name) that the strategy's parameter file (by name)
    sets to another value, as 'botpy.parameters.NAME = V (the file has W)': freqtrade's
    parameter file wins, and hyperopt's export holds every parameter, also those it did not
    optimize."""
    section, name = CONFIG_KEY
    return [f"{section}.{name}.{parameter} = {value!r} (the file has {from_file[parameter]!r})"
            for parameter, value in configured.items()
            if parameter in from_file and from_file[parameter] != value]


FILE_OVERRIDES = ("freqtrade's parameter file wins, and hyperopt writes every parameter into it, "
                  "also those it did not optimize: delete the file (or these keys from it) for "
                  "the config's values to apply")


def declared(groups: dict[str, type]) -> dict[str, Field]:
    """Every settings field by its parameter name, `<group>_<field>`."""
    return {f"{group}_{item.name}": item
            for group, settings in groups.items() for item in fields(settings)}


def from_parameter_file(document: Any, strategy_name: str, groups: dict[str, type],
                        where: str) -> dict[str, dict[str, Any]]:
    """The values of a strategy parameter file (hyperopt's export: `{"strategy_name": ...,
    "params": {"buy": {...}, "sell": {...}}}`) by hyperopt space, read as freqtrade reads them:
    a parameter only from its own space, other names ignored. A file of another strategy, a
    wrong type or a value out of range is refused, naming `where` and the key."""
    by_space: dict[str, dict[str, Any]] = {"buy": {}, "sell": {}}
    try:
        if not isinstance(document, dict) or document.get("strategy_name") != strategy_name:
            found = document.get("strategy_name") if isinstance(document, dict) else document
            raise ValueError(f"strategy_name must be {strategy_name!r}, got {found!r}")
        spaces = document.get("params") or {}
        if not isinstance(spaces, dict):
            raise ValueError(f"params must be an object, got {spaces!r}")
        for parameter, item in declared(groups).items():
            space = spec_of(item).space or "buy"
            values = spaces.get(space) or {}
            if not isinstance(values, dict):
                raise ValueError(f"params.{space} must be an object, got {values!r}")
            if parameter in values:
                value = values[parameter]
                check_type(value, item.default, f"params.{space}.{parameter}")
                check_range(item, value, f"params.{space}.{parameter}")
                by_space[space][parameter] = value
    except ValueError as exc:
        raise OperationalException(f"Invalid parameter file {where}: {exc}") from None
    return by_space


def settings_with(groups: dict[str, type], values: dict[str, Any]) -> dict[str, Any]:
    """Each group's settings with `values` (by parameter name) over the defaults. Each value
    passes through its freqtrade parameter first, as in the strategy (a `DecimalParameter`
    rounds: 0.0525 with 3 decimals runs as 0.052)."""
    built_groups = {}
    for group, settings in groups.items():
        given = {}
        for item in fields(settings):
            if f"{group}_{item.name}" in values:
                parameter = to_freqtrade(item)
                parameter.value = values[f"{group}_{item.name}"]
                given[item.name] = parameter.value
        built_groups[group] = settings(**given)
    return built_groups


def markdown_table(groups: dict[str, type]) -> str:
    """The parameter reference of the docs, generated from the declarations."""
    rows = ["| parameter | default | range | hyperopt | description |", "|---|---|---|---|---|"]
    for group, settings in groups.items():
        for item in fields(settings):
            spec = spec_of(item)
            rows.append(f"| `{group}_{item.name}` | {item.default} | {span(spec, 'on/off')} | "
                        f"{spec.space or '—'} | {spec.description} |")
    return "\n".join(rows) + "\n"


def span(spec: Spec, otherwise: str) -> str:
    """The allowed values of a field, as the docs show them."""
    if spec.choices:
        return "/".join(spec.choices)
    return f"{spec.low:g}–{spec.high:g}" if spec.low is not None else otherwise


# hyperopt spaces that contain the entry engine's parameters ("default" and "all" include "buy")
SIGNAL_SPACES = {"buy", "default", "all"}


def check_hyperopt(config: dict) -> None:
    """Refuse a hyperopt of the entry parameters that could not change anything.

    The engine computes the signals in `populate_indicators` (one pass over every timeframe),
    which hyperopt runs once, before the first epoch, unless `--analyze-per-epoch` is given.
    """
    if config.get("runmode") != RunMode.HYPEROPT or config.get("analyze_per_epoch"):
        return
    spaces = set(config.get("spaces") or ["default"])
    if spaces & SIGNAL_SPACES:
        raise OperationalException(
            "BotpyStrategy computes its entry signals in populate_indicators, which hyperopt runs "
            "once: the buy-space parameters would have no effect. Run hyperopt with "
            "--analyze-per-epoch, or optimize other spaces only (--spaces sell).")
