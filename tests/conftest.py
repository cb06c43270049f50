"""Shared fixtures: the real data and a freqtrade user directory."""

from __future__ import annotations

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
