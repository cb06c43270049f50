"""`botpy_ext.evaluation`'s pure parts with known answers: fold boundaries, buy-and-hold,
bootstrap intervals, the Monte Carlo of the trade order, expectancy in R, fee re-pricing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from botpy_ext.evaluation import statistics as st
from botpy_ext.evaluation.baseline import buy_and_hold_curve, buy_and_hold_pct
from botpy_ext.evaluation.folds import InputError, Window, plan_folds, usable_span
from botpy_ext.evaluation.market import resample

T0 = datetime(2023, 4, 1, 21, 4, tzinfo=UTC)
DAY = timedelta(days=1)


# ---- folds ----------------------------------------------------------------------------------

@pytest.mark.parametrize("folds", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("train", [False, True])
def test_folds_cover_the_span_exactly_without_overlap(folds, train):
    first, last = usable_span(T0, T0 + 30 * DAY, warmup=10 * DAY)
    assert first == T0 + 10 * DAY  # after the warm-up
    assert last == T0 + 30 * DAY + timedelta(minutes=1)  # the last candle included
    plan = plan_folds(first, last, folds, train=train)
    assert len(plan) == folds
    tests = [fold.test for fold in plan]
    assert tests[-1].end == last
    assert all(a.end == b.start for a, b in zip(tests, tests[1:], strict=False))  # contiguous
    if train:
        assert plan[0].train.start == first
        for fold in plan:
            assert fold.train.end == fold.test.start  # train right before, never overlapping
            assert fold.train.end - fold.train.start > timedelta(0)
    else:
        assert tests[0].start == first
    inner = [w.start for w in tests[1:]]
    assert all(moment.minute == 0 and moment.second == 0 for moment in inner)  # whole hours


def test_a_window_hands_freqtrade_its_last_candle_not_the_next_windows_first():
    window = Window(datetime(2023, 4, 10, tzinfo=UTC), datetime(2023, 4, 12, 6, tzinfo=UTC))
    assert window.timerange == "20230410T0000-20230412T0559"  # freqtrade includes the stop


def test_the_timerange_narrows_the_span():
    start, end = T0 + 12 * DAY, T0 + 20 * DAY
    assert usable_span(T0, T0 + 30 * DAY, 10 * DAY, start, end) == (start, end)


@pytest.mark.parametrize(("start", "end", "message"), [
    (T0 + 2 * DAY, None, "before the end of the warm-up"),
    (None, T0 + 40 * DAY, "after the data"),
    (T0 - 90 * DAY, T0 - 60 * DAY, "outside the data"),
])
def test_a_timerange_outside_the_data_names_the_option(start, end, message):
    with pytest.raises(InputError, match=message) as error:
        usable_span(T0, T0 + 30 * DAY, 10 * DAY, start, end)
    assert error.value.option == "--timerange"


def test_folds_shorter_than_the_warm_up_are_refused():
    with pytest.raises(InputError, match="shorter than the strategy's warm-up") as error:
        plan_folds(T0, T0 + DAY, 10, min_window=timedelta(minutes=400))
    assert error.value.option == "--folds"
    with pytest.raises(InputError, match="at least 1") as error:
        plan_folds(T0, T0 + DAY, 0)
    assert error.value.option == "--folds"


# ---- buy and hold ---------------------------------------------------------------------------

def candles(opens: list[float], closes: list[float], start: datetime) -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(opens), freq="1min", tz="UTC")
    return pd.DataFrame({"date": dates, "open": opens, "high": np.maximum(opens, closes),
                         "low": np.minimum(opens, closes), "close": closes, "volume": 1.0})


def test_buy_and_hold_of_two_pairs_equals_the_hand_computed_value():
    start = datetime(2023, 4, 1, tzinfo=UTC)
    market = {
        # bought at 100 (the first open), sold at 120 (the last close in the window)
        "AAA/USDT": candles([90, 100, 105, 110, 130], [95, 104, 108, 120, 135], start),
        # bought at 10, sold at 8
        "BBB/USDT": candles([11, 10, 9, 9, 7], [10, 9, 9, 8, 7], start),
    }
    window = Window(start + timedelta(minutes=1), start + timedelta(minutes=4))
    fee = 0.001
    aaa = 120 * (1 - fee) / (100 * (1 + fee)) - 1  # +19.76 %
    bbb = 8 * (1 - fee) / (10 * (1 + fee)) - 1  # -20.16 %
    assert buy_and_hold_pct(market, window, fee) == pytest.approx((aaa + bbb) / 2 * 100)
    assert buy_and_hold_pct(market, window, 0.0) == pytest.approx((0.2 - 0.2) / 2 * 100)
    curve = buy_and_hold_curve(market, window, fee)
    assert curve.iloc[-1] - 1 == pytest.approx((aaa + bbb) / 2)


def test_resampled_5m_candles_are_left_labelled():
    start = datetime(2023, 4, 1, tzinfo=UTC)
    frame = candles(list(range(1, 11)), list(range(2, 12)), start)
    binned = resample(frame, "5m")
    assert list(binned["date"]) == [pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(
        minutes=5)]
    assert list(binned["open"]) == [1, 6] and list(binned["close"]) == [6, 11]
    assert list(binned["volume"]) == [5.0, 5.0]


# ---- bootstrap and Monte Carlo --------------------------------------------------------------

def test_a_list_of_equal_wins_has_a_zero_width_interval():
    low, high = st.bootstrap_mean_ci([0.5] * 40)
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_a_symmetric_list_contains_zero():
    low, high = st.bootstrap_mean_ci([1.0, -1.0] * 30)
    assert low < 0 < high
    assert low == pytest.approx(-high, abs=0.05)


def test_the_interval_narrows_with_more_trades_and_is_reproducible():
    rng = np.random.default_rng(1)
    few, many = rng.normal(0.2, 1, 30), rng.normal(0.2, 1, 3000)
    width = lambda values: np.subtract(*reversed(st.bootstrap_mean_ci(values)))  # noqa: E731
    assert width(many) < width(few) / 5
    assert st.bootstrap_mean_ci(few) == st.bootstrap_mean_ci(few)
    assert st.bootstrap_mean_ci([1.0]) is None


def test_max_drawdown_of_a_known_sequence():
    # 1000 -> 1100 -> 880 -> 990: the fall from 1100 to 880 is 20 %
    assert st.max_drawdown_ratio(np.array([100.0, -220.0, 110.0]), 1000) == pytest.approx(0.2)
    assert st.max_drawdown_ratio(np.array([10.0, 10.0]), 1000) == 0


def test_the_monte_carlo_measures_the_drawdown_as_freqtrade_reports_it():
    """The largest fall in money, as a share of its peak: 1000 -> 940 (-60, 6 %) -> 2000 -> 1900
    (-100, 5 %) is 5 %, as freqtrade's report (the "as traded" figure) says, not 6 %."""
    from freqtrade.data.metrics import calculate_max_drawdown

    def freqtrades(profits):
        trades = pd.DataFrame({"profit_abs": profits, "close_date": pd.date_range(
            "2023-04-12", periods=len(profits), freq="h", tz="UTC")})
        return calculate_max_drawdown(trades, starting_balance=1000).relative_account_drawdown

    assert st.max_drawdown_ratio(np.array([-60.0, 1060.0, -100.0]), 1000) == pytest.approx(0.05)
    rng = np.random.default_rng(3)
    orders = rng.normal(0, 40, (50, 30))
    assert st.max_drawdown_ratio(orders, 1000) == pytest.approx(
        [freqtrades(order) for order in orders])


