"""In Virtual mode (`freqtrade trade` against the replaying simulator) a tripped guard shows up
as a lock with its reason through the REST API (`/api/v1/locks`), as FreqUI and `/locks` show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import (
    GUARDS_OFF,
    TradingBot,
    analysing,
    free_port,
    overlay_config,
    running_simulator,
    wait_until,
)

REPLAY_START = "2024-02-05T10:00"  # a quiet hour of the synthetic market


@contextmanager
def virtual_bot(market, tmp_path, userdir, guards: dict, pairs: list[str]
                ) -> Iterator[TradingBot]:
    """A started Virtual-mode bot with only `guards` on, its candles analysed."""
    port = free_port()
    with running_simulator(market, "--clock", "replay", "--start", REPLAY_START,
                           log=tmp_path / "sim.log") as base:
        config = overlay_config(
            tmp_path, "virtual", base, pairs=pairs, guards=GUARDS_OFF | guards,
            db_url=f"sqlite:///{tmp_path / 'locks.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port},
        )
        bot = TradingBot(config, userdir, port, tmp_path / "bot.log", pairs[0])
        with analysing(bot):
            yield bot


def locks(bot: TradingBot) -> list[dict]:
    return bot.get("locks").json()["locks"]


def force(bot: TradingBot, pair: str):
    return bot.post("forceenter", {"pair": pair, "entry_tag": "momentum:sniper",
                                   "ordertype": "market"})


def test_sector_guard_locks_the_second_pair_of_a_sector(synthetic_market, tmp_path, userdir):
    """With the liquidity guard on too: the simulator's order book is fetched and passes."""
    pairs = ["SOL/USDT", "AVAX/USDT", "DOGE/USDT", "BTC/USDT"]
    guards = {"sector": {"enabled": True}, "liquidity": {"enabled": True}}  # the book: passes
    with virtual_bot(synthetic_market, tmp_path, userdir, guards, pairs) as bot:
        assert force(bot, "SOL/USDT").status_code == 200
        wait_until(lambda: bot.open_trade() is not None, 120, interval=2)
        force(bot, "AVAX/USDT")
        wait_until(lambda: locks(bot), 60, interval=1)
        [lock] = locks(bot)
        assert lock["pair"] == "AVAX/USDT" and lock["active"]
        assert lock["reason"] == ("sector: AVAX/USDT: sector L1 already holds 1 open trade(s) "
                                  "(SOL/USDT; max 1)")
        assert force(bot, "DOGE/USDT").status_code == 200  # another sector: no lock
        statuses = {trade["pair"] for trade in bot.get("status").json()}
        assert statuses == {"SOL/USDT", "DOGE/USDT"}
        assert "Entry refused for AVAX/USDT" in bot.log.read_text()


def test_unreachable_fear_greed_index_locks_every_pair(synthetic_market, tmp_path, userdir):
    unreachable = {"enabled": True, "url": "http://127.0.0.1:9/fng/", "timeout_s": 0.5,
                   "retries": 0}
    with virtual_bot(synthetic_market, tmp_path, userdir, {"fear_greed": unreachable},
                     ["ETH/USDT", "BTC/USDT"]) as bot:
        force(bot, "ETH/USDT")
        wait_until(lambda: locks(bot), 60, interval=1)
        [lock] = locks(bot)
        assert lock["pair"] == "*" and lock["active"]
        assert lock["reason"].startswith("fear_greed: Fear & Greed Index unavailable "
                                         "(http://127.0.0.1:9/fng/ unreachable")
        assert "policy: block" in lock["reason"]
        assert bot.get("status").json() == []
