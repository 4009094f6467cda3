"""What the daemon remembers: runs, order intents, transfers, the breaker and the event log.

These are the values the ``Store`` port (``rebalancer.ports``) reads and writes. They are
deliberately plain: the store adds no behaviour, so a record read back after a crash is exactly
the record that was written (Decimals included).

An order's life as the executor records it::

    PENDING_SUBMIT ──> SUBMITTED ──> OPEN ──> PARTIALLY_FILLED ──> FILLED
          │                │           │              │
          │                └──> UNKNOWN (ambiguous: settle by client order id)
          └──> REJECTED                └──> CANCELED (possibly with a partial fill)

The intent (``PENDING_SUBMIT``) is committed *before* the order is sent, so a crash between
sending and hearing back leaves a row whose client order id can be looked up on the venue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import RebalancerError
from rebalancer.domain.market import OrderSide
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger


class RecordNotFound(RebalancerError, LookupError):
    """A record asked for by id does not exist (the message names the id)."""


class DuplicateRecord(RebalancerError):
    """A record with the same unique key (run id, client order id, transfer id) already exists."""


class OrderIntentState(enum.StrEnum):
    """Where one of our orders stands, as far as the daemon knows."""

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """True when the order can change no more (filled, canceled or rejected)."""
        return self in _TERMINAL_ORDER_STATES


_TERMINAL_ORDER_STATES = frozenset(
    {OrderIntentState.FILLED, OrderIntentState.CANCELED, OrderIntentState.REJECTED}
)


class TransferState(enum.StrEnum):
    """Where one of our inter-venue transfers stands."""

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    CONFIRMED = "CONFIRMED"
    ARRIVED = "ARRIVED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """True when the transfer can change no more (arrived or failed)."""
        return self in (TransferState.ARRIVED, TransferState.FAILED)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One rebalance run of one portfolio.

    ``amount`` is the cash to raise for a ``withdraw`` run, or to spend for an ``invest_cash``
    run (None: the cash above its target). ``venue`` is where a withdraw raises its cash (None:
    any venue); ``partial`` lets a withdraw above what can be raised raise the most it can.
    ``rounds`` counts the rounds saved so far (each with its snapshot and plan); ``reason`` says
    why the run ended or is waiting.
    """

    id: str
    portfolio: str
    run_type: RunType
    trigger: Trigger
    status: RunStatus
    created_at: datetime
    updated_at: datetime
    rounds: int = 0
    amount: Decimal | None = None
    reason: str | None = None
    venue: str | None = None
    partial: bool = False


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """The snapshot and plan (their JSON text, byte for byte) one round of a run was made from."""

    run_id: str
    round: int
    snapshot_json: str
    plan_json: str
    created_at: datetime


class NodeKind(enum.StrEnum):
    """What a plan node does."""

    ORDER = "order"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class PlanNodeRecord:
    """One node of a stored round's plan and the node ids it waits for."""

    run_id: str
    round: int
    node_id: str
    kind: NodeKind
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One order we placed or are about to place, keyed by our client order id.

    ``limit_price`` is None for a market order. ``filled`` and ``average_price`` follow the
    exchange's reports; ``fee`` is in ``fee_asset``. ``reason`` holds a rejection or the cause
    of an UNKNOWN state.
    """

    client_order_id: str
    run_id: str
    node_id: str
    round: int
    attempt: int
    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    state: OrderIntentState
    created_at: datetime
    updated_at: datetime
    limit_price: Decimal | None = None
    exchange_order_id: str | None = None
    filled: Decimal = Decimal(0)
    average_price: Decimal | None = None
    fee: Decimal | None = None
    fee_asset: str | None = None
    reason: str | None = None

    @property
    def notional(self) -> Decimal:
        """What has been traded so far in the quote asset (filled × average price)."""
        if self.average_price is None:
            return Decimal(0)
        return self.filled * self.average_price


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One withdrawal from ``source`` meant to arrive at ``destination``, keyed by our id.

    ``fee`` is in ``asset``; ``deadline`` is when a missing arrival becomes an alert.
    """

    id: str
    run_id: str
    node_id: str
    asset: str
    network: str
    source: str
    destination: str
    amount: Decimal
    state: TransferState
    created_at: datetime
    updated_at: datetime
    fee: Decimal | None = None
    withdrawal_id: str | None = None
    deposit_id: str | None = None
    arrived_at: datetime | None = None
    deadline: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BreakerRecord:
    """The circuit breaker's state since ``at``, and the reasons it was put there."""

    state: BreakerState
    reasons: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the append-only event log. ``id`` increases with every append."""

    id: int
    at: datetime
    kind: str
    payload: Mapping[str, object]
    run_id: str | None = None