def test_shuffling_equal_losses_always_gives_the_same_drawdown():
    percentiles = st.drawdown_distribution([-10.0] * 20, 1000, shuffles=1000)
    assert percentiles["p5_pct"] == percentiles["p95_pct"] == pytest.approx(20.0)
    assert percentiles["shuffles"] == 1000


def test_monte_carlo_percentiles_bracket_the_orders_extremes():
    profits = [50.0] * 10 + [-50.0] * 10
    worst = st.max_drawdown_ratio(np.array(sorted(profits)), 1000) * 100  # losses first: 50 %
    alternating = st.max_drawdown_ratio(np.array([50.0, -50.0] * 10), 1000) * 100
    mc = st.drawdown_distribution(profits, 1000)
    assert alternating <= mc["p5_pct"] < mc["p50_pct"] < mc["p95_pct"] <= worst == 50
    assert mc["p5_pct"] < mc["p95_pct"]


# ---- R, fees, summaries ---------------------------------------------------------------------

def trade(pair, open_minute, profit_abs, stake=100.0, tag="precision:sniper", price=10.0):
    opened = pd.Timestamp("2023-04-12 00:00", tz="UTC") + pd.Timedelta(minutes=open_minute)
    amount = stake / price
    return {"pair": pair, "open_date": opened, "close_date": opened + pd.Timedelta(minutes=30),
            "profit_abs": profit_abs, "profit_ratio": profit_abs / stake, "enter_tag": tag,
            "max_stake_amount": stake,
            "orders": [{"amount": amount, "safe_price": price},
                       {"amount": amount, "safe_price": price + profit_abs / amount}]}


