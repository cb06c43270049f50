"""Makes the plain `freqtrade` CLI load BOTPY's pairlist (`{"method": "BotpyScannerPairList"}`).

freqtrade 2026.9 accepts only the pairlist names of `freqtrade.constants.AVAILABLE_PAIRLISTS` (its
config schema holds that list object), and `PairListResolver` only searches its own
`freqtrade/plugins/pairlist/` folder. The package installs `botpy-ext-plugins.pth` into
site-packages; Python runs it at start-up, which imports this module. It changes nothing yet: it
adds an import hook that, right after freqtrade imports those two modules, appends BOTPY's name to
the list and adds `botpy_ext/freqtrade_plugins/pairlist/` to the resolver's search path.

No file of freqtrade is touched, so a forced reinstall of freqtrade keeps working. Only the
standard library is imported here: the hook runs in every Python process of the environment.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

PAIRLISTS = ("BotpyScannerPairList",)
PAIRLIST_DIR = Path(__file__).resolve().parent / "pairlist"


def register_names(constants: ModuleType) -> None:
    for name in PAIRLISTS:
        if name not in constants.AVAILABLE_PAIRLISTS:
            constants.AVAILABLE_PAIRLISTS.append(name)


def register_search_path(resolver_module: ModuleType) -> None:
    resolver = resolver_module.PairListResolver
    if getattr(resolver, "botpy_registered", False):
        return
    search_paths = resolver.build_search_paths.__func__

    def build_search_paths(cls, config, user_subdir=None, extra_dirs=None):
        paths = search_paths(cls, config, user_subdir=user_subdir, extra_dirs=extra_dirs)
        return paths if PAIRLIST_DIR in paths else [*paths, PAIRLIST_DIR]

    resolver.build_search_paths = classmethod(build_search_paths)
    resolver.botpy_registered = True


AFTER_IMPORT: dict[str, Callable[[ModuleType], None]] = {
    "freqtrade.constants": register_names,
    "freqtrade.resolvers.pairlist_resolver": register_search_path,
}


class _ThenRegister(importlib.abc.Loader):
    """The module's own loader, followed by BOTPY's registration."""

    def __init__(self, loader: importlib.abc.Loader, register: Callable[[ModuleType], None]):
        self.loader = loader
        self.register = register

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.register(module)

    def __getattr__(self, name: str):  # get_source, get_filename, ... of the real loader
        return getattr(self.loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        register = AFTER_IMPORT.get(fullname)
        if register is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ThenRegister(spec.loader, register)
        return spec


def install() -> None:
    """Register now for modules already imported, at import time for the others."""
    for name, register in AFTER_IMPORT.items():
        if name in sys.modules:
            register(sys.modules[name])
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


install()
