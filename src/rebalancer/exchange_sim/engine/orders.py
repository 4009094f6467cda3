"""Orders and trades as the engine keeps them: the order and trade log tests inspect.

An ``Order`` is mutable while it lives on the book (its filled amount and status change); a
``Trade`` is one fill and never changes. Amounts are in the base asset, ``cost`` in the quote.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO
from rebalancer.domain.orders import OrderType as OrderKind
from rebalancer.domain.orders import TimeInForce

__all__ = ["Execution", "Order", "OrderKind", "OrderState", "TimeInForce", "Trade"]


class OrderState(enum.StrEnum):
    """An order's state, with the names exchanges use (Binance's, lower-cased)."""

    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """True while the order can still fill."""
        return self in (OrderState.NEW, OrderState.PARTIALLY_FILLED)


class Execution(enum.StrEnum):
    """What just happened to an order (Binance's ``executionType``)."""

    NEW = "NEW"
    TRADE = "TRADE"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill of one order: ``amount`` base at ``price``; ``fee`` charged in ``fee_asset``."""

    id: int
    order_id: int
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    maker: bool
    time_ms: int


@dataclass(slots=True)
class Order:
    """One order on one account of one venue.

    ``amount`` is the ordered base quantity (for a market buy by quote it is what the quote
    bought); ``quote_amount`` is set for market buys sized in the quote asset.
    ``locked`` is what the order still holds of ``locked_asset``.
    """

    id: int
    client_order_id: str
    account: str
    symbol: str
    side: OrderSide
    kind: OrderKind
    time_in_force: TimeInForce
    amount: Decimal
    price: Decimal | None
    created_ms: int
    quote_amount: Decimal | None = None
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    state: OrderState = OrderState.NEW
    updated_ms: int = 0
    locked_asset: str = ""
    locked: Decimal = ZERO
    trades: list[Trade] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        """Base amount not yet filled."""
        return self.amount - self.filled

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted fill price, or None before the first fill."""
        return self.cost / self.filled if self.filled else None
