"""Restart safety: `freqtrade trade` in Virtual mode with an open trade is killed (SIGKILL) and
restarted on the same database; the trade's frozen facts and its stop are intact, and the stop
ladder keeps working from them."""

from __future__ import annotations

from tests.helpers import (
    GUARDS_OFF,
    TradingBot,
    free_port,
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
