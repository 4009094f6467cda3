"""What a person asks of the daemon, in one place for the CLI, the chats and the HTTP API.

Every operator action goes through a function here; none of them talks to the daemon process.
They write to the state database (one transaction each) and the running daemon acts on what
they wrote: it polls for new run requests and approvals (``RequestWatch``) and re-reads pauses
and the breaker on every check. So each works whether or not the daemon runs.

- ``request_run``: ask for one run (``full``, ``invest_cash``, ``withdraw``, ``liquidate``);
  validated before anything is written, stored as a run in state ``NEW``.
- ``cancel_run``: cancel a run that has not started trading (a waiting request, or a run
  waiting for approval).
- ``approve_run`` / ``reject_run``: decide on a run waiting for approval.
- ``pause`` / ``unpause``: a paused portfolio is watched and reported but never traded.
- ``resume_breaker``: re-arm the circuit breaker after a halt.
- ``set_asides_of`` / ``release_set_aside``: list the cash set aside for withdrawals, and give
  one back to the portfolio (``services.set_asides``).

Each takes a ``Desk`` (the Store, the clock, and the ``EventSink`` its typed events go to:
``RunRequested``, ``RunApproved``, ``RunRejected``, ``RunCancelled``, ``PortfolioPaused``,
``PortfolioUnpaused``, ``BreakerResumed``, ``SetAsideReleased``) and typed arguments, returns a
typed result and raises an ``OperationRefused`` subclass whose message is written for the person
who asked (the CLI prints it and exits 2 or 1, the API answers 4xx, a chat replies with it).
Inside the daemon the desk's sink is the daemon's event hub, so every subscriber sees the
action; a command beside the daemon writes the same events to the Store's log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from rebalancer.core.planner import max_investable, max_raisable
from rebalancer.core.valuation import value_portfolio
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import PlanningError, RebalancerError
from rebalancer.domain.events import (
    BreakerResumed as BreakerResumedEvent,
)
from rebalancer.domain.events import (
    PortfolioPaused,
    PortfolioUnpaused,
    RunApproved,
    RunCancelled,
    RunRejected,
    RunRequested,
)
from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RecordNotFound, RunRecord
from rebalancer.domain.requests import Inflow, PauseRecord, RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.set_asides import publish_release

log = logging.getLogger(__name__)

AMOUNT_TYPES = frozenset({RunType.WITHDRAW, RunType.INVEST_CASH})
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Desk:
    """What every operator action needs: the Store, the clock, and where its events go."""

    store: Store
    clock: Clock
    events: EventSink

    @classmethod
    def of(cls, store: Store, clock: Clock, events: EventSink | None = None) -> Desk:
        """A desk on ``store``; without a sink, events go to the Store's log only."""
        return cls(store, clock, events or EventHub(store))


class OperationRefused(RebalancerError):
    """What was asked cannot be done; the message says why, for the person who asked."""


class UnknownPortfolio(OperationRefused):
    """No portfolio of that name is configured."""


class InvalidRequest(OperationRefused):
    """A run request that cannot mean anything (a negative amount, a venue not in the
    portfolio, a withdraw without an amount); the message names the field."""


class AmountTooLarge(InvalidRequest):
    """More than the holdings can meet; ``possible`` is the most that can be had."""

    def __init__(self, message: str, possible: Decimal) -> None:
        super().__init__(message)
        self.possible = possible


class RunNotFound(OperationRefused):
    """No run (or request) with that id."""


class SetAsideNotFound(OperationRefused):
    """No set-aside with that id in that portfolio."""


class AlreadyReleased(OperationRefused):
    """The set-aside was released already (withdrawn, by hand or expired); ``item`` is it, and
    the message says how, when and by whom, so a second release is answered plainly."""

    def __init__(self, item: SetAside) -> None:
        cause = item.release_cause or ReleaseCause.RELEASED
        by = ""
        if cause is ReleaseCause.RELEASED and item.released_by:
            by = f" by {item.released_by}"
        at = f" at {item.released_at:%Y-%m-%d %H:%M:%S UTC}" if item.released_at else ""
        super().__init__(f"set-aside {item.id} is no longer held: already {cause.value}{by}{at}")
        self.item = item


class WrongRunState(OperationRefused):
    """The run is not in a state that allows this (e.g. approving a run that is not waiting)."""

    def __init__(self, message: str, run: RunRecord) -> None:
        super().__init__(message)
        self.run = run


@dataclass(frozen=True, slots=True)
class RequestAccepted:
    """A stored run request: the run it is (state NEW) and notes for the person who asked."""

    run: RunRecord
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BreakerResumed:
    """A resume: the state before (ACTIVE when there was nothing to resume) and after."""

    before: BreakerState
    after: BreakerState

    @property
    def changed(self) -> bool:
        """False when the breaker was already ACTIVE."""
        return self.before is not self.after


