"""A grid of policy variants, replayed in parallel processes on the same prices and costs.

``--sweep band=1,2,5,10 every=weekly,monthly rebalance_to=band_edge,target`` is the product of
every key's values; each combination is the portfolio's own policy with those keys changed:

* ``band``: the drift band's percent (``none``: no band); ``band_type``: absolute or relative;
* ``every``: the calendar (``none``, weekly, monthly, quarterly, annually), its day kept from
  the policy or Monday / the 1st / 01-01;
* ``rebalance_to``: band_edge or target; ``cooldown_days``: whole days;
* ``min_trade_notional``: the smallest trade, in the quote asset.

Each variant's figures (and its cost against its own clairvoyant bound) make one row; the best
row by a metric is the pick. With a holdout date the pick is made on the bars before it and
replayed on the bars after it, which is what a trader would have got.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from rebalancer.backtest.analysis import Analysis, analyse
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.spec import BacktestSetup, Scenario
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.policy import (
    BandType,
    CalendarEvery,
    CalendarRule,
    DriftBand,
    Policy,
    RebalanceTo,
)

NONE = "none"
KEYS = ("band", "band_type", "every", "rebalance_to", "cooldown_days", "min_trade_notional")
# metric -> (figure it reads, True when bigger is better)
METRICS: dict[str, tuple[str, bool]] = {
    "net_return": ("total_return", True),
    "cagr": ("cagr", True),
    "sharpe": ("sharpe", True),
    "cost": ("cost", False),
    "cost_ratio": ("cost_ratio", False),
    "max_drawdown": ("max_drawdown", False),
}
DEFAULT_DAYS = {
    CalendarEvery.WEEKLY: "Monday",
    CalendarEvery.MONTHLY: "1",
    CalendarEvery.QUARTERLY: "1",
    CalendarEvery.ANNUALLY: "01-01",
}


@dataclass(frozen=True, slots=True)
class Grid:
    """The swept keys, each with its values, in the order given."""

    axes: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The swept keys."""
        return tuple(key for key, _ in self.axes)

    def combinations(self) -> list[dict[str, str]]:
        """Every combination of values, the first key varying slowest."""
        values = [values for _, values in self.axes]
        return [dict(zip(self.keys, combo, strict=True)) for combo in itertools.product(*values)]


def parse_grid(items: Sequence[str]) -> Grid:
    """``["band=1,2", "every=weekly"]`` as a grid; InvalidValue names a bad item."""
    axes: list[tuple[str, tuple[str, ...]]] = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or key not in KEYS:
            raise InvalidValue(
                f"--sweep {item!r}: expected KEY=V1,V2 with KEY one of {', '.join(KEYS)}"
            )
        if key in dict(axes):
            raise InvalidValue(f"--sweep: {key} is given twice")
        values = tuple(v.strip() for v in text.split(",") if v.strip())
        if not values:
            raise InvalidValue(f"--sweep {item!r}: no values")
        axes.append((key, values))
    return Grid(tuple(axes))


def variant(policy: Policy, values: Mapping[str, str]) -> Policy:
    """``policy`` with the swept keys set to ``values``; InvalidValue names a bad value."""
    changed = policy
    band = policy.drift_band
    band_type = band.type if band is not None else BandType.ABSOLUTE
    if "band_type" in values:
        band_type = _choice(BandType, values["band_type"], "band_type")
        if band is not None:
            band = DriftBand(band_type, band.percent, band.per_asset)
    if "band" in values:
        text = values["band"]
        band = None if text == NONE else DriftBand(band_type, _decimal(text, "band"), {})
    changed = replace(changed, drift_band=band)
    if "every" in values:
        text = values["every"]
        if text == NONE:
            changed = replace(changed, calendar=None)
        else:
            every = _choice(CalendarEvery, text, "every")
            current = policy.calendar
            day = (
                current.day
                if current is not None and current.every is every
                else DEFAULT_DAYS[every]
            )
            changed = replace(changed, calendar=CalendarRule(every, day))
    if "rebalance_to" in values:
        changed = replace(
            changed, rebalance_to=_choice(RebalanceTo, values["rebalance_to"], "rebalance_to")
        )
    if "cooldown_days" in values:
        text = values["cooldown_days"]
        if not text.isdigit():
            raise InvalidValue(f"--sweep cooldown_days: expected whole days, got {text!r}")
        changed = replace(changed, cooldown_days=int(text))
    if "min_trade_notional" in values:
        notional = _decimal(values["min_trade_notional"], "min_trade_notional")
        constraints = replace(changed.constraints, min_trade_notional=notional)
        changed = replace(changed, constraints=constraints)
    return changed


