"""The evaluation report: every figure in one JSON document, a terminal summary (rich, as
freqtrade prints its tables) and an HTML page with plotly charts (plotly.js embedded: offline)."""

from __future__ import annotations

import html
import itertools
import json
import math
import shlex
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from rich.console import Console
from rich.table import Table

from botpy_ext.evaluation import statistics as st
from botpy_ext.evaluation.baseline import buy_and_hold_curve, buy_and_hold_pct
from botpy_ext.evaluation.control import is_control, is_extra_draw
from botpy_ext.evaluation.runner import FoldResult, unoptimized_label

BUY_AND_HOLD = "buy & hold"


def fold_trades(result: FoldResult) -> pd.DataFrame:
    return st.attach_r(result.trades, result.facts)


def equity_points(trades: pd.DataFrame, start, end, balance: float, offset: float
                  ) -> list[tuple[str, float]]:
    """(time, profit % of the starting balance) at the window's start, each close and its end,
    `offset` being what the folds before it made (folds are added, not compounded)."""
    points = [(start.isoformat(), offset)]
    total = offset
    if not trades.empty:
        ordered = trades.sort_values("close_date")
        cumulative = offset + ordered["profit_abs"].cumsum() / balance * 100
        points += [(d.isoformat(), float(v)) for d, v in zip(ordered["close_date"], cumulative,
                                                             strict=True)]
        total = float(cumulative.iloc[-1])
    points.append((end.isoformat(), total))
    return points


def strategy_section(request, results: list[FoldResult]) -> tuple[dict, pd.DataFrame]:
    pairs = len(request.pairs)
    folds, pooled, equity, offset = [], [], [], 0.0
    balance = None
    for result in results:
        window = result.fold.test
        entry = {"fold": result.fold.number, "ok": result.ok, "error": result.error,
                 "seconds": round(result.seconds, 1), "params": result.params, "note": result.note,
                 "freqtrade": result.figures,
                 "commands": [shlex.join(command) for command in result.commands]}
        if result.ok:
            trades = fold_trades(result)
            balance = result.figures["starting_balance"]
            entry["stats"] = st.analyse_trades(trades, balance, window.start, window.end, pairs,
                                               request.fee, request.fees)
            equity += equity_points(trades, window.start, window.end, balance, offset)
            offset = equity[-1][1]
            pooled.append(trades.assign(fold=result.fold.number))
        folds.append(entry)
    section = {"folds": folds, "pooled": None, "equity": equity, "starting_balance": balance}
    trades = pd.concat(pooled, ignore_index=True) if pooled else pd.DataFrame()
    if pooled:
        ok = [r.fold for r in results if r.ok]
        # the windows that ran laid end to end: a failed fold's days are no trading time
        tested = sum((fold.test.end - fold.test.start for fold in ok), timedelta(0))
        section["pooled"] = st.analyse_trades(trades, balance, ok[0].test.start,
                                              ok[0].test.start + tested, pairs, request.fee,
                                              request.fees)
        section["pooled"]["folds"] = [fold.number for fold in ok]
        section["pooled"]["test_days"] = sum(fold.test.days for fold in ok)
    return section, trades


def buy_and_hold_section(request) -> dict:
    folds, equity, offset = [], [], 0.0
    for fold in request.folds:
        pct = buy_and_hold_pct(request.candles, fold.test, request.fee)
        curve = buy_and_hold_curve(request.candles, fold.test, request.fee)
        equity.append((fold.test.start.isoformat(), offset))
        equity += [(d.isoformat(), offset + (v - 1) * 100) for d, v in curve.items()]
        folds.append({"fold": fold.number, "profit_pct": pct})
        offset += pct
    return {"folds": folds, "pooled": {"profit_pct": offset}, "equity": equity,
            "note": "equal weight of the pairs, bought at the first open and sold at the last "
                    "close of each test window, the fee on both sides; folds are added"}


def fold_figures(section: dict, number: int) -> dict | None:
    fold = next((f for f in section["folds"] if f["fold"] == number and f["ok"]), None)
    return fold and fold["stats"]["all"]


