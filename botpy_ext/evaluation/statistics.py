"""Trade statistics of one backtest window or of pooled windows: freqtrade's own metrics
functions where they exist, numpy for the resampling (bootstrap, Monte Carlo of the trade order).

A trade list is a DataFrame of freqtrade's exported trades (`profit_abs`, `profit_ratio`,
`close_date`, `enter_tag`, `orders`, ...) plus `r_multiple` (NaN where the strategy froze no R).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from freqtrade.data.metrics import calculate_calmar, calculate_max_drawdown

RESAMPLES = 10_000  # bootstrap resamples of the expectancy
SHUFFLES = 1_000  # Monte Carlo orders of the trades
CONFIDENCE = 0.95
DRAWDOWN_PERCENTILES = (5, 50, 95)
SEED = 20261201  # fixed: the same trades give the same intervals
SETUPS = ("precision", "momentum", "ignition")  # BotpyStrategy's: listed even without trades


def setup_of(enter_tag: str | None) -> str:
    """'precision' from 'precision:sniper'; a tag without a setup prefix is its own group."""
    return (enter_tag or "untagged").partition(":")[0]


def bootstrap_mean_ci(values, resamples: int = RESAMPLES, confidence: float = CONFIDENCE,
                      seed: int = SEED) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean; None for fewer than two values."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if len(data) < 2:
        return None
    rng = np.random.default_rng(seed)
    means = rng.choice(data, size=(resamples, len(data)), replace=True).mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def max_drawdown_ratio(profits_abs: np.ndarray, starting_balance: float) -> np.ndarray:
    """freqtrade's max drawdown (`calculate_max_drawdown`, the "as traded" figure) for each row
    of `profits_abs` (trades in closing order), the balance starting at `starting_balance`: the
    largest fall from a running peak in money, as a share of that peak. (The largest fall as a
    share, a different one when the peak grew, is not what freqtrade reports.)"""
    balance = starting_balance + np.cumsum(profits_abs, axis=-1)
    start = np.full(balance.shape[:-1] + (1,), float(starting_balance))
    balance = np.concatenate([start, balance], axis=-1)
    peak = np.maximum.accumulate(balance, axis=-1)
    fall = peak - balance
    deepest = fall.argmax(axis=-1)[..., None]  # the first of equal falls, as freqtrade's idxmin
    return (np.take_along_axis(fall, deepest, axis=-1)
            / np.take_along_axis(peak, deepest, axis=-1))[..., 0]


def shuffled_drawdowns(profits_abs, starting_balance: float, shuffles: int = SHUFFLES,
                       seed: int = SEED) -> np.ndarray:
    """Max drawdown (share of the peak) of each of `shuffles` random orders of the trades."""
    profits = np.asarray(profits_abs, dtype=float)
    rng = np.random.default_rng(seed)
    orders = rng.permuted(np.tile(profits, (shuffles, 1)), axis=1)
    return max_drawdown_ratio(orders, starting_balance)


def drawdown_distribution(profits_abs, starting_balance: float, shuffles: int = SHUFFLES,
                          seed: int = SEED) -> dict[str, float] | None:
    """Percentiles (in %) of the max drawdown over `shuffles` random orders of the trades."""
    if len(profits_abs) < 2:
        return None
    drawdowns = shuffled_drawdowns(profits_abs, starting_balance, shuffles, seed)
    values = np.percentile(drawdowns, DRAWDOWN_PERCENTILES)
    result = {f"p{p}_pct": float(v) * 100
              for p, v in zip(DRAWDOWN_PERCENTILES, values, strict=True)}
    result["shuffles"] = shuffles
    return result


def traded_value(orders: list[dict]) -> float:
    """Quote value of all fills of a trade (entries and exits): what a fee is charged on."""
    return float(sum(order["amount"] * order["safe_price"] for order in orders))


def profit_at_fee(trades: pd.DataFrame, run_fee: float, fee: float) -> float:
    """Total profit had every fill paid `fee` instead of `run_fee`, the trades held fixed."""
    if trades.empty:
        return 0.0
    values = trades["orders"].map(traded_value)
    return float((trades["profit_abs"] - (fee - run_fee) * values).sum())


def profit_factor(profits: pd.Series) -> float | None:
    losses = -profits[profits < 0].sum()
    gains = profits[profits > 0].sum()
    if losses == 0:
        return None if gains == 0 else float("inf")
    return float(gains / losses)


def summarize(trades: pd.DataFrame, starting_balance: float, start: datetime, end: datetime,
              pairs: int) -> dict:
    """Every figure of one group of trades over [start, end) on `pairs` pairs."""
    days = (end - start).total_seconds() / 86400
    count = len(trades)
    figures: dict = {
        "trades": count,
        "trades_per_pair_day": count / (pairs * days) if pairs and days else None,
        "win_rate": None, "expectancy_pct": None, "expectancy_pct_ci": None,
        "expectancy_r": None, "expectancy_r_ci": None, "trades_with_r": 0,
        "profit_factor": None, "profit_abs": 0.0, "profit_pct": 0.0,
        "max_drawdown_pct": 0.0, "calmar": None,
    }
    if not count:
        return figures
    profits = trades["profit_abs"]
    ratios = trades["profit_ratio"] * 100
    r = trades["r_multiple"].dropna() if "r_multiple" in trades else pd.Series(dtype=float)
    ordered = trades.sort_values("close_date", kind="stable")
    # freqtrade sorts the trades itself: given in its own order, ties fall as in its report
    drawdown = calculate_max_drawdown(trades.reset_index(drop=True),
                                      starting_balance=starting_balance)
    figures.update({
        "win_rate": float((profits > 0).mean()),
        "expectancy_pct": float(ratios.mean()),
        "expectancy_pct_ci": bootstrap_mean_ci(ratios),
        "expectancy_r": float(r.mean()) if len(r) else None,
        "expectancy_r_ci": bootstrap_mean_ci(r),
        "trades_with_r": int(len(r)),
        "profit_factor": profit_factor(profits),
        "profit_abs": float(profits.sum()),
        "profit_pct": float(profits.sum() / starting_balance * 100),
        "max_drawdown_pct": float(drawdown.relative_account_drawdown * 100),
        # freqtrade's Calmar (annualized mean daily return over the max drawdown); none
        # without a drawdown, where freqtrade answers -100 as "not optimal"
        "calmar": float(calculate_calmar(ordered, start, end, starting_balance))
        if drawdown.relative_account_drawdown > 0 else None,
    })
    return figures


def grouped(trades: pd.DataFrame, key, starting_balance: float, start: datetime, end: datetime,
            pairs: int) -> dict[str, dict]:
    """`summarize` per value of `key(enter_tag)`."""
    if trades.empty:
        return {}
    labels = trades["enter_tag"].map(key)
    return {label: summarize(trades[labels == label], starting_balance, start, end, pairs)
            for label in sorted(labels.unique())}


def analyse_trades(trades: pd.DataFrame, starting_balance: float, start: datetime,
                   end: datetime, pairs: int, run_fee: float, fees: list[float]) -> dict:
    """The whole strategy, per entry tag, per setup, the drawdown distribution of the trade
    order and the profit at each fee level."""
    ordered = trades.sort_values("close_date") if not trades.empty else trades
    per_setup = grouped(trades, setup_of, starting_balance, start, end, pairs)
    if set(per_setup) & set(SETUPS):  # a setup that never fired is a finding too
        empty = trades.iloc[:0]
        per_setup = {setup: per_setup.get(setup) or summarize(empty, starting_balance, start,
                                                              end, pairs)
                     for setup in sorted(set(SETUPS) | set(per_setup))}
    return {
        "all": summarize(trades, starting_balance, start, end, pairs),
        "per_tag": grouped(trades, lambda tag: tag or "untagged", starting_balance, start, end,
                           pairs),
        "per_setup": per_setup,
        "drawdown_monte_carlo": drawdown_distribution(
            ordered["profit_abs"] if not trades.empty else [], starting_balance),
        "fee_sensitivity": {
            f"{fee:g}": profit_at_fee(trades, run_fee, fee) / starting_balance * 100
            for fee in fees
        },
    }


def attach_r(trades: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """`r_multiple` = profit / money at risk at the initial stop (largest stake × stop distance
    of the frozen facts), matched on pair and open date; NaN where no facts were frozen."""
    result = trades.copy()
    result["r_multiple"] = np.nan
    if result.empty or facts.empty:
        return result
    keyed = facts.set_index(["pair", epoch_seconds(facts["open_date"])])
    index = pd.MultiIndex.from_arrays([result["pair"], epoch_seconds(result["open_date"])])
    distance = (keyed["risk"] / keyed["entry"]).reindex(index).to_numpy()
    result["r_multiple"] = result["profit_abs"].to_numpy() / (
        result["max_stake_amount"].to_numpy() * distance)
    return result


def epoch_seconds(dates: pd.Series) -> pd.Series:
    """Dates of any resolution as whole epoch seconds: the key trades and facts are matched on."""
    return pd.to_datetime(dates, utc=True).dt.as_unit("s").astype("int64").rename("open_s")


def folds_expectancy_r(folds: list[dict | None]) -> dict | None:
    """The expectancy in R of several folds' trades together (each fold a `summarize` dict):
    the folds' means weighted by their trades with an R. None when a fold is missing."""
    if not folds or any(fold is None for fold in folds):
        return None
    weights = [fold["trades_with_r"] for fold in folds]
    if not sum(weights):
        return {"expectancy_r": None}
    total = sum(fold["expectancy_r"] * weight for fold, weight in zip(folds, weights, strict=True)
                if weight)
    return {"expectancy_r": total / sum(weights)}


