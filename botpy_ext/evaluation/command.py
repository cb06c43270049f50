"""`botpy evaluate`: checks the input (before anything is written), plans the folds, runs the
strategy and SampleStrategy on every fold through the offline simulator, and writes the report."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from freqtrade.configuration.timerange import TimeRange
from freqtrade.exceptions import ConfigurationError

from botpy_ext.evaluation import market
from botpy_ext.evaluation.control import CONTROL
from botpy_ext.evaluation.folds import Fold, InputError, duration, plan_folds, usable_span
from botpy_ext.setups.context import INFORMATIVE_TIMEFRAMES, MARKET_PAIR, STARTUP_CANDLES
from botpy_ext.setups.settings import MARKET_SWITCHES

# The runner and the report load freqtrade's analysis code and plotly: they are imported after
# the input checks, so that bad input is answered at once.
if TYPE_CHECKING:
    import pandas as pd

    from botpy_ext.evaluation.runner import FoldResult, Setting, StrategyRun
    from botpy_ext.evaluation.signal_scan import ScanSettings
    from botpy_ext.guards.settings import FearGreedSettings

SAMPLE = "SampleStrategy"  # freqtrade's template strategy: the baseline with its own 5m timeframe
SAMPLE_TIMEFRAME = "5m"
HEARTBEAT_SECONDS = 30
DAY = timedelta(days=1)  # a pair starting or ending this much apart from the others is named


@dataclass(frozen=True)
class Request:
    """The checked input of one evaluation."""

    datadir: Path
    pairs: tuple[str, ...]
    folds: list[Fold]
    fee: float
    fees: list[float]
    out: Path
    config: Path
    simulated: bool  # start the static simulator for the markets
    strategy: str
    strategy_path: Path
    spaces: tuple[str, ...]
    epochs: int
    hyperopt_loss: str
    random_state: int  # hyperopt's random state of fold 1 (fold k: + k - 1)
    jobs: int
    warmup: timedelta
    control_draws: int  # draws of the random-entry control to run (0: none)
    candles: dict  # pair -> 1m candles (buy-and-hold, spans)


def parse_fees(text: str) -> list[float]:
    try:
        fees = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError("--fees", f"expected comma-separated numbers, got {text!r}") from None
    if not fees or any(not 0 <= fee < 0.05 for fee in fees):
        raise InputError("--fees", f"each fee must be in [0, 0.05), got {text!r}")
    return fees


def parse_timerange(text: str | None):
    if not text:
        return None, None
    try:
        timerange = TimeRange.parse_timerange(text)
    except ConfigurationError as exc:
        raise InputError("--timerange", str(exc)) from None
    start, end = timerange.startdt, timerange.stopdt
    if start and end and end <= start:
        raise InputError("--timerange", f"{text} is empty: its end (exclusive) is not after its "
                         "start")
    return start, end


def read_pairs(datadir: Path, pairs: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Each pair's 1m candles; a file that cannot be read or holds none is refused by name."""
    candles = {}
    for pair in pairs:
        path = market.pair_file(datadir, pair, market.BASE_TIMEFRAME)
        try:
            frame = market.read_candles(datadir, pair)
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's errors derive from these
            raise InputError("--datadir", f"{path} cannot be read as candles: {exc}") from None
        if frame.empty:
            raise InputError("--datadir", f"{path} holds no candles (leave {pair} out with "
                             "--pairs)")
        candles[pair] = frame
    return candles


