"""Hypothesis X of docs/edge.md (section 16): buy the pair that is stronger than the market. A
research script, not part of the product.

X keeps a signal only when the pair rose more than BTC/USDT over the last 24 h (its 24 h return
above BTC's; BTC/USDT's own signals are kept: it is the market). The 4h uptrend filter stays.
Relative strength is the crypto factor with the most published support (at horizons of days to
weeks); this asks whether a day of it helps the setups' entries.

Scored like hypotheses D to H (`scan_d_to_h.py`: a 2:1 bracket over 24 h, R = max(1.5 ATR, 2 %),
fees in R). Rows: the defaults' signals one per 4 h per pair, with and without X, and random
candles where the uptrend and X hold (the regime alone); each against ten draws of random
candles in the 4h uptrend. Decided before the first run: X goes on to `botpy evaluate` only if,
on the train part of both real sets, the signals with X beat the signals without X by at least
0.1 R. The script prints the train part only; `--test` adds the test part, to be read after the
decision.

    .venv/bin/python docs/research/scan_x_relative_strength.py DATADIR [--test] [--days N]

`--days 7` is hypothesis Z (section 18): the same comparison over a week instead of a day.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scan_d_to_h import analysed_frames
from scan_t_dips import condition_scan, print_condition

MARKET = "BTC/USDT"
DAY_MINUTES = 1440


def period_return(frame: pd.DataFrame, days: int) -> pd.Series:
    """The return over `days` days on each minute of a full 1m grid (gaps carried forward)."""
    close = frame.set_index("date")["close"].asfreq("1min").ffill()
    return close / close.shift(days * DAY_MINUTES) - 1


def main(datadir: Path, with_test: bool, days: int) -> None:
    frames = analysed_frames(datadir)
    market = period_return(frames[MARKET], days)
    stronger = {pair: np.ones(len(a), bool) if pair == MARKET else
                (period_return(a, days).reindex(a["date"]).to_numpy()
                 > market.reindex(a["date"]).to_numpy())
                for pair, a in frames.items()}
    name = "X" if days == 1 else "Z"
    scan = condition_scan(frames, stronger, name,
                          f"{name}: signals while stronger than BTC ({days * 24} h), 1 per 4 h")
    print_condition(datadir, name, scan, with_test, leave_out=MARKET)


if __name__ == "__main__":
    arguments = sys.argv[2:]
    days = int(arguments[arguments.index("--days") + 1]) if "--days" in arguments else 1
    main(Path(sys.argv[1]), "--test" in arguments, days)
