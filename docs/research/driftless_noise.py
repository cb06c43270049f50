"""The noise market of docs/edge.md section 21: `botpy-sim generate --no-episodes` without the
drift of its trend regimes (the same fat tails, volatility clusters and volume texture). A
research script, not part of the product; the generator itself is unchanged.

    .venv/bin/python docs/research/driftless_noise.py SEED OUT_DIR
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from botpy_ext.synthetic import generator
from botpy_ext.synthetic.texture import TextureParams

DAYS = 60

if __name__ == "__main__":
    generator.TextureParams = partial(TextureParams, trend_drift_per_day=(0.0, 0.0))
    seed, out = int(sys.argv[1]), Path(sys.argv[2])
    generator.write_market(generator.generate_market(seed, DAYS, episodes=False), out)
    print(f"{out}: seed {seed}, {DAYS} days, trend regimes without drift")