def test_expectancy_in_r_from_known_trades():
    trades = pd.DataFrame([trade("A/USDT", 0, 2.0), trade("B/USDT", 5, -1.0),
                           trade("A/USDT", 60, 4.0, stake=200.0)])
    # R = stake x stop distance: 100 x 1 % = 1 USDT, 100 x 2 % = 2 USDT, 200 x 1 % = 2 USDT
    facts = pd.DataFrame([
        {"pair": "A/USDT", "open_date": "2023-04-12T00:00:00+00:00", "entry": 10.0, "risk": 0.1},
        {"pair": "B/USDT", "open_date": "2023-04-12T00:05:00+00:00", "entry": 10.0, "risk": 0.2},
        {"pair": "A/USDT", "open_date": "2023-04-12T01:00:00+00:00", "entry": 10.0, "risk": 0.1},
    ])
    with_r = st.attach_r(trades, facts)
    assert list(with_r["r_multiple"]) == pytest.approx([2.0, -0.5, 2.0])
    figures = st.summarize(with_r, 1000, datetime(2023, 4, 12, tzinfo=UTC),
                           datetime(2023, 4, 13, tzinfo=UTC), pairs=2)
    assert figures["expectancy_r"] == pytest.approx(3.5 / 3)
    assert figures["trades_with_r"] == 3
    assert figures["trades_per_pair_day"] == pytest.approx(1.5)
    assert figures["profit_factor"] == pytest.approx(6.0)
    assert figures["win_rate"] == pytest.approx(2 / 3)
    assert figures["expectancy_pct"] == pytest.approx((2 - 1 + 2) / 3)
    assert figures["profit_pct"] == pytest.approx(0.5)


def test_a_trade_without_frozen_facts_has_no_r():
    trades = pd.DataFrame([trade("A/USDT", 0, 2.0)])
    assert st.attach_r(trades, pd.DataFrame())["r_multiple"].isna().all()


def test_fee_repricing_charges_the_difference_on_every_fill():
    trades = pd.DataFrame([trade("A/USDT", 0, 2.0), trade("B/USDT", 5, -1.0)])
    traded = (100 + 102) + (100 + 99)  # quote value of the four fills
    assert st.profit_at_fee(trades, 0.001, 0.001) == pytest.approx(1.0)
    assert st.profit_at_fee(trades, 0.001, 0.0015) == pytest.approx(1.0 - 0.0005 * traded)
    assert st.profit_at_fee(trades, 0.001, 0.0) == pytest.approx(1.0 + 0.001 * traded)


def test_per_setup_groups_split_the_tags():
    trades = pd.DataFrame([trade("A/USDT", 0, 2.0, tag="precision:sniper"),
                           trade("A/USDT", 60, -1.0, tag="precision:scalper"),
                           trade("B/USDT", 5, 3.0, tag="ignition")])
    trades["r_multiple"] = np.nan
    result = st.analyse_trades(trades, 1000, datetime(2023, 4, 12, tzinfo=UTC),
                               datetime(2023, 4, 13, tzinfo=UTC), 2, 0.001, [0.001, 0.002])
    assert {k: v["trades"] for k, v in result["per_setup"].items()} == {
        "ignition": 1, "precision": 2, "momentum": 0}  # a setup that never fired is listed
    assert set(result["per_tag"]) == {"precision:sniper", "precision:scalper", "ignition"}
    assert result["fee_sensitivity"]["0.001"] == pytest.approx(0.4)
    assert result["all"]["expectancy_r"] is None


