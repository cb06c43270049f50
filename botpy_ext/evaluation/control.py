"""The random-entry control: BotpyStrategy's exits, guards and entry density with entries on
random candles. What its entries add over chance is the strategy's expectancy minus the
control's, on the same folds."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd


def random_entries(tags: pd.Series, allowed: pd.Series, pair: str) -> pd.Series:
    """As many entries as `tags` has (non-empty), on random rows where `allowed` (the trend
    filter the strategy keeps), each with one of the real tags (shuffled, so the setup and
    profile mix stays). Seeded by the pair's name: the same data give the same control."""
    rng = np.random.default_rng(zlib.crc32(pair.encode()))
    real = tags[tags != ""].to_numpy()
    candidates = np.flatnonzero(allowed.fillna(False).to_numpy(dtype=bool))
    count = min(len(real), len(candidates))
    result = pd.Series("", index=tags.index, dtype=object)
    if count:
        rows = rng.choice(candidates, size=count, replace=False)
        result.iloc[np.sort(rows)] = rng.permutation(real)[:count]
    return result
