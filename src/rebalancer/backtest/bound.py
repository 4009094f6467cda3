"""The clairvoyant LP bound of one replay (``rebalancer.core.clairvoyant``), from its ledger.

The bands must hold at the bars where the replayed policy ended inside them (so the policy's
own trades are a feasible point, and the bound is never above its cost), on the same prices,
spreads and the cheapest of its venues' fees. A coin cannot be held before it lists, and after a
delisting no more than the dust the policy was left with. The first bar (buying the portfolio)
is the LP's starting point, so it is left out of both costs.

The LP is solved in windows of about ``WINDOW_VARIABLES`` variables (see
``core.clairvoyant.windowed_bound``); a problem of more than ``MAX_CELLS`` bars x assets is not
solved at all (hourly data over years): the report says so instead of waiting minutes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rebalancer.backtest.feed import spread_bps
from rebalancer.backtest.ledger import Ledger
from rebalancer.backtest.metrics import Series
from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.results import ReplayResult
from rebalancer.backtest.spec import BacktestSetup
from rebalancer.core.clairvoyant import Bound, BoundProblem, windowed_bound

MAX_CELLS = 120_000
WINDOW_VARIABLES = 8_000  # HiGHS's time grows faster than linearly with a window's size
SLACK = 1e-7  # the LP's bands are this much wider (fraction of value) than the policy's


def bound_problem(
    table: PriceTable,
    setup: BacktestSetup,
    result: ReplayResult,
    ledger: Ledger,
    series: Series,
) -> BoundProblem:
    """The LP for ``result`` (see the module doc)."""
    quote = result.configured.quote
    columns = [i for i, asset in enumerate(ledger.assets) if asset != quote]
    cash = ledger.assets.index(quote)
    names = [ledger.assets[i] for i in columns]
    prices = ledger.prices[:, columns]
    bars = len(table)
    half = np.zeros((bars, len(names)))
    tradable = np.zeros((bars, len(names)), dtype=bool)
    cap = np.full((bars, len(names)), np.inf)
    for j, asset in enumerate(names):
        bars_of = table.assets.get(asset)
        if bars_of is None or not bars_of.listed_anywhere:
            cap[:, j] = 0.0
            continue
        spreads = spread_bps(setup.spread, bars_of.close, bars_of.high, bars_of.low)
        half[:, j] = _carried(spreads) / 2 / 10_000
        cap[: bars_of.first, j] = 0.0
        end = bars_of.last + 1 if bars_of.delisted else bars
        tradable[bars_of.first : end + 1, j] = True
        if bars_of.delisted and end < bars:
            dust = ledger.units[end:, columns[j]] * prices[end:, j]
            cap[end:, j] = np.maximum(dust, 0.0) * (1 + 1e-9) + 1e-9
    order = [*columns, cash]
    inside = _inside(series, order)
    fee = min(setup.fees[v] for v in result.configured.venues)
    flows = np.zeros(bars)
    for bar, asset, amount in result.flows:
        if asset == quote:
            flows[bar] += float(amount)
    return BoundProblem(
        prices=prices,
        half_spread=half,
        fee=np.full(len(names), float(fee)),
        start_units=ledger.units[0, columns],
        start_cash=float(ledger.units[0, cash]),
        lower=np.clip(series.lower[:, order] / 100 - SLACK, 0, 1),
        upper=np.clip(series.upper[:, order] / 100 + SLACK, 0, 1),
        banded=inside,
        cap=cap,
        tradable=tradable,
        flows=flows,
        totals=series.value,
    )


def _inside(series: Series, order: list[int]) -> npt.NDArray[np.bool_]:
    """Bars (after the first) where every asset ended inside its band."""
    weights = series.weights[:, order]
    within = (weights >= series.lower[:, order]) & (weights <= series.upper[:, order])
    inside: npt.NDArray[np.bool_] = np.asarray(within.all(axis=1), dtype=bool)
    inside[0] = False
    return inside


def _carried(values: np.ndarray) -> np.ndarray:
    """NaNs replaced by the last number before them, leading ones by the first number."""
    valid = ~np.isnan(values)
    if not valid.any():
        return np.zeros(len(values))
    index = np.where(valid, np.arange(len(values)), -1)
    np.maximum.accumulate(index, out=index)
    index[index < 0] = int(np.argmax(valid))
    return values[index]


def too_big(table: PriceTable, ledger: Ledger) -> str | None:
    """Why the bound is not solved for this replay (None: it is)."""
    cells = len(table) * len(ledger.assets)
    if cells <= MAX_CELLS:
        return None
    return (
        f"not computed: {len(table):,} bars x {len(ledger.assets)} assets is more than the LP's "
        f"{MAX_CELLS:,} (try a daily interval)"
    )


def replay_bound(
    table: PriceTable,
    setup: BacktestSetup,
    result: ReplayResult,
    ledger: Ledger,
    series: Series,
) -> Bound:
    """The bound of one replay with bands (see the module doc and ``too_big``)."""
    return windowed_bound(
        bound_problem(table, setup, result, ledger, series), max_variables=WINDOW_VARIABLES
    )
