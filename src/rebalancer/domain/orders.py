"""Orders as the daemon sends them and as exchanges report them back."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.domain.market import OrderSide


class OrderType(enum.StrEnum):
    """Market or limit."""

    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(enum.StrEnum):
    """How long a limit order rests."""

    GTC = "GTC"
    IOC = "IOC"


class OrderStatus(enum.StrEnum):
    """An order's state on the exchange."""

    OPEN = "open"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True when the order can change no more."""
        return self is not OrderStatus.OPEN


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    """A command to place one order, identified by our client order id."""

    client_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None


@dataclass(frozen=True, slots=True)
class OrderReport:
    """What the exchange says about one order."""

    venue: str
    client_order_id: str | None
    exchange_order_id: str
    symbol: str
    side: OrderSide
    type: OrderType
    status: OrderStatus
    amount: Decimal
    filled: Decimal
    average_price: Decimal | None
    fee: Decimal | None = None
    fee_asset: str | None = None
    price: Decimal | None = None
    timestamp_ms: int | None = None

    @property
    def remaining(self) -> Decimal:
        """What is not filled yet."""
        return self.amount - self.filled


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset's balance on a venue: free to trade and locked in open orders."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """free + locked."""
        return self.free + self.locked
