"""The guards as a live bot runs them, in process, with freqtrade's resolver and persistence:
the locks of the account-wide guards, a scale-in (it adds to the account's risk like an entry:
the guards about the account and the market, and the liquidity for the added order, come before
it; spec §6, "before every entry"), a guard that fails, and a guard switched off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from freqtrade.enums import CandleType
from freqtrade.persistence import Order, Trade

from botpy_ext.exits.candles import CandleArrays
from botpy_ext.guards.settings import GUARD_SETTINGS
from tests.helpers import live_strategy

PAIR = "ETH/USDT"
OPENED = datetime(2024, 2, 5, 10, 0, 30, tzinfo=UTC)
LOOK = OPENED + timedelta(minutes=1, seconds=5)  # the entry candle (10:00) has closed
ORDER_IDS = count()
STREAK_ONLY = {name: {"enabled": name == "losing_streak"} for name in GUARD_SETTINGS}


def add_trade(pair: str, is_open: bool, profit: float = 0.0, closed: datetime | None = None):
    trade = Trade(pair=pair, base_currency=pair.split("/")[0], stake_currency="USDT",
                  open_rate=2000.0, open_date=OPENED - timedelta(hours=2) if closed else OPENED,
                  fee_open=0.001, fee_close=0.001, stake_amount=100.0, amount=0.05,
                  exchange="binance", enter_tag="precision:sniper", is_open=is_open,
                  leverage=1.0)
    if closed:
        trade.close_date, trade.close_profit_abs, trade.close_rate = closed, profit, 1990.0
    Trade.session.add(trade)
    trade.orders.append(Order(
        ft_order_side="buy", ft_pair=pair, ft_is_open=False, order_id=f"o{next(ORDER_IDS)}",
        ft_amount=0.05, ft_price=2000.0, status="closed", price=2000.0, average=2000.0,
        amount=0.05, filled=0.05, order_type="limit", side="buy",
        order_filled_date=trade.open_date))
    Trade.commit()
    return trade


def analysed(strategy) -> None:
    """ETH's candles up to the entry candle, which closed bullish (1990 -> 1995): the one look
    at the scale-in finds it confirming."""
    dates = pd.date_range(OPENED - timedelta(minutes=39, seconds=30), periods=40, freq="1min",
                          tz="UTC")
    frame = pd.DataFrame({"date": dates, "open": 1990.0, "high": 1996.0, "low": 1985.0,
                          "close": 1995.0, "volume": 10.0, "atr_15m": 4.0,
                          "atr_day_median_15m": np.nan, "quote_volume_mean": 1e9})
    strategy.dp._set_cached_df(PAIR, "1m", frame, CandleType.SPOT)
    strategy._candles[PAIR] = CandleArrays.of(frame, ("close", "atr_15m", "atr_day_median_15m",
                                                      "quote_volume_mean"))
    strategy.wallets = SimpleNamespace(get_starting_balance=lambda: 1000.0)


@pytest.mark.parametrize("losses", [0, 5])
def test_a_scale_in_waits_for_the_losing_streak_like_an_entry(tmp_path, caplog, losses):
    strategy = live_strategy(tmp_path, STREAK_ONLY)
    for n in range(losses):  # five losses in a row closed half an hour ago: a 4 h pause
        add_trade("SOL/USDT", False, -1.0, OPENED - timedelta(minutes=30 + n))
    trade = add_trade(PAIR, True)
    analysed(strategy)
    answer = strategy.adjust_trade_position(trade, LOOK, 1996.0, 0.0, 5.0, 1000.0)
    if losses:
        assert answer is None
        assert "Scale-in refused for ETH/USDT" in caplog.text
        assert "losing_streak: 5 losing trades in a row" in caplog.text
    else:
        assert answer is not None and answer[1] == "scale_in" and answer[0] > 0
    # one look: the decision stands, whatever comes later
    assert strategy.adjust_trade_position(trade, LOOK + timedelta(minutes=1), 1996.0, 0.0, 5.0,
                                          1000.0) is None


def test_a_guard_that_fails_refuses_the_order(tmp_path, caplog):
    """freqtrade lets an entry through when `confirm_trade_entry` raises."""
    strategy = live_strategy(tmp_path, STREAK_ONLY)
    add_trade(PAIR, True)
    analysed(strategy)
    strategy.wallets = None  # the starting balance cannot be read
    assert not strategy.confirm_trade_entry(PAIR, "limit", 0.05, 2000.0, "GTC", LOOK,
                                            "precision:sniper", "long")
    assert "guards: ETH/USDT: a guard check failed (AttributeError" in caplog.text


def test_a_guard_switched_off_releases_its_locks_at_the_restart(tmp_path, caplog):
    """The docs' way to force through a guard: switch it off. Its locks from before the restart
    go with it; another guard's stay."""
    from freqtrade.persistence import PairLocks

    def locks_from_before():
        until = datetime.now(UTC) + timedelta(hours=3)
        PairLocks.lock_pair("*", until, "losing_streak: 5 losing trades in a row; pause 4 h")
        PairLocks.lock_pair("SOL/USDT", until, "sector: sector L1 already holds 1 open trade")

    sector_only = {name: {"enabled": name == "sector"} for name in GUARD_SETTINGS}
    live_strategy(tmp_path, sector_only, locks_from_before)
    assert [lock.reason for lock in PairLocks.get_pair_locks(None)] == [
        "sector: sector L1 already holds 1 open trade"]
    assert "Releasing the locks of losing_streak, switched off" in caplog.text



