"""``rebalancer backtest``: replay a portfolio's policy over historical prices.

The portfolio's own config is replayed through the daemon's check, planner and executor, on
simulated venues over the exchange engine (fills at each bar's price with the spread model,
fees, real lot steps and minimums), and compared on the same prices and costs with buy and
hold, its calendar alone, a 5 % band to target, and selling everything at each rebalance.

Without ``--sweep``: a table of figures on stdout (or ``--json``), and with ``--report OUT`` a
directory with ``report.html``, the charts and ``result.json``. With ``--sweep``: a grid of
policy variants run in parallel processes (see ``rebalancer.cli.sweep``).

Bad input (config, price files, dates) exits 2 with a message naming what is wrong; a progress
bar appears on a terminal only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rebalancer.domain.errors import ConfigError, InvalidValue

if TYPE_CHECKING:
    from rebalancer.backtest.prices import PriceTable
    from rebalancer.settings import AppConfig

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
INTERVALS = ("1d", "4h", "1h")


class InputProblem(Exception):
    """Something the user must fix; the message names it."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the backtest command's options."""
    parser.add_argument(
        "--config", metavar="PATH", help="the TOML config file (default: $REBALANCER_CONFIG)"
    )
    parser.add_argument("--portfolio", required=True, metavar="NAME", help="a [portfolios.NAME]")
    parser.add_argument(
        "--prices",
        required=True,
        metavar="DIR",
        help="a directory of bar CSVs: BTCUSDT_1d.csv (Binance klines) or BTC-USD_1d.csv (Yahoo)",
    )
    parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day replayed")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day replayed")
    parser.add_argument(
        "--interval", default="1d", choices=INTERVALS, help="bar length (default: 1d)"
    )
    parser.add_argument(
        "--report", metavar="DIR", help="write report.html, the charts and result.json there"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON on stdout, nothing else"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes to run scenarios in (default: the number of cores)",
    )
    parser.add_argument(
        "--no-compare", action="store_true", help="replay the policy only, no comparisons"
    )
    parser.add_argument(
        "--no-bound", action="store_true", help="skip the clairvoyant LP bound (faster)"
    )
    parser.add_argument(
        "--sweep",
        nargs="+",
        metavar="KEY=V1,V2",
        help="run a grid of variants: band=1,2,5 every=weekly,monthly rebalance_to=target,...",
    )
    parser.add_argument(
        "--metric",
        default="net_return",
        help="--sweep: pick the best by net_return, cagr, sharpe, cost or cost_ratio",
    )
    parser.add_argument(
        "--axes", metavar="KEY,KEY", help="--sweep: the two keys the heatmaps are drawn over"
    )
    parser.add_argument(
        "--holdout",
        metavar="YYYY-MM-DD",
        help="--sweep: pick on the bars before this date, report the pick on the bars after",
    )


def run(args: argparse.Namespace) -> int:
    """Load, replay, print, and write the report."""
    try:
        if args.jobs < 1:
            raise InputProblem("--jobs: must be at least 1")
        with quiet_daemon_logs():
            if args.sweep:
                from rebalancer.cli.sweep import run_sweep

                status: int = run_sweep(args)
                return status
            return _backtest(args)
    except InputProblem as problem:
        return _fail(str(problem), EXIT_USAGE)
    except ConfigError as error:
        lines = ["the config is not usable for this backtest:"]
        lines += [f"  {problem}" for problem in error.problems]
        return _fail("\n".join(lines), EXIT_USAGE)
    except InvalidValue as error:
        return _fail(str(error), EXIT_USAGE)


def load(args: argparse.Namespace) -> tuple[AppConfig, PriceTable]:
    """The config and the price table the arguments name."""
    from rebalancer import settings
    from rebalancer.backtest.prices import load_prices

    config_path = Path(args.config) if args.config else None
    if config_path is not None and not config_path.is_file():
        raise InputProblem(f"--config: no such file {config_path}")
    config = settings.load_config(config_path)
    if args.portfolio not in config.portfolios:
        known = ", ".join(sorted(config.portfolios))
        raise InputProblem(f"--portfolio: no [portfolios.{args.portfolio}] (known: {known})")
    policy = config.policy(args.portfolio)
    assets = [asset for asset in policy.weights if asset != policy.quote]
    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    if start is not None and end is not None and end < start:
        raise InputProblem("--to: must not be before --from")
    table = load_prices(
        Path(args.prices), assets, policy.quote, args.interval, start=start, end=end
    )
    if len(table) < 2:
        raise InputProblem("the range holds fewer than two bars: nothing to replay")
    return config, table


