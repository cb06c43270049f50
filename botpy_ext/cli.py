"""`botpy`: BOTPY's modes and demo, run with the real freqtrade CLI.

    botpy demo                       synthetic market -> simulator -> freqtrade (offline, no keys)
    botpy trade virtual|paper|live   freqtrade trade in that mode (extra options go to freqtrade)
    botpy secrets                    the API server login, generated on first use
    botpy fear-greed download        the Fear & Greed Index history, for backtests
    botpy dashboard                  the scanner view and History CSV export, next to the bot
    botpy evaluate --datadir DIR     walk-forward folds, baselines and statistics in one report
    botpy backtest|hyperopt|lookahead [--datadir DIR] [freqtrade options]
                                     the freqtrade command with the project's backtest config,
                                     the offline simulator standing in for the exchange
    botpy install-ui [--from DIR|ZIP] a FreqUI build where freqtrade serves it, offline
    botpy parity --datadir DIR --start ISO --hours H [--speed K] [--faults JSON]
                                     the same window traded in Virtual mode and backtested,
                                     compared trade by trade
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from botpy_ext.processes import Stopped, run_foreground, spawn, stop_signals_raise
from botpy_ext.secrets import EXCHANGE_KEYS, PASSWORD, api_login, api_secrets
from botpy_ext.simulator.client_config import DEFAULT_BASE_URL, simulator_env

logger = logging.getLogger("botpy")

BIN = Path(sys.executable).parent
SYNTHETIC_SEED = 7
SYNTHETIC_DAYS = 75
SIMULATOR_START_TIMEOUT = 60.0  # seconds to wait for the simulator to answer
DEMO_FEE = 0.001  # the simulator's fee per side (the backtests use it), for the buy & hold line
WARMUP_DAYS = 12  # the synthetic market's first days only warm the 4h indicators up


class LaunchError(Exception):
    """A precondition of a mode is not met; the message says what to do."""


def simulator_answers(base_url: str = DEFAULT_BASE_URL) -> bool:
    try:
        return requests.get(f"{base_url}/api/v3/ping", timeout=1).ok
    except requests.RequestException:
        return False


@contextmanager
def simulator(datadir: Path, log: Path, *options: str, base_url: str = DEFAULT_BASE_URL
              ) -> Iterator[None]:
    """Run `botpy-sim serve` on the port of `base_url` (the configs' by default) for the
    duration of the block."""
    if simulator_answers(base_url):
        raise LaunchError(f"port of {base_url} is taken by another simulator or program; "
                          "stop it first, or give this run another port (botpy trade, backtest, "
                          "hyperopt and lookahead take --sim-port N)")
    log.parent.mkdir(parents=True, exist_ok=True)
    port = base_url.rsplit(":", 1)[1]
    with log.open("w") as out:
        proc = spawn(
            [str(BIN / "botpy-sim"), "serve", "--datadir", str(datadir), "--port", port, *options],
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            wait_for_simulator(proc, log, base_url)
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def wait_for_simulator(proc: subprocess.Popen, log: Path, base_url: str = DEFAULT_BASE_URL
                       ) -> None:
    deadline = time.monotonic() + SIMULATOR_START_TIMEOUT
    while not simulator_answers(base_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise LaunchError(f"the simulator did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.3)


def ensure_synthetic_market(datadir: Path) -> None:
    if (datadir / "market.json").exists():
        return
    from botpy_ext.synthetic import generate_market, write_market

    logger.info("Generating the synthetic market (seed %d, %d days) into %s", SYNTHETIC_SEED,
                SYNTHETIC_DAYS, datadir)
    write_market(generate_market(SYNTHETIC_SEED, SYNTHETIC_DAYS), datadir)


def after_warmup(datadir: Path) -> str:
    """Backtest timerange of the synthetic market from the end of its warm-up."""
    market = json.loads((datadir / "market.json").read_text())
    first = datetime.fromisoformat(market["start"]).date() + timedelta(days=WARMUP_DAYS)
    return f"{first:%Y%m%d}-"


def given_datadir(args: argparse.Namespace, userdir: Path) -> Path:
    """`--datadir`, which must be a folder, or the synthetic market's."""
    if not args.datadir:
        return userdir / "data" / "synthetic"
    if not Path(args.datadir).is_dir():
        raise LaunchError(f"--datadir {args.datadir}: no such directory")
    return Path(args.datadir)


def project_config(userdir: Path, name: str) -> Path:
    """One of the project's configs in `userdir`/config, before anything is started."""
    path = userdir / "config" / name
    if not path.is_file():
        raise LaunchError(f"{path} not found: botpy's commands run with the project's configs, "
                          "from the project's root (or with --userdir PROJECT/user_data); in a "
                          "user directory of your own, run plain freqtrade (README, \"Your own "
                          "freqtrade user directory\")")
    return path


def templates_dir() -> Path:
    """freqtrade's strategy templates (SampleStrategy lives there)."""
    import importlib.util

    return Path(importlib.util.find_spec("freqtrade").origin).parent / "templates"


def run_freqtrade(*args: str, env: dict[str, str] | None = None) -> int:
    """freqtrade in the foreground: a stop signal to the launcher goes to it (processes.py)."""
    logger.info("freqtrade %s", " ".join(args))
    return run_foreground([str(BIN / "freqtrade"), *args], env=env)


def demo(args: argparse.Namespace) -> int:
    userdir = Path(args.userdir)
    datadir = userdir / "data" / "synthetic"
    backtest_config = str(project_config(userdir, "backtest.json"))
    ensure_synthetic_market(datadir)
    results = userdir / "backtest_results" / "demo"
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    refusals = results / "refusals.json"  # the guards' counts, written by the strategy at exit
    overlay = results / "demo-config.json"
    overlay.write_text(json.dumps({"botpy": {"refusal_summary_file": str(refusals.resolve())}}))
    with simulator(datadir, userdir / "logs" / "simulator.log"):
        code = run_freqtrade("test-pairlist", "-c", backtest_config, "--userdir", str(userdir))
        if code:
            return code
        code = run_freqtrade(
            "backtesting", "-c", backtest_config, "-c", str(overlay), "--userdir", str(userdir),
            "--datadir", str(datadir), "--strategy", "BotpyStrategy", "--export", "trades",
            "--backtest-directory", str(results), "--timerange", after_warmup(datadir),
        )
    if code == 0:
        print(demo_summary(datadir, next(results.glob("*.zip")), refusals))
    return code


NEXT_COMMANDS = (
    ("botpy trade virtual", "the same strategy as a bot on the replayed market, FreqUI on "
                            "http://127.0.0.1:8080 (`botpy secrets` for the login)"),
    ("botpy install-ui", "FreqUI for that bot, from a local build (offline)"),
    ("botpy dashboard", "the scanner view and the trade history CSV, next to the bot"),
    ("botpy evaluate --datadir DIR --control --control-draws 10",
     "walk-forward test folds against buy & hold, SampleStrategy and ten draws of random entries"),
    ("botpy backtest --datadir DIR --timerange ...", "freqtrade backtesting on your candles"),
)
NEXT_WIDTH = max(len(command) for command, _ in NEXT_COMMANDS)


def demo_summary(datadir: Path, archive: Path, refusals: Path) -> str:
    """The backtest's result next to buy & hold of the same pairs over the same days, per setup,
    per exit reason and per guard, and the commands to try next."""
    from freqtrade.data.btanalysis import load_backtest_stats

    from botpy_ext.evaluation.baseline import buy_and_hold_pct
    from botpy_ext.evaluation.folds import Window
    from botpy_ext.evaluation.market import datadir_pairs, read_candles

    stats = load_backtest_stats(archive)["strategy"]["BotpyStrategy"]
    start, end = (datetime.fromisoformat(stats[key]).replace(tzinfo=UTC)
                  for key in ("backtest_start", "backtest_end"))
    candles = {pair: read_candles(datadir, pair) for pair in datadir_pairs(datadir)}
    hold = buy_and_hold_pct(candles, Window(start, end + timedelta(minutes=1)), DEMO_FEE)
    refused = json.loads(refusals.read_text()) if refusals.exists() else None
    lines = [
        f"\nBOTPY demo, synthetic market {start:%Y-%m-%d} to {end:%Y-%m-%d}: BotpyStrategy "
        f"{100 * stats['profit_total']:+.2f} % in {stats['total_trades']} trades (profit factor "
        f"{stats['profit_factor']:.2f}, max drawdown {100 * stats['max_drawdown_account']:.2f} %)"
        f"; buy & hold of the same {len(candles)} pairs, equal weight: {hold:+.2f} %.",
        "  per setup:      " + per_setup(stats["results_per_enter_tag"]),
        "  exits:          " + " | ".join(
            f"{row['key']} {row['trades']}" for row in stats["exit_reason_summary"]
            if row["key"] != "TOTAL"),
        "  guard refusals: " + ("not recorded" if refused is None else " | ".join(
            f"{guard} {row['count']}" for guard, row in sorted(
                refused.items(), key=lambda item: -item[1]["count"])) or "none"),
        "Next:",
        *(f"  {command:<{NEXT_WIDTH}} {what}" for command, what in NEXT_COMMANDS),
    ]
    return "\n".join(lines)


def per_setup(tag_rows: list[dict]) -> str:
    """Trades and profit (% of the starting balance) per setup, summed over its profiles."""
    setups: dict[str, list[float]] = {}
    for row in tag_rows:
        if row["key"] == "TOTAL":
            continue
        totals = setups.setdefault(row["key"].split(":")[0], [0, 0.0])
        totals[0] += row["trades"]
        totals[1] += row["profit_total"]
    return " | ".join(f"{setup} {trades} trades {100 * profit:+.2f} %"
                      for setup, (trades, profit) in setups.items())


# botpy command -> (freqtrade command, the project's config for it)
WRAPPED = {
    "backtest": ("backtesting", "backtest.json"),
    "hyperopt": ("hyperopt", "backtest.json"),
    "lookahead": ("lookahead-analysis", "analysis.json"),  # trade-history guards off
}


def wrapped_freqtrade(args: argparse.Namespace, extra: list[str]) -> int:
    """The freqtrade command of `args.command` against the offline simulator: the project's
    config first (a `-c` of the user's is merged over it), BotpyStrategy unless `--strategy`
    names another, every other option as given; freqtrade's exit status."""
    command, config = WRAPPED[args.command]
    userdir = Path(args.userdir)
    datadir = given_datadir(args, userdir)
    options = ["-c", str(project_config(userdir, config)), "--userdir", str(userdir),
               "--datadir", str(datadir)]
    if not args.datadir:
        ensure_synthetic_market(datadir)
        if not given(extra, "--timerange"):
            options += ["--timerange", after_warmup(datadir)]
    if not given(extra, "--strategy", "-s"):
        options += ["--strategy", "BotpyStrategy"]
    base_url = f"http://127.0.0.1:{args.sim_port}"
    env = {**os.environ, **simulator_env(base_url)}
    with simulator(datadir, userdir / "logs" / "simulator.log", base_url=base_url):
        return run_freqtrade(command, *options, *extra, env=env)


def given(extra: list[str], *names: str) -> bool:
    return any(item == name or item.startswith(f"{name}=") for item in extra for name in names)


def trade(args: argparse.Namespace, extra: list[str]) -> int:
    from botpy_ext import virtual

    userdir = Path(args.userdir)
    mode_config = str(project_config(userdir, f"{args.mode}.json"))
    config = virtual.run_config([mode_config, *virtual.option_values(extra, "-c", "--config")])
    env = dict(os.environ)
    secrets, created = api_secrets(env, userdir / ".secrets.env")
    env.update(secrets_to_pass(secrets, config))
    if created:
        logger.info("FreqUI login: user 'botpy', password in %s", userdir / ".secrets.env")
    if args.mode == "live" and not all(env.get(k) for k in EXCHANGE_KEYS):
        raise LaunchError(f"live mode needs the exchange keys in {' and '.join(EXCHANGE_KEYS)}")
    if port := virtual.api_port_taken(config, env):
        raise LaunchError(f"the API server's port {port} is taken by another program (another "
                          "bot?): stop it, or give this bot another port "
                          "(FREQTRADE__API_SERVER__LISTEN_PORT)")
    command = ["trade", "-c", mode_config, "--userdir", str(userdir), *extra]
    if args.mode != "virtual":
        return run_freqtrade(*command, env=env)
    datadir = given_datadir(args, userdir)
    if not args.datadir:
        ensure_synthetic_market(datadir)
    state = virtual.state_file(virtual.database_file(config, extra, env))
    replay = virtual.replay_options(args.start, state, datadir)
    base_url = f"http://127.0.0.1:{args.sim_port}"
    env.update(simulator_env(base_url))
    with simulator(datadir, userdir / "logs" / "simulator.log", *replay, base_url=base_url):
        status = requests.get(f"{base_url}/_sim/status", timeout=5).json()
        if state is not None:
            virtual.write_state(state, virtual.ReplayState(str(datadir.resolve()),
                                                           status["offset_ms"]))
        with virtual.warning_at_data_end(status):
            return run_freqtrade(*command, env=env)


def secrets_to_pass(secrets: dict[str, str], config: dict) -> dict[str, str]:
    """The API secrets for freqtrade's environment, which wins over every config file: those the
    user's own config sets (`api_server.password`, …) are left to it, unless the environment
    already had them."""
    api = config.get("api_server", {})
    own = {name for name in secrets
           if api.get(name.rsplit("__", 1)[1].lower()) and name not in os.environ}
    for name in sorted(own):
        logger.info("API server: %s from your config", name.rsplit("__", 1)[1].lower())
    return {name: value for name, value in secrets.items() if name not in own}


def show_secrets(args: argparse.Namespace) -> int:
    path = Path(args.userdir) / ".secrets.env"
    config = user_config(args.config)
    _, created = api_secrets(dict(os.environ), path)
    username, _, where = api_login(dict(os.environ), config, path)
    if where.startswith(PASSWORD + " in"):
        where += (f" ({'created' if created else 'kept'}; a variable of that name in the "
                  "environment, or api_server.password in a config you pass with -c, takes "
                  "precedence)")
    elif where.startswith(PASSWORD):
        where += f" (it takes precedence over your configs and {path})"
    print(f"FreqUI / REST API user: {username}; password: {where}")
    return 0


def user_config(files: list[str] | None) -> dict:
    """The config merged from the user's `-c` files ({} without any)."""
    from botpy_ext import virtual

    missing = [name for name in files or [] if not Path(name).is_file()]
    if missing:
        raise LaunchError(f"-c {missing[0]}: no such config file")
    return virtual.run_config(files) if files else {}


def download_fear_greed(args: argparse.Namespace) -> int:
    from botpy_ext.guards.fear_greed import FearGreedError, download_history
    from botpy_ext.guards.settings import FearGreedSettings

    settings = FearGreedSettings(**({"url": args.url} if args.url else {}))
    path = Path(args.out) if args.out else Path(args.userdir) / "data" / settings.history_file
    try:
        days = download_history(settings, path)
    except FearGreedError as exc:
        raise LaunchError(f"Fear & Greed download failed: {exc}") from None
    logger.info("Fear & Greed Index: %d days written to %s", days, path)
    return 0


def dashboard(args: argparse.Namespace) -> int:
    import uvicorn

    from botpy_ext.dashboard.server import (
        LOOPBACK_HOSTS,
        FreqtradeApi,
        create_app,
        served_hosts,
    )
    userdir = Path(args.userdir)
    config = user_config(args.config)
    if args.username:
        config.setdefault("api_server", {})["username"] = args.username
    username, password, _ = api_login(dict(os.environ), config, userdir / ".secrets.env")
    if not password:
        raise LaunchError(f"the dashboard needs the API login: {PASSWORD} in the environment, "
                          "api_server.password in a config you pass with -c, or "
                          f"{userdir / '.secrets.env'} (`botpy secrets`)")
    scanner_json = Path(args.scanner_json) if args.scanner_json else (
        userdir / "scanner" / "scanner.json")
    if args.host not in LOOPBACK_HOSTS:
        logger.warning("the dashboard has no login: on %s anyone who reaches port %d reads the "
                       "scanner and the trade history (docker-compose publishes it on "
                       "127.0.0.1 only)", args.host, args.port)
    app = create_app(FreqtradeApi(args.api, username, password), scanner_json,
                     served_hosts(args.host))
    logger.info("BOTPY dashboard on http://%s:%d (freqtrade API %s, scanner %s)", args.host,
                args.port, args.api, scanner_json)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botpy", description=__doc__.splitlines()[0])
    parser.add_argument("--userdir", default="user_data", help="freqtrade user directory")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="offline backtest of BOTPY on the synthetic market")
    run = commands.add_parser("trade", help="run freqtrade trade in a BOTPY mode")
    run.add_argument("mode", choices=["virtual", "paper", "live"])
    run.add_argument("--datadir", help="virtual: datadir to replay (default: synthetic market)")
    run.add_argument("--start", help="virtual: dataset time (ISO, UTC) the replay starts at")
    add_sim_port(run, "virtual: the simulator's port on 127.0.0.1")
    shown = commands.add_parser("secrets", help="show where the API server login is kept")
    shown.add_argument("-c", "--config", action="append", help="your config (as given to "
                       "`botpy trade MODE -c`): its api_server.password is the one the bot uses")
    fear_greed = commands.add_parser("fear-greed", help="Fear & Greed Index data")
    fear_greed.add_argument("action", choices=["download"])
    fear_greed.add_argument("--url", help="the index's API (default: alternative.me)")
    fear_greed.add_argument("--out", help="file to write (default: <userdir>/data/"
                            "fear_greed.json)")
    board = commands.add_parser("dashboard", help="scanner view and History CSV export")
    board.add_argument("--api", default="http://127.0.0.1:8080", help="freqtrade REST API")
    board.add_argument("--username", help="API user (default: your config's, else botpy; "
                       "FREQTRADE__API_SERVER__USERNAME takes precedence)")
    board.add_argument("-c", "--config", action="append", help="the bot's config of yours, "
                       "for its api_server login")
    board.add_argument("--scanner-json", help="scanner JSON (default: <userdir>/scanner/"
                       "scanner.json)")
    board.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    board.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    from botpy_ext.evaluation.arguments import add_arguments

    add_arguments(commands.add_parser(
        "evaluate", help="walk-forward folds, baselines and statistics in one report"))
    for name, (command, config) in WRAPPED.items():
        wrapper = commands.add_parser(name, help=f"freqtrade {command} with user_data/config/"
                                      f"{config}, offline (other options go to freqtrade)")
        wrapper.add_argument("--datadir", help="candles to serve and test on (default: the "
                             "synthetic market, after its warm-up)")
        add_sim_port(wrapper, "the simulator's port on 127.0.0.1")
    from botpy_ext.parity.command import add_arguments as add_parity_arguments

    add_parity_arguments(commands.add_parser(
        "parity", help="the same window in Virtual mode and in a backtest, trade by trade"))
    install_ui = commands.add_parser(
        "install-ui", help="install a FreqUI build where freqtrade serves it (offline)")
    install_ui.add_argument("--from", dest="source", help="a FreqUI build: a folder or a zip "
                            "(default: ../shared/frequi/ when present, else `freqtrade "
                            "install-ui` from the internet)")
    return parser


