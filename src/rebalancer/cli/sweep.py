"""``rebalancer backtest --sweep``: a grid of policy variants, the best one, and a holdout check.

Every combination of the swept values is replayed (in ``--jobs`` processes) on the same prices
and costs; a table of their figures goes to stdout (or JSON with ``--json``). With ``--report``
the directory gets ``sweep.json``, ``sweep.csv`` and two heatmaps over the two ``--axes`` (net
return and cost / bound; where other keys vary too, each cell shows the best of them). With
``--holdout DATE`` the pick is made on the bars before DATE and replayed on the bars from DATE
on, and both results are shown.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from rebalancer.backtest.sweep import (
    METRICS,
    Grid,
    Row,
    best,
    label_of,
    parse_grid,
    run_grid,
    variant,
)
from rebalancer.cli.backtest import InputProblem, load, parse_day

EXIT_OK = 0


def run_sweep(args: argparse.Namespace) -> int:
    """Run the grid, pick the best, check it on the holdout, print and write what was found."""
    from rebalancer.backtest.analysis import analyse
    from rebalancer.runtime.backtest import POLICY, prepare

    grid = parse_grid(args.sweep)
    if args.metric not in METRICS:
        raise InputProblem(f"--metric: expected one of {', '.join(METRICS)}, got {args.metric!r}")
    axes = _axes(grid, args.axes)
    holdout = parse_day(args.holdout, "--holdout")
    pick_args, after_args = args, None
    if holdout is not None:
        last = holdout - timedelta(days=1)
        pick_args = argparse.Namespace(**{**vars(args), "end": last.strftime("%Y-%m-%d")})
        after_args = argparse.Namespace(**{**vars(args), "start": args.holdout})
    config, table = load(pick_args)
    prepared = prepare(config, args.portfolio, table, compare=False)
    base = dict(prepared.scenarios)[POLICY]
    rows = run_grid(table, prepared.setup, base, grid, jobs=args.jobs, bound=not args.no_bound)
    pick = best(rows, args.metric)
    result: dict[str, Any] = {
        "portfolio": args.portfolio,
        "metric": args.metric,
        "from": table.open_time(0).isoformat(),
        "to": table.close_time(len(table) - 1).isoformat(),
        "rows": [_row_json(row) for row in rows],
        "best": _row_json(pick),
    }
    if after_args is not None:
        later_config, later = load(after_args)
        later_setup = prepare(later_config, args.portfolio, later, compare=False)
        policy = variant(base.policy, pick.values)
        scenario = base.__class__(label_of(pick.values), policy, base.execution, base.breaker)
        after = analyse("holdout", later, later_setup.setup, scenario, bound=not args.no_bound)
        result["holdout"] = {
            "from": later.open_time(0).isoformat(),
            "to": later.close_time(len(later) - 1).isoformat(),
            "figures": after.figures.as_dict(),
            "cost_ratio": after.cost_ratio,
        }
    if args.report:
        _write(Path(args.report), grid, axes, rows, result)
    from rebalancer.backtest.report import finite

    if args.json:
        sys.stdout.write(json.dumps(finite(result), indent=1) + "\n")
    else:
        sys.stdout.write(render(grid, rows, result))
        if args.report:
            print(f"sweep report: {Path(args.report) / 'sweep.json'}", file=sys.stderr)
    return EXIT_OK


def _axes(grid: Grid, text: str | None) -> tuple[str, str] | None:
    keys = grid.keys
    if text is not None:
        chosen = tuple(k.strip() for k in text.split(","))
        if len(chosen) != 2 or any(k not in keys for k in chosen):
            raise InputProblem(
                f"--axes: expected two swept keys (of {', '.join(keys)}), got {text!r}"
            )
        return chosen[0], chosen[1]
    if len(keys) >= 2:
        return keys[0], keys[1]
    return None


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "values": row.values,
        "label": label_of(row.values),
        "figures": row.figures,
        "bound": row.bound,
        "cost_ratio": row.cost_ratio,
        "seconds": round(row.seconds, 3),
    }


COLUMNS = (
    ("total_return", "return", "{:.2%}"),
    ("cagr", "CAGR", "{:.2%}"),
    ("max_drawdown", "max DD", "{:.2%}"),
    ("sharpe", "Sharpe", "{:.2f}"),
    ("cost", "cost", "{:,.0f}"),
    ("rebalances", "rebal.", "{:,}"),
    ("time_outside_bands", "outside", "{:.1%}"),
)


def render(grid: Grid, rows: Sequence[Row], result: dict[str, Any]) -> str:
    """The grid as a text table, the pick, and the holdout."""
    width = max(len(label_of(row.values)) for row in rows)
    header = f"{'variant':<{width}}" + "".join(f"{title:>10}" for _, title, _ in COLUMNS)
    lines = [
        f"{result['portfolio']}: {result['from'][:10]} to {result['to'][:10]}, "
        f"{len(rows)} variants",
        header + f"{'cost/bound':>11}",
    ]
    for row in rows:
        cells = "".join(f"{_format(row.figures.get(key), spec):>10}" for key, _, spec in COLUMNS)
        ratio = _format(row.cost_ratio, "{:.2f}")
        lines.append(f"{label_of(row.values):<{width}}{cells}{ratio:>11}")
    lines.append(f"best by {result['metric']}: {result['best']['label']}")
    holdout = result.get("holdout")
    if holdout is not None:
        figures = holdout["figures"]
        lines.append(
            f"after {holdout['from'][:10]} (holdout): return {figures['total_return']:.2%}, "
            f"CAGR {figures['cagr']:.2%}, max drawdown {figures['max_drawdown']:.2%}, "
            f"cost {figures['cost']:,.2f}, cost/bound {_format(holdout['cost_ratio'], '{:.2f}')}"
        )
    del grid
    return "\n".join(lines) + "\n"


def _format(value: object, spec: str) -> str:
    return spec.format(value) if isinstance(value, (int, float)) else "n/a"


def _write(
    directory: Path,
    grid: Grid,
    axes: tuple[str, str] | None,
    rows: Sequence[Row],
    result: dict[str, Any],
) -> None:
    from rebalancer.backtest.charts import heatmap
    from rebalancer.backtest.report import finite

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sweep.json").write_text(json.dumps(finite(result), indent=1) + "\n")
    with (directory / "sweep.csv").open("w", newline="", encoding="utf-8") as handle:
        fields = [*grid.keys, *(key for key, _, _ in COLUMNS), "cost_ratio"]
        writer = csv.writer(handle)
        writer.writerow(fields)
        for row in rows:
            writer.writerow(
                [*row.values.values(), *(row.figures.get(k) for k, _, _ in COLUMNS), row.cost_ratio]
            )
    if axes is None:
        return
    first, second = axes
    values = dict(grid.axes)
    for metric, title, percent in (
        ("net_return", "net return", True),
        ("cost_ratio", "cost / clairvoyant bound", False),
    ):
        cells: dict[tuple[str, str], float | None] = {}
        for a in values[first]:
            for b in values[second]:
                matching = [r for r in rows if r.values[first] == a and r.values[second] == b]
                scores = [v for r in matching if (v := r.metric(metric)) is not None]
                _, bigger = METRICS[metric]
                cells[(a, b)] = (max(scores) if bigger else min(scores)) if scores else None
        others = [k for k in grid.keys if k not in axes]
        note = f" (best over {', '.join(others)})" if others else ""
        heatmap(
            cells,
            list(values[first]),
            list(values[second]),
            title=f"{title}{note}",
            row_label=first,
            column_label=second,
            percent=percent,
            path=directory / f"heatmap_{metric}.png",
        )
