"""`botpy-sim`: serve a datadir as an offline Binance, or generate the synthetic market.

    botpy-sim serve --datadir DIR [--port 8765] [--clock replay --start 2024-01-20T12:00]
    BOTPY_SIM_API_KEY=… BOTPY_SIM_API_SECRET=… botpy-sim serve --datadir DIR --clock replay \
        --account USDT=1000          # a spot account too: Live mode's signed endpoints
    botpy-sim generate --seed 7 --days 75 --out DIR [--no-episodes | --dense]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from botpy_ext.simulator.account import Account
from botpy_ext.simulator.clock import Clock, frozen_clock, replay_clock, static_clock
from botpy_ext.simulator.dataset import DatasetError, PairData, load_datadir
from botpy_ext.simulator.faults import FAULT_SWITCHES, Faults
from botpy_ext.simulator.orderbook import BookModel
from botpy_ext.simulator.private_api import Credentials
from botpy_ext.simulator.server import SimulatorState, create_app
from botpy_ext.simulator.timeframes import DAY_MS, INTERVAL_MS, ms_text
from botpy_ext.simulator.view import MarketView

logger = logging.getLogger("botpy_ext.simulator")

DEFAULT_PORT = 8765
DEFAULT_WARMUP_DAYS = 10.0  # replay starts this far into the data when --start is not given


def parse_time_ms(text: str) -> int:
    """ISO-8601 date or date-time, UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def default_replay_start(pairs: dict[str, PairData], warmup_days: float) -> int:
    """`warmup_days` after the last pair's data begins, so every pair has history to analyse."""
    first = max(int(p.base.open_ms[0]) for p in pairs.values())
    return first + int(warmup_days * DAY_MS)


def build_clock(args: argparse.Namespace, pairs: dict[str, PairData]) -> Clock:
    if args.clock == "static":
        return static_clock()
    if args.clock == "wall":
        return Clock(replay=True)  # offset 0: the dataset's own times, the (faked) wall clock
    if args.offset_ms is not None:
        if args.clock != "replay" or args.start is not None:
            raise ValueError("--offset-ms continues a replay: with --clock replay, not --start")
        if args.offset_ms % INTERVAL_MS["1m"]:
            raise ValueError(f"--offset-ms {args.offset_ms} is not a whole number of minutes: "
                             "the candles would open off the minute grid")
        return Clock(replay=True, offset_ms=args.offset_ms)
    start = args.start if args.start is not None else default_replay_start(pairs, args.warmup_days)
    if args.clock == "frozen":
        return frozen_clock(start, align=args.align or "4h")
    return replay_clock(start, align=args.align or "1m")


FEAR_GREED_FILE = "fear_greed.json"
KEY_VARIABLES = ("BOTPY_SIM_API_KEY", "BOTPY_SIM_API_SECRET")


def parse_balances(text: str) -> dict[str, float]:
    """`USDT=1000,BTC=0.5` -> {"USDT": 1000.0, "BTC": 0.5}."""
    balances = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        asset, _, amount = part.partition("=")
        try:
            value = float(amount)
        except ValueError:
            value = -1.0
        if not asset.strip().isalnum() or not value >= 0:
            raise argparse.ArgumentTypeError(f"expected ASSET=AMOUNT[,…] with amounts >= 0, "
                                             f"got {text!r}")
        balances[asset.strip().upper()] = value
    if not balances:
        raise argparse.ArgumentTypeError("expected ASSET=AMOUNT[,…], e.g. USDT=1000")
    return balances


def build_account(args: argparse.Namespace, pairs: dict[str, PairData],
                  env: dict[str, str]) -> tuple[Account | None, Credentials | None]:
    """The spot account of `--account`, with the keys from the environment; (None, None)
    without it."""
    if args.account is None:
        return None, None
    if args.clock not in ("replay", "wall"):
        raise ValueError("--account needs a market that moves: --clock replay or wall")
    missing = [name for name in KEY_VARIABLES if not env.get(name)]
    if missing:
        raise ValueError(f"--account: set {' and '.join(missing)} (the key and secret the bot "
                         "signs with, as FREQTRADE__EXCHANGE__KEY / __SECRET)")
    coarse = sorted(p.pair for p in pairs.values() if p.base_interval != "1m")
    if coarse:
        raise ValueError(f"--account matches orders on 1m candles: {', '.join(coarse)} have none")
    return Account.with_balances(args.account), Credentials(*(env[n] for n in KEY_VARIABLES))


def load_fear_greed(path: Path) -> list[dict] | None:
    """The rows of a Fear & Greed history file, or None (not served) if there is none."""
    if not path.exists():
        logger.info("no %s in the datadir: /fng/ answers 404", path.name)
        return None
    try:
        return json.loads(path.read_text())["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a Fear & Greed history ({exc!r})") from None


def check_inside(clock: Clock, pairs: dict[str, PairData]) -> None:
    """A replay that starts outside the data would serve nothing (or a market standing still)."""
    now = clock.dataset_now_ms()
    first = min(int(p.base.open_ms[0]) for p in pairs.values())
    last = max(int(p.base.open_ms[-1]) for p in pairs.values())
    if not first <= now <= last:
        moment = "%Y-%m-%d %H:%M"
        raise ValueError(
            f"the replay would be at dataset time {ms_text(now, moment)}, outside the data "
            f"({ms_text(first, moment)} to {ms_text(last, moment)}): choose a --start inside it")