def plan(args: argparse.Namespace, candles: dict[str, pd.DataFrame], start, end
         ) -> list[Fold]:
    """The folds over the span every pair has candles for; a pair that starts late or ends
    early, and so cuts the span of all the others, is named."""
    span = market.common_span(candles)
    firsts = {pair: frame["date"].iloc[0] for pair, frame in candles.items()}
    lasts = {pair: frame["date"].iloc[-1] for pair, frame in candles.items()}
    late = {pair for pair, first in firsts.items() if first - min(firsts.values()) > DAY}
    early = {pair for pair, last in lasts.items() if max(lasts.values()) - last > DAY}
    culprits = " and ".join(filter(None, (
        late and f"the first candles of {some_pairs(late)}",
        early and f"the last candles of {some_pairs(early)}")))
    try:
        first, last = usable_span(span.first, span.last, timedelta(days=args.warmup_days),
                                  start, end)
    except InputError as exc:
        if exc.option != "--datadir" or not culprits:
            raise
        raise InputError("--datadir", f"{exc.message}; the span of every pair is cut by "
                         f"{culprits} (leave them out with --pairs)") from None
    minute = "%Y-%m-%d %H:%M"
    if late:
        print(f"note: {some_pairs(late)} start{'s' if len(late) == 1 else ''} by "
              f"{span.first:{minute}}, {duration(span.first - min(firsts.values()))} after "
              "the first pair: every pair's folds start after that warm-up (--pairs without "
              f"{'it' if len(late) == 1 else 'them'} would start earlier)", flush=True)
    if early:
        print(f"note: {some_pairs(early)} end{'s' if len(early) == 1 else ''} at "
              f"{span.last:{minute}}, {duration(max(lasts.values()) - span.last)} before the "
              f"last pair: every pair's folds end there (--pairs without "
              f"{'it' if len(early) == 1 else 'them'} would end later)", flush=True)
    gaps = {pair: found for pair, frame in candles.items() if (found := market.minute_gaps(frame))}
    if gaps:
        print("note: minutes missing from the 1m candles (freqtrade fills them with flat "
              "candles of no volume): " + ", ".join(
                  f"{pair} {gap.missing} min (longest {duration(gap.longest)} after "
                  f"{gap.longest_after:{minute}})" for pair, gap in gaps.items()), flush=True)
    return plan_folds(first, last, args.folds, train=bool(args.optimize),
                      min_window=timedelta(minutes=STARTUP_CANDLES))


def check_pairs(datadir: Path, wanted: list[str] | None) -> tuple[str, ...]:
    if not datadir.is_dir():
        raise InputError("--datadir", f"{datadir} is not a directory")
    available = market.datadir_pairs(datadir)
    if not available:
        raise InputError("--datadir", f"{datadir} holds no {market.BASE_TIMEFRAME} feather files "
                         "(PAIR-1m.feather)")
    unknown = [pair for pair in wanted or [] if pair not in available]
    if unknown:
        raise InputError("--pairs", f"{', '.join(unknown)} not in {datadir} (it has "
                         f"{', '.join(available)})")
    return tuple(wanted or available)


def build_request(args: argparse.Namespace, userdir: Path) -> Request:
    """Every check, before anything is written (but a missing Fear & Greed history, downloaded
    as each backtest would); a `InputError` names the option at fault."""
    if args.folds < 1:
        raise InputError("--folds", f"must be at least 1, got {args.folds}")
    if args.jobs < 1:
        raise InputError("--jobs", f"must be at least 1, got {args.jobs}")
    if args.optimize and args.epochs < 1:
        raise InputError("--epochs", f"must be at least 1, got {args.epochs}")
    if args.optimize and args.random_state < 0:
        raise InputError("--random-state", f"must be at least 0, got {args.random_state}")
    if not 0 <= args.fee < 0.05:
        raise InputError("--fee", f"must be in [0, 0.05), got {args.fee}")
    fees = parse_fees(args.fees)
    start, end = parse_timerange(args.timerange)
    datadir = Path(args.datadir)
    pairs = check_pairs(datadir, args.pairs)
    config = Path(args.config) if args.config else userdir / "config" / "backtest.json"
    if not config.is_file():
        raise InputError("--config", f"{config} not found")
    strategy_path = Path(args.strategy_path) if args.strategy_path else userdir / "strategies"
    if not (strategy_path / f"{args.strategy}.py").is_file():
        raise InputError("--strategy", f"{strategy_path / (args.strategy + '.py')} not found")
    if args.control and args.strategy != "BotpyStrategy":
        raise InputError("--control", f"the random-entry control is BotpyStrategy's; the "
                         f"strategy is {args.strategy}")
    if args.control_draws < 1:
        raise InputError("--control-draws", f"must be at least 1, got {args.control_draws}")
    if args.control_draws > 1 and not args.control:
        raise InputError("--control-draws", "needs --control")
    loaded = load_config(config)
    check_market_candles(loaded, datadir)
    candles = read_pairs(datadir, pairs)
    warmup = timedelta(days=args.warmup_days)
    folds = plan(args, candles, start, end)
    note_file_overrides(loaded, args, strategy_path)
    if not args.signals and builds_on_botpy(strategy_path / f"{args.strategy}.py"):
        windows = [window for fold in folds for window in (fold.train, fold.test) if window]
        check_guard_data(loaded, datadir, userdir, min(w.start for w in windows),
                         max(w.end for w in windows), candles.get(MARKET_PAIR))
    out = Path(args.out) if args.out else userdir / "evaluation"
    return Request(datadir, pairs, folds, args.fee, fees, out, config,
                   simulated=uses_simulator(loaded), strategy=args.strategy,
                   strategy_path=strategy_path, spaces=tuple(args.optimize or ()),
                   epochs=args.epochs, hyperopt_loss=args.hyperopt_loss,
                   random_state=args.random_state, jobs=args.jobs,
                   warmup=warmup, control_draws=args.control_draws if args.control else 0,
                   candles=candles)


