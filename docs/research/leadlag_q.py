"""Reproduces diagnostic Q of docs/edge.md, section 10: do alts follow BTC's 1m moves a minute
late, and by how much after a sharp BTC rise the alt has not followed? A research script, not
part of the product.

    .venv/bin/python docs/research/leadlag_q.py DATADIR

Per alt: the correlation of its 1m log return with BTC's of the same minute and of 1 to 3
minutes before; events = BTC's 5-minute rise above 3 standard deviations of its 5-minute moves
(over the last day) while the alt rose less than half its beta's share (beta over the last
day), one event per 30 minutes; then the mean log return of the alt and of BTC over the next
5, 15 and 60 minutes, in basis points. The mean row averages the alts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from botpy_ext.evaluation import market

DAY = 1440
HORIZONS = (5, 15, 60)


def events(both: pd.DataFrame) -> pd.Series:
    returns = both.diff()
    btc5, alt5 = both["btc"].diff(5), both["alt"].diff(5)
    sharp = btc5 / btc5.rolling(DAY).std() > 3
    beta = returns["alt"].rolling(DAY).cov(returns["btc"]) / returns["btc"].rolling(DAY).var()
    hit = sharp & (alt5 < 0.5 * beta * btc5)
    recent = hit.shift(1, fill_value=False).rolling(30, min_periods=1).max().astype(bool)
    return hit & ~recent


def one_alt(btc: pd.Series, alt: pd.Series) -> dict[str, float]:
    both = pd.concat([np.log(btc), np.log(alt)], axis=1, keys=["btc", "alt"]).dropna()
    returns = both.diff().dropna()
    row = {f"corr lag {k}": returns["alt"].corr(returns["btc"].shift(k)) for k in range(4)}
    hits = events(both)
    row["events"] = float(hits.sum())
    for h in HORIZONS:
        for name in ("alt", "btc"):
            ahead = both[name].shift(-h) - both[name]
            row[f"{name} +{h} min bp"] = float(ahead[hits].mean() * 1e4)
    return row


def main(datadir: Path) -> None:
    btc = market.read_candles(datadir, "BTC/USDT").set_index("date")["close"]
    rows = {pair: one_alt(btc, market.read_candles(datadir, pair).set_index("date")["close"])
            for pair in market.datadir_pairs(datadir) if pair != "BTC/USDT"}
    table = pd.DataFrame(rows).T
    table.loc["mean"] = table.mean()
    print(table.round(3).to_string())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
