"""`botpy install-ui`: put a FreqUI build where freqtrade serves it, without the internet.

freqtrade serves FreqUI from `rpc/api_server/ui/installed/` inside its package, and
`freqtrade install-ui` fills that folder from GitHub. This does the same from a local build (a
folder or a zip holding `index.html`), by default `../shared/frequi/` next to the repository;
with no local build it runs `freqtrade install-ui`. Like freqtrade, it empties the folder first
(keeping freqtrade's own `.gitkeep` and `fallback_file.html`) and records the version in
`.uiversion`.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from freqtrade.commands.deploy_ui import clean_ui_subdir

from botpy_ext.cli import LaunchError

logger = logging.getLogger(__name__)

SHARED_BUILD = Path("..") / "shared" / "frequi"  # relative to the repository (or the cwd)
# the shared build's own notes, not part of the UI (its README: "everything but this README
# and LICENSE")
NOT_COPIED = frozenset({"README.md", "LICENSE"})
VERSION_FILE = ".uiversion"  # freqtrade's `/ui_version` and `install-ui` read it
REPO = Path(__file__).resolve().parents[1]


def served_ui_dir() -> Path:
    """The folder freqtrade serves FreqUI from (`freqtrade/commands/deploy_commands.py`)."""
    import freqtrade

    return Path(freqtrade.__file__).parent / "rpc" / "api_server" / "ui" / "installed"


def default_build_candidates() -> list[Path]:
    """`../shared/frequi/` next to the repository this package runs from, then next to the
    current directory (a copy of the repository elsewhere, or a wheel install)."""
    candidates = [(REPO / SHARED_BUILD).resolve(), (Path.cwd() / SHARED_BUILD).resolve()]
    return list(dict.fromkeys(candidates))


def find_default_build() -> Path | None:
    return next((path for path in default_build_candidates()
                 if (path / "index.html").is_file()), None)


def build_root(folder: Path, source: Path) -> Path:
    """The folder holding `index.html`: `folder` itself, or its only subfolder (a zip of
    `dist/`). `source` is what the user named, for the error message."""
    if (folder / "index.html").is_file():
        return folder
    entries = [entry for entry in folder.iterdir() if entry.name not in NOT_COPIED]
    if len(entries) == 1 and (entries[0] / "index.html").is_file():
        return entries[0]
    raise LaunchError(f"{source} is not a FreqUI build: no index.html in it")


def copy_build(root: Path, target: Path) -> int:
    """Copy the build's files into `target` (contents only: the shared build is read-only, the
    installed copy must stay removable); returns the number of files copied."""
    copied = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        # the version file is written by install_folder, after the copy
        if str(relative) in NOT_COPIED or str(relative) == VERSION_FILE:
            continue
        destination = target / relative
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied += 1
    return copied


def build_version(root: Path, source: Path) -> str:
    """The build's own `.uiversion` when it has one, else where it came from."""
    own = root / VERSION_FILE
    return own.read_text().strip() if own.is_file() else f"local build {source.resolve()}"


def install_folder(folder: Path, target: Path, source: Path) -> int:
    """Replace `target`'s contents with the build in `folder`; returns the files copied."""
    root = build_root(folder, source)
    version = build_version(root, source)
    clean_ui_subdir(target)
    target.mkdir(parents=True, exist_ok=True)
    copied = copy_build(root, target)
    (target / VERSION_FILE).write_text(version)
    return copied


def install_zip(archive: Path, target: Path) -> int:
    """Unpack `archive` (zipfile drops `..` and absolute member paths) and install it."""
    with tempfile.TemporaryDirectory(prefix="frequi-") as unpacked:
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked)
        except zipfile.BadZipFile:
            raise LaunchError(f"{archive} is neither a folder nor a zip file") from None
        return install_folder(Path(unpacked), target, archive)


def install_build(source: Path, target: Path) -> int:
    """Install the FreqUI build at `source` (a folder or a zip) into `target`; returns the
    number of files copied. Raises LaunchError naming the path when it is not a build."""
    if source.is_dir():
        return install_folder(source, target, source)
    if source.is_file():
        return install_zip(source, target)
    raise LaunchError(f"FreqUI build {source} not found (give a folder or a zip with --from)")


def run_freqtrade_install_ui() -> int:
    """freqtrade's own installer: downloads the latest FreqUI release from GitHub."""
    freqtrade = Path(sys.executable).parent / "freqtrade"
    looked = ", ".join(str(path) for path in default_build_candidates())
    logger.info("No local FreqUI build (looked in %s): running `freqtrade install-ui`", looked)
    return subprocess.run([str(freqtrade), "install-ui"], check=False).returncode


def install_ui(args: argparse.Namespace) -> int:
    """`botpy install-ui [--from DIR|ZIP]`."""
    source = Path(args.source).expanduser() if args.source else find_default_build()
    if source is None:
        return run_freqtrade_install_ui()
    target = served_ui_dir()
    try:
        copied = install_build(source, target)
    except OSError as exc:  # e.g. freqtrade installed read-only, system-wide
        raise LaunchError(f"cannot install FreqUI into {target}: {exc}") from None
    logger.info("FreqUI installed from %s: %d files in %s (version: %s). freqtrade serves it "
                "at its API server's address, e.g. http://127.0.0.1:8080 (login: `botpy secrets`)",
                source, copied, target, (target / VERSION_FILE).read_text())
    return 0
