"""The options of `botpy evaluate` (cheap to import: `botpy --help` loads them)."""

from __future__ import annotations

import argparse
import os

DEFAULT_FEES = "0.00075,0.001,0.0015"
DEFAULT_FEE = 0.001  # Binance spot's base fee, per side
WARMUP_DAYS = 10.0  # EMA50 of 4h closes needs 8.3 days of candles; round up


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--datadir", required=True, help="freqtrade datadir of 1m feather "
                        "files (5m/15m/1h/4h are resampled from them when missing)")
    parser.add_argument("--timerange", help="YYYYMMDD[THHMM]-YYYYMMDD[THHMM]; the end is "
                        "exclusive (default: all data after the warm-up)")
    parser.add_argument("--pairs", nargs="+", help="pairs (default: every pair of the datadir)")
    parser.add_argument("--folds", type=int, default=3,
                        help="walk-forward test windows (default 3)")
    parser.add_argument("--config", help="freqtrade config (default: the project's backtest."
                        "json, markets from the offline simulator)")
    parser.add_argument("--fee", type=float, default=DEFAULT_FEE,
                        help=f"fee per side the backtests run at (default {DEFAULT_FEE:g})")
    parser.add_argument("--fees", default=DEFAULT_FEES, help="fee levels per side for the fee "
                        f"sensitivity, comma-separated (default {DEFAULT_FEES})")
    parser.add_argument("--out",
                        help="report directory (default: <userdir>/evaluation)")
    parser.add_argument("--optimize", nargs="+", metavar="SPACE", help="hyperopt spaces: each "
                        "test window is preceded by a train window hyperopted first")
    parser.add_argument("--epochs", type=int, default=10,
                        help="hyperopt epochs per fold (default 10)")
    parser.add_argument("--random-state", type=int, default=1, help="hyperopt's random state "
                        "of fold 1; fold k uses this + k - 1 (default 1)")
    parser.add_argument("--hyperopt-loss", default="SharpeHyperOptLoss",
                        help="freqtrade hyperopt loss (default SharpeHyperOptLoss)")
    parser.add_argument("--strategy", default="BotpyStrategy",
                        help="strategy to evaluate (default BotpyStrategy)")
    parser.add_argument("--strategy-path", help="its folder (default: <userdir>/strategies)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="freqtrade processes at once (default: one per CPU)")
    parser.add_argument("--warmup-days", type=float, default=WARMUP_DAYS,
                        help=f"days of data before the first test window (default "
                        f"{WARMUP_DAYS:g})")
    parser.add_argument("--signals", action="store_true", help="instead of backtests: every "
                        "entry signal's excursions in R over the next hours, per setup and "
                        "profile, against random entries (seconds, not minutes)")
    parser.add_argument("--horizon-hours", type=float, default=4.0,
                        help="--signals: hours after the entry (default 4)")
    parser.add_argument("--control", action="store_true", help="also run BotpyRandomControl: "
                        "the same exits, guards and entry density on random candles")
    parser.add_argument("--control-draws", type=int, default=1, help="--control: how many "
                        "draws of random candles (default 1); with several, the report ranks "
                        "the strategy's expectancy among them")