def add_sim_port(parser: argparse.ArgumentParser, what: str) -> None:
    default = int(DEFAULT_BASE_URL.rsplit(":", 1)[1])
    parser.add_argument("--sim-port", type=int, default=default,
                        help=f"{what} (default {default}; another one lets a second run go on "
                        "beside the first)")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("numexpr.utils").setLevel(logging.WARNING)  # "defaulting to N threads"
    argv = sys.argv[1:] if argv is None else argv
    args, extra = build_parser().parse_known_args(argv)
    if extra and args.command != "trade" and args.command not in WRAPPED:
        build_parser().error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        with stop_signals_raise():
            return dispatch(args, extra, argv)
    except Stopped as stop:
        logger.info("%s: stopped", stop)
        return stop.exit_code
    except LaunchError as exc:
        logger.error("%s", exc)
        return 2


def dispatch(args: argparse.Namespace, extra: list[str], argv: list[str]) -> int:
    if args.command == "demo":
        return demo(args)
    if args.command == "trade":
        return trade(args, extra)
    if args.command in WRAPPED:
        return wrapped_freqtrade(args, extra)
    if args.command == "fear-greed":
        return download_fear_greed(args)
    if args.command == "dashboard":
        return dashboard(args)
    if args.command == "install-ui":
        from botpy_ext.frequi import install_ui

        return install_ui(args)
    if args.command == "parity":
        from botpy_ext.parity.command import parity

        return parity(args, Path(args.userdir), BIN)
    if args.command == "evaluate":
        from botpy_ext.evaluation.command import evaluate

        return evaluate(args, Path(args.userdir), BIN, argv)
    return show_secrets(args)


if __name__ == "__main__":
    sys.exit(main())
