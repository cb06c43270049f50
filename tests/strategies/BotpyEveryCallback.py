"""BotpyStrategy with every callback on every candle, as in dry-run and live: the reference
for the backtest's skipped idle callbacks (tests/test_backtest_trades.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "user_data" / "strategies"))

from BotpyStrategy import BotpyStrategy  # noqa: E402


class BotpyEveryCallback(BotpyStrategy):
    skip_idle_callbacks = False
