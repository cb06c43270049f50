"""Hypotheses T and U of docs/edge.md (section 13): buy a sharp dip inside the 4h uptrend, the
trader's "buy the pullback" instead of the breakout. A research script, not part of the product.

- T: the pair's 4h trend is up and its close fell by at least 3 ATR14(15m) over the last
  60 minutes; one entry per 4 h per pair.
- U: T's dip happened within the last 60 minutes and the 1m close now clears the highest high of
  the 15 minutes before (the dip turns); one entry per 4 h per pair.

Scored like hypotheses D to H (`scan_d_to_h.py`: a 2:1 bracket over 24 h, R = max(1.5 ATR, 2 %),
fees in R) against ten draws of random candles in the pair's 4h uptrend. Decided before the
first run: a rule goes on to `botpy evaluate` only if, on the train part of both real sets, its
net R beats its control by at least 0.1 R (the decision was read against the first draw; the
ten were added before the test part was read). The script prints the train part only; `--test`
adds the test part, to be read after the decision.

    .venv/bin/python docs/research/scan_t_dips.py DATADIR [--test]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scan_d_to_h import analysed_frames, first_of_episode, in_trend, scored

DIP_ATR = 3.0
DIP_MINUTES = 60
TURN_MINUTES = 15
GAP = 240  # one entry per 4 h per pair (hypothesis L's value)
DRAWS = 10  # draws of the random control (section 11: one draw is not enough)


def rules(a: pd.DataFrame) -> dict[str, np.ndarray]:
    close = a["close"]
    trend = a["trend_up_4h"].fillna(False).to_numpy(bool)
    fell = (close.shift(DIP_MINUTES) - close) >= DIP_ATR * a["atr_15m"]
    dip = trend & fell.to_numpy()
    recent_dip = pd.Series(dip).rolling(DIP_MINUTES, min_periods=1).max().to_numpy(bool)
    turns = (close > a["high"].rolling(TURN_MINUTES).max().shift(1)).to_numpy()
    return {
        "T: trend, fell >= 3 ATR in 60 min, 1 per 4 h": first_of_episode(dip, GAP),
        "U: T's dip < 60 min ago, close > 15 min high": first_of_episode(
            trend & recent_dip & turns, GAP),
    }


def part_means(frames_of_rule: list[pd.DataFrame]) -> tuple[pd.DataFrame, float, float]:
    every = pd.concat(frames_of_rule)
    net = every["net_r"]
    return every, net[~every["test"]].mean(), net[every["test"]].mean()


def print_parts(parts: dict, pair_days: float, with_test: bool) -> None:
    """Each rule's train (and test) net R, then its control's draws: mean [min, max] and how many
    draws the rule beats."""
    print(f"{'rule':52s} {'train n':>7s} {'net R':>7s} {'control mean [min, max], beats':>38s}"
          + (f" {'test n':>7s} {'net R':>7s} {'control':>38s}" if with_test else "")
          + f" {'per pair/day':>12s}")
    for label in [name for name in parts if "[" not in name]:
        every, train, test = part_means(parts[label])
        draws = [part_means(frames)[1:] for name, frames in parts.items()
                 if name.startswith(f"{label} [")]
        columns = [(len(every[~every["test"]]), train, [d[0] for d in draws])]
        if with_test:
            columns.append((len(every[every["test"]]), test, [d[1] for d in draws]))
        line = f"{label:52s}"
        for n, mean, controls in columns:
            line += (f" {n:7d} {mean:+7.3f} {np.mean(controls):+7.3f} [{min(controls):+.3f}, "
                     f"{max(controls):+.3f}], {sum(mean > c for c in controls):2d}/{len(controls)}")
        print(line + f" {len(every) / pair_days:12.2f}")


def condition_scan(frames: dict[str, pd.DataFrame], holds: dict[str, np.ndarray], name: str,
                   rule_label: str, random_per_pair: int = 100, seed: int = 20261207):
    """A condition (`holds[pair]`, a flag per 1m row) tried on the defaults' signals: the signals
    one per GAP minutes with and without it, and random candles where the 4h uptrend and the
    condition hold (the regime alone); each against DRAWS draws of random candles in the uptrend.
    Returns the scored parts, the pair-days and, per pair, the share of the minutes where the
    condition holds (of all, of those in the uptrend)."""
    rng = np.random.default_rng(seed)
    shares = {}

    def rules(pair: str, a: pd.DataFrame) -> dict[str, np.ndarray]:
        signal = a["entry_tag"].to_numpy() != ""
        regime = np.flatnonzero(in_trend(a, np.ones(len(a), bool)) & holds[pair])
        return {"signals, one per 4 h": first_of_episode(signal, GAP),
                rule_label: first_of_episode(signal & holds[pair], GAP),
                f"random candles in trend + {name}": np.sort(rng.choice(
                    regime, size=min(random_per_pair, len(regime)), replace=False))}

    def pools(pair: str, a: pd.DataFrame, inside: np.ndarray) -> dict[str, np.ndarray]:
        trend = in_trend(a, inside)
        shares[pair] = (holds[pair][inside].mean(), holds[pair][trend].mean())
        return {f"control {draw}": np.flatnonzero(trend) for draw in range(1, DRAWS + 1)}

    parts, pair_days = scored(frames, rules, pools)
    return parts, pair_days, shares


def print_condition(datadir: Path, name: str, scan: tuple, with_test: bool,
                    leave_out: str = "") -> None:
    """`condition_scan`'s result: where the condition holds (`leave_out`: a pair not counted in
    that share), then the table."""
    parts, pair_days, shares = scan
    counted = [share for pair, share in shares.items() if pair != leave_out]
    print(f"{datadir}: {len(shares)} pairs, {pair_days:.0f} pair-days; {name} holds "
          f"{np.mean([s[0] for s in counted]):.1%} of the minutes"
          + (f" of every pair but {leave_out}" if leave_out else "")
          + f", {np.mean([s[1] for s in counted]):.1%} of those in the 4h uptrend")
    print_parts(parts, pair_days, with_test)


def main(datadir: Path, with_test: bool) -> None:
    frames = analysed_frames(datadir)
    parts, pair_days = scored(
        frames, lambda pair, a: rules(a),
        lambda pair, a, inside: {f"control {draw}": np.flatnonzero(in_trend(a, inside))
                                 for draw in range(1, DRAWS + 1)})
    print(f"{datadir}: {len(frames)} pairs, {pair_days:.0f} pair-days")
    print_parts(parts, pair_days, with_test)


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--test" in sys.argv[2:])
