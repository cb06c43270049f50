"""The entry engine's settings as the strategy runs them, for the scanner.

freqtrade gives each strategy parameter its default, then the config's `botpy.parameters` (which
BotpyStrategy passes as `buy_params` / `sell_params`), then the strategy's parameter file, which
wins (`HyperStrategyMixin.ft_load_hyper_params`). The parameter file is hyperopt's export,
`<strategy file>.json`: next to the file that defines the strategy class, named like that file.
The scanner finds the strategy file where freqtrade looks for it: `strategy_path` (config or
`--strategy-path`), the subfolders of `<user_data_dir>/strategies` with
`recursive_strategy_search`, then `<user_data_dir>/strategies`; the class is the config's
`strategy`, BotpyStrategy when it names none (`freqtrade test-pairlist` needs no strategy).
"""

from __future__ import annotations

import ast
import logging
import os
from dataclasses import fields
from pathlib import Path
from typing import Any, NamedTuple

from freqtrade.constants import USERPATH_STRATEGIES
from freqtrade.optimize.hyperopt_tools import HyperoptTools
from freqtrade.resolvers.strategy_resolver import StrategyResolver

from botpy_ext import parameters
from botpy_ext.exits.settings import TRADE_SETTINGS_GROUPS
from botpy_ext.setups.engine import EngineSettings
from botpy_ext.setups.settings import SETTINGS_GROUPS

logger = logging.getLogger(__name__)

STRATEGY = "BotpyStrategy"  # the strategy the scanner mirrors when the config names none
# Every parameter of the strategy (its PARAMETER_GROUPS): a config or parameter file is
# validated whole, as the strategy validates it, though the scanner uses the engine's only.
STRATEGY_GROUPS: dict[str, type] = {**SETTINGS_GROUPS, **TRADE_SETTINGS_GROUPS}
CONFIG_SOURCE = "config " + ".".join(parameters.CONFIG_KEY)


class StrategyValues(NamedTuple):
    engine: EngineSettings
    # where the engine's values come from: "defaults", "config botpy.parameters",
    # "parameter file <path>" or "parameter file <path> over config botpy.parameters"
    source: str
    changed: dict[str, Any]  # the engine parameters that differ from their defaults, by name

    def describe(self) -> str:
        if not self.changed:
            return self.source if self.source == "defaults" else (
                f"{self.source} (every engine value at its default)")
        values = ", ".join(f"{name}={value!r}" for name, value in self.changed.items())
        return f"{self.source}: {values}"


def strategy_name(config: dict) -> str:
    return config.get("strategy") or STRATEGY


def search_paths(config: dict) -> list[Path]:
    """The folders freqtrade searches for the strategy, in its order (StrategyResolver's own
    `build_search_paths`, with the subfolders `_load_strategy` adds for a recursive search)."""
    user_data = Path(config["user_data_dir"])
    subfolders = [folder for folder, _, _ in os.walk(user_data / USERPATH_STRATEGIES)] if (
        config.get("recursive_strategy_search")) else []
    found = StrategyResolver.build_search_paths({**config, "user_data_dir": user_data},
                                                user_subdir=USERPATH_STRATEGIES,
                                                extra_dirs=subfolders)
    return list(dict.fromkeys(found))


def defines(path: Path, name: str) -> bool:
    """`path` defines the class `name` at its top level. freqtrade imports the file to check;
    the scanner only parses it (no strategy code runs in the pairlist)."""
    try:
        text = path.read_text(encoding="utf-8")
        return f"class {name}(" in text and any(
            isinstance(node, ast.ClassDef) and node.name == name for node in ast.parse(text).body)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return False


def strategy_file(config: dict) -> Path | None:
    """The first `.py` file defining the strategy class in freqtrade's search order; a symlink
    is kept as it is: freqtrade reads the parameter file next to the link."""
    name = strategy_name(config)
    for folder in search_paths(config):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.suffix == ".py" and entry.is_file() and defines(entry, name):
                return entry
    return None


def read_parameter_file(path: Path) -> Any:
    """The parameter file's content, None if there is none. A file that is not JSON is ignored
    with a warning, as freqtrade ignores it (the strategy then runs without it)."""
    if not path.is_file():
        return None
    try:
        return HyperoptTools.load_params_from_file(path)
    except ValueError as exc:
        logger.warning(f"Parameter file {path} is not valid JSON ({exc}): ignored, as freqtrade "
                       "ignores it.")
        return None


def flat(by_space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: value for values in by_space.values() for name, value in values.items()}


def given_values(config: dict, parameter_file: Path | None
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The strategy parameters the config's `botpy.parameters` sets and those its parameter
    file (None: none read) sets, by name; the file's win. Invalid values stop with the key."""
    configured = flat(parameters.from_config(config, STRATEGY_GROUPS))
    document = None if parameter_file is None else read_parameter_file(parameter_file)
    from_file = {} if document is None else flat(parameters.from_parameter_file(
        document, strategy_name(config), STRATEGY_GROUPS, str(parameter_file)))
    return configured, from_file


def strategy_values(config: dict, parameter_file: Path | None) -> StrategyValues:
    """The engine settings the strategy runs with, given its config and its parameter file
    (None: none read), and where they come from. Invalid values stop freqtrade with the key."""
    configured, from_file = given_values(config, parameter_file)
    engine = EngineSettings(**parameters.settings_with(SETTINGS_GROUPS,
                                                       configured | from_file))
    engine_names = parameters.declared(SETTINGS_GROUPS).keys()
    sources = [f"parameter file {parameter_file}" if engine_names & from_file.keys() else "",
               CONFIG_SOURCE if engine_names & (configured.keys() - from_file.keys()) else ""]
    return StrategyValues(engine, " over ".join(filter(None, sources)) or "defaults",
                          changed(engine))


def changed(engine: EngineSettings) -> dict[str, Any]:
    """The engine's values that differ from their defaults, by parameter name."""
    return {f"{group}_{item.name}": getattr(getattr(engine, group), item.name)
            for group, settings in SETTINGS_GROUPS.items() for item in fields(settings)
            if getattr(getattr(engine, group), item.name) != item.default}