def note_file_overrides(loaded: dict, args: argparse.Namespace, strategy_path: Path) -> None:
    """Say which of the config's `botpy.parameters` the strategy's parameter file overrides (the
    strategy's own warning only reaches the runs' logs; `--optimize` leaves the file out)."""
    from freqtrade.exceptions import OperationalException

    from botpy_ext import parameters
    from botpy_ext.scanner.strategy_values import given_values

    parameter_file = strategy_path / f"{args.strategy}.json"
    if (args.optimize or not parameter_file.is_file()
            or not builds_on_botpy(strategy_path / f"{args.strategy}.py")):
        return
    try:
        configured, from_file = given_values({**loaded, "strategy": args.strategy},
                                             parameter_file)
    except OperationalException as exc:
        raise InputError("--config", str(exc)) from None
    if ignored := parameters.overridden_by_file(configured, from_file):
        print(f"note: the parameter file {parameter_file} overrides the config's "
              f"{'; '.join(ignored)}: {parameters.FILE_OVERRIDES}", flush=True)


def load_config(config: Path) -> dict:
    """The run config with the files it adds (freqtrade's loader)."""
    from freqtrade.configuration.load_config import load_from_files

    try:
        return load_from_files([str(config)])
    except ConfigurationError as exc:
        raise InputError("--config", str(exc)) from None


def uses_simulator(loaded: dict) -> bool:
    """A config (with the files it adds) whose exchange API is on 127.0.0.1 is served by the
    simulator the evaluation starts; any other exchange is used as it is."""
    exchange = loaded.get("exchange", {})
    public = exchange.get("ccxt_config", {}).get("urls", {}).get("api", {}).get("public", "")
    return public.startswith(("http://127.0.0.1", "http://localhost"))


def check_market_candles(loaded: dict, datadir: Path) -> None:
    """A switch that compares with BTC/USDT's 4h candles needs them in the datadir: without them
    every entry would be refused, one warning per candle, and the run would measure nothing."""
    parameters = loaded.get("botpy", {}).get("parameters", {})
    switched = [f"trend_{name}" for name in MARKET_SWITCHES if parameters.get(f"trend_{name}")]
    needed = market.pair_file(datadir, MARKET_PAIR, "4h")
    buildable = market.pair_file(datadir, MARKET_PAIR, "1m").exists()  # resampled before runs
    if switched and not needed.exists() and not buildable:
        raise InputError("--datadir", f"{', '.join(switched)} compares with {MARKET_PAIR}'s 4h "
                         f"candles, and {needed} is missing (its 1m candles, to resample them "
                         f"from, too)")


def builds_on_botpy(strategy_file: Path) -> bool:
    """BotpyStrategy or a strategy built on it (its file names it): the `botpy.guards` apply."""
    return "BotpyStrategy" in strategy_file.read_text(encoding="utf-8", errors="replace")


