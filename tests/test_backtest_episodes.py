"""`freqtrade backtesting` of BotpyStrategy on the synthetic market against its ground truth.

The config makes every trade close on its second candle (`minimal_roi` 1: -1) and
allows any number of open trades, so each entry signal becomes a trade and no earlier trade can
hide a planted one, while trades entered on the same candle are open together (the sector
guard sees them). The entry engine is checked with every guard off; the guards that have planted
episodes (anti-whale, BTC breaker, sector) with only them on.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.helpers import GUARDS_OFF, backtest_botpy_trades, refusals

ONE_MINUTE = pd.Timedelta(minutes=1)
EPISODE_GUARDS = ("anti_whale", "btc_breaker", "sector")
ISOLATED = {"minimal_roi": {"1": -1}, "max_open_trades": -1, "stake_amount": 20,
            "dry_run_wallet": 1_000_000}


@pytest.fixture(scope="module")
def trades(synthetic_market, tmp_path_factory, userdir) -> pd.DataFrame:
    return backtest_botpy_trades(
        synthetic_market, tmp_path_factory.mktemp("episodes"), userdir, "20240113-20240310",
        guards=GUARDS_OFF, **ISOLATED)


@pytest.fixture(scope="module")
def guarded(synthetic_market, tmp_path_factory, userdir) -> pd.DataFrame:
    guards = GUARDS_OFF | {name: {"enabled": True} for name in EPISODE_GUARDS}
    return backtest_botpy_trades(
        synthetic_market, tmp_path_factory.mktemp("guarded"), userdir, "20240113-20240310",
        guards=guards, **ISOLATED)


def episodes(market) -> list[dict]:
    return json.loads((market / "episodes.json").read_text())["episodes"]


def entry_episodes(market) -> list[dict]:
    return [e for e in episodes(market) if e["expect"]["entry_without_guards"]
            or e["expect"]["entry"]]


def test_every_planted_setup_enters_with_its_tag_at_its_candle(trades, synthetic_market):
    """With the guards off the whale, BTC-dump and sector episodes enter too."""
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


def entered(frame: pd.DataFrame, pair: str, opened: pd.Timestamp) -> bool:
    return bool(((frame["pair"] == pair) & (frame["open_date"] == opened)).any())


def test_guards_block_the_planted_whale_and_btc_dump_entries(guarded, synthetic_market):
    refused = refusals(guarded.attrs["log"])
    checked = set()
    for episode in entry_episodes(synthetic_market):
        blocked_by = episode["expect"]["blocked_by"]
        if blocked_by == "sector":
            continue
        opened = pd.Timestamp(episode["signal_time"]) + ONE_MINUTE
        if blocked_by is None:
            assert entered(guarded, episode["pair"], opened), episode["id"]
            continue
        assert not entered(guarded, episode["pair"], opened), episode["id"]
        by = refused[(refused["pair"] == episode["pair"]) & (refused["time"] == opened)]
        assert list(by["guard"]) == [blocked_by], (episode["id"], by)
        checked.add(blocked_by)
    assert checked == {"anti_whale", "btc_breaker"}


def test_sector_guard_lets_one_pair_of_the_cluster_in(guarded, trades, synthetic_market):
    cluster = next(e for e in episodes(synthetic_market) if e["kind"] == "sector_cluster")
    opened = pd.Timestamp(cluster["signal_time"]) + ONE_MINUTE
    pairs = cluster["details"]["pairs"]
    inside = [pair for pair in pairs if entered(guarded, pair, opened)]
    assert len(inside) == cluster["expect"]["max_entries"] == 1
    refused = refusals(guarded.attrs["log"])
    at_cluster = refused[refused["time"] == opened]
    assert sorted(at_cluster["pair"]) == sorted(set(pairs) - set(inside))
    assert set(at_cluster["guard"]) == {"sector"}
    assert all(inside[0] in reason for reason in at_cluster["reason"])
    assert all(entered(trades, pair, opened) for pair in pairs)  # guards off: all three


def test_guards_remove_exactly_the_entries_they_refuse(guarded, trades):
    """Each trade lasts one candle and slots are unlimited, so the guarded run is the unguarded
    one minus the refused entries: no guard blocks an entry it does not name, and none lets
    through one it refused."""
    key = ["pair", "open_date"]
    unguarded = set(map(tuple, trades[key].itertuples(index=False)))
    kept = set(map(tuple, guarded[key].itertuples(index=False)))
    refused = refusals(guarded.attrs["log"])
    refused_keys = set(zip(refused["pair"], refused["time"], strict=True))
    assert kept <= unguarded
    assert unguarded - kept == refused_keys
    assert set(refused["guard"]) == set(EPISODE_GUARDS)