def test_the_simulator_is_started_only_for_a_config_whose_exchange_is_local():
    from botpy_ext.evaluation.command import load_config, uses_simulator
    from tests.helpers import CONFIG_DIR

    assert uses_simulator(load_config(CONFIG_DIR / "backtest.json"))  # through add_config_files
    assert not uses_simulator(load_config(CONFIG_DIR / "paper.json"))  # Binance itself


def test_a_market_switch_without_btcs_4h_candles_is_refused(tmp_path):
    from botpy_ext.evaluation.command import check_market_candles

    switched = {"botpy": {"parameters": {"trend_relative_strength": True}}}
    with pytest.raises(InputError, match=r"trend_relative_strength compares with BTC/USDT's 4h "
                                         r"candles, and .*BTC_USDT-4h.feather is missing"):
        check_market_candles(switched, tmp_path)
    check_market_candles({"botpy": {"parameters": {"trend_market": False}}}, tmp_path)
    (tmp_path / "BTC_USDT-4h.feather").write_bytes(b"")
    check_market_candles(switched, tmp_path)


def minute_candles(start: datetime, minutes: int, price: float) -> pd.DataFrame:
    dates = pd.date_range(start, periods=minutes, freq="1min")
    close = price + np.arange(minutes) * 0.01
    return pd.DataFrame({"date": dates, "open": close, "high": close + 0.05,
                         "low": close - 0.05, "close": close, "volume": 1.0})


def test_the_scratch_candles_are_rebuilt_from_the_datadir_of_each_run(tmp_path):
    """`<out>/candles/` of an earlier run (another datadir, a dangling link) is never reused."""
    from botpy_ext.evaluation.market import pair_file, read_candles, with_timeframes

    scratch = tmp_path / "out" / "candles"
    for name, price in (("first", 100.0), ("second", 200.0)):
        datadir = tmp_path / name
        (datadir / "nested").mkdir(parents=True)  # a folder of the datadir is not linked
        minute_candles(T0, 480, price).to_feather(pair_file(datadir, "ETH/USDT", "1m"))
        assert with_timeframes(datadir, [("ETH/USDT", "4h")], scratch) == scratch
        assert pair_file(scratch, "ETH/USDT", "1m").resolve() == (
            pair_file(datadir, "ETH/USDT", "1m").resolve())
        built = read_candles(scratch, "ETH/USDT", "4h")
        assert built["open"].iloc[0] == pytest.approx(price)
        assert not (scratch / "nested").exists()
    (tmp_path / "second").rename(tmp_path / "moved")  # the links of the last run now dangle
    with_timeframes(tmp_path / "moved", [], scratch)
    assert pair_file(scratch, "ETH/USDT", "1m").resolve().parent == tmp_path / "moved"


def test_a_file_that_does_not_cover_its_pairs_1m_candles_is_rebuilt_not_written_to(tmp_path):
    """A 15m file ending a day early (another download's timerange) is short: the scratch copy
    is resampled from the 1m candles, the user's file is left as it was; a 4h file without the
    4h candle still open at the last minute covers."""
    from botpy_ext.evaluation.market import (
        covers,
        pair_file,
        read_candles,
        resample,
        short_timeframes,
        with_timeframes,
    )

    datadir, scratch = tmp_path / "data", tmp_path / "out" / "candles"
    datadir.mkdir()
    base = minute_candles(T0, 3 * 1440, 100.0)
    base.to_feather(pair_file(datadir, "ETH/USDT", "1m"))
    resample(base, "4h").iloc[:-1].to_feather(pair_file(datadir, "ETH/USDT", "4h"))
    short = resample(base, "15m").iloc[:-96]
    short.to_feather(pair_file(datadir, "ETH/USDT", "15m"))
    assert short_timeframes(datadir, ["ETH/USDT"], ("5m", "15m", "4h")) == [("ETH/USDT", "15m")]
    with_timeframes(datadir, [("ETH/USDT", "15m")], scratch)
    assert len(read_candles(scratch, "ETH/USDT", "15m")) == len(short) + 96
    assert len(read_candles(datadir, "ETH/USDT", "15m")) == len(short)  # untouched
    late = resample(base, "1h").iloc[1:]["date"]  # starts an hour after the first minute's bin
    assert not covers(late, base["date"].iloc[0], base["date"].iloc[-1], "1h")