def serve(args: argparse.Namespace) -> int:
    try:
        pairs = load_datadir(Path(args.datadir))
        faults = Faults(**{name: getattr(args, name) for name in FAULT_SWITCHES})
        clock = build_clock(args, pairs)
        if args.clock in ("replay", "frozen"):
            check_inside(clock, pairs)
        fear_greed = load_fear_greed(Path(args.datadir) / FEAR_GREED_FILE)
        account, credentials = build_account(args, pairs, dict(os.environ))
    except (DatasetError, ValueError) as exc:
        logger.error("%s", exc)
        return 2
    state = SimulatorState(
        MarketView(pairs, clock), faults=faults, book=BookModel(depth_minutes=args.book_depth),
        fear_greed=fear_greed, account=account, credentials=credentials,
    )
    describe_start(state, args)
    config = uvicorn.Config(
        create_app(state), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler
    # that was installed before it: make that a no-op so a requested stop exits with status 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(config).run()
    logger.info("Simulator stopped")
    return 0


def describe_start(state: SimulatorState, args: argparse.Namespace) -> None:
    clock = state.view.clock
    where = f"http://{args.host}:{args.port}/api/v3"
    if clock.replay:
        now = datetime.fromtimestamp(clock.dataset_now_ms() / 1000, tz=UTC)
        verb = "Frozen at" if args.clock == "frozen" else "Replaying from"
        logger.info("%s dataset time %s: %d pairs at %s (served times shifted by %.2f h)", verb,
                    now.isoformat(), len(state.view.pairs), where, clock.offset_ms / 3_600_000)
    else:
        logger.info("Serving %d pairs (static clock) at %s", len(state.view.pairs), where)
    if state.account is not None:
        logger.info("Spot account with %s (signed endpoints served)", ", ".join(
            f"{free:g} {asset}" for asset, (free, _) in sorted(state.account.balances.items())))


def generate(args: argparse.Namespace) -> int:
    from botpy_ext.synthetic import generate_market, write_market

    try:
        if args.dense and args.no_episodes:
            raise ValueError("--dense plants the episodes closer together: not with "
                             "--no-episodes")
        market = generate_market(args.seed, args.days, start=args.start,
                                 episodes=not args.no_episodes, dense=args.dense)
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    write_market(market, Path(args.out))
    logger.info("Synthetic market (seed %d, %d days) written to %s", args.seed, args.days, args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botpy-sim", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(commands)
    gen = commands.add_parser("generate", help="write the deterministic synthetic market")
    gen.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    gen.add_argument("--days", type=int, default=75, help="length of the market in days")
    gen.add_argument("--start", default="2024-01-01", help="first day (UTC), YYYY-MM-DD")
    gen.add_argument("--out", required=True, help="datadir to write the feather files into")
    gen.add_argument("--no-episodes", action="store_true", help="plant no episode: a pure "
                     "noise market (the texture alone)")
    gen.add_argument("--dense", action="store_true", help="plant every episode within one "
                     "afternoon (day 14, 13:30-16:00 UTC; the BTC dump the day after): a short "
                     "window with many signals, for `botpy parity`")
    gen.set_defaults(func=generate)
    return parser


def add_serve_parser(commands) -> None:
    srv = commands.add_parser("serve", help="serve a datadir as Binance's public spot REST API")
    srv.add_argument("--datadir", required=True, help="freqtrade datadir with *.feather candles")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    srv.add_argument("--clock", choices=["static", "replay", "frozen", "wall"],
                     default="static",
                     help="static: all candles visible; replay: the data runs with the wall "
                     "clock; frozen: the market at --start, standing still; wall: replay at the "
                     "dataset's own times (for a clock faked to the past, `botpy parity`)")
    srv.add_argument("--start", type=parse_time_ms, default=None,
                     help="replay/frozen: dataset time (ISO, UTC) that is 'now' when the server "
                     "starts")
    srv.add_argument("--offset-ms", type=int, default=None,
                     help="replay: served time = dataset time + this (a replay continued where "
                     "an earlier one ran: `botpy trade virtual` after a restart)")
    srv.add_argument("--warmup-days", type=float, default=DEFAULT_WARMUP_DAYS,
                     help="replay without --start: begin this many days into the data")
    srv.add_argument("--align", choices=[i for i in INTERVAL_MS if i != "1M"], default=None,
                     help="replay/frozen: keep dataset bins of this interval intact (replay, "
                     "default 1m: the start rounds down; frozen, default 4h: served times lag "
                     "the wall clock by less than this)")
    srv.add_argument("--account", type=parse_balances, default=None, metavar="ASSET=AMOUNT,…",
                     help="open a spot account with these balances and serve the signed "
                     "endpoints Live mode uses (orders, balances, trades); the key and secret "
                     "come from BOTPY_SIM_API_KEY and BOTPY_SIM_API_SECRET")
    srv.add_argument("--book-depth", type=float, default=BookModel.depth_minutes,
                     help="order book: minutes of mean volume within one sigma of the best price")
    for name, (low, high, description) in FAULT_SWITCHES.items():
        srv.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, default=0.0,
                         help=f"fault: {description} [{low:g}..{high:g}]")
    srv.set_defaults(func=serve)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