def before_last_rank(request, mine: dict, controls: list[dict]) -> dict | None:
    """The rank over every fold but the last, together: the research protocol decides there and
    confirms on the last fold (`docs/edge.md`). Only draws whose folds all ran take part."""
    numbers = [fold.number for fold in request.folds][:-1]
    if len(numbers) < 2:
        return None
    together = [st.folds_expectancy_r([fold_figures(section, n) for n in numbers])
                for section in [mine, *controls]]
    rank = st.control_rank(together[0], together[1:])
    return rank and {"folds": numbers, "draws_of": len(controls), **rank}


def control_section(request, strategies: dict) -> dict | None:
    """The evaluated strategy's expectancy ranked among the control's draws (`--control`),
    pooled, per fold, and over the folds before the last together. The pooled rank counts only
    the draws pooled over the same folds as the strategy (a fold that failed on one side would
    compare other windows)."""
    controls = [section for name, section in strategies.items() if is_control(name)]
    mine = strategies.get(request.strategy)
    if not controls or not mine or not mine["pooled"]:
        return None
    same_folds = [c["pooled"]["all"] for c in controls
                  if c["pooled"] and c["pooled"]["folds"] == mine["pooled"]["folds"]]
    pooled = st.control_rank(mine["pooled"]["all"], same_folds)
    if not pooled:
        return None
    folds = [{"fold": fold.number, **rank} for fold in request.folds
             if (rank := st.control_rank(fold_figures(mine, fold.number),
                                         [fold_figures(c, fold.number) for c in controls]))]
    notes = []
    unranked = sorted({fold.number for fold in request.folds} - {f["fold"] for f in folds})
    if unranked:
        notes.append(f"fold{'s' if len(unranked) > 1 else ''} "
                     f"{', '.join(map(str, unranked))} not ranked: no trade with an R on one "
                     "side, or the fold failed")
    if pooled["draws"] < len(controls):
        notes.append(f"{len(controls) - pooled['draws']} of {len(controls)} draws left out of "
                     "the pooled rank: no trades, or not the strategy's folds")
    if request.spaces:
        notes.append("the control runs the default parameters, the strategy its hyperopted ones")
    return {"strategy": request.strategy, **pooled, "folds": folds,
            "before_last": before_last_rank(request, mine, controls), "notes": notes}


def control_sentence(report: dict) -> str | None:
    """One line on the control: the strategy's expectancy against every draw of it."""
    rank = report.get("control")
    if not rank:
        return None
    per_fold = ", ".join(f"fold {f['fold']} {f['draws_below']}/{f['draws']}"
                         for f in rank["folds"])
    if before := rank.get("before_last"):
        left_out = before["draws_of"] - before["draws"]
        per_fold += (f"; folds {before['folds'][0]}–{before['folds'][-1]} together "
                     f"{before['strategy_expectancy_r']:+.3f} R, above {before['draws_below']}/"
                     f"{before['draws']} (mean {before['control_mean_r']:+.3f} R"
                     + (f"; {left_out} of {before['draws_of']} draws left out: a fold "
                        "without trades or failed" if left_out else "") + ")")
    notes = "".join(f" ({note})" for note in rank["notes"])
    return (f"{rank['strategy']}'s expectancy {rank['strategy_expectancy_r']:+.3f} R is above "
            f"{rank['draws_below']} of {rank['draws']} draws of the random-entry control "
            f"(theirs: mean {rank['control_mean_r']:+.3f} R, from {rank['control_min_r']:+.3f} "
            f"to {rank['control_max_r']:+.3f} R), pooled test folds; per fold: {per_fold}."
            + notes)