@contextlib.contextmanager
def quiet_daemon_logs() -> Iterator[None]:
    """Keep the replayed daemon's warnings (a refused order, say) off the terminal, meanwhile.

    A backtest replays years of the daemon's life in seconds; what its log would have said is
    in the report instead (refused orders, breaker trips, runs by outcome). Errors still show.
    The logger's level is put back afterwards.
    """
    logger = logging.getLogger("rebalancer")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def parse_day(text: str | None, option: str) -> datetime | None:
    """A ``YYYY-MM-DD`` option as midnight UTC."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputProblem(f"{option}: expected a date as YYYY-MM-DD, got {text!r}") from None


def _backtest(args: argparse.Namespace) -> int:
    from rebalancer.backtest.analysis import run_all
    from rebalancer.backtest.progress import Progress
    from rebalancer.backtest.report import Context, summary
    from rebalancer.runtime.backtest import prepare

    config, table = load(args)
    prepared = prepare(config, args.portfolio, table, compare=not args.no_compare)
    stream = sys.stderr if not args.json else io.StringIO()
    with Progress(len(table), label=args.portfolio, stream=stream) as progress:
        analyses = run_all(
            table,
            prepared.setup,
            prepared.scenarios,
            jobs=args.jobs,
            bound=not args.no_bound,
            on_bar=progress.bar,
            on_done=lambda key: progress.note(f"{key} done"),
        )
    context = Context(args.portfolio, table, prepared.setup, prepared.descriptions, prepared.notes)
    if args.report:
        from rebalancer.backtest.charts import draw_all
        from rebalancer.backtest.report import write_report

        directory = Path(args.report)
        directory.mkdir(parents=True, exist_ok=True)
        charts = draw_all(table, analyses, directory)
        write_report(directory, context, analyses, charts)
    if args.json:
        from rebalancer.backtest.report import finite

        sys.stdout.write(json.dumps(finite(summary(context, analyses)), indent=1) + "\n")
    else:
        sys.stdout.write(render_table(summary(context, analyses)))
        sys.stdout.flush()
        if args.report:
            print(f"report: {Path(args.report) / 'report.html'}", file=sys.stderr)
    return EXIT_OK


ROWS = (
    ("final_value", "final value", "{:,.2f}"),
    ("total_return", "total return", "{:.2%}"),
    ("cagr", "CAGR", "{:.2%}"),
    ("volatility", "volatility", "{:.2%}"),
    ("max_drawdown", "max drawdown", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("turnover", "turnover/yr", "{:.2%}"),
    ("fees", "fees", "{:,.2f}"),
    ("spread", "spread", "{:,.2f}"),
    ("cost", "rebalancing cost", "{:,.2f}"),
    ("rebalances", "rebalances", "{:,}"),
    ("time_outside_bands", "time outside bands", "{:.2%}"),
    ("mean_drift", "mean drift (pp)", "{:.2f}"),
    ("max_drift", "max drift (pp)", "{:.2f}"),
)


def render_table(data: dict[str, Any]) -> str:
    """The figures of every scenario as a text table, then the events."""
    scenarios: list[dict[str, Any]] = data["scenarios"]
    width = max(12, *(len(str(s["label"])) for s in scenarios))
    lines = [
        f"{data['portfolio']}: {str(data['from'])[:10]} to {str(data['to'])[:10]}, "
        f"{data['bars']} bars of {data['interval']}",
        " " * 20 + "".join(f"{s['label']!s:>{width + 2}}" for s in scenarios),
    ]
    for key, title, spec in ROWS:
        cells = "".join(f"{_format(s['figures'].get(key), spec):>{width + 2}}" for s in scenarios)
        lines.append(f"{title:<20}{cells}")
    bounds = "".join(f"{_bound(s):>{width + 2}}" for s in scenarios)
    lines.append(f"{'clairvoyant bound':<20}{bounds}")
    ratios = "".join(f"{_format(s['cost_ratio'], '{:.2f}'):>{width + 2}}" for s in scenarios)
    lines.append(f"{'cost / bound':<20}{ratios}")
    lines += [f"  {event['kind']}: {event['text']}" for event in scenarios[0]["events"]]
    refused = scenarios[0]["orders_refused"]
    lines += [f"  orders refused: {count} x {why}" for why, count in sorted(refused.items())]
    lines += [f"  not compared: {note}" for note in data.get("not_compared", [])]
    return "\n".join(lines) + "\n"


def _format(value: object, spec: str) -> str:
    if value is None or not isinstance(value, (int, float)):
        return "n/a"
    return spec.format(value)


def _bound(scenario: dict[str, Any]) -> str:
    bound = scenario["bound"]
    if not isinstance(bound, dict):
        return "n/a"
    return _format(bound["cost"], "{:,.2f}")


def _fail(message: str, status: int) -> int:
    print(f"rebalancer backtest: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` as the backtest command's arguments and run it (for tests)."""
    parser = argparse.ArgumentParser(prog="rebalancer backtest")
    add_arguments(parser)
    return run(parser.parse_args(argv))
