"""Restart safety: `freqtrade trade` in Virtual mode with an open trade is killed (SIGKILL) and
restarted on the same database; the trade's frozen facts and its stop are intact, and the stop
ladder keeps working from them."""

from __future__ import annotations

from tests.helpers import (
    GUARDS_OFF,
    TradingBot,
    filled_trade,
    free_port,
    live_strategy,
    overlay_config,
    running_simulator,
    wait_until,
)

PAIR = "ETH/USDT"
REPLAY_START = "2024-02-05T10:00"  # a quiet hour of the synthetic market


def test_trade_state_survives_a_sigkill(synthetic_market, tmp_path, userdir):
    port = free_port()
    with running_simulator(synthetic_market, "--clock", "replay", "--start", REPLAY_START,
                           log=tmp_path / "sim.log") as base:
        config = overlay_config(
            tmp_path, "virtual", base, pairs=[PAIR, "BTC/USDT"], guards=GUARDS_OFF,
            db_url=f"sqlite:///{tmp_path / 'restart.sqlite'}", force_entry_enable=True,
            api_server={"listen_port": port}, max_open_trades=1,
        )
        bot = TradingBot(config, userdir, port, tmp_path / "bot.log", PAIR)
        try:
            bot.start()
            wait_until(lambda: bot.get(f"pair_candles?pair={PAIR}&timeframe=1m&limit=2")
                       .json().get("data"), 180, interval=2)
            answer = bot.post("forceenter", {"pair": PAIR, "entry_tag": "precision:sniper",
                                             "ordertype": "market"})
            assert answer.status_code == 200, answer.text
            wait_until(lambda: bot.open_trade() is not None, 120, interval=2)
            before = bot.open_trade()
            facts = bot.custom_data(before["trade_id"])["botpy_facts"]
            assert facts["setup"] == "precision" and facts["profile"] == "sniper"
            assert facts["entry"] > 0 and facts["risk"] > 0
            # the ladder's initial stop replaced the static -10 % net
            assert abs(before["stop_loss_abs"] - facts["initial_stop"]) < facts["entry"] * 1e-4

            bot.kill()
            bot.start()
            wait_until(lambda: bot.open_trade() is not None, 120, interval=2)
            after = bot.open_trade()
            assert after["trade_id"] == before["trade_id"]
            data = bot.custom_data(after["trade_id"])
            assert data["botpy_facts"] == facts  # frozen facts intact
            assert after["stop_loss_abs"] >= before["stop_loss_abs"]  # the stop did not loosen
            assert data["botpy_stop_stage"] in {"initial_stop", "breakeven_stop", "atr_trail"}
            # the ladder works after the restart: a new candle later the stop is still its own
            first_candle = bot.last_candle()
            wait_until(lambda: bot.last_candle() != first_candle, 150, interval=3)
            later = bot.open_trade()
            assert later is None or later["stop_loss_abs"] >= facts["initial_stop"] - 1e-9
        finally:
            bot.stop()