# -- run requests ---------------------------------------------------------------------------


def policy_of(policies: Mapping[str, Policy], portfolio: str) -> Policy:
    """The named portfolio's policy, or ``UnknownPortfolio`` listing the known ones."""
    policy = policies.get(portfolio)
    if policy is None:
        known = ", ".join(sorted(policies)) or "none"
        raise UnknownPortfolio(f"portfolio: no portfolio named {portfolio!r} (known: {known})")
    return policy


def check_request(
    policies: Mapping[str, Policy], request: RunRequest, snapshot: Snapshot | None = None
) -> Policy:
    """Refuse a request that cannot be carried out, naming the field; return its policy.

    Without a snapshot only the request's own sense is checked; with one, a withdraw must not
    ask for more than the holdings can raise and an invest_cash not for more than the cash it
    may spend, unless ``partial`` (then the run raises or spends the most it can).
    """
    policy = policy_of(policies, request.portfolio)
    kind, amount = request.run_type, request.amount
    if amount is not None:
        if not amount.is_finite() or amount <= 0:
            shown = format_decimal(amount) if amount.is_finite() else str(amount)
            raise InvalidRequest(
                f"amount: must be a positive amount of {policy.quote}, got {shown}"
            )
        if kind not in AMOUNT_TYPES:
            raise InvalidRequest(f"amount: a {kind.value} run takes no amount")
    if kind is RunType.WITHDRAW and amount is None:
        raise InvalidRequest(f"amount: a withdraw needs the amount of {policy.quote} to raise")
    if request.venue is not None:
        if kind is not RunType.WITHDRAW:
            raise InvalidRequest(f"venue: only a withdraw raises its cash at a venue, not {kind}")
        if request.venue not in policy.venues:
            venues = ", ".join(policy.venues)
            raise InvalidRequest(
                f"venue: {request.venue!r} is not one of {policy.name}'s ({venues})"
            )
    if request.partial and kind not in AMOUNT_TYPES:
        raise InvalidRequest(f"partial: only a withdraw or an invest_cash may do less, not {kind}")
    if snapshot is not None and amount is not None:
        _check_amount(policy, request, amount, snapshot)
    return policy


def can_raise(policy: Policy, request: RunRequest, snapshot: Snapshot) -> Decimal:
    """The most quote cash a withdraw can leave free to pay out (at its venue, or anywhere):
    the planner's own figure, every position sold that a venue accepts, fees and transfers
    paid, the reserves kept."""
    return max_raisable(snapshot, policy, request.venue)


def can_spend(policy: Policy, snapshot: Snapshot) -> Decimal:
    """The most an invest_cash run can spend: the cash held on the venues less the reserves."""
    return max_investable(snapshot, policy)


def cash_held(policy: Policy, snapshot: Snapshot) -> Decimal:
    """The portfolio's quote cash, on its venues and in transit to them."""
    valuation = value_portfolio(snapshot, policy.quote, policy.venues, (policy.quote,))
    return valuation.units[policy.quote]


def _check_amount(policy: Policy, request: RunRequest, amount: Decimal, snapshot: Snapshot) -> None:
    """Refuse an amount the holdings cannot meet, saying how much they can (not ``partial``)."""
    if request.partial:
        return
    quote, taken = policy.quote, snapshot.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    spendable = can_spend(policy, snapshot)
    if request.run_type is RunType.WITHDRAW and amount > spendable:  # more than the cash: sell
        try:
            possible = can_raise(policy, request, snapshot)
        except PlanningError as error:  # the daemon's own planning says so when it takes it
            log.warning("%s: how much can be raised is unknown: %s", policy.name, error)
            return
        if amount > possible:
            most = format_decimal(possible.quantize(CENT, ROUND_DOWN))
            where = f" on {request.venue}" if request.venue else ""
            raise AmountTooLarge(
                f"amount: {format_decimal(amount)} {quote} is more than {policy.name} can "
                f"raise{where}: at most {most} {quote} (valued at {taken}); ask for less, or "
                "add --partial to raise the most possible",
                possible,
            )
    if request.run_type is RunType.INVEST_CASH and amount > spendable:
        most = format_decimal(spendable.quantize(CENT, ROUND_DOWN))
        raise AmountTooLarge(
            f"amount: {format_decimal(amount)} {quote} is more than the {most} {quote} of cash "
            f"{policy.name} may spend (held less reserves, at {taken}); ask for less, or add "
            "--partial to spend the most possible",
            spendable,
        )