def test_minutes_missing_from_the_1m_candles_are_counted_with_the_longest_gap():
    from botpy_ext.evaluation.market import minute_gaps

    candles = minute_candles(T0, 600, 100.0)
    assert minute_gaps(candles) is None
    holed = candles.drop(index=[*range(100, 130), *range(300, 305)]).reset_index(drop=True)
    gaps = minute_gaps(holed)
    assert gaps.missing == 35 and gaps.longest == timedelta(minutes=30)
    assert gaps.longest_after == T0 + timedelta(minutes=99)


def history_file(path, days: list[datetime]) -> None:
    import json

    path.write_text(json.dumps({"data": [
        {"value": "50", "value_classification": "Neutral", "timestamp": str(int(day.timestamp()))}
        for day in days]}))


def test_the_guards_data_must_cover_every_window(tmp_path, capsys):
    """BTC/USDT's 1m candles and the Fear & Greed history over [start, end): the end is
    exclusive, a lacking first or last day refuses, a gap inside is a note, and with
    `on_unavailable` "allow" a lacking day does not matter."""
    from botpy_ext.evaluation.command import check_guard_data
    from botpy_ext.evaluation.market import pair_file

    midnight = datetime(2023, 4, 5, tzinfo=UTC)
    start, end = midnight, midnight + 3 * DAY  # days 04-05, 04-06 and 04-07
    minute_candles(start, 3 * 1440, 100.0).to_feather(pair_file(tmp_path, "BTC/USDT", "1m"))
    every_day = [midnight + k * DAY for k in range(3)]
    history_file(tmp_path / "fear_greed.json", every_day)
    check_guard_data({}, tmp_path, tmp_path, start, end)
    with pytest.raises(InputError, match=r"BTC_USDT-1m.feather covers 2023-04-05 00:00 to "
                                         r"2023-04-07 23:59, the runs 2023-04-05 00:00 to "
                                         r"2023-04-08 00:00"):
        check_guard_data({}, tmp_path, tmp_path, start, end + timedelta(minutes=1))

    history_file(tmp_path / "fear_greed.json", every_day[:2])
    with pytest.raises(InputError, match=r"covers 2023-04-05 to 2023-04-06, the runs 2023-04-05 "
                                         r"to 2023-04-07: .* 1 day\(s\) it lacks; refresh it"):
        check_guard_data({}, tmp_path, tmp_path, start, end)
    allow = {"botpy": {"guards": {"fear_greed": {"on_unavailable": "allow"}}}}
    check_guard_data(allow, tmp_path, tmp_path, start, end)

    history_file(tmp_path / "fear_greed.json", [every_day[0], every_day[2]])
    check_guard_data({}, tmp_path, tmp_path, start, end)
    assert "has no value for 2023-04-06: the guard refuses the entries of that day" in (
        capsys.readouterr().out)
    off = {"botpy": {"guards": {"btc_breaker": {"enabled": False},
                                "fear_greed": {"enabled": False}}}}
    check_guard_data(off, tmp_path / "elsewhere", tmp_path, start, end)


# ---- signal excursions ----------------------------------------------------------------------

def test_excursions_of_hand_built_paths():
    from botpy_ext.evaluation.excursions import excursions, summary

    # entry at the open of row 1 = 100, R = 1 % = 1.0
    frame = pd.DataFrame({
        "open": [99, 100, 100.5, 101, 100, 99, 98, 100, 100, 100],
        "high": [99, 100.5, 101.2, 101, 100, 99, 98, 100, 100, 100],  # +1R on row 2
        "low": [99, 99.5, 100.0, 98.5, 99, 98, 97, 100, 100, 100],  # -1R on row 3
    })
    result = excursions(frame, np.array([0, 3, 6]), np.array([0.01, 0.01, 0.5]), horizon=3)
    first = result.iloc[0]
    assert first["entry"] == 100 and first["risk"] == pytest.approx(1.0)
    assert first["first"] == 1  # the high of row 2 before the low of row 3
    assert first["mfe_r"] == pytest.approx(1.2) and first["mae_r"] == pytest.approx(1.5)
    second = result.iloc[1]  # entry 100 at row 4: row 5 low 98 is -2R first
    assert second["first"] == -1 and second["mae_r"] == pytest.approx(3.0)
    third = result.iloc[2]  # R of 50: neither level within 3 candles
    assert third["first"] == 0
    assert len(excursions(frame, np.array([8]), np.array([0.01]), horizon=3)) == 0  # no room
    figures = summary(result, fee_ratio=0.001)
    assert figures["signals"] == 3 and figures["win_first"] == 0.5
    assert figures["bracket_r"] == pytest.approx(0.0)
    assert figures["fee_r"] == pytest.approx((0.2 + 0.2 + 0.2 / 50) / 3)


