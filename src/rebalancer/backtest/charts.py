"""The report's charts as PNG files (matplotlib, drawn off-screen with the Agg canvas).

* ``value.png``: the portfolio's value against every comparison, rebalances marked;
* ``weights.png``: each asset's weight over time inside its band (one small panel per asset);
* ``drift.png``: the largest distance of any asset from its target, rebalances marked;
* ``costs.png``: fees, spread and transfer fees paid so far, for every scenario.

Only this module imports matplotlib; it uses the object-oriented API (``Figure``), never
``pyplot``, so no global state or display is involved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rebalancer.backtest.analysis import Analysis
from rebalancer.backtest.prices import PriceTable

DPI = 100
POLICY_COLOUR = "#1f5fbf"
COLOURS = ("#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#a6761d")
CHARTS = ("value.png", "weights.png", "drift.png", "costs.png")


def draw_all(table: PriceTable, analyses: Sequence[Analysis], directory: Path) -> list[Path]:
    """Draw every chart into ``directory``; return the files written."""
    when = _dates(table)
    policy = analyses[0]
    return [
        _save(_value(when, analyses), directory / "value.png"),
        _save(_weights(when, policy), directory / "weights.png"),
        _save(_drift(when, policy), directory / "drift.png"),
        _save(_costs(when, analyses), directory / "costs.png"),
    ]


def _dates(table: PriceTable) -> npt.NDArray[np.datetime64]:
    closes: npt.NDArray[np.datetime64] = (table.opens + table.step_s).astype("datetime64[s]")
    return closes


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=DPI)
    return path


def _rebalance_bars(analysis: Analysis) -> list[int]:
    result = analysis.result
    return sorted({r.bar for r in result.runs if r.orders > 0 and r.id != result.initial_run})


def _value(when: npt.NDArray[np.datetime64], analyses: Sequence[Analysis]) -> Figure:
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    axes = figure.add_subplot()
    for number, analysis in enumerate(analyses):
        colour = POLICY_COLOUR if number == 0 else COLOURS[(number - 1) % len(COLOURS)]
        width = 1.8 if number == 0 else 1.0
        axes.plot(when, analysis.series.value, color=colour, lw=width, label=analysis.result.label)
    policy = analyses[0]
    bars = _rebalance_bars(policy)
    if bars:
        axes.scatter(
            when[bars],
            policy.series.value[bars],
            s=9,
            color=POLICY_COLOUR,
            zorder=3,
            label=f"rebalances ({len(bars)})",
        )
    values = np.concatenate([a.series.value for a in analyses])
    positive = values[values > 0]
    if len(positive) and positive.max() / positive.min() > 20:
        axes.set_yscale("log")
    axes.set_title("Portfolio value")
    axes.set_ylabel(policy.result.configured.quote)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    return figure


def _weights(when: npt.NDArray[np.datetime64], analysis: Analysis) -> Figure:
    series = analysis.series
    shown = [
        i
        for i, _ in enumerate(analysis.assets)
        if series.targets[:, i].max() > 0 or series.weights[:, i].max() > 0.5
    ]
    columns = min(4, max(1, len(shown)))
    rows = max(1, math.ceil(len(shown) / columns))
    figure = Figure(figsize=(10, 1.9 * rows + 0.6), layout="constrained")
    figure.suptitle("Weights (%) inside their bands")
    for place, index in enumerate(shown):
        axes = figure.add_subplot(rows, columns, place + 1)
        axes.fill_between(
            when, series.lower[:, index], series.upper[:, index], color="#9ecae1", alpha=0.5, lw=0
        )
        axes.plot(when, series.targets[:, index], color="#555555", lw=0.6)
        axes.plot(when, series.weights[:, index], color=POLICY_COLOUR, lw=0.8)
        axes.set_title(analysis.assets[index], fontsize=8)
        axes.tick_params(labelsize=6)
        axes.grid(alpha=0.25)
    return figure


def _drift(when: npt.NDArray[np.datetime64], analysis: Analysis) -> Figure:
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(when, analysis.series.drift, color=POLICY_COLOUR, lw=0.8, label="largest drift")
    bars = _rebalance_bars(analysis)
    if bars:
        axes.scatter(
            when[bars],
            analysis.series.drift[bars],
            s=9,
            color="#d62728",
            zorder=3,
            label="rebalance",
        )
    axes.set_title("Largest |weight - target| of any asset (percentage points)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    return figure


def _costs(when: npt.NDArray[np.datetime64], analyses: Sequence[Analysis]) -> Figure:
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    axes = figure.add_subplot()
    for number, analysis in enumerate(analyses):
        colour = POLICY_COLOUR if number == 0 else COLOURS[(number - 1) % len(COLOURS)]
        axes.plot(
            when,
            analysis.series.cumulative_cost,
            color=colour,
            lw=1.8 if number == 0 else 1.0,
            label=analysis.result.label,
        )
    axes.set_title("Cumulative fees, spread and transfer fees of rebalancing")
    axes.set_ylabel(analyses[0].result.configured.quote)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    return figure


def heatmap(
    cells: Mapping[tuple[str, str], float | None],
    rows: Sequence[str],
    columns: Sequence[str],
    *,
    title: str,
    row_label: str,
    column_label: str,
    percent: bool,
    path: Path,
) -> Path:
    """A grid of values (``None`` left blank) as a coloured, annotated heatmap PNG."""
    grid = np.full((len(rows), len(columns)), np.nan)
    for (row, column), value in cells.items():
        if value is not None:
            grid[rows.index(row), columns.index(column)] = value * (100 if percent else 1)
    figure = Figure(figsize=(1.3 * len(columns) + 2.5, 0.7 * len(rows) + 1.6), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(grid, cmap="viridis", aspect="auto")
    axes.set_xticks(range(len(columns)), labels=list(columns))
    axes.set_yticks(range(len(rows)), labels=list(rows))
    axes.set_xlabel(column_label)
    axes.set_ylabel(row_label)
    axes.set_title(title, fontsize=10)
    finite = grid[np.isfinite(grid)]
    middle = float(finite.mean()) if len(finite) else 0.0
    for i in range(len(rows)):
        for j in range(len(columns)):
            if np.isfinite(grid[i, j]):
                colour = "white" if grid[i, j] < middle else "black"
                text = f"{grid[i, j]:.1f}{'%' if percent else ''}"
                axes.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
    figure.colorbar(image, ax=axes)
    return _save(figure, path)
