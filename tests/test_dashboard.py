"""The History export's pure parts: setup and profile from the entry tag, pagination, CSV."""

from __future__ import annotations

import csv
import io

import pytest

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


def test_a_trade_with_a_scale_in_and_a_partial_exit_is_one_row_for_the_whole_trade():
    """freqtrade's `amount` and `stake_amount` are what is left open at the last exit; the
    profit is over everything the trade held."""
    trade = {"trade_id": 1, "pair": "LINK/USDT", "enter_tag": "precision:sniper",
             "amount": 14.22, "stake_amount": 116.153226, "max_stake_amount": 197.836,
             "profit_abs": -0.92951, "fee_open": 0.001, "fee_close": 0.001,
             "orders": [
                 {"ft_is_entry": True, "amount": 12.0, "cost": 98.0},
                 {"ft_is_entry": True, "amount": 12.22, "cost": 99.836},
                 {"ft_is_entry": False, "amount": 10.0, "cost": 81.5},
                 {"ft_is_entry": False, "amount": 14.22, "cost": 115.2},
                 {"ft_is_entry": True, "amount": 5.0, "cost": 0},  # cancelled, never filled
             ]}
    row = next(csv.DictReader(io.StringIO(to_csv(iter([trade])))))
    assert float(row["amount"]) == 24.22
    assert float(row["stake_amount"]) == 197.836
    assert float(row["fees"]) == pytest.approx((98.0 + 99.836 + 81.5 + 115.2) * 0.001)


def test_the_dashboard_answers_only_to_its_own_names(tmp_path):
    """DNS rebinding: a page of evil.example that resolves to 127.0.0.1 sends its own Host."""
    from fastapi.testclient import TestClient

    from botpy_ext.dashboard.server import FreqtradeApi, create_app, served_hosts

    scanner = tmp_path / "scanner.json"
    scanner.write_text('{"rows": []}')
    app = create_app(FreqtradeApi("http://127.0.0.1:9", "botpy", "x"), scanner,
                     served_hosts("127.0.0.1"))
    client = TestClient(app, base_url="http://127.0.0.1:8090")
    assert client.get("/scanner.json").json() == {"rows": []}
    assert client.get("/scanner.json", headers={"host": "localhost:8090"}).status_code == 200
    assert client.get("/scanner.json", headers={"host": "evil.example"}).status_code == 400
    assert served_hosts("0.0.0.0") == ["127.0.0.1", "localhost"]  # docker: published on loopback
    assert served_hosts("192.168.1.5") == ["127.0.0.1", "localhost", "192.168.1.5"]