def test_a_candle_reaching_both_levels_counts_as_the_stop():
    from botpy_ext.evaluation.excursions import excursions

    frame = pd.DataFrame({"open": [100.0] * 4, "high": [100, 100, 102, 100],
                          "low": [100, 100, 98, 100]})
    assert excursions(frame, np.array([0]), np.array([0.01]), horizon=2)["first"].iloc[0] == -1


def test_the_random_control_keeps_the_count_the_tags_and_the_trend_filter():
    from botpy_ext.evaluation.control import random_entries

    tags = pd.Series([""] * 100, dtype=object)
    tags.iloc[[10, 11, 12, 50, 51]] = ["precision:sniper"] * 3 + ["momentum:scalper", "ignition"]
    allowed = pd.Series([i % 3 == 0 for i in range(100)])
    control = random_entries(tags, allowed, "ETH/USDT")
    chosen = control[control != ""]
    assert len(chosen) == 5
    assert allowed[chosen.index].all()  # only inside the trend filter
    assert sorted(chosen) == sorted(tags[tags != ""])  # the same setup and profile mix
    assert control.equals(random_entries(tags, allowed, "ETH/USDT"))  # reproducible
    assert not control.equals(random_entries(tags, allowed, "SOL/USDT"))
    assert (random_entries(tags, allowed.map(lambda _: False), "ETH/USDT") == "").all()
    other = random_entries(tags, allowed, "ETH/USDT", draw=1)
    assert not control.equals(other) and other.equals(random_entries(tags, allowed, "ETH/USDT",
                                                                     draw=1))
    assert sorted(other[other != ""]) == sorted(tags[tags != ""])
    # only the rows a backtest trades (after freqtrade's start-up candles): the real signals
    # before them do not count, and no random entry falls there
    tradable = pd.Series([i >= 40 for i in range(100)])
    inside = random_entries(tags, allowed, "ETH/USDT", tradable=tradable)
    assert sorted(inside[inside != ""]) == ["ignition", "momentum:scalper"]
    assert (inside[:40] == "").all()


def test_control_rank_counts_the_draws_the_strategy_beats():
    from botpy_ext.evaluation.statistics import control_rank

    draws = [{"expectancy_r": value} for value in (-0.2, 0.05, 0.3)] + [None, {"trades": 0}]
    rank = control_rank({"expectancy_r": 0.1}, draws)
    assert rank["draws"] == 3 and rank["draws_below"] == 2
    assert rank["control_mean_r"] == pytest.approx(0.05)
    assert (rank["control_min_r"], rank["control_max_r"]) == (-0.2, 0.3)
    assert control_rank({"expectancy_r": None}, draws) is None
    assert control_rank({"expectancy_r": 0.1}, [None]) is None


def test_the_charts_leave_the_controls_extra_draws_to_the_tables():
    from botpy_ext.evaluation.report import charted, expectancy_figure

    figures = {"expectancy_pct": 0.1, "expectancy_pct_ci": [0.0, 0.2], "expectancy_r": 0.05,
               "expectancy_r_ci": [-0.1, 0.2]}
    section = {"pooled": {"all": figures, "per_setup": {"precision": figures}}}
    names = ["BotpyStrategy", "BotpyRandomControl",
             *[f"BotpyRandomControl#{k}" for k in range(2, 11)], "SampleStrategy"]
    report = {"strategies": dict.fromkeys(names, section)}
    assert list(charted(report)) == ["BotpyStrategy", "BotpyRandomControl", "SampleStrategy"]
    bars = expectancy_figure(report).data  # more strategies than colours: no StopIteration
    assert {bar.name for bar in bars} == set(charted(report))