async def request_run(
    desk: Desk,
    policies: Mapping[str, Policy],
    request: RunRequest,
    *,
    by: str,
    snapshot: Snapshot | None = None,
    trigger: Trigger = Trigger.MANUAL,
    key: str | None = None,
    inflows: Sequence[Inflow] = (),
) -> RequestAccepted:
    """Check ``request`` (against ``snapshot``'s holdings when given) and store it as a NEW run.

    Nothing is written when it is refused. The running daemon takes it within a second; a
    stopped daemon takes it when it starts. The daemon's own requests pass ``trigger``
    (``deposit``, ``schedule``), a ``key`` that makes them once only, and the ``inflows`` (the
    deposits) an invest_cash run is for; a second request under the same key, or for a deposit
    already being invested, raises ``DuplicateRecord`` and writes nothing.
    """
    check_request(policies, request, snapshot)
    run = await desk.store.create_requested_run(
        request, trigger, by, key=key, inflows=inflows, at=desk.clock.now()
    )
    await desk.events.publish(
        RunRequested(
            at=run.created_at,
            portfolio=run.portfolio,
            run_id=run.id,
            by=by,
            run_type=request.run_type,
            amount=request.amount,
            venue=request.venue,
            partial=request.partial,
        )
    )
    log.info("run %s requested by %s: %s", run.id, by, describe_request(request))
    return RequestAccepted(run, tuple(await _waiting_notes(desk.store, run)))


async def _waiting_notes(store: Store, run: RunRecord) -> list[str]:
    """What the request will wait for, said plainly."""
    notes: list[str] = []
    pause = await store.get_pause(run.portfolio)
    if pause is not None and pause.paused:
        notes.append(f"{run.portfolio} is paused ({pause.reason}): it runs once unpaused")
    for other in await store.runs_in_flight():
        if other.portfolio == run.portfolio and other.id != run.id:
            notes.append(f"it runs after run {other.id} ({other.status.value})")
            break
    return notes


def describe_request(request: RunRequest) -> str:
    """``withdraw 5000 at binance (partial)`` and the like."""
    words = [request.run_type.value]
    if request.amount is not None:
        words.append(format_decimal(request.amount))
    if request.venue is not None:
        words.append(f"at {request.venue}")
    if request.partial:
        words.append("(partial)")
    return " ".join(words)


async def cancel_run(desk: Desk, run_id: str, *, by: str, reason: str = "") -> RunRecord:
    """Cancel a run that has not started trading: a waiting request, or one awaiting approval."""
    run = await _run(desk.store, run_id)
    why = f"cancelled by {by}" + (f": {reason}" if reason else "")
    if run.status is RunStatus.AWAITING_APPROVAL:
        event = RunCancelled(
            at=desk.clock.now(), portfolio=run.portfolio, run_id=run.id, by=by, reason=reason
        )
        return await _end_waiting(desk, run, event, why)
    if run.status is RunStatus.NEW and await desk.store.get_request(run.id) is not None:
        cancelled = await desk.store.cancel_request(run.id, why, at=desk.clock.now())
        if cancelled is not None:
            await desk.events.publish(
                RunCancelled(
                    at=cancelled.updated_at,
                    portfolio=run.portfolio,
                    run_id=run.id,
                    by=by,
                    reason=reason,
                )
            )
            log.info("run %s %s before it started", run.id, why)
            return cancelled
        run = await _run(desk.store, run_id)
        if run.status.is_terminal:
            raise WrongRunState(f"run {run.id} has already ended: {run.status.value}", run)
        raise WrongRunState(f"run {run.id} has already been taken by the daemon", run)
    if run.status.is_terminal:
        raise WrongRunState(f"run {run.id} has already ended: {run.status.value}", run)
    raise WrongRunState(
        f"run {run.id} is {run.status.value}: only a run not yet trading can be cancelled", run
    )


# -- approval -------------------------------------------------------------------------------


async def approve_run(desk: Desk, run_id: str, *, by: str) -> RunRecord:
    """Approve a run waiting for approval; the daemon plans it afresh and carries it out."""
    run = await _awaiting(desk.store, run_id)
    await desk.events.publish(
        RunApproved(at=desk.clock.now(), portfolio=run.portfolio, run_id=run.id, by=by)
    )
    log.info("run %s approved by %s", run.id, by)
    return run


async def reject_run(desk: Desk, run_id: str, *, by: str, reason: str = "") -> RunRecord:
    """Reject a run waiting for approval: it is cancelled and never trades."""
    run = await _awaiting(desk.store, run_id)
    event = RunRejected(
        at=desk.clock.now(), portfolio=run.portfolio, run_id=run.id, by=by, reason=reason
    )
    return await _end_waiting(
        desk, run, event, f"rejected by {by}" + (f": {reason}" if reason else "")
    )