def hyperopt_section(request, strategies: dict) -> dict | None:
    """With `--optimize`: the hyperopted folds against the strategy's own parameters on the same
    test windows, per fold and pooled (over the folds both ran). Did hyperopt help out of
    sample?"""
    mine = strategies.get(request.strategy)
    plain = strategies.get(unoptimized_label(request.strategy))
    if not request.spaces or not mine or not plain:
        return None
    numbers = [fold.number for fold in request.folds]
    gain = st.optimization_gain({n: fold_figures(mine, n) for n in numbers},
                                {n: fold_figures(plain, n) for n in numbers})
    compared = [fold["fold"] for fold in gain["folds"]]
    pooled = None
    if compared:
        together = [st.folds_expectancy_r([fold_figures(section, n) for n in compared])
                    for section in (mine, plain)]
        pooled = {name: {"profit_pct": sum(f[name]["profit_pct"] for f in gain["folds"]),
                         "expectancy_r": figures["expectancy_r"]}
                  for name, figures in zip(("optimized", "unoptimized"), together, strict=True)}
    notes = []
    if (parameter_file := request.strategy_path / f"{request.strategy}.json").is_file():
        notes.append(f"{parameter_file} left out: the hyperopted, unoptimized and control runs "
                     "start from the declared defaults and the config")
    return {"strategy": request.strategy, "unoptimized": unoptimized_label(request.strategy),
            **gain, "pooled": pooled, "notes": notes}


def hyperopt_sentence(report: dict) -> str | None:
    """One line on hyperopt: the hyperopted test folds against the unoptimized ones."""
    gain = report.get("hyperopt")
    if not gain or not gain["pooled"]:
        return None
    mine, plain = gain["pooled"]["optimized"], gain["pooled"]["unoptimized"]

    def r(value):
        return "no R" if value is None else f"{value:+.3f} R"

    return (f"Hyperopt out of sample: with its hyperopted parameters {gain['strategy']} made "
            f"{mine['profit_pct']:+.2f} % ({r(mine['expectancy_r'])} a trade) over the test "
            f"folds, with its own parameters {plain['profit_pct']:+.2f} % "
            f"({r(plain['expectancy_r'])}) on the same windows; more profit on "
            f"{gain['more_profit']} of {gain['compared']} folds."
            + "".join(f" ({note})" for note in gain.get("notes", [])))


def build(request, results: dict[str, list[FoldResult]], command: str) -> dict:
    strategies, trades = {}, {}
    for name, fold_results in results.items():
        strategies[name], trades[name] = strategy_section(request, fold_results)
    return {
        "command": command,
        "data": {"datadir": str(request.datadir), "pairs": list(request.pairs),
                 "warmup_days": request.warmup.total_seconds() / 86400,
                 "config": str(request.config), "simulator": request.simulated},
        "folds": [fold.as_dict() for fold in request.folds],
        "fees": {"run": request.fee, "sensitivity": request.fees},
        "optimize": {"spaces": list(request.spaces), "epochs": request.epochs,
                     "hyperopt_loss": request.hyperopt_loss,
                     "random_state": request.random_state} if request.spaces else None,
        "method": {"bootstrap_resamples": st.RESAMPLES, "confidence": st.CONFIDENCE,
                   "monte_carlo_shuffles": st.SHUFFLES, "seed": st.SEED},
        "strategies": strategies,
        "control": control_section(request, strategies),
        "hyperopt": hyperopt_section(request, strategies),
        "buy_and_hold": buy_and_hold_section(request),
        "_trades": trades,  # for the charts; not written to the JSON
    }


