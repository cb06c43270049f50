"""A freqtrade user's own set-up: `freqtrade create-userdir`, a config of their own (exchange,
pairs, stake, pricing, pairlist: what `freqtrade new-config` writes) and this repository's
strategy file linked into its `strategies/` folder (the README's recipe). BotpyStrategy runs from
there: the sector map shipped with the package, the Fear & Greed history downloaded once into the
user directory (from the stub server standing in for alternative.me), and clear errors naming the
key when neither can be had."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import STRATEGIES, freqtrade, running_simulator, simulator_exchange

PAIRS = ["BTC/USDT", "ETH/USDT"]
TIMERANGE = "20230410-20230413"
TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h")
CLOSED_PORT_URL = "http://127.0.0.1:9/fng/"  # discard port: nothing answers


@pytest.fixture(scope="module")
def simulator(real_data):
    with running_simulator(real_data) as base:
        yield base


@pytest.fixture
def user_dir(tmp_path) -> Path:
    userdir = tmp_path / "ft_userdir"
    result = freqtrade("create-userdir", "--userdir", str(userdir))
    assert result.returncode == 0, result.stderr[-2000:]
    return userdir


@pytest.fixture
def candles_only(real_data, tmp_path) -> Path:
    """The pairs' candles without the shared set's Fear & Greed file (links, not copies)."""
    datadir = tmp_path / "candles"
    datadir.mkdir()
    for pair in PAIRS:
        for timeframe in TIMEFRAMES:
            name = f"{pair.replace('/', '_')}-{timeframe}.feather"
            (datadir / name).symlink_to(real_data / name)
    return datadir


def users_config(userdir: Path, base_url: str, **botpy) -> Path:
    exchange = simulator_exchange(base_url) | {"pair_whitelist": PAIRS}
    config = {
        "max_open_trades": 3,
        "stake_currency": "USDT",
        "stake_amount": "unlimited",
        "dry_run": True,
        "dry_run_wallet": 1000,
        "entry_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1},
        "exit_pricing": {"price_side": "same", "use_order_book": True, "order_book_top": 1},
        "exchange": exchange,
        "pairlists": [{"method": "StaticPairList"}],
        **({"botpy": botpy} if botpy else {}),
    }
    path = userdir / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def backtest(userdir: Path, config: Path, datadir: Path):
    """The README's recipe: the strategy file linked into the user directory's strategies."""
    link = userdir / "strategies" / "BotpyStrategy.py"
    if not link.is_symlink():
        link.symlink_to(STRATEGIES / "BotpyStrategy.py")
    return freqtrade(
        "backtesting", "-c", str(config), "--userdir", str(userdir), "--strategy",
        "BotpyStrategy", "--datadir", str(datadir), "--timerange", TIMERANGE, "--export", "none",
        timeout=600)


def test_backtest_from_a_fresh_user_directory(user_dir, simulator, candles_only):
    """The report, with the packaged sector map, and the index history downloaded once."""
    config = users_config(user_dir, simulator,
                          guards={"fear_greed": {"url": f"{simulator}/fng/"}})
    result = backtest(user_dir, config, candles_only)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "BACKTESTING REPORT" in output
    history = user_dir / "data" / "fear_greed.json"
    assert "days downloaded from" in output and history.exists()
    assert len(json.loads(history.read_text())["data"]) > 30

    again = backtest(user_dir, config, candles_only)  # reused, not downloaded again
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "days downloaded from" not in again.stdout + again.stderr


def test_unreachable_index_says_which_command_or_key(user_dir, simulator, candles_only):
    config = users_config(user_dir, simulator, guards={"fear_greed": {"url": CLOSED_PORT_URL}})
    result = backtest(user_dir, config, candles_only)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "botpy fear-greed download --out" in output
    assert "botpy.guards.fear_greed.enabled = false" in output
    assert not (user_dir / "data" / "fear_greed.json").exists()


def test_a_named_sector_map_that_does_not_exist_is_an_error_naming_the_key(
        user_dir, simulator, candles_only):
    config = users_config(user_dir, simulator, guards={"sector": {"map_file": "mine.json"},
                                                       "fear_greed": {"enabled": False}})
    result = backtest(user_dir, config, candles_only)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"sector map {user_dir / 'config' / 'mine.json'} not found" in output
    assert "botpy.guards.sector.map_file" in output
