"""The losing streak and the daily loss limit in a `freqtrade backtesting` run built for them:
the synthetic market with only these two guards on, the daily limit lowered to 1 % and the
spec's tight stops (`spec-literal.json`; the wide default stops lose too rarely to trip them in
twelve days). Checked against the trades freqtrade exports."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.helpers import GUARDS_OFF, backtest_botpy_trades, refusals

TIMERANGE = "20240120-20240201"
WALLET = 1000.0
TRADABLE = 0.99  # base.json's tradable_balance_ratio: freqtrade's starting balance is 990
LOSSES, PAUSE = 5, pd.Timedelta(hours=4)  # the losing streak's defaults
DAILY_LIMIT = 0.01
UNTIL = re.compile(r"\(until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)")
ONE_DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def run(synthetic_market, tmp_path_factory, userdir) -> tuple[pd.DataFrame, pd.DataFrame]:
    guards = GUARDS_OFF | {"losing_streak": {"enabled": True},
                           "daily_loss": {"enabled": True, "limit": DAILY_LIMIT}}
    trades = backtest_botpy_trades(synthetic_market, tmp_path_factory.mktemp("pnl_guards"),
                                   userdir, TIMERANGE, mode="spec-literal",
                                   dry_run_wallet=WALLET, guards=guards)
    return trades, refusals(trades.attrs["log"])


def streak_windows(trades: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Pauses the trade list calls for (counted here independently of the strategy)."""
    windows, count = [], 0
    for close, profit in trades.sort_values("close_date")[["close_date", "profit_abs"]].itertuples(
            index=False):
        count = count + 1 if profit < 0 else 0
        if count == LOSSES:
            windows.append((close, close + PAUSE))
            count = 0
    return windows


def until(reason: str) -> pd.Timestamp:
    return pd.Timestamp(UNTIL.search(reason).group(1), tz="UTC")


def opened_between(trades: pd.DataFrame, start, end) -> pd.DataFrame:
    return trades[(trades["open_date"] > start) & (trades["open_date"] < end)]


def test_losing_streak_pauses_entries_and_releases_them_at_its_end(run):
    trades, refused = run
    windows = streak_windows(trades)
    streak = refused[refused["guard"] == "losing_streak"]
    assert len(windows) >= 3 and len(streak) >= 10
    for time, reason in streak[["time", "reason"]].itertuples(index=False):
        window = next((w for w in windows if w[0] <= time < w[1]), None)
        assert window is not None, f"refused at {time} outside every pause"
        assert until(reason) == window[1].floor("min")
    for start, end in windows:
        assert opened_between(trades, start, end).empty, (start, end)
    released = [w for w in windows if not opened_between(trades, w[1] - pd.Timedelta(
        minutes=1), w[1] + pd.Timedelta(hours=2)).empty]
    assert released, "no entry in the two hours after any pause"


def test_daily_loss_limit_stops_entries_until_the_next_utc_day(run):
    trades, refused = run
    daily = refused[refused["guard"] == "daily_loss"]
    tripped_days = sorted(set(daily["time"].dt.floor("D")))
    assert len(tripped_days) >= 2
    for day in tripped_days:
        first = daily[daily["time"].dt.floor("D") == day]["time"].min()
        assert opened_between(trades, first, day + ONE_DAY).empty, day
        assert {until(r) for r in daily[daily["time"].dt.floor("D") == day]["reason"]} == {
            day + ONE_DAY}
    next_days = [day + ONE_DAY for day in tripped_days]
    assert any(not opened_between(trades, day - pd.Timedelta(seconds=1), day + ONE_DAY).empty
               for day in next_days), "entries never resumed the next day"


def test_daily_loss_measures_against_the_equity_at_the_start_of_the_day(run):
    """The reported base equity is the starting balance plus the P&L closed before 00:00."""
    trades, refused = run
    daily = refused[refused["guard"] == "daily_loss"]
    for time, reason in daily[["time", "reason"]].itertuples(index=False):
        day = time.floor("D")
        closed_before = trades[trades["close_date"] < day]["profit_abs"].sum()
        reported = float(re.search(r"of -[\d.]+% of ([\d.]+)", reason).group(1))
        assert reported == pytest.approx(WALLET * TRADABLE + closed_before, abs=0.01)
        share = float(re.search(r"\(([-+][\d.]+)%\)", reason).group(1)) / 100
        assert share <= -DAILY_LIMIT + 5e-5
