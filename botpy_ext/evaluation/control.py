"""The random-entry control: BotpyStrategy's exits, guards and entry density with entries on
random candles. What its entries add over chance is the strategy's expectancy minus the
control's, on the same folds."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from botpy_ext.guards.settings import CONTROL_DRAW_KEY as DRAW_KEY
from botpy_ext.guards.settings import SECTION

CONTROL = "BotpyRandomControl"  # the control's strategy class (BotpyStrategy's module)


def draw_label(draw: int) -> str:
    """A control run's name in the report: the class, then `#2`, `#3`, … for later draws."""
    return CONTROL if draw == 0 else f"{CONTROL}#{draw + 1}"


def is_control(label: str) -> bool:
    return label == CONTROL or label.startswith(f"{CONTROL}#")


def is_extra_draw(label: str) -> bool:
    """A control draw after the first: in the tables and the control line, not the charts."""
    return is_control(label) and label != CONTROL


def control_draw(config: dict) -> int:
    """The draw a control run uses, from `botpy.control_draw` (written by `botpy evaluate`,
    checked with the rest of the section by `guards.settings.load`); 0 = the first."""
    return config.get(SECTION, {}).get(DRAW_KEY, 0)


def random_entries(tags: pd.Series, allowed: pd.Series, pair: str, draw: int = 0,
                   tradable: pd.Series | None = None) -> pd.Series:
    """As many entries as `tags` has (non-empty), on random rows where `allowed` (the trend
    filter the strategy keeps), each with one of the real tags (shuffled, so the setup and
    profile mix stays). Seeded by the pair's name and the draw: the same data and draw give the
    same control, another draw other random candles. `tradable` (the rows a backtest trades:
    after freqtrade's start-up candles) limits both the real tags counted and the candidates, so
    that the control has as many entries as the strategy inside the test window."""
    if tradable is not None:
        tags = tags.where(tradable, "")
        allowed = allowed.where(tradable, False)
    seed = zlib.crc32(pair.encode())
    rng = np.random.default_rng(seed if draw == 0 else [seed, draw])
    real = tags[tags != ""].to_numpy()
    candidates = np.flatnonzero(allowed.fillna(False).to_numpy(dtype=bool))
    count = min(len(real), len(candidates))
    result = pd.Series("", index=tags.index, dtype=object)
    if count:
        rows = rng.choice(candidates, size=count, replace=False)
        result.iloc[np.sort(rows)] = rng.permutation(real)[:count]
    return result
