"""What a run's orders added up to: the quote value traded and the fees it paid.

Pure sums over order records, shared by the run's ``RunEnded`` event and the ``runs`` command.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rebalancer.domain.money import ZERO
from rebalancer.domain.records import OrderRecord


def traded_notional(orders: Sequence[OrderRecord]) -> Decimal:
    """The quote value the orders filled (sum of filled x average price)."""
    return sum((o.filled * o.average_price for o in orders if o.average_price is not None), ZERO)


def fees_in_quote(orders: Sequence[OrderRecord]) -> Decimal:
    """The orders' fees valued in the quote asset.

    A fee charged in the quote asset counts as it is; one charged in the base asset (a buy on
    Binance pays in what it bought) is valued at the order's average price. A fee in a third
    asset (BNB) has no price here and is left out.
    """
    total = ZERO
    for order in orders:
        if order.fee is None or not order.fee_asset:
            continue
        base, _, quote = order.symbol.partition("/")
        if order.fee_asset == quote:
            total += order.fee
        elif order.fee_asset == base and order.average_price is not None:
            total += order.fee * order.average_price
    return total
