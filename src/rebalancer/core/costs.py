"""The cost model of a plan, exactly as docs/formats.md prices it.

An order costs what crossing the spread loses against the mid plus the taker fee on its
notional: ``amount × |price − mid| + fee × amount × price``. A transfer costs its fixed fee,
valued at the asset's mid. The planner minimises these costs and reports their sum as the
plan's ``estimated_cost``; benchmarks and tests price plans with the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import PlannedOrder, PlannedTransfer
from rebalancer.domain.quotes import Quote


def order_cost(amount: Decimal, price: Decimal, mid: Decimal, taker_fee: Decimal) -> Decimal:
    """The cost of one order of ``amount`` base filled at ``price`` against ``mid``."""
    return amount * abs(price - mid) + taker_fee * amount * price


def buy_cost_rate(quote: Quote, taker_fee: Decimal) -> Decimal:
    """Cost per unit of base bought, in the quote asset (half-spread plus fee at the ask)."""
    return (quote.ask - quote.mid) + taker_fee * quote.ask


def sell_cost_rate(quote: Quote, taker_fee: Decimal) -> Decimal:
    """Cost per unit of base sold, in the quote asset (half-spread plus fee at the bid)."""
    return (quote.mid - quote.bid) + taker_fee * quote.bid


def transfer_cost(fee: Decimal, asset_mid: Decimal) -> Decimal:
    """A transfer's fixed fee valued in the quote asset."""
    return fee * asset_mid


def plan_cost(
    orders: Iterable[PlannedOrder],
    transfers: Iterable[PlannedTransfer],
    order_terms: Mapping[str, tuple[Decimal, Decimal]],
    transfer_terms: Mapping[str, tuple[Decimal, Decimal]],
) -> Decimal:
    """Sum the cost of a plan's nodes.

    ``order_terms`` maps an order id to (market mid, taker fee); ``transfer_terms`` maps a
    transfer id to (fee in the asset, the asset's mid). Keeping the lookups outside lets callers
    price a plan from any snapshot without this module knowing the snapshot's shape.
    """
    total = ZERO
    for order in orders:
        mid, fee = order_terms[order.id]
        total += order_cost(order.amount, order.price, mid, fee)
    for transfer in transfers:
        fee, mid = transfer_terms[transfer.id]
        total += transfer_cost(fee, mid)
    return total
