"""What happened, as typed values: the one event stream every subscriber reads.

Every event is a frozen value named in the past tense and carries when it happened (``at``),
the portfolio and the run it belongs to (``None`` for daemon-wide events such as a breaker
transition). Services publish them through the ``EventSink`` port; the Store's event log keeps
them under their class name (``RunTriggered``, ``RoundPlanned`` ...), and alert sinks and the
HTTP API's live stream receive the same values.

``payload()`` is the event's fields as plain JSON values (decimals as exact strings, times as
ISO 8601, enums as their values), the form the log stores and the API sends. A few events are
``critical`` (a HALT, a reconciliation mismatch, a late transfer, a stop that leaves work
parked): they must reach every sink and are never the ones dropped from a full queue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.set_asides import ReleaseCause

_ENVELOPE = ("at", "run_id")


_PLAIN = frozenset({str, int, bool, type(None)})  # already plain JSON (exact types: no enums)


_PAYLOAD_NAMES: dict[type, tuple[str, ...]] = {}


def _payload_names(event: DomainEvent) -> tuple[str, ...]:
    """The fields of an event's class that go in its payload, in order (found once a class)."""
    kind = type(event)
    names = _PAYLOAD_NAMES.get(kind)
    if names is None:
        names = tuple(item.name for item in fields(event) if item.name not in _ENVELOPE)
        _PAYLOAD_NAMES[kind] = names
    return names


def _plain(value: object) -> object:
    """A field's value as JSON: exact decimal strings, ISO times, enum values, lists, dicts."""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened: when, to which portfolio and run (None: daemon-wide)."""

    at: datetime
    portfolio: str | None = None
    run_id: str | None = None

    @property
    def name(self) -> str:
        """The event's name in the log, the API and alerts: its class name (``RunEnded``)."""
        return type(self).__name__

    @property
    def critical(self) -> bool:
        """True when every sink must get it and no queue may drop it."""
        return False

    def payload(self) -> dict[str, object]:
        """Every field but ``at`` and ``run_id`` (the log's own columns), as plain JSON."""
        plain = {}
        for name in _payload_names(self):
            value = getattr(self, name)
            plain[name] = value if type(value) in _PLAIN else _plain(value)
        return plain

    def as_json(self) -> dict[str, object]:
        """The whole event as one JSON object: name, at, portfolio, run_id and its fields."""
        return {"name": self.name, "at": self.at.isoformat(), "run_id": self.run_id} | (
            self.payload()
        )


@dataclass(frozen=True, slots=True)
class Published:
    """An event as the log recorded it; ``id`` rises with every event and never repeats.

    Subscribers receive these. ``id`` is the event's idempotency key (a webhook can send it so
    the receiver drops a repeat) and the position a reconnecting stream resumes after.
    """

    id: int
    event: DomainEvent


# -- runs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RunTriggered(DomainEvent):
    """A run was created because a trigger fired (drift, calendar, a person's request)."""

    run_type: RunType
    trigger: Trigger
    reason: str
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequested(DomainEvent):
    """A one-off run was asked for (by a person, a deposit or a schedule); the running daemon
    takes it within a second, a stopped one when it starts."""

    by: str
    run_type: RunType
    amount: Decimal | None = None
    venue: str | None = None  # withdraw: where the cash is raised (None: any venue)
    partial: bool = False  # withdraw: raise the most possible when the amount cannot be met


@dataclass(frozen=True, slots=True, kw_only=True)
class RunAwaitingApproval(DomainEvent):
    """A run's plan trades more than the approval limit: it waits for a person."""

    round: int
    notional: Decimal
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunApproved(DomainEvent):
    """A person approved a waiting run."""

    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRejected(DomainEvent):
    """A person rejected a waiting run (it ends CANCELLED)."""

    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCancelled(DomainEvent):
    """A person cancelled a run that had not started trading."""

    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundPlanned(DomainEvent):
    """A round of a run was planned and is about to execute (the broker's ``UPDATED``)."""

    round: int
    orders: int
    transfers: int
    notional: Decimal | None = None  # quote value of the round's orders
    estimated_cost: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEnded(DomainEvent):
    """A run reached its final status.

    ``traded`` is the quote value filled; ``cost`` the fees paid, valued in the quote asset
    (fees charged in a third asset are not valued); ``residual`` the largest distance of any
    asset from its target afterwards, in percentage points (None when not measured).
    """

    status: RunStatus
    reason: str
    rounds: int
    traded: Decimal
    cost: Decimal
    residual: Decimal | None = None
    inside_bands: bool | None = None


