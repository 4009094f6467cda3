"""What a run's orders added up to: the quote value traded and the fees it paid.

Pure sums over order records, shared by the run's ``RunEnded`` event and the ``runs`` command.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from rebalancer.domain.money import ZERO
from rebalancer.domain.records import OrderRecord, TransferRecord


def traded_notional(orders: Sequence[OrderRecord]) -> Decimal:
    """The quote value the orders filled (sum of filled x average price)."""
    return sum((o.filled * o.average_price for o in orders if o.average_price is not None), ZERO)


def order_fee_in_quote(order: OrderRecord) -> Decimal | None:
    """One order's fee in its market's quote asset (None: no fee, or no price to value it).

    A fee charged in the quote asset counts as it is; one charged in the base asset (a buy on
    Binance pays in what it bought) is valued at the order's average price. A fee in a third
    asset (BNB) has no price here.
    """
    base, _, quote = order.symbol.partition("/")
    if order.fee is None or not order.fee_asset:
        return None
    if order.fee_asset == quote:
        return order.fee
    if order.fee_asset == base and order.average_price is not None:
        return order.fee * order.average_price
    return None


def fees_in_quote(orders: Sequence[OrderRecord]) -> Decimal:
    """The orders' fees in the quote asset (``order_fee_in_quote``); third assets left out."""
    return sum((fee for o in orders if (fee := order_fee_in_quote(o)) is not None), ZERO)


def run_fees_in_quote(
    orders: Sequence[OrderRecord],
    transfers: Sequence[TransferRecord],
    quote: str,
    prices: Mapping[str, Decimal],
) -> tuple[Decimal, tuple[str, ...]]:
    """Every fee a run paid (orders and transfers) in ``quote``, and the assets left unvalued.

    An order's fee is valued at its own fill price; any other fee at ``prices`` (asset -> price
    in ``quote``, e.g. the mids of the run's last snapshot).
    """
    total, missing = ZERO, set()
    charged = [(o.fee, o.fee_asset, order_fee_in_quote(o)) for o in orders if o.fee and o.fee_asset]
    charged += [(t.fee, t.asset, None) for t in transfers if t.fee]
    for fee, asset, at_fill in charged:
        value = at_fill if at_fill is not None else _valued(fee, asset, quote, prices)
        if value is None:
            missing.add(asset)
        else:
            total += value
    return total, tuple(sorted(missing))


def _valued(
    amount: Decimal, asset: str, quote: str, prices: Mapping[str, Decimal]
) -> Decimal | None:
    if asset == quote:
        return amount
    price = prices.get(asset)
    return None if price is None else amount * price