async def _awaiting(store: Store, run_id: str) -> RunRecord:
    run = await _run(store, run_id)
    if run.status is not RunStatus.AWAITING_APPROVAL:
        raise WrongRunState(f"run {run.id} is {run.status.value}, not AWAITING_APPROVAL", run)
    return run


async def _end_waiting(
    desk: Desk, run: RunRecord, event: RunCancelled | RunRejected, why: str
) -> RunRecord:
    ended = await desk.store.set_run_status(run.id, RunStatus.CANCELLED, why, at=event.at)
    await desk.events.publish(event)
    log.info("run %s %s", run.id, why)
    return ended


async def _run(store: Store, run_id: str) -> RunRecord:
    try:
        return await store.get_run(run_id)
    except RecordNotFound:
        raise RunNotFound(f"no run {run_id}") from None


# -- pause and the breaker ------------------------------------------------------------------


async def pause(
    desk: Desk, policies: Mapping[str, Policy], portfolio: str, *, by: str, reason: str
) -> PauseRecord:
    """Pause a portfolio: still watched and reported, never traded, until unpaused."""
    policy_of(policies, portfolio)
    if not reason.strip():
        raise InvalidRequest("reason: say why the portfolio is paused")
    record = await desk.store.set_pause(portfolio, True, by, reason, at=desk.clock.now())
    await desk.events.publish(
        PortfolioPaused(at=record.at, portfolio=portfolio, by=by, reason=reason)
    )
    log.warning("portfolio %s paused by %s: %s", portfolio, by, reason)
    return record


async def unpause(
    desk: Desk, policies: Mapping[str, Policy], portfolio: str, *, by: str, reason: str = ""
) -> PauseRecord:
    """Let a paused portfolio trade again (from its next check)."""
    policy_of(policies, portfolio)
    record = await desk.store.set_pause(portfolio, False, by, reason, at=desk.clock.now())
    await desk.events.publish(PortfolioUnpaused(at=record.at, portfolio=portfolio, by=by))
    log.warning("portfolio %s unpaused by %s", portfolio, by)
    return record


async def paused(store: Store, portfolio: str) -> PauseRecord | None:
    """The portfolio's pause when it is paused (None: it may trade)."""
    record = await store.get_pause(portfolio)
    return record if record is not None and record.paused else None


async def resume_breaker(desk: Desk, *, by: str, reason: str) -> BreakerResumed:
    """Re-arm the circuit breaker (audited: who, why, from which state).

    A breaker already ACTIVE is left alone (``BreakerResumed.changed`` is False).
    """
    if not reason.strip():
        raise InvalidRequest("reason: say why trading may go on")
    keeper = BreakerKeeper(desk.store, desk.clock, events=desk.events)
    await keeper.load()
    before = keeper.state
    if before is BreakerState.ACTIVE:
        return BreakerResumed(before, before)
    await desk.events.publish(
        BreakerResumedEvent(at=desk.clock.now(), by=by, reason=reason, previous=before)
    )
    await keeper.resume(f"{by}: {reason}")
    return BreakerResumed(before, keeper.state)


# -- set-asides -----------------------------------------------------------------------------


async def set_asides_of(
    desk: Desk, policies: Mapping[str, Policy], portfolio: str, *, every: bool = False
) -> Sequence[SetAside]:
    """The portfolio's set-asides, oldest first: the active ones, or ``every`` one (the newest
    hundred)."""
    policy_of(policies, portfolio)
    return await desk.store.set_asides(portfolio, active_only=not every)


async def release_set_aside(
    desk: Desk,
    policies: Mapping[str, Policy],
    portfolio: str,
    set_aside_id: str,
    *,
    by: str,
    reason: str = "",
) -> SetAside:
    """Give set-aside cash back to the portfolio: it counts as its cash again, and the next run
    may invest it (the withdrawal is off, or was paid from elsewhere)."""
    policy_of(policies, portfolio)
    try:
        item = await desk.store.get_set_aside(set_aside_id)
    except RecordNotFound:
        item = None
    if item is None or item.portfolio != portfolio:
        raise SetAsideNotFound(f"no set-aside {set_aside_id} in {portfolio}")
    released = await desk.store.release_set_aside(
        set_aside_id, ReleaseCause.RELEASED, by=by, reason=reason, at=desk.clock.now()
    )
    if released is None:
        raise AlreadyReleased(await desk.store.get_set_aside(set_aside_id))
    await publish_release(desk.events, released)
    log.info("set-aside %s released by %s", set_aside_id, by)
    return released