def strict_json(value):
    """`value` with every infinite or NaN float as None: JSON has no Infinity (a profit factor
    without a losing trade), and strict parsers refuse it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    return value


def write(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    public = strict_json({k: v for k, v in report.items() if not k.startswith("_")})
    for name, text in (("report.json", json.dumps(public, indent=2, default=str,
                                                   allow_nan=False) + "\n"),
                       ("report.html", html_page(report))):
        partial = out / f".{name}.partial"
        partial.write_text(text)
        partial.replace(out / name)


# ---- terminal -------------------------------------------------------------------------------

def number(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and np.isinf(value):
        return "∞"
    return f"{value:.{digits}f}{suffix}"


def with_interval(value, interval, digits: int = 3) -> str:
    if value is None:
        return "—"
    text = f"{value:+.{digits}f}"
    if interval:
        text += f" [{interval[0]:+.{digits}f}, {interval[1]:+.{digits}f}]"
    return text


COLUMNS = ("trades", "tr/pair/day", "win %", "expectancy % [95 % CI]", "expectancy R [95 % CI]",
           "PF", "profit %", "max DD %", "Calmar")


def stats_cells(figures: dict) -> list[str]:
    return [
        str(figures["trades"]), number(figures["trades_per_pair_day"], 3),
        number(figures["win_rate"] * 100 if figures["win_rate"] is not None else None, 1),
        with_interval(figures["expectancy_pct"], figures["expectancy_pct_ci"]),
        with_interval(figures["expectancy_r"], figures["expectancy_r_ci"]),
        number(figures["profit_factor"]), number(figures["profit_pct"]),
        number(figures["max_drawdown_pct"]), number(figures["calmar"]),
    ]


def folds_table(report: dict) -> Table:
    table = Table(title="Walk-forward test folds (fee "
                  f"{report['fees']['run'] * 100:g} % per side)")
    for column in ("strategy", "fold", "test window", *COLUMNS):
        table.add_column(column, justify="left" if column in ("strategy", "test window")
                         else "right")
    windows = {fold["fold"]: fold["test"] for fold in report["folds"]}

    def span(number_):
        window = windows[number_]
        return f"{window['start'][:16]} → {window['end'][:16]}"

    for name, section in report["strategies"].items():
        for fold in section["folds"]:
            if fold["ok"]:
                table.add_row(name, str(fold["fold"]), span(fold["fold"]),
                              *stats_cells(fold["stats"]["all"]))
            else:
                table.add_row(name, str(fold["fold"]), span(fold["fold"]),
                              f"[red]failed: {fold['error']}[/red]")
        if section["pooled"]:
            table.add_row(f"[bold]{name}[/bold]", "pooled", f"{section['pooled']['test_days']:.1f}"
                          " days", *stats_cells(section["pooled"]["all"]), end_section=True)
    hold = report["buy_and_hold"]
    for fold in hold["folds"]:
        table.add_row(BUY_AND_HOLD, str(fold["fold"]), span(fold["fold"]), *[""] * 6,
                      number(fold["profit_pct"]), "", "")
    table.add_row(f"[bold]{BUY_AND_HOLD}[/bold]", "pooled", "", *[""] * 6,
                  number(hold["pooled"]["profit_pct"]), "", "")
    return table


def groups_table(report: dict, name: str, group: str, title: str) -> Table:
    table = Table(title=f"{name}: {title}, pooled test folds")
    for column in (group, *COLUMNS):
        table.add_column(column, justify="left" if column == group else "right")
    for label, figures in report["strategies"][name]["pooled"][f"per_{group}"].items():
        table.add_row(label, *stats_cells(figures))
    return table


def risk_table(report: dict) -> Table:
    fees = report["fees"]["sensitivity"]
    table = Table(title="Trade-order Monte Carlo (max DD %) and profit % at each fee (the same "
                  "fills re-priced), pooled")
    for column in ("strategy", "DD p5", "DD p50", "DD p95", *[f"fee {f * 100:g} %" for f in fees]):
        table.add_column(column, justify="left" if column == "strategy" else "right")
    for name, section in report["strategies"].items():
        pooled = section["pooled"]
        if not pooled:
            continue
        mc = pooled["drawdown_monte_carlo"] or {}
        table.add_row(name, *[number(mc.get(k)) for k in ("p5_pct", "p50_pct", "p95_pct")],
                      *[number(pooled["fee_sensitivity"][f"{f:g}"]) for f in fees])
    return table


def print_tables(report: dict, console: Console | None = None) -> None:
    console = console or Console(width=200)
    console.print(folds_table(report))
    for name, section in charted(report).items():
        if section["pooled"] and len(section["pooled"]["per_setup"]) > 1:
            console.print(groups_table(report, name, "setup", "per setup"))
            console.print(groups_table(report, name, "tag", "per entry tag"))
    console.print(risk_table(report))
    for sentence in (control_sentence(report), hyperopt_sentence(report)):
        if sentence:
            console.print(sentence)


def print_signals(result: dict, console: Console | None = None) -> None:
    """The `--signals` table: per setup, then per entry tag, the random control last."""
    console = console or Console(width=200)
    table = Table(title=f"Every entry signal, {result['horizon_minutes'] / 60:g} h after the "
                  f"entry: excursions in R ({len(result['pairs'])} pairs, "
                  f"{result['days']:.1f} days)")
    for column in ("group", "signals", "per pair/day", "+1R first %", "undecided %",
                   "bracket R", "bracket R per fold", "MFE R", "MAE R", "fees R"):
        table.add_column(column, justify="left" if column == "group" else "right")
    folds = list(result["all_signals"]["bracket_r_per_fold"])  # every fold with a signal
    for kind in ("per_setup", "per_tag"):
        for name, figures in result[kind].items():
            if not figures["signals"]:
                continue
            table.add_row(
                name, str(figures["signals"]), number(figures["signals_per_pair_day"], 3),
                number(figures["win_first"] * 100 if figures["win_first"] is not None
                       else None, 1),
                number(figures["undecided"] * 100, 1), number(figures["bracket_r"], 3),
                " ".join(f"{figures['bracket_r_per_fold'][fold]:+.2f}"
                         if fold in figures["bracket_r_per_fold"] else "  —  " for fold in folds),
                number(figures["mfe_r"]), number(figures["mae_r"]), number(figures["fee_r"]),
                end_section=name == list(result[kind])[-1])
    console.print(table)


# ---- HTML -----------------------------------------------------------------------------------

def charted(report: dict) -> dict:
    """The strategies the charts draw: the control's extra draws (`#2`, …) are in the tables
    and the control line only."""
    return {name: section for name, section in report["strategies"].items()
            if not is_extra_draw(name)}


def equity_figure(report: dict) -> go.Figure:
    figure = go.Figure()
    series = {name: section["equity"] for name, section in charted(report).items()}
    series[BUY_AND_HOLD] = report["buy_and_hold"]["equity"]
    for name, points in series.items():
        if points:
            x, y = zip(*points, strict=True)
            figure.add_trace(go.Scatter(x=list(x), y=list(y), mode="lines", name=name))
    for fold in report["folds"]:
        figure.add_vline(x=fold["test"]["start"], line_dash="dot", line_color="grey")
    figure.update_layout(title="Equity over the test folds (profit % of the starting balance; "
                         "folds added)", xaxis_title="time (UTC)", yaxis_title="%",
                         template="plotly_white", height=480)
    return figure


def expectancy_figure(report: dict) -> go.Figure:
    figure = make_subplots(rows=1, cols=2, subplot_titles=(
        "expectancy per trade, % (95 % bootstrap CI)", "expectancy per trade, R (95 % CI)"))
    colours = itertools.cycle(("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a"))
    for name, section in charted(report).items():
        if not section["pooled"]:
            continue
        colour = next(colours)
        setups = {k: v for k, v in section["pooled"]["per_setup"].items() if k != "untagged"}
        groups = {"all": section["pooled"]["all"], **setups}
        for column, key in ((1, "expectancy_pct"), (2, "expectancy_r")):
            labels = [label for label, figures in groups.items() if figures[key] is not None]
            if not labels:
                continue
            values = [groups[label][key] for label in labels]
            intervals = [groups[label][f"{key}_ci"] or (v, v)
                         for label, v in zip(labels, values, strict=True)]
            figure.add_trace(go.Bar(
                x=[f"{name}: {label}" for label in labels], y=values, name=name,
                marker_color=colour, legendgroup=name, showlegend=column == 1,
                error_y={"type": "data", "symmetric": False,
                         "array": [hi - v for (lo, hi), v in zip(intervals, values, strict=True)],
                         "arrayminus": [v - lo for (lo, hi), v in zip(intervals, values,
                                                                       strict=True)]}),
                row=1, col=column)
    figure.update_layout(template="plotly_white", height=460, title="Expectancy per setup, pooled "
                         "test folds")
    return figure


def drawdown_figure(report: dict) -> go.Figure:
    figure = go.Figure()
    positions = itertools.cycle(("top right", "bottom right", "top left", "bottom left"))
    for name, section in charted(report).items():
        trades = report["_trades"][name]
        if len(trades) < 2:
            continue
        ordered = trades.sort_values("close_date")
        drawdowns = st.shuffled_drawdowns(ordered["profit_abs"], section["starting_balance"]) * 100
        figure.add_trace(go.Histogram(x=drawdowns, name=f"{name}: shuffled orders", opacity=0.6,
                                      nbinsx=40))
        actual = section["pooled"]["all"]["max_drawdown_pct"]
        figure.add_vline(x=actual, line_dash="dash", annotation_position=next(positions),
                         annotation_text=f"{name} as traded {actual:.2f} %")
    figure.update_layout(barmode="overlay", template="plotly_white", height=420,
                         title=f"Max drawdown over {st.SHUFFLES} random orders of the pooled test "
                         "trades", xaxis_title="max drawdown %", yaxis_title="orders")
    return figure


def html_table(report: dict) -> str:
    rows = []
    for name, section in report["strategies"].items():
        for fold in section["folds"]:
            cells = stats_cells(fold["stats"]["all"]) if fold["ok"] else [
                f"failed: {fold['error']}"]
            rows.append([name, str(fold["fold"]), *cells])
        if section["pooled"]:
            rows.append([f"<b>{name}</b>", "<b>pooled</b>",
                         *stats_cells(section["pooled"]["all"])])
    for fold in report["buy_and_hold"]["folds"]:
        rows.append([BUY_AND_HOLD, str(fold["fold"]), *[""] * 6, number(fold["profit_pct"])])
    rows.append([f"<b>{BUY_AND_HOLD}</b>", "<b>pooled</b>", *[""] * 6,
                 number(report["buy_and_hold"]["pooled"]["profit_pct"])])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("strategy", "fold", *COLUMNS))
    body = "".join("<tr>" + "".join(f"<td>{c if c.startswith('<b>') else html.escape(c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def html_page(report: dict) -> str:
    folds = "".join(
        f"<li>fold {f['fold']}: test {f['test']['start'][:16]} → {f['test']['end'][:16]} "
        f"({f['test']['days']:.2f} days)"
        + (f", train {f['train']['start'][:16]} → {f['train']['end'][:16]}" if f["train"]
           else "") + "</li>" for f in report["folds"])
    params = "".join(
        f"<li>{html.escape(name)} fold {fold['fold']}: <code>"
        f"{html.escape(json.dumps(fold['params'].get('params', fold['params'])))}</code></li>"
        for name, section in report["strategies"].items() for fold in section["folds"]
        if fold.get("params"))
    charts = [equity_figure(report), expectancy_figure(report), drawdown_figure(report)]
    divs = [chart.to_html(full_html=False, include_plotlyjs=(i == 0))
            for i, chart in enumerate(charts)]
    data = report["data"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>BOTPY evaluation</title>
<style>body{{font-family:sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;
font-size:13px}} td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
code{{font-size:12px}}</style></head><body>
<h1>BOTPY evaluation</h1>
<p><b>Command:</b> <code>{html.escape(report['command'])}</code></p>
<p><b>Data:</b> {html.escape(data['datadir'])}, {len(data['pairs'])} pairs
({html.escape(', '.join(data['pairs']))}); warm-up {data['warmup_days']:g} days; config
{html.escape(data['config'])}{' (markets from the offline simulator)' if data['simulator'] else ''}.
</p>
<p><b>Fees:</b> backtests at {report['fees']['run'] * 100:g} % per side; sensitivity at
{', '.join(f'{f * 100:g} %' for f in report['fees']['sensitivity'])} (the same trades
re-priced).</p>
<p><b>Folds</b> (test windows never overlap each other or their train window):</p><ul>{folds}</ul>
{f'<p><b>Hyperopted parameters per fold:</b></p><ul>{params}</ul>' if params else ''}
{html_table(report)}
{''.join(f'<p>{html.escape(sentence)}</p>' for sentence in (control_sentence(report),
         hyperopt_sentence(report)) if sentence)}
{''.join(divs)}
<p>Intervals: 95 % percentile bootstrap of the mean over {st.RESAMPLES} resamples; drawdown
percentiles over {st.SHUFFLES} random orders of the pooled test trades (seed {st.SEED}).
See docs/evaluation.md.</p>
</body></html>
"""
