"""What the portfolio held at every bar, rebuilt from the fills alone.

Nothing is carried along on the side while the replay runs: holdings start as the start value in
cash and change only by fills (the asset bought or sold, its quote, the fee in the asset it was
charged in), withdrawal fees (what a transfer between venues loses on the way) and the owner's
cash flows. Every figure of the report is computed from this ledger and the bars' prices.

The final holdings are also summed exactly (Decimals), so they can be checked against the
engine's own balances: what the venues hold plus what is on its way between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from rebalancer.backtest.prices import PriceTable
from rebalancer.backtest.results import Fill, ReplayResult
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CostedFill:
    """A fill with what it cost against the bar's mid: the fee and the half-spread crossed."""

    fill: Fill
    asset: str
    mid: float
    notional: float  # amount x mid
    fee_value: float
    spread_value: float
    initial: bool  # part of buying the portfolio at the start

    @property
    def cost(self) -> float:
        """Fee and spread together, in the quote asset."""
        return self.fee_value + self.spread_value


@dataclass(frozen=True, slots=True)
class Ledger:
    """Holdings per bar (rows) and asset (columns), their prices, and every costed fill."""

    assets: tuple[str, ...]
    units: Matrix  # after each bar's trading
    prices: Matrix  # each bar's close, carried over gaps and after a delisting
    fills: tuple[CostedFill, ...]
    transfer_costs: Matrix  # per bar, what withdrawals between venues lost (quote value)
    final_units: Mapping[str, Decimal]  # exact

    @property
    def values(self) -> Matrix:
        """Each asset's value per bar."""
        return np.nan_to_num(self.units * self.prices)

    @property
    def total(self) -> npt.NDArray[np.float64]:
        """The portfolio's value per bar."""
        total: npt.NDArray[np.float64] = self.values.sum(axis=1)
        return total


def build_ledger(table: PriceTable, result: ReplayResult) -> Ledger:
    """Rebuild the holdings of ``result`` bar by bar from its fills over ``table``'s prices."""
    quote = result.configured.quote
    traded = {f.symbol.partition("/")[0] for f in result.fills}
    assets = tuple(sorted(set(result.configured.weights) | traded | {quote}))
    column = {asset: index for index, asset in enumerate(assets)}
    bars = len(table)
    prices = np.ones((bars, len(assets)))
    for asset in assets:
        if asset != quote:
            carried = table.assets[asset].carried() if asset in table.assets else None
            prices[:, column[asset]] = carried if carried is not None else np.nan
    changes = np.zeros((bars, len(assets)))
    exact: dict[str, Decimal] = {quote: result.start_value}
    changes[0, column[quote]] += float(result.start_value)
    costed: list[CostedFill] = []
    initial = result.initial_run
    for fill in result.fills:
        base, _, fill_quote = fill.symbol.partition("/")
        for asset, delta in _fill_deltas(fill, base, fill_quote).items():
            exact[asset] = exact.get(asset, ZERO) + delta
            changes[fill.bar, column[asset]] += float(delta)
        costed.append(_cost(fill, base, float(prices[fill.bar, column[base]]), initial))
    transfer_costs = np.zeros(bars)
    for fee in result.transfer_fees:
        exact[fee.asset] = exact.get(fee.asset, ZERO) - fee.fee
        changes[fee.bar, column[fee.asset]] -= float(fee.fee)
        transfer_costs[fee.bar] += float(fee.fee) * float(prices[fee.bar, column[fee.asset]])
    for bar, asset, amount in result.flows:
        exact[asset] = exact.get(asset, ZERO) + amount
        changes[bar, column[asset]] += float(amount)
    return Ledger(
        assets=assets,
        units=np.cumsum(changes, axis=0),
        prices=prices,
        fills=tuple(costed),
        transfer_costs=transfer_costs,
        final_units=exact,
    )


def _fill_deltas(fill: Fill, base: str, quote: str) -> dict[str, Decimal]:
    """How one fill changed the account: base and quote, the fee in the asset it was paid in."""
    cost = fill.amount * fill.price
    if fill.side is OrderSide.BUY:
        deltas = {base: fill.amount, quote: -cost}
    else:
        deltas = {base: -fill.amount, quote: cost}
    deltas[fill.fee_asset] = deltas.get(fill.fee_asset, ZERO) - fill.fee
    return deltas


def _cost(fill: Fill, base: str, mid: float, initial: str | None) -> CostedFill:
    price, amount = float(fill.price), float(fill.amount)
    fee = float(fill.fee)
    fee_value = fee * mid if fill.fee_asset == base else fee
    return CostedFill(
        fill=fill,
        asset=base,
        mid=mid,
        notional=amount * mid,
        fee_value=fee_value,
        spread_value=abs(price - mid) * amount,
        initial=initial is not None and fill.run_id == initial,
    )


def final_value_exact(ledger: Ledger, prices: Mapping[str, Decimal]) -> Decimal:
    """The last bar's value from the exact holdings and the last prices."""
    return sum(
        (units * prices.get(asset, ZERO) for asset, units in ledger.final_units.items()), ZERO
    )


def engine_value(result: ReplayResult) -> Decimal:
    """What the engine's own balances (plus transfers on their way) are worth at the last prices."""
    units: dict[str, Decimal] = {}
    for balances in result.final_balances.values():
        for asset, amount in balances.items():
            units[asset] = units.get(asset, ZERO) + amount
    for asset, amount in result.in_transit.items():
        units[asset] = units.get(asset, ZERO) + amount
    prices = result.final_prices
    return sum((amount * prices.get(asset, ZERO) for asset, amount in units.items()), ZERO)