def optimization_gain(optimized: dict[int, dict | None],
                      unoptimized: dict[int, dict | None]) -> dict:
    """What hyperopt did out of sample: per test fold (by number, each a `summarize` dict, None
    for a fold that failed), the hyperopted parameters' profit and expectancy in R against the
    strategy's own parameters on the same window, and on how many of the folds both ran the
    hyperopted ones made more profit."""
    folds = []
    for number, mine in optimized.items():
        plain = unoptimized.get(number)
        if mine is None or plain is None:
            continue
        folds.append({"fold": number,
                      "optimized": {k: mine[k] for k in ("trades", "profit_pct", "expectancy_r")},
                      "unoptimized": {k: plain[k] for k in ("trades", "profit_pct",
                                                            "expectancy_r")},
                      "gain_pct": mine["profit_pct"] - plain["profit_pct"]})
    return {"folds": folds, "more_profit": sum(f["gain_pct"] > 0 for f in folds),
            "compared": len(folds)}


def control_rank(strategy: dict | None, controls: list[dict | None]) -> dict | None:
    """Where the strategy's pooled expectancy in R lies among the random-entry control's draws
    (each a pooled `summarize` dict): how many draws it beats, their mean and range. None
    without a strategy figure or a control draw with one."""
    mine = (strategy or {}).get("expectancy_r")
    draws = [c["expectancy_r"] for c in controls if c and c.get("expectancy_r") is not None]
    if mine is None or not draws:
        return None
    below = sum(value < mine for value in draws)
    return {
        "draws": len(draws),
        "strategy_expectancy_r": mine,
        "control_expectancy_r": draws,
        "control_mean_r": float(np.mean(draws)),
        "control_min_r": min(draws),
        "control_max_r": max(draws),
        "draws_below": below,
        "share_below": below / len(draws),
    }