# -- orders and transfers ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlaced(DomainEvent):
    """A venue acknowledged one of our orders; ``latency_s`` is send to acknowledgement."""

    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    price: Decimal | None  # None: a market order
    client_order_id: str
    node_id: str
    round: int
    latency_s: Decimal  # microsecond resolution


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(DomainEvent):
    """One of our orders ended with a fill (all of it, or part when ``filled < amount``).

    ``slippage_bps`` is how much worse than the planned price it filled (negative: better).
    """

    venue: str
    symbol: str
    side: OrderSide
    amount: Decimal
    filled: Decimal
    average_price: Decimal
    expected_price: Decimal
    slippage_bps: Decimal
    fee: Decimal | None
    fee_asset: str | None
    client_order_id: str
    node_id: str
    round: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFailed(DomainEvent):
    """An order node ended without doing all it was asked, and why."""

    venue: str
    symbol: str
    side: OrderSide
    node_id: str
    round: int
    requested: Decimal
    filled: Decimal
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSent(DomainEvent):
    """A withdrawal left the source venue (the venue accepted it)."""

    transfer_id: str
    asset: str
    network: str
    source: str
    destination: str
    amount: Decimal
    fee: Decimal | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferArrived(DomainEvent):
    """A transfer's deposit was credited at its destination."""

    transfer_id: str
    asset: str
    source: str
    destination: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferLate(DomainEvent):
    """A transfer has not arrived by its deadline (the breaker trips; it is still followed)."""

    transfer_id: str
    asset: str
    source: str
    destination: str
    amount: Decimal
    deadline: datetime | None

    @property
    def critical(self) -> bool:
        """Funds are somewhere between two venues: a person must look."""
        return True


# -- safety -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerTransition(DomainEvent):
    """The circuit breaker changed state (``reason`` is ``resume`` for a person's re-arm)."""

    previous: BreakerState
    state: BreakerState
    reason: str
    detail: str

    @property
    def critical(self) -> bool:
        """A HALT stops all trading until a person resumes it."""
        return self.state is BreakerState.HALTED


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerResumed(DomainEvent):
    """A person asked to re-arm the breaker, and why (the transition follows)."""

    by: str
    reason: str
    previous: BreakerState


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationMismatch(DomainEvent):
    """A venue's balances differ from what the fills and transfers say they should be."""

    detail: str
    venues: tuple[str, ...] = ()

    @property
    def critical(self) -> bool:
        """Something moved money that the daemon cannot account for."""
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueStale(DomainEvent):
    """A venue's live data can no longer be trusted (stale prices or balances, streams down)."""

    venue: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueRecovered(DomainEvent):
    """A venue that was stale is fresh again."""

    venue: str


# -- operators and the daemon -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioPaused(DomainEvent):
    """A person paused a portfolio: still watched and reported, never traded."""

    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioUnpaused(DomainEvent):
    """A person let a paused portfolio trade again."""

    by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAsideRecorded(DomainEvent):
    """A withdraw run left cash free to pay out: it is held out of the portfolio (no run
    spends it) until it leaves the venue, a person releases it, or it expires."""

    set_aside_id: str
    venue: str
    asset: str
    amount: Decimal
    asked: Decimal | None = None  # what the withdraw asked for (more when it raised less)
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAsideReleased(DomainEvent):
    """Set-aside cash stopped being held out: it left the venue (``withdrawn``), a person gave
    it back to the portfolio (``released``), or it expired (``expired``)."""

    set_aside_id: str
    venue: str
    asset: str
    amount: Decimal
    cause: ReleaseCause
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAsideReduced(DomainEvent):
    """Part of a set-aside left its venue (a withdrawal paid out in parts): ``paid`` went,
    ``left`` is still held out of the portfolio."""

    set_aside_id: str
    venue: str
    asset: str
    paid: Decimal
    left: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAsideExpiring(DomainEvent):
    """Set-aside cash not yet withdrawn expires soon: it then counts as the portfolio's cash
    again, and the next run may invest it."""

    set_aside_id: str
    venue: str
    asset: str
    amount: Decimal
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandReceived(DomainEvent):
    """A command arrived from a person (chat, API, CLI): who, through what, and its outcome."""

    by: str
    channel: str
    command: str
    accepted: bool
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigReloaded(DomainEvent):
    """SIGHUP: a new config was validated and swapped in."""

    source: str
    portfolios: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigRefused(DomainEvent):
    """SIGHUP: a new config was refused; the running one stays in force."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonStarted(DomainEvent):
    """The daemon finished start-up and recovery and is checking its portfolios."""

    version: str
    portfolios: tuple[str, ...]
    unreconciled: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DaemonStopping(DomainEvent):
    """The daemon was asked to stop; ``parked`` names runs left for the next start to settle."""

    reason: str
    parked: tuple[str, ...] = ()

    @property
    def critical(self) -> bool:
        """Work is parked: a person should know it waits for a restart."""
        return bool(self.parked)


@dataclass(frozen=True, slots=True, kw_only=True)
class Digest(DomainEvent):
    """The daily summary of one portfolio: value, weights against targets and bands, and the
    runs since the last digest (``since``; None: the first), what they traded and paid in fees
    (quote asset)."""

    quote: str
    value: Decimal
    weights: Mapping[str, Decimal] = field(default_factory=dict)
    targets: Mapping[str, Decimal] = field(default_factory=dict)
    inside_bands: bool = True
    runs: int = 0
    lower: Mapping[str, Decimal] = field(default_factory=dict)
    upper: Mapping[str, Decimal] = field(default_factory=dict)
    since: datetime | None = None
    failed: int = 0  # runs since then that ended FAILED
    traded: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)


def _event_types() -> dict[str, type[DomainEvent]]:
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        for sub in pending.pop().__subclasses__():
            found[sub.__name__] = sub
            pending.append(sub)
    return found


EVENT_TYPES: Mapping[str, type[DomainEvent]] = _event_types()
"""Every event type by name (what the log's ``kind`` column holds)."""