def check_guard_data(loaded: dict, datadir: Path, userdir: Path, start: datetime,
                     end: datetime, market_candles: pd.DataFrame | None = None) -> None:
    """The guards that read data beside the pairs' candles, checked once before any run, over
    every window [start, end): the BTC breaker refuses every entry without BTC/USDT's 1m candles
    (the run would measure nothing), and the Fear & Greed guard stops every fold without its
    history and refuses every entry of a day the history lacks (unless `on_unavailable` allows
    them). The history is looked up, and downloaded when missing, as each backtest would do it:
    the one thing this check may write. `market_candles`: BTC/USDT's 1m, when already read."""
    from freqtrade.exceptions import OperationalException

    from botpy_ext.guards import settings as guard_settings

    try:
        guards = guard_settings.load(loaded)
    except OperationalException as exc:
        raise InputError("--config", str(exc)) from None
    if guards.btc_breaker.enabled:
        check_market_minutes(datadir, start, end, market_candles)
    if guards.fear_greed.enabled:
        check_fear_greed_days(guards.fear_greed, datadir, userdir, start, end)


def check_market_minutes(datadir: Path, start: datetime, end: datetime,
                         candles_read: pd.DataFrame | None) -> None:
    candles = market.pair_file(datadir, MARKET_PAIR, "1m")
    switch = "switch the guard off with botpy.guards.btc_breaker.enabled = false"
    if not candles.exists():
        raise InputError("--datadir", f"the btc_breaker guard reads {MARKET_PAIR}'s 1m candles, "
                         f"and {candles} is missing: every entry would be refused; add them, or "
                         f"{switch}")
    dates = (market.read_candles(datadir, MARKET_PAIR) if candles_read is None
             else candles_read)["date"]
    first, last = dates.iloc[0].to_pydatetime(), dates.iloc[-1].to_pydatetime()
    final = end - timedelta(minutes=1)
    if first > start or last < final:
        minute = "%Y-%m-%d %H:%M"
        raise InputError("--datadir", f"the btc_breaker guard reads {MARKET_PAIR}'s 1m candles, "
                         f"and {candles} covers {first:{minute}} to {last:{minute}}, the runs "
                         f"{start:{minute}} to {final:{minute}}: every entry outside would be "
                         f"refused; add them, or {switch}")


def check_fear_greed_days(settings: FearGreedSettings, datadir: Path, userdir: Path,
                          start: datetime, end: datetime) -> None:
    from botpy_ext.guards import fear_greed

    history = fear_greed.history_path(settings.history_file, datadir, userdir)
    try:
        days = fear_greed.history_or_download(history, settings)
    except fear_greed.FearGreedError as exc:
        raise InputError("--datadir", str(exc)) from None
    if settings.on_unavailable == "allow":
        return  # a day without a value lets the entries through
    first, last = start.date(), (end - timedelta(minutes=1)).date()
    wanted = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    lacking = [day for day in wanted if day not in days]
    if not lacking:
        return
    switch = "switch the guard off with botpy.guards.fear_greed.enabled = false"
    if lacking[0] == first or lacking[-1] == last:
        fix = (f"refresh it with `botpy fear-greed download --out {history}`, or {switch}"
               if days and max(days) < last else switch)
        raise InputError("--datadir", f"the Fear & Greed history {history} covers "
                         f"{min(days)} to {max(days)}, the runs {first} to {last}: the guard "
                         f"would refuse every entry of the {len(lacking)} day(s) it lacks; {fix}")
    print(f"note: the Fear & Greed history {history} has no value for "
          f"{', '.join(str(day) for day in lacking)}: the guard refuses the entries of "
          f"{'that day' if len(lacking) == 1 else 'those days'}", flush=True)


