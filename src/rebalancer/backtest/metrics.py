"""The report's figures, every one recomputed from the ledger (fills) and the bars' prices.

* value: final value, total return, CAGR, annualised volatility and Sharpe ratio of the bar
  returns (no risk-free rate), maximum drawdown;
* trading: one-way turnover per year, fees, spread crossed and transfer fees, rebalances;
* discipline: the share of bars ending outside the bands, and the mean and largest drift (the
  largest |weight - target| of any asset at a bar, in percentage points).

Buying the portfolio at the first bar costs fees and spread like any trade; those are reported
apart ("initial"), and turnover and the rebalancing cost leave them out, so a policy is judged
on what keeping it costs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from rebalancer.backtest.ledger import Ledger, final_value_exact
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.results import ReplayResult
from rebalancer.domain.policy import BandType, Policy

Matrix = npt.NDArray[np.float64]
SECONDS_PER_YEAR = 365.25 * 86400


@dataclass(frozen=True, slots=True)
class Figures:
    """One replay's figures (money in the quote asset, rates as fractions)."""

    start_value: float
    final_value: float
    final_value_exact: str
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    max_drawdown: float
    turnover: float  # one-way, per year, as a fraction of the mean value
    fees: float
    spread: float
    transfer_fees: float
    cost: float  # fees + spread + transfer fees of rebalancing
    initial_cost: float  # fees and spread of buying the portfolio at the start
    rebalances: int  # bars at which a run traded (not counting the first purchase)
    runs: int
    time_outside_bands: float | None  # share of bars ending outside a band (None: no bands)
    mean_drift: float  # percentage points
    max_drift: float
    years: float

    def as_dict(self) -> dict[str, object]:
        """The figures as a plain mapping (result.json)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Series:
    """The per-bar series the charts draw."""

    value: npt.NDArray[np.float64]
    weights: Matrix  # percent
    targets: Matrix  # percent
    lower: Matrix  # band edges, percent
    upper: Matrix
    drift: npt.NDArray[np.float64]  # the largest |weight - target| per bar, pp
    cumulative_cost: npt.NDArray[np.float64]


def target_matrix(
    ledger: Ledger, table: PriceTable, targets: tuple[tuple[int, Mapping[str, Decimal]], ...]
) -> Matrix:
    """Each bar's target weights (percent), following listings and delistings."""
    out = np.zeros((len(table), len(ledger.assets)))
    for number, (start, weights) in enumerate(targets):
        stop = targets[number + 1][0] if number + 1 < len(targets) else len(table)
        for column, asset in enumerate(ledger.assets):
            out[start:stop, column] = float(weights.get(asset, 0))
    return out


def band_edges(policy: Policy, ledger: Ledger, targets: Matrix) -> tuple[Matrix, Matrix] | None:
    """Lower and upper band edges per bar and asset (percent), clamped to 0..100; None: none."""
    band = policy.drift_band
    if band is None:
        return None
    widths = np.array([float(band.percent_for(asset)) for asset in ledger.assets])
    if band.type is BandType.RELATIVE:
        half = targets * widths / 100
    else:
        half = np.broadcast_to(widths, targets.shape)
    return np.clip(targets - half, 0, 100), np.clip(targets + half, 0, 100)


def series_of(table: PriceTable, result: ReplayResult, ledger: Ledger) -> Series:
    """Value, weights, targets, bands, drift and cumulative cost per bar."""
    values = ledger.values
    total = values.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(total[:, None] > 0, values * 100 / total[:, None], 0.0)
    targets = target_matrix(ledger, table, result.targets)
    edges = band_edges(result.configured, ledger, targets)
    lower, upper = edges if edges is not None else (targets, targets)
    drift = np.abs(weights - targets).max(axis=1) if len(ledger.assets) else np.zeros(len(table))
    per_bar = np.zeros(len(table))
    for costed in ledger.fills:
        if not costed.initial:
            per_bar[costed.fill.bar] += costed.cost
    per_bar += ledger.transfer_costs
    return Series(total, weights, targets, lower, upper, drift, np.cumsum(per_bar))


def figures(table: PriceTable, result: ReplayResult, ledger: Ledger, series: Series) -> Figures:
    """Every figure of one replay (see the module doc)."""
    value = series.value
    start = float(result.start_value)
    final = float(value[-1])
    years = max(table.years, 1e-9)
    returns = value[1:] / value[:-1] - 1 if len(value) > 1 else np.zeros(0)
    per_year = SECONDS_PER_YEAR / table.step_s
    deviation = float(returns.std(ddof=1)) if len(returns) > 1 else 0.0
    mean = float(returns.mean()) if len(returns) else 0.0
    peaks = np.maximum.accumulate(value)
    rebalancing = [c for c in ledger.fills if not c.initial]
    traded = sum(c.notional for c in rebalancing)
    fees = sum(c.fee_value for c in rebalancing)
    spread = sum(c.spread_value for c in rebalancing)
    transfer_fees = float(ledger.transfer_costs.sum())
    outside = None
    if result.configured.drift_band is not None:
        tolerance = 1e-9
        low, high = series.lower - tolerance, series.upper + tolerance
        out = (series.weights < low) | (series.weights > high)
        outside = float(out.any(axis=1).mean())
    runs = [r for r in result.runs if r.id != result.initial_run]
    return Figures(
        start_value=start,
        final_value=final,
        final_value_exact=str(final_value_exact(ledger, result.final_prices)),
        total_return=final / start - 1,
        cagr=(final / start) ** (1 / years) - 1 if final > 0 else -1.0,
        volatility=deviation * math.sqrt(per_year),
        sharpe=mean / deviation * math.sqrt(per_year) if deviation > 0 else 0.0,
        max_drawdown=float((1 - value / peaks).max()) if len(value) else 0.0,
        turnover=traded / 2 / float(value.mean()) / years if value.mean() > 0 else 0.0,
        fees=fees,
        spread=spread,
        transfer_fees=transfer_fees,
        cost=fees + spread + transfer_fees,
        initial_cost=sum(c.cost for c in ledger.fills if c.initial),
        rebalances=len({r.bar for r in runs if r.orders > 0}),
        runs=len(runs),
        time_outside_bands=outside,
        mean_drift=float(series.drift.mean()),
        max_drift=float(series.drift.max()),
        years=table.years,
    )