def _choice(kind: type[Any], text: str, key: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InvalidValue(f"--sweep {key}: expected one of {choices}, got {text!r}") from None


def _decimal(text: str, key: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise InvalidValue(f"--sweep {key}: expected a number, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise InvalidValue(f"--sweep {key}: expected a positive number, got {text!r}")
    return value


def label_of(values: Mapping[str, str]) -> str:
    """``band=5 every=weekly``."""
    return " ".join(f"{key}={value}" for key, value in values.items())


@dataclass(frozen=True, slots=True)
class Row:
    """One variant's values and figures."""

    values: dict[str, str]
    figures: dict[str, object]
    cost_ratio: float | None
    bound: float | None
    seconds: float

    def metric(self, name: str) -> float | None:
        """The row's value of ``name`` (see ``METRICS``)."""
        field, _ = METRICS[name]
        value = self.cost_ratio if field == "cost_ratio" else self.figures.get(field)
        return float(value) if isinstance(value, (int, float)) else None


def _row(values: dict[str, str], analysis: Analysis) -> Row:
    bound = analysis.bound.cost if analysis.bound is not None else None
    return Row(values, analysis.figures.as_dict(), analysis.cost_ratio, bound, analysis.seconds)


def _one(
    table: PriceTable, setup: BacktestSetup, scenario: Scenario, values: dict[str, str], bound: bool
) -> Row:
    return _row(values, analyse(label_of(values), table, setup, scenario, bound=bound))


def run_grid(
    table: PriceTable,
    setup: BacktestSetup,
    base: Scenario,
    grid: Grid,
    *,
    jobs: int,
    bound: bool = True,
    on_done: Callable[[int], None] | None = None,
) -> list[Row]:
    """Replay every variant of ``base`` (in ``jobs`` processes); rows in grid order."""
    combos = grid.combinations()
    scenarios = [
        replace(base, label=label_of(values), policy=variant(base.policy, values))
        for values in combos
    ]
    if jobs <= 1:
        rows = []
        for number, (values, scenario) in enumerate(zip(combos, scenarios, strict=True)):
            rows.append(_one(table, setup, scenario, values, bound))
            if on_done is not None:
                on_done(number + 1)
        return rows
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [
            pool.submit(_one, table, setup, scenario, values, bound)
            for values, scenario in zip(combos, scenarios, strict=True)
        ]
        rows = []
        for number, future in enumerate(futures):
            rows.append(future.result())
            if on_done is not None:
                on_done(number + 1)
        return rows


def best(rows: Sequence[Row], metric: str) -> Row:
    """The row with the best ``metric`` (rows without a value for it are skipped)."""
    if metric not in METRICS:
        raise InvalidValue(f"--metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    scored = [(row.metric(metric), row) for row in rows]
    usable = [(value, row) for value, row in scored if value is not None]
    if not usable:
        raise InvalidValue(f"--metric {metric}: no variant has a value for it")
    _, bigger = METRICS[metric]
    chosen = (
        max(usable, key=lambda pair: pair[0]) if bigger else min(usable, key=lambda pair: pair[0])
    )
    return chosen[1]