def test_an_entry_filled_before_the_first_analysis_is_managed_after_it(tmp_path, caplog):
    """A live bot's start-up reports an entry that filled while it was down before it analyses
    any candle (`startup_update_open_orders` -> `order_filled`): the trade gets its facts and
    its stop at the first callback after the analysis, not never. An entry asked for on a pair
    not analysed is refused, saying why."""
    from datetime import UTC, datetime, timedelta

    import numpy as np
    import pandas as pd
    from freqtrade.persistence import Order, Trade

    from botpy_ext.exits.candles import CandleArrays

    strategy = live_strategy(tmp_path)
    now = datetime(2024, 2, 5, 10, 0, 30, tzinfo=UTC)
    trade = Trade(pair=PAIR, base_currency="ETH", stake_currency="USDT", open_rate=2000.0,
                  open_date=now, fee_open=0.001, fee_close=0.001, stake_amount=100.0,
                  amount=0.05, exchange="binance", enter_tag="precision:sniper", is_open=True,
                  leverage=1.0)
    Trade.session.add(trade)
    order = Order(ft_order_side="buy", ft_pair=PAIR, ft_is_open=False, order_id="o1",
                  ft_amount=0.05, ft_price=2000.0, status="closed", price=2000.0,
                  average=2000.0, amount=0.05, filled=0.05, order_type="limit", side="buy",
                  order_filled_date=now)
    trade.orders.append(order)
    Trade.commit()

    assert "closes trades" not in caplog.text  # the shipped configs override no exit setting
    strategy.order_filled(pair=PAIR, trade=trade, order=order, current_time=now)
    assert "filled before the pair's first analysis" in caplog.text
    assert trade.get_custom_data("botpy_facts") is None

    # the first analysis: hand-built candles, the signal candle closed at 1990 with ATR 4
    dates = pd.date_range(now - timedelta(minutes=30), periods=40, freq="1min", tz="UTC")
    analysed = pd.DataFrame({"date": dates, "open": 1990.0, "high": 1995.0, "low": 1985.0,
                             "close": 1990.0, "atr_15m": 4.0, "atr_day_median_15m": np.nan})
    strategy._candles[PAIR] = CandleArrays.of(analysed, ("close", "atr_15m",
                                                          "atr_day_median_15m"))
    later = now + timedelta(minutes=5)
    ratio = strategy.custom_stoploss(PAIR, trade, later, 1995.0, 0.0, False)
    facts = trade.get_custom_data("botpy_facts")
    assert facts["entry"] == 1990.0 and facts["atr"] == 4.0
    assert facts["initial_stop"] == 1990.0 - 5 * 4.0  # Sniper's 5 ATR
    assert ratio is not None and 0 < ratio < 0.1

    assert strategy.custom_stake_amount("SOL/USDT", later, 100.0, 200.0, 5.0, 900.0, 1.0,
                                        "precision:sniper", "long") == 0.0
    assert not strategy.confirm_trade_entry("SOL/USDT", "limit", 1.0, 100.0, "GTC", later,
                                            "precision:sniper", "long")
    assert "SOL/USDT has no analysed candle yet" in caplog.text


def test_the_ladder_keeps_a_high_that_left_the_bots_window(tmp_path):
    """A bot's window holds about 1000 1m candles (16.7 h), less than a long trade. The highest
    closed high since the entry is kept in custom data: when its candle leaves the window, and
    after a restart, the stop's stage stays where that high put it instead of falling back."""
    from datetime import UTC, datetime, timedelta

    import numpy as np
    import pandas as pd

    from botpy_ext.exits.candles import CandleArrays

    strategy = live_strategy(tmp_path)
    opened = datetime(2024, 2, 5, 10, 0, 30, tzinfo=UTC)
    trade = filled_trade(PAIR, 1990.0, opened)

    def window(start: datetime, minutes: int, high: float) -> None:
        dates = pd.date_range(start, periods=minutes, freq="1min", tz="UTC")
        frame = pd.DataFrame({"date": dates, "open": 1990.0, "high": high, "low": 1985.0,
                              "close": 1990.0, "atr_15m": 4.0, "atr_day_median_15m": np.nan})
        strategy._candles[PAIR] = CandleArrays.of(frame, ("close", "atr_15m",
                                                          "atr_day_median_15m"))

    def stage_at(now: datetime) -> str:
        strategy.custom_stoploss(PAIR, trade, now, 1990.0, 0.0, False)
        return trade.get_custom_data("botpy_stop_stage")

    # the signal candle closed at 1990 with ATR 4: R = 5 ATR = 20; a high of 2050 is +3 R
    window(opened - timedelta(minutes=30), 120, 2050.0)
    assert stage_at(opened + timedelta(minutes=60)) == "atr_trail"
    assert trade.get_custom_data("botpy_high") == 2050.0
    # 20 h later the window holds only the last 1000 candles, none above 1995 (+0.25 R)
    later = opened + timedelta(hours=20)
    window(later - timedelta(minutes=1000), 1000, 1995.0)
    assert stage_at(later) == "atr_trail"
    strategy._memory.clear()  # a restart: the memory is refilled from the database
    assert stage_at(later + timedelta(minutes=1)) == "atr_trail"
    assert trade.get_custom_data("botpy_high") == 2050.0