@pytest.mark.parametrize(("guard", "losses", "until"), [
    ("losing_streak", [-1.0] * 5, OPENED - timedelta(minutes=30) + timedelta(hours=4)),  # :30 s
    ("daily_loss", [-40.0], datetime(2024, 2, 6, tzinfo=UTC)),
])
def test_an_account_wide_refusal_locks_every_pair_until_its_end(tmp_path, caplog, guard,
                                                                losses, until):
    """Five losses in a row: paused 4 h after the last; 40 USDT lost today of 1,000: no entry
    until 00:00 UTC. FreqUI and /locks show the lock with the guard's reason."""
    from freqtrade.persistence import PairLocks

    strategy = live_strategy(tmp_path, {name: {"enabled": name == guard}
                                        for name in GUARD_SETTINGS})
    for n, profit in enumerate(losses):
        add_trade("SOL/USDT", False, profit, OPENED - timedelta(minutes=30 + n))
    analysed(strategy)
    assert not strategy.confirm_trade_entry(PAIR, "limit", 0.05, 2000.0, "GTC", LOOK,
                                            "precision:sniper", "long")
    lock = PairLocks.get_pair_longest_lock("*", LOOK)
    assert lock is not None and lock.reason.startswith(f"{guard}: ")
    # it ends with the candle that holds the guard's end (freqtrade's locks end on candles)
    end = until if until.second == 0 else until.replace(second=0) + timedelta(minutes=1)
    assert lock.lock_end_time.replace(tzinfo=UTC) == end
    assert f"Entry refused for ETH/USDT at 2024-02-05 10:01 by {guard}" in caplog.text


def test_a_pair_refusal_locks_its_candle_only_and_telegram_can_parse_its_message(tmp_path):
    """A refusal for one pair locks it until the next candle, where the guards look again (not
    two candles: freqtrade rounds a lock's end that is on a boundary up to the next one). Its
    strategy message is inline code: Telegram parses strategy messages as Markdown, where the
    "_" of a guard's name would open an italic that never closes (the message was refused)."""
    from freqtrade.persistence import PairLocks

    strategy = live_strategy(tmp_path, {name: {"enabled": name == "sector"}
                                        for name in GUARD_SETTINGS})
    sent = []
    strategy.dp.send_msg = sent.append
    add_trade("SOL/USDT", True)
    analysed(strategy)
    assert not strategy.confirm_trade_entry(PAIR, "limit", 0.05, 2000.0, "GTC", LOOK,
                                            "precision:sniper", "long")
    [lock] = PairLocks.get_pair_locks(PAIR, LOOK)
    assert lock.lock_end_time.replace(tzinfo=UTC) == datetime(2024, 2, 5, 10, 2, tzinfo=UTC)
    assert not PairLocks.is_pair_locked(PAIR, datetime(2024, 2, 5, 10, 2, tzinfo=UTC))
    [message] = sent
    assert message.startswith("\U0001f6e1 BOTPY guard `sector: ETH/USDT: sector L1")
    assert message.endswith("`") and message.count("`") == 2
