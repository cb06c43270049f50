"""Hypothesis W of docs/edge.md (section 15): trade only while the pair's last day moved like a
trend, not like a random walk. A research script, not part of the product.

The efficiency ratio of the last 24 h on hourly steps: |close − close 24 h ago| / the sum of the
24 hourly |changes|. A straight line scores 1; a driftless random walk about 0.2 (1 / √24).
W keeps a signal only when the ratio is at least 0.3 (the 4h uptrend filter stays as it is).

Scored like hypotheses D to H (`scan_d_to_h.py`: a 2:1 bracket over 24 h, R = max(1.5 ATR, 2 %),
fees in R). Rows: the defaults' signals one per 4 h per pair, with and without W, and ten draws
of random candles in the 4h uptrend, with and without W (does the regime help any entry?).
The control of each row is ten draws of random candles in the 4h uptrend, W or not.
Decided before the first run: W goes on to `botpy evaluate` only if, on the train part of both
real sets, the signals with W beat the signals without W by at least 0.1 R, and W keeps a smaller
share of the minutes on the noise market than on either real set. The script prints the train
part only; `--test` adds the test part, to be read after the decision.

    .venv/bin/python docs/research/scan_w_efficiency.py DATADIR [--test]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from scan_d_to_h import analysed_frames
from scan_t_dips import condition_scan, print_condition

HOURS = 24
MIN_RATIO = 0.3


def efficiency_ratio(close: pd.Series) -> pd.Series:
    """On each 1m row: the efficiency ratio of the last HOURS hours on 60-minute steps."""
    steps = [close.shift(60 * k) for k in range(HOURS + 1)]
    path = sum((steps[k] - steps[k + 1]).abs() for k in range(HOURS))
    return (steps[0] - steps[HOURS]).abs() / path.where(path > 0)


def main(datadir: Path, with_test: bool) -> None:
    frames = analysed_frames(datadir)
    trending = {pair: (efficiency_ratio(a["close"]) >= MIN_RATIO).to_numpy()
                for pair, a in frames.items()}
    scan = condition_scan(frames, trending, "W", "W: signals while ER(24 h) >= 0.3, one per 4 h")
    print_condition(datadir, "W", scan, with_test)

if __name__ == "__main__":
    main(Path(sys.argv[1]), "--test" in sys.argv[2:])
