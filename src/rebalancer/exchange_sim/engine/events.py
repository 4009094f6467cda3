"""Events the engine emits so protocol front-ends can push them on websockets.

A listener is any callable taking one event. It is called synchronously, inside the engine call
that caused the event, in the order things happened; it must not call back into the engine
(queue the event and push it from your own task). Events carry copies taken at the moment, so
later changes to an order do not alter an event already emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.exchange_sim.engine.orders import Execution, Order, Trade


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order was accepted, traded, cancelled or expired (``execution`` says which)."""

    venue: str
    account: str
    order: Order
    execution: Execution
    trade: Trade | None
    time_ms: int


@dataclass(frozen=True, slots=True)
class BalancesChanged:
    """The listed assets' balances of an account changed; ``balances`` is asset → (free, locked)."""

    venue: str
    account: str
    balances: dict[str, tuple[Decimal, Decimal]]
    time_ms: int


@dataclass(frozen=True, slots=True)
class BalanceAdjusted:
    """A deposit arrived (positive ``delta``) or a withdrawal left (negative)."""

    venue: str
    account: str
    asset: str
    delta: Decimal
    reason: str
    time_ms: int


@dataclass(frozen=True, slots=True)
class PricesMoved:
    """The mids of these markets on this venue moved (books were rebuilt)."""

    venue: str
    symbols: tuple[str, ...]
    time_ms: int


Event = OrderUpdated | BalancesChanged | BalanceAdjusted | PricesMoved
Listener = Callable[[Event], None]