class Progress:
    """One line per start and end of a run, and a heartbeat of what is still running."""

    def __init__(self, total: int) -> None:
        self.started = time.monotonic()
        self.total, self.done = total, 0
        self.running: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self.heartbeat, daemon=True).start()

    def elapsed(self, since: float | None = None) -> str:
        return f"{time.monotonic() - (since or self.started):.0f} s"

    def say(self, text: str) -> None:
        with self.lock:
            print(f"[{self.elapsed():>6}] {text}", flush=True)

    def begin(self, name: str, what: str = "started") -> None:
        self.running[name] = time.monotonic()
        self.say(f"{name}: {what}")

    def end(self, name: str, result: FoldResult) -> None:
        since = self.running.pop(name)
        self.done += 1
        if result.ok:
            figures = result.figures
            outcome = (f"{figures.get('total_trades')} trades, "
                       f"{(figures.get('profit_total') or 0) * 100:+.2f} %")
        else:
            outcome = f"FAILED: {result.error}"
        self.say(f"{name}: {outcome} ({self.elapsed(since)}; {self.done}/{self.total} done)")

    def heartbeat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            if self.running:
                self.say("running: " + ", ".join(
                    f"{name} ({self.elapsed(since)})" for name, since in self.running.items()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def evaluation_config(request: Request, base_url: str | None, path: Path) -> Path:
    from botpy_ext.simulator.client_config import simulator_exchange

    overlay: dict = {"add_config_files": [str(request.config.resolve())]}
    if base_url:
        overlay["exchange"] = simulator_exchange(base_url)
    path.write_text(json.dumps(overlay, indent=2))
    return path


def run_all(request: Request, setting: Setting, strategies: list[StrategyRun],
            runs: Path) -> dict[str, list[FoldResult]]:
    from botpy_ext.evaluation.runner import run_fold

    # the evaluated strategy's folds first: they are the long ones, the baseline fills the gaps
    jobs = [(strategy, fold) for strategy in strategies for fold in request.folds]
    progress = Progress(len(jobs))
    progress.say(f"{len(request.folds)} folds x {len(strategies)} strategies, "
                 f"{request.jobs} at a time; logs in {runs}")

    def one(job):
        strategy, fold = job
        name = f"fold {fold.number}/{len(request.folds)} {strategy.label} {fold.test.timerange}"
        hyperopt = strategy.optimize and fold.train is not None
        progress.begin(name, f"hyperopt of the train window {fold.train.timerange} started"
                       if hyperopt else "started")
        result = run_fold(setting, strategy, fold, runs / f"{strategy.label}-fold{fold.number}",
                          phase=lambda text: progress.say(f"{name}: {text}"))
        progress.end(name, result)
        return result

    with ThreadPoolExecutor(max_workers=request.jobs) as pool:
        results = list(pool.map(one, jobs))
    progress.stopped.set()
    grouped: dict[str, list[FoldResult]] = {strategy.label: [] for strategy in strategies}
    for result in results:
        grouped[result.strategy].append(result)
    return grouped


def candles_datadir(request: Request) -> Path:
    """The datadir the runs read: the user's, or `<out>/candles/` (links to its files) with the
    timeframes it lacks resampled from the 1m candles: the strategy's informative ones and
    SampleStrategy's 5m for the pairs, and BTC/USDT's 4h (the market's trend) when only its 1m
    candles are there. A datadir of 1m candles alone is then enough."""
    timeframes = tuple(dict.fromkeys((*INFORMATIVE_TIMEFRAMES, SAMPLE_TIMEFRAME)))
    wanted = [(list(request.pairs), timeframes)]
    if (MARKET_PAIR not in request.pairs
            and market.pair_file(request.datadir, MARKET_PAIR, "1m").exists()):
        wanted.append(([MARKET_PAIR], ("4h",)))
    missing = [found for pairs, tfs in wanted
               for found in market.missing_timeframes(request.datadir, pairs, tfs)]
    short = [found for pairs, tfs in wanted
             for found in market.short_timeframes(request.datadir, pairs, tfs)]
    if not missing and not short:
        return request.datadir
    scratch = request.out / "candles"
    order = (*timeframes, "4h")
    for files, what in ((missing, "missing from"), (short, "shorter than their 1m candles in")):
        if files:
            print(f"candles: {len(files)} file(s) {what} {request.datadir} "
                  f"({', '.join(sorted({tf for _, tf in files}, key=order.index))} of "
                  f"{some_pairs({pair for pair, _ in files})}), resampled from the 1m candles "
                  f"into {scratch}", flush=True)
    return market.with_timeframes(request.datadir, missing + short, scratch)


def some_pairs(pairs: set[str], named: int = 8) -> str:
    """'BTC/USDT, ETH/USDT' up to `named` pairs, '12 pairs' beyond."""
    return ", ".join(sorted(pairs)) if len(pairs) <= named else f"{len(pairs)} pairs"


def scan_settings(request: Request, horizon_minutes: int) -> ScanSettings:
    """The scan with the strategy's values: its config's `botpy.parameters` and its parameter
    file (hyperopt's export beside the strategy file), as a backtest would run it."""
    from freqtrade.exceptions import OperationalException

    from botpy_ext import parameters
    from botpy_ext.evaluation.signal_scan import ScanSettings
    from botpy_ext.exits.settings import PROFILE_SETTINGS, TRADE_SETTINGS_GROUPS
    from botpy_ext.scanner.strategy_values import given_values
    from botpy_ext.setups.engine import EngineSettings
    from botpy_ext.setups.settings import SETTINGS_GROUPS

    parameter_file = request.strategy_path / f"{request.strategy}.json"
    try:
        configured, from_file = given_values(
            {**load_config(request.config), "strategy": request.strategy},
            parameter_file if parameter_file.is_file() else None)
    except OperationalException as exc:
        raise InputError("--config", str(exc)) from None
    values = configured | from_file
    exits = parameters.settings_with(TRADE_SETTINGS_GROUPS, values)
    if values:
        print(f"signals: the strategy's values {', '.join(f'{k}={v!r}' for k, v in values.items())}"
              f" (from {'its parameter file ' + str(parameter_file) if from_file else ''}"
              f"{' and ' if from_file and configured else ''}"
              f"{'the config ' + str(request.config) if configured else ''})", flush=True)
    return ScanSettings(horizon_minutes, request.fee,
                        engine=EngineSettings(**parameters.settings_with(SETTINGS_GROUPS, values)),
                        trade=exits["trade"],
                        exits={name: exits[name] for name in PROFILE_SETTINGS}, values=values)


def signals(request: Request, settings: ScanSettings) -> int:
    """`--signals`: the excursion scan of every signal, no backtest."""
    from botpy_ext.evaluation import report
    from botpy_ext.evaluation.signal_scan import scan

    started = time.monotonic()
    result = scan(candles_datadir(request), request.pairs, request.folds, settings)
    request.out.mkdir(parents=True, exist_ok=True)
    (request.out / "signals.json").write_text(json.dumps(result, indent=2) + "\n")
    report.print_signals(result)
    print(f"signals: {request.out / 'signals.json'} ({time.monotonic() - started:.1f} s)")
    return 0


def evaluate(args: argparse.Namespace, userdir: Path, bin_dir: Path, argv: list[str]) -> int:
    logging.getLogger("freqtrade").setLevel(logging.WARNING)  # its loaders' INFO lines
    try:
        request = build_request(args, userdir)
        if args.signals and args.horizon_hours <= 0:
            raise InputError("--horizon-hours", f"must be above 0, got {args.horizon_hours}")
        scanned = scan_settings(request, round(args.horizon_hours * 60)) if args.signals else None
    except InputError as exc:
        print(f"botpy evaluate: error: {exc}", file=sys.stderr)
        return 2
    if scanned:
        return signals(request, scanned)

    from botpy_ext.cli import simulator, templates_dir
    from botpy_ext.evaluation import report
    from botpy_ext.evaluation.runner import Setting, StrategyRun

    runs = request.out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    base_url = f"http://127.0.0.1:{free_port()}" if request.simulated else None
    config = evaluation_config(request, base_url, runs / "evaluation-config.json")
    setting = Setting(bin_dir / "freqtrade", config, userdir, request.pairs, request.fee,
                      request.spaces, request.epochs, request.hyperopt_loss, request.random_state)
    datadir = candles_datadir(request)
    strategies = [
        StrategyRun(request.strategy, request.strategy_path, datadir,
                    optimize=bool(request.spaces)),
        *([StrategyRun(request.strategy, request.strategy_path, datadir,
                       unoptimized=True, bare=True)] if request.spaces else []),
        *[StrategyRun(CONTROL, request.strategy_path, datadir, draw=draw,
                      bare=bool(request.spaces))
          for draw in range(request.control_draws)],
        StrategyRun(SAMPLE, templates_dir(), datadir),
    ]
    serving = (simulator(datadir, runs / "simulator.log", base_url=base_url)
               if base_url else nullcontext())
    with serving:
        results = run_all(request, setting, strategies, runs)
    command = shlex.join(["botpy", *argv])
    started = time.monotonic()
    built = report.build(request, results, command)
    report.write(built, request.out)
    report.print_tables(built)
    print(f"report: {request.out / 'report.json'} and {request.out / 'report.html'} (statistics "
          f"and report in {time.monotonic() - started:.1f} s)")
    failed = [r for rs in results.values() for r in rs if not r.ok]
    return 1 if failed else 0
