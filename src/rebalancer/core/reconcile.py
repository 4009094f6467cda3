"""Reconciliation maths: what balances should be after our fills and transfers, and what is left.

The exchange's balance is the authority. We predict each venue's balances from the balances
before a batch plus every fill and transfer we know of, compare that with what the venue
reports, and call any difference beyond a tolerance a mismatch (which trips the breaker).
Residuals are what an order node did not fill; below the market's minimums they are dust,
reported rather than chased.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.market import Market, OrderSide, Rounding
from rebalancer.domain.money import ZERO, format_decimal
from rebalancer.domain.orders import OrderReport
from rebalancer.domain.runs import RunStatus

Deltas = dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class Fill:
    """An order's fills in total: side, base filled at an average price, fee paid."""

    side: OrderSide
    filled: Decimal
    average_price: Decimal | None
    fee: Decimal | None = None
    fee_asset: str | None = None


def fill_deltas(fill: Fill | OrderReport, base: str, quote: str) -> Deltas:
    """How one order's fills changed the account: base and quote moved, fee paid.

    A fee with no asset named is assumed paid in what the order received (the common spot rule).
    """
    if fill.filled <= 0:
        return {}
    price = fill.average_price
    if price is None and isinstance(fill, OrderReport):
        price = fill.price
    if price is None:
        raise ValueError("an order filled but has neither an average nor a limit price")
    cost = fill.filled * price
    sign = Decimal(1) if fill.side is OrderSide.BUY else Decimal(-1)
    deltas: Deltas = {base: sign * fill.filled, quote: -sign * cost}
    if fill.fee:
        received = base if fill.side is OrderSide.BUY else quote
        fee_asset = fill.fee_asset or received
        deltas[fee_asset] = deltas.get(fee_asset, ZERO) - fill.fee
    return deltas


def withdrawal_deltas(asset: str, amount: Decimal) -> Deltas:
    """A withdrawal of ``amount`` leaves the source (the fee is taken from it)."""
    return {asset: -amount}


def arrival_deltas(asset: str, amount: Decimal, fee: Decimal) -> Deltas:
    """``amount - fee`` arrives at the destination."""
    return {asset: amount - fee}


def apply_deltas(
    balances: Mapping[str, Decimal], deltas: Iterable[Mapping[str, Decimal]]
) -> Deltas:
    """Balances after every delta, in order."""
    result: Deltas = dict(balances)
    for delta in deltas:
        for asset, change in delta.items():
            result[asset] = result.get(asset, ZERO) + change
    return result


@dataclass(frozen=True, slots=True)
class BalanceMismatch:
    """A venue holds a different amount of an asset than our records say it should."""

    venue: str
    asset: str
    expected: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        """actual - expected."""
        return self.actual - self.expected

    def __str__(self) -> str:
        return (
            f"{self.venue} {self.asset}: expected {format_decimal(self.expected)}, "
            f"venue says {format_decimal(self.actual)}"
        )


def compare_balances(
    venue: str,
    expected: Mapping[str, Decimal],
    actual: Mapping[str, Decimal],
    relative_tolerance: Decimal = Decimal("0.001"),
    absolute_tolerance: Decimal = Decimal("0.00000001"),
) -> tuple[BalanceMismatch, ...]:
    """Every asset whose actual balance differs from the expected one beyond the tolerance.

    The tolerance is the larger of ``absolute_tolerance`` and ``relative_tolerance`` × expected,
    so fee rounding on the venue does not raise false alarms.
    """
    mismatches: list[BalanceMismatch] = []
    for asset in sorted(set(expected) | set(actual)):
        want = expected.get(asset, ZERO)
        have = actual.get(asset, ZERO)
        allowed = max(absolute_tolerance, abs(want) * relative_tolerance)
        if abs(have - want) > allowed:
            mismatches.append(BalanceMismatch(venue, asset, want, have))
    return tuple(mismatches)


@dataclass(frozen=True, slots=True)
class NodeResidual:
    """What an order node did not fill; ``dust`` when it is below what the market accepts."""

    node_id: str
    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    dust: bool


def order_residual(
    *,
    node_id: str,
    venue: str,
    market: Market,
    side: OrderSide,
    planned: Decimal,
    filled: Decimal,
    price: Decimal,
) -> NodeResidual | None:
    """The unfilled part of an order node, or None when it filled completely."""
    left = planned - filled
    if left <= 0:
        return None
    tradable = market.round_amount(left, Rounding.DOWN).value
    dust = tradable <= 0 or not market.check_order(tradable, price).ok
    return NodeResidual(node_id, venue, market.symbol, side, left, dust)


def run_status(planned: int, done: int, partial: int) -> RunStatus:
    """A run's final status from its node counts.

    Every node done and nothing partial is FILLED; nothing done at all is FAILED; anything in
    between is PARTIALLY_FILLED. A run with no nodes is FILLED (there was nothing to do).
    """
    if done == planned and partial == 0:
        return RunStatus.FILLED
    if done == 0 and partial == 0:
        return RunStatus.FAILED
    return RunStatus.PARTIALLY_FILLED