def control_report_section(folds_r: dict[int, float | None],
                           trades: dict[int, int] | None = None) -> dict:
    """A strategy's report section with the given expectancy in R per fold (None: the fold
    failed) and `trades[fold]` trades (10 where not given)."""
    ok = [n for n, r in folds_r.items() if r is not None]
    return {"folds": [{"fold": n, "ok": r is not None,
                       "stats": {"all": {"expectancy_r": r,
                                         "trades_with_r": (trades or {}).get(n, 10)}}
                       if r is not None else None}
                      for n, r in folds_r.items()],
            "pooled": {"all": {"expectancy_r": sum(folds_r[n] for n in ok) / len(ok)},
                       "folds": ok}}


def folds_request(count: int):
    from types import SimpleNamespace

    return SimpleNamespace(strategy="BotpyStrategy", spaces=(),
                           folds=[SimpleNamespace(number=n) for n in range(1, count + 1)])


def test_the_pooled_control_rank_compares_the_same_folds_only():
    from botpy_ext.evaluation.report import control_section, control_sentence

    section = control_report_section
    request = folds_request(3)
    strategies = {"BotpyStrategy": section({1: 0.2, 2: None, 3: 0.2}),  # fold 2 failed
                  "BotpyRandomControl": section({1: 0.1, 2: -1.0, 3: 0.3}),
                  "BotpyRandomControl#2": section({1: 0.3, 2: None, 3: 0.1})}
    rank = control_section(request, strategies)
    assert rank["draws"] == 1 and rank["draws_below"] == 0  # only draw 2 pooled over 1 and 3
    assert [(f["fold"], f["draws_below"], f["draws"]) for f in rank["folds"]] == [
        (1, 1, 2), (3, 1, 2)]
    assert "1 of 2 draws left out" in control_sentence({"control": rank})
    assert "(fold 2 not ranked: no trade with an R on one side, or the fold failed)" in (
        control_sentence({"control": rank}))
    assert rank["before_last"] is None  # the strategy's fold 2 failed: nothing to rank there


def test_the_folds_before_the_last_are_ranked_together_by_their_trades():
    from botpy_ext.evaluation.report import control_section, control_sentence
    from botpy_ext.evaluation.statistics import folds_expectancy_r

    one = {"expectancy_r": 0.5, "trades_with_r": 1}
    three = {"expectancy_r": -0.1, "trades_with_r": 3}
    assert folds_expectancy_r([one, three])["expectancy_r"] == pytest.approx(0.05)
    assert folds_expectancy_r([one, None]) is None
    assert folds_expectancy_r([{"expectancy_r": None, "trades_with_r": 0}]) == {
        "expectancy_r": None}

    # the strategy: 30 trades at +0.3 R, then 10 at -0.1 R: +0.2 R together (not their mean)
    strategies = {"BotpyStrategy": control_report_section({1: 0.3, 2: -0.1, 3: -0.6},
                                                          trades={1: 30}),
                  "BotpyRandomControl": control_report_section({1: 0.1, 2: 0.1, 3: 0.0}),
                  "BotpyRandomControl#2": control_report_section({1: 0.25, 2: 0.25, 3: -0.9}),
                  "BotpyRandomControl#3": control_report_section({1: -0.2, 2: None, 3: 0.1})}
    rank = control_section(folds_request(3), strategies)["before_last"]
    assert rank["folds"] == [1, 2] and rank["strategy_expectancy_r"] == pytest.approx(0.2)
    assert (rank["draws"], rank["draws_below"]) == (2, 1)  # draw 3's fold 2 failed: left out
    assert rank["control_mean_r"] == pytest.approx(0.175)
    sentence = control_sentence({"control": control_section(folds_request(3), strategies)})
    assert ("folds 1–2 together +0.200 R, above 1/2 (mean +0.175 R; 1 of 3 draws left out: a "
            "fold without trades or failed)") in sentence
    assert control_section(folds_request(2), strategies)["before_last"] is None


