"""Sector correlation: at most `max_open` open trades per sector, counted from open trades.

The map is a JSON file, `{"sectors": {"L1": ["ETH", "SOL", ...], ...}}`: the one shipped with
the package (`DEFAULT_MAP`) unless `botpy.guards.sector.map_file` names the user's own (relative to
`<userdir>/config/`, or absolute). Assets missing from it are each in their own sector
(`unknown: "own"`) or all in one named sector.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from botpy_ext.guards.refusal import Refusal
from botpy_ext.guards.settings import SectorSettings

GUARD = "sector"
OWN = "own"
DEFAULT_MAP = Path(__file__).with_name("sectors.json")


class SectorMapError(ValueError):
    pass


def map_path(map_file: str, config_dir: Path) -> Path:
    """The map `map_file` names: the packaged default when empty, else a path relative to the
    user directory's `config/` (or absolute)."""
    if not map_file:
        return DEFAULT_MAP
    path = Path(map_file).expanduser()
    return path if path.is_absolute() else config_dir / path


def load_map(path: Path) -> dict[str, str]:
    """asset -> sector from the map file; a clear error for a missing or malformed file."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise SectorMapError(f"sector map {path} not found (botpy.guards.sector.map_file)") \
            from None
    except json.JSONDecodeError as exc:
        raise SectorMapError(f"sector map {path} is not valid JSON: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:  # a directory, no permission, not text
        raise SectorMapError(f"sector map {path} cannot be read "
                             f"(botpy.guards.sector.map_file): {exc}") from None
    sectors = raw.get("sectors") if isinstance(raw, dict) else None
    if not isinstance(sectors, dict) or not all(
            isinstance(assets, list) and all(isinstance(a, str) for a in assets)
            for assets in sectors.values()):
        raise SectorMapError(f"sector map {path}: expected {{\"sectors\": {{\"<sector>\": "
                             f"[\"<asset>\", ...]}}}}")
    if not any(sectors.values()):
        raise SectorMapError(f"sector map {path} maps no asset: the guard would do nothing "
                             "(switch it off with botpy.guards.sector.enabled = false)")
    mapping: dict[str, str] = {}
    for sector, assets in sectors.items():
        for asset in assets:
            if "/" in asset:
                raise SectorMapError(f"sector map {path}: {asset!r} in {sector} is a pair; the "
                                     f"map lists base assets ({asset.split('/')[0]!r})")
            if asset.upper() in mapping:
                raise SectorMapError(f"sector map {path}: {asset.upper()} is in both "
                                     f"{mapping[asset.upper()]} and {sector}")
            mapping[asset.upper()] = sector
    return mapping


def unmapped(pairs: Iterable[str], mapping: Mapping[str, str]) -> list[str]:
    """The base assets of `pairs` the map does not know, sorted."""
    return sorted({pair.split("/")[0].upper() for pair in pairs} - set(mapping))


def unmapped_warning(pairs: list[str], mapping: Mapping[str, str], path: Path,
                     settings: SectorSettings) -> str | None:
    missing = unmapped(pairs, mapping)
    if not missing:
        return None
    share = ("each is its own sector (`unknown` 'own'), so the guard does not limit them"
             if settings.unknown == OWN else f"they all count as sector {settings.unknown!r}")
    return (f"sector: {len(missing)} of the whitelist's {len(set(pairs))} assets are not in the "
            f"sector map {path}: {', '.join(missing)}; {share}. Add them to a map of yours "
            "(botpy.guards.sector.map_file)")


def sector_of(pair: str, mapping: dict[str, str], unknown: str) -> str:
    base = pair.split("/")[0].upper()
    if base in mapping:
        return mapping[base]
    return f"{base} (unmapped)" if unknown == OWN else unknown


def check(pair: str, open_pairs: Iterable[str], mapping: dict[str, str],
          settings: SectorSettings) -> Refusal | None:
    sector = sector_of(pair, mapping, settings.unknown)
    holders = sorted(p for p in open_pairs
                     if p != pair and sector_of(p, mapping, settings.unknown) == sector)
    if len(holders) >= settings.max_open:
        return Refusal(GUARD, f"{pair}: sector {sector} already holds {len(holders)} open "
                       f"trade(s) ({', '.join(holders)}; max {settings.max_open})", None, pair)
    return None
