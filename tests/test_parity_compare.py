"""The parity comparison's pure parts, on hand-built trades: matching, the figures, integrity,
the shared fake clock."""

from datetime import UTC, datetime, timedelta

import pytest

from botpy_ext.parity import compare, integrity
from botpy_ext.parity.clock import FakeClock, faketime_spec

T0 = datetime(2023, 4, 13, 7, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def trade(pair="ETH/USDT", tag="precision:sniper", entry=10, exit_=40, reason="atr_trail",
          profit=1.0, entries=1, filled_after_s=3) -> dict:
    """A freqtrade trade dict (the fields the REST API and the backtest export share)."""
    opened = T0 + timedelta(minutes=entry, seconds=2)
    orders = [{"ft_is_entry": True, "filled": 1.0,
               "order_filled_timestamp": ms(opened + timedelta(seconds=filled_after_s))}] * entries
    orders = orders + [{"ft_is_entry": False, "filled": 1.0, "order_filled_timestamp": 0}]
    return {"pair": pair, "enter_tag": tag, "open_timestamp": ms(opened),
            "close_timestamp": ms(T0 + timedelta(minutes=exit_, seconds=5)), "open_rate": 100.0,
            "close_rate": 101.0, "exit_reason": reason, "profit_abs": profit,
            "profit_ratio": profit / 100, "orders": orders}


def records(*trades: dict) -> list[compare.TradeRecord]:
    return [compare.TradeRecord.from_freqtrade(t) for t in trades]


def test_identical_runs_agree_fully():
    rows = compare.compare(records(trade(), trade("SOL/USDT", entry=30)),
                           records(trade(), trade("SOL/USDT", entry=30)))
    summary = compare.summarise(rows, 1000.0)
    assert (summary.entries_identical_pct, summary.exits_same_reason_pct) == (100.0, 100.0)
    assert summary.profit_gap_pp == 0.0 and summary.matched == 2
    assert compare.Targets().failures(summary) == []
    assert all(row.differences == [] for row in rows)


def test_a_late_entry_a_tag_and_an_exit_reason_are_differences():
    rows = compare.compare(
        records(trade(entry=10), trade("SOL/USDT", entry=30), trade("ADA/USDT", reason="roi")),
        records(trade(entry=11), trade("SOL/USDT", entry=30, tag="momentum:sniper"),
                trade("ADA/USDT", reason="initial_stop", profit=-2.0)))
    by_pair = {row.pair: row for row in rows}
    assert not by_pair["ETH/USDT"].entry_identical
    assert "entry 1 candle(s) later in Virtual mode" in by_pair["ETH/USDT"].differences[0]
    assert by_pair["ETH/USDT"].exit_same  # same reason, same exit candle
    assert "enter tag" in by_pair["SOL/USDT"].differences[0]
    assert by_pair["ADA/USDT"].entry_identical and not by_pair["ADA/USDT"].exit_same
    summary = compare.summarise(rows, 1000.0)
    assert summary.entries_identical_pct == pytest.approx(100 / 3)
    assert summary.profit_gap_pp == pytest.approx(0.3)  # (−2 − 1) / 1000


def test_an_exit_two_candles_apart_is_not_the_same_exit():
    rows = compare.compare(records(trade(exit_=40)), records(trade(exit_=42)))
    assert rows[0].entry_identical and not rows[0].exit_same
    assert rows[0].differences == ["exit 2 candle(s) apart"]
    one_apart = compare.compare(records(trade(exit_=40)), records(trade(exit_=41)))
    assert one_apart[0].exit_same


def test_a_trade_one_side_alone_made_counts_against_both_figures_with_its_reason():
    refused = compare.refusals_in(
        "2023-04-13 07:09:03 - BotpyStrategy - INFO - Entry refused for SOL/USDT at "
        "2023-04-13 07:09 by sector: SOL/USDT: sector L1 already holds 1 open trade(s)\n")
    rows = compare.compare(records(trade(), trade("SOL/USDT", profit=10.0)), records(trade()),
                           refused)
    summary = compare.summarise(rows, 1000.0)
    assert summary.entries_identical_pct == 50.0 and summary.exits_same_reason_pct == 50.0
    sol = next(row for row in rows if row.pair == "SOL/USDT")
    assert sol.virtual is None
    assert sol.differences == ["no Virtual trade: Virtual guard refused it (sector: SOL/USDT: "
                               "sector L1 already holds 1 open trade(s))"]
    assert compare.Targets().failures(summary) == [
        "entries identical 50.0 % < 95 %", "exits same reason 50.0 % < 90 %",
        "profit gap (per trade, summed) 1.00 pp > 0.5 pp"]


def test_each_trade_is_matched_once_with_the_nearest_entry():
    rows = compare.compare(records(trade(entry=10), trade(entry=20, exit_=50)),
                           records(trade(entry=19, exit_=50)))
    matched = [row for row in rows if row.backtest and row.virtual]
    assert len(matched) == 1 and matched[0].backtest.entry_candle == T0 + timedelta(minutes=20)
    assert len(rows) == 2


def test_a_fill_that_waited_is_named_and_not_the_same_entry():
    rows = compare.compare(records(trade()), records(trade(filled_after_s=80)))
    assert not rows[0].entry_identical
    assert rows[0].differences == ["the Virtual entry order filled 1 candle(s) after it was "
                                   "placed"]


def test_a_scale_in_on_one_side_only_is_not_the_same_entry():
    rows = compare.compare(records(trade(entries=2)), records(trade(entries=1)))
    assert not rows[0].entry_identical and rows[0].exit_same


def test_a_matched_trade_whose_profit_differs_is_named_and_counted():
    """Same reason and exit candle, but a backtest that left at an older stop: the profit says
    so (Ignition's DOGE trade of the dense window, +0.68 % against +1.28 %), and the gap
    counts in the summed gap."""
    rows = compare.compare(records(trade(profit=0.68)), records(trade(profit=1.28)))
    assert rows[0].entry_identical and rows[0].exit_same
    assert rows[0].differences == ["profit +0.68 % backtest, +1.28 % Virtual (0.60 points "
                                   "apart)"]
    assert compare.summarise(rows, 100.0).profit_gap_gross_pp == pytest.approx(0.6)
    close = compare.compare(records(trade(profit=0.68)), records(trade(profit=0.80)))
    assert close[0].differences == []


def test_profit_gaps_that_cancel_out_still_count():
    rows = compare.compare(records(trade(profit=4.0), trade("SOL/USDT", profit=-4.0)),
                           records(trade(profit=-4.0), trade("SOL/USDT", profit=4.0)))
    summary = compare.summarise(rows, 1000.0)
    assert summary.profit_gap_pp == 0.0 and summary.profit_gap_gross_pp == pytest.approx(1.6)
    assert "profit gap (per trade, summed) 1.60 pp > 0.5 pp" in compare.Targets().failures(
        summary)


def test_no_trades_on_either_side_is_full_agreement():
    summary = compare.summarise(compare.compare([], []), 1000.0)
    assert summary.entries_identical_pct == 100.0 and summary.profit_gap_pp == 0.0


def test_integrity_finds_open_orders_duplicates_and_overlapping_trades():
    orders = [{"trade_id": 1, "side": "buy", "status": "closed", "placed": "2023-04-13 07:10"},
              {"trade_id": 1, "side": "sell", "status": "closed", "placed": "2023-04-13 07:40"}]
    trades = [{"pair": "ETH/USDT", "opened": "2023-04-13 07:10", "closed": "2023-04-13 07:40"}]
    assert integrity.check(orders, trades).intact
    doubled = orders + [{"trade_id": 1, "side": "buy", "status": "closed",
                         "placed": "2023-04-13 07:10"}]
    assert integrity.check(doubled, trades).duplicate_orders == 1
    cancelled_twice = orders + [{"trade_id": 1, "side": "buy", "status": "canceled",
                                 "placed": "2023-04-13 07:10"}]
    assert integrity.check(cancelled_twice, trades).intact  # a cancelled order is not a duplicate
    hanging = orders + [{"trade_id": 2, "side": "buy", "status": "open",
                         "placed": "2023-04-13 07:20"}]
    overlapping = trades + [{"pair": "ETH/USDT", "opened": "2023-04-13 07:20", "closed": None}]
    checked = integrity.check(hanging, overlapping)
    assert (checked.orders_not_final, checked.overlapping_trades, checked.open_trades) == (1, 1, 1)
    assert not checked.intact


def test_the_fake_clock_runs_speed_times_faster_from_its_anchor():
    clock = FakeClock(fake_anchor=1_000_000.0, speed=20.0, real_anchor=500.0)
    assert clock.now(real=503.0) == 1_000_060.0
    assert clock.real_at(1_000_060.0) == 503.0
    assert faketime_spec(1681369200, 20.0) == "@2023-04-13 07:00:00 x20"
    assert faketime_spec(1681369200, 1.0) == "@2023-04-13 07:00:00 x1"


def test_two_runs_reports_compare_through_their_json():
    from botpy_ext.parity import speed

    rows = compare.compare(records(trade()), records(trade(entry=12)))
    report = {"rows": [row.as_dict() for row in rows], "speed": 1}
    assert speed.virtual_trades(report) == records(trade(entry=12))


def test_missing_data_refusals_count_as_failing_closed():
    log = "\n".join([
        "2023-04-13 07:10:01 - BotpyStrategy - INFO - Entry refused for ETH/USDT at "
        "2023-04-13 07:10 by btc_breaker: BTC/USDT 1m candle missing: cannot rule out a BTC dump",
        "2023-04-13 07:11:01 - BotpyStrategy - INFO - Entry refused for ETH/USDT at "
        "2023-04-13 07:11 by losing_streak: 3 losses in a row",
        "2023-04-13 07:12:01 - BotpyStrategy - WARNING - SOL/USDT: no 5m, 15m candles: "
        "no entry signal on this candle",
    ])
    closed = compare.fail_closed(log)
    assert closed["entries_refused_missing_data"] == 1
    assert closed["signals_dropped_missing_candles"] == 1
    assert closed["examples"] == ["ETH/USDT 07:10: btc_breaker: BTC/USDT 1m candle missing: "
                                  "cannot rule out a BTC dump"]


def test_the_suite_table_has_one_line_per_window():
    from botpy_ext.parity import suite

    summary = compare.summarise(compare.compare(records(trade()), records(trade())), 1000.0)
    window = {"speed": 10.0, "summary": summary.as_dict(), "targets_failed": [],
              "integrity": integrity.check([], []).as_dict(),
              "fail_closed": compare.fail_closed("")}
    lines = suite.table({"dense": window, "broken": {"error": "botpy parity exited with 2"}})
    lines = lines.splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| dense | 10 | 1 / 1 | 100.0 % | 100.0 % |")
    assert "| 0.00, 0.00 pp |" in lines[2]  # the net gap and the trades' gaps summed
    assert "intact (0 orders)" in lines[2] and "0 refused, 0 dropped | met |" in lines[2]
    assert "exited with 2" in lines[3]
