"""Shared fixtures: the real data and a freqtrade user directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import REAL_DATA, freqtrade


@pytest.fixture(scope="session")
def real_data() -> Path:
    assert (REAL_DATA / "BTC_USDT-1m.feather").exists(), f"real data expected in {REAL_DATA}"
    return REAL_DATA


@pytest.fixture(scope="session")
def userdir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("userdir")
    result = freqtrade("create-userdir", "--userdir", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="session")
def synthetic_market(tmp_path_factory) -> Path:
    """The default synthetic market (seed 7, 75 days), generated once per test session."""
    from botpy_ext.synthetic import generate_market, write_market

    path = tmp_path_factory.mktemp("synthetic")
    write_market(generate_market(7, 75), path)
    return path


def pytest_sessionfinish(session, exitstatus):
    """A skipped test fails the run (CI's `make test`): a skip hides missing work, e.g. the
    browser tests without chromium. BOTPY_ALLOW_SKIPS=1 accepts them on a machine without root
    that cannot install chromium."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0 and os.environ.get("BOTPY_ALLOW_SKIPS") != "1":
        reporter.write_line(f"{skipped} test(s) skipped: the run fails (BOTPY_ALLOW_SKIPS=1 "
                            "accepts skips)", red=True)
        session.exitstatus = 1