def hyperopt_report_section(folds: dict[int, tuple[float, float, int] | None]) -> dict:
    """A strategy's report section with (profit %, expectancy R, trades) per fold (None: the
    fold failed)."""
    return {"folds": [{"fold": n, "ok": f is not None,
                       "stats": {"all": {"profit_pct": f[0], "expectancy_r": f[1],
                                         "trades": f[2], "trades_with_r": f[2]}}
                       if f is not None else None} for n, f in folds.items()]}


def test_hyperopted_folds_are_compared_with_the_unoptimized_on_the_same_windows(tmp_path):
    from botpy_ext.evaluation.report import hyperopt_section, hyperopt_sentence

    request = folds_request(3)
    request.spaces, request.strategy_path = ("buy",), tmp_path
    strategies = {
        "BotpyStrategy": hyperopt_report_section({1: (2.0, 0.4, 10), 2: (-3.0, -0.5, 30),
                                                  3: None}),
        "BotpyStrategy-unoptimized": hyperopt_report_section({1: (1.0, 0.2, 10),
                                                              2: (-1.0, 0.0, 10),
                                                              3: (5.0, 0.9, 10)}),
    }
    gain = hyperopt_section(request, strategies)
    assert [f["fold"] for f in gain["folds"]] == [1, 2]  # fold 3 failed on one side
    assert [f["gain_pct"] for f in gain["folds"]] == [pytest.approx(1.0), pytest.approx(-2.0)]
    assert (gain["more_profit"], gain["compared"]) == (1, 2)
    # pooled over folds 1-2: profits added, R weighted by the trades (10 at +0.4, 30 at -0.5)
    assert gain["pooled"]["optimized"] == {"profit_pct": pytest.approx(-1.0),
                                           "expectancy_r": pytest.approx(-0.275)}
    assert gain["pooled"]["unoptimized"] == {"profit_pct": pytest.approx(0.0),
                                             "expectancy_r": pytest.approx(0.1)}
    sentence = hyperopt_sentence({"hyperopt": gain})
    assert ("with its hyperopted parameters BotpyStrategy made -1.00 % (-0.275 R a trade) over "
            "the test folds, with its own parameters +0.00 % (+0.100 R) on the same windows; "
            "more profit on 1 of 2 folds.") in sentence
    assert gain["notes"] == []
    # an earlier hyperopt's parameter file in the strategies folder is left out, and said so
    (tmp_path / "BotpyStrategy.json").write_text("{}")
    assert "BotpyStrategy.json left out" in hyperopt_sentence(
        {"hyperopt": hyperopt_section(request, strategies)})
    assert hyperopt_section(folds_request(3), strategies) is None  # no --optimize
    del strategies["BotpyStrategy-unoptimized"]
    assert hyperopt_section(request, strategies) is None


def test_the_drawdown_of_trades_closing_in_the_same_minute_is_freqtrades():
    """Trades given in freqtrade's order (its export's: as its backtest closed them); two close
    in the same minute, a win then a loss. Sorted again by open date the loss would come first
    and the drawdown would be measured from a lower peak: the figure must be freqtrade's."""
    from freqtrade.data.metrics import calculate_max_drawdown

    from botpy_ext.evaluation.runner import in_export_order

    trades = pd.DataFrame([trade("A/USDT", 0, 50.0), trade("B/USDT", 10, -20.0),
                           trade("C/USDT", 60, -30.0)])
    trades.loc[1, "close_date"] = trades.loc[2, "close_date"]  # B and C close together
    trades["open_timestamp"] = trades["open_date"].astype("int64") // 10**6
    exported = trades[["pair", "open_timestamp"]].iloc[[0, 2, 1]].to_dict("records")
    trades = in_export_order(trades, exported)  # freqtrade closed C before B
    assert list(trades["pair"]) == ["A/USDT", "C/USDT", "B/USDT"]
    start, end = datetime(2023, 4, 12, tzinfo=UTC), datetime(2023, 4, 13, tzinfo=UTC)
    figures = st.summarize(trades, 1000, start, end, pairs=3)
    expected = calculate_max_drawdown(trades, starting_balance=1000).relative_account_drawdown
    assert figures["max_drawdown_pct"] == pytest.approx(expected * 100)
