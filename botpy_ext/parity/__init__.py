"""Backtest ⇄ Virtual-mode parity: the same window traded by `freqtrade trade` on the replayed
market and by `freqtrade backtesting`, compared trade by trade (`botpy parity`).

`clock` and `compare` are pure (the shared fake clock, the trade matching and its figures);
`runner` runs the simulator and freqtrade; `command` is the CLI and the report."""
