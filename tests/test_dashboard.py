"""The History export's pure parts: setup and profile from the entry tag, pagination, CSV."""

from __future__ import annotations

import csv
import io

from botpy_ext.dashboard.history import CSV_COLUMNS, closed_trades, setup_and_profile, to_csv


def test_setup_and_profile_from_the_entry_tag():
    assert setup_and_profile("precision:sniper") == ("precision", "sniper")
    assert setup_and_profile("momentum:volatility_hunter") == ("momentum", "volatility_hunter")
    assert setup_and_profile("ignition") == ("ignition", "flash")
    assert setup_and_profile(None) == ("", "")
    assert setup_and_profile("manual") == ("", "")
    assert setup_and_profile("precision") == ("", "")  # not a tag the strategy writes


def fake_api(total: int):
    """/api/v1/trades over `total` closed trades, recording the pages asked for."""
    asked = []

    def get_page(limit: int, offset: int) -> dict:
        asked.append((limit, offset))
        trades = [{"trade_id": i} for i in range(offset, min(offset + limit, total))]
        return {"trades": trades, "trades_count": len(trades), "offset": offset,
                "total_trades": total}

    return get_page, asked


def test_every_page_is_read_once():
    get_page, asked = fake_api(1203)
    assert [t["trade_id"] for t in closed_trades(get_page)] == list(range(1203))
    assert asked == [(500, 0), (500, 500), (500, 1000)]
    get_page, asked = fake_api(0)
    assert list(closed_trades(get_page)) == [] and asked == [(500, 0)]


def test_csv_columns_and_values():
    trade = {"trade_id": 7, "pair": "ETH/USDT", "enter_tag": "ignition", "exit_reason":
             "trailing_stop_loss", "open_date": "2024-01-26 13:31:00", "close_date":
             "2024-01-26 13:40:00", "trade_duration": 9, "open_rate": 1.5, "close_rate": 1.6,
             "amount": 10.0, "stake_amount": 15.0, "profit_abs": 0.97, "profit_pct": 6.47,
             "fee_open": 0.001}
    rows = list(csv.DictReader(io.StringIO(to_csv(iter([trade])))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["setup"] == "ignition" and rows[0]["profile"] == "flash"
    assert rows[0]["duration_min"] == "9" and rows[0]["profit_abs"] == "0.97"
    assert "fee_open" not in rows[0]
