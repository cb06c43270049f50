"""`freqtrade backtesting` of BotpyStrategy on the synthetic market against its ground truth.

The config makes every trade close on its first candle (`minimal_roi` 0: -1) and allows any
number of open trades, so each entry signal becomes a trade and no earlier trade can hide a
planted one.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.helpers import backtest_botpy_trades

ONE_MINUTE = pd.Timedelta(minutes=1)


@pytest.fixture(scope="module")
def trades(synthetic_market, tmp_path_factory, userdir) -> pd.DataFrame:
    return backtest_botpy_trades(
        synthetic_market, tmp_path_factory.mktemp("episodes"), userdir, "20240113-20240310",
        minimal_roi={"0": -1}, max_open_trades=-1, stake_amount=20, dry_run_wallet=1_000_000)


def episodes(market) -> list[dict]:
    return json.loads((market / "episodes.json").read_text())["episodes"]


def entry_episodes(market) -> list[dict]:
    return [e for e in episodes(market) if e["expect"]["entry_without_guards"]
            or e["expect"]["entry"]]


def test_every_planted_setup_enters_with_its_tag_at_its_candle(trades, synthetic_market):
    """Guards are not part of the entry engine: the whale, BTC-dump and sector episodes enter
    here too (the guards issue blocks them)."""
    checked = 0
    for episode in entry_episodes(synthetic_market):
        if episode["kind"] == "sector_cluster":
            continue
        opened = pd.Timestamp(episode["signal_time"]) + ONE_MINUTE
        found = trades[(trades["pair"] == episode["pair"]) & (trades["open_date"] == opened)]
        assert len(found) == 1, f"{episode['id']}: no trade opened at {opened}"
        tag = found["enter_tag"].iloc[0]
        assert tag.split(":")[0] == episode["expect"]["enter_tag"], (episode["id"], tag)
        assert (":" in tag) == (episode["expect"]["enter_tag"] != "ignition")
        checked += 1
    assert checked >= 10


def test_sector_cluster_pairs_all_signal_together(trades, synthetic_market):
    cluster = next(e for e in episodes(synthetic_market) if e["kind"] == "sector_cluster")
    opened = pd.Timestamp(cluster["signal_time"]) + ONE_MINUTE
    found = trades[trades["open_date"] == opened]
    assert set(cluster["details"]["pairs"]) <= set(found["pair"])


def test_bearish_5m_close_gives_no_entry(trades, synthetic_market):
    for episode in episodes(synthetic_market):
        if episode["kind"] != "precision_bearish_5m":
            continue
        trigger = pd.Timestamp(episode["details"]["trigger_time"])
        pair_trades = trades[trades["pair"] == episode["pair"]]
        during = pair_trades[(pair_trades["open_date"] > trigger)
                             & (pair_trades["open_date"] <= trigger + pd.Timedelta(minutes=60))]
        assert during.empty, during[["open_date", "enter_tag"]]
