"""One rebalance run from start to end: snapshot, plan, approve, execute, round again.

A run is created ``NEW``; a plan above the approval notional waits in ``AWAITING_APPROVAL``;
otherwise it goes ``PROCESSING`` and executes. After each round a fresh snapshot is taken and
the residual planned; the loop ends when the goal is reached (``goal_reached``: inside the
bands, or within the target tolerance; or the plan is empty), after ``max_rounds``, when the
breaker stops trading, when money is still in transit (the next round would move it twice)
or when the executor is told to stop. Each round is saved (snapshot and
plan JSON) and published as a ``RoundPlanned`` event (the broker's ``UPDATED``). A run that
reached its goal ends ``FILLED`` even if a node failed on the way (its ``OrderFailed`` event
says so); otherwise ``FILLED``, ``PARTIALLY_FILLED`` or ``FAILED`` from what its rounds
achieved (``RunEnded``). A stopped run stays ``PROCESSING`` for recovery to settle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.core.planner import max_investable
from rebalancer.core.reconcile import run_status
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import (
    RoundPlanned,
    RunAwaitingApproval,
    RunEnded,
    RunTriggered,
)
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import ZERO, format_decimal, to_decimal
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy, RebalanceTo
from rebalancer.domain.records import EventRecord, RunRecord
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.event_hub import EventHub
from rebalancer.services.executor import Executor, RoundReport, VenueBook
from rebalancer.services.order_placement import RunBudget
from rebalancer.services.price_gate import PriceGate
from rebalancer.services.round_checks import RoundChecks
from rebalancer.services.run_context import tag_run
from rebalancer.services.run_outcome import fees_in_quote, traded_notional

log = logging.getLogger(__name__)


class Planner(Protocol):
    """Plans one round: ``core.planner.plan_rebalance``'s shape (a withdraw's venue, and
    whether it may raise less than asked)."""

    def __call__(
        self,
        snapshot: Snapshot,
        policy: Policy,
        run_type: RunType,
        amount: Decimal | None,
        /,
        *,
        venue: str | None = None,
        partial: bool = False,
    ) -> Plan: ...


@dataclass(frozen=True, slots=True)
class CycleDeps:
    """What a run needs from outside: fresh snapshots, the planner and the JSON encoders."""

    take_snapshot: Callable[[], Awaitable[Snapshot]]
    planner: Planner
    snapshot_json: Callable[[Snapshot], str]
    plan_json: Callable[[Plan], str]
    prices: PriceGate | None = None  # the portfolio's price-jump check (None: a fresh one)
    # Keep every check's snapshot in the Store as the portfolio's latest, for commands beside
    # the daemon (``request`` values the portfolio with it). A backtest has nobody beside it
    # and checks thousands of bars, so it leaves this off.
    keep_latest: bool = True
    # Plan a triggered run's first round in a worker thread while its event is written (see
    # ``RebalanceCycle._plan_while``). Worth it when the write is a database round trip; a
    # backtest's Store is in memory, so the hand-over to the thread is all it would add.
    plan_aside: bool = True
    # Called with every run that ends here, the policy and the run's last snapshot (a
    # withdraw's cash is set aside then: ``services.set_asides``). None: nothing to do.
    after_run: Callable[[RunRecord, Policy, Snapshot], Awaitable[None]] | None = None


def goal_reached(snapshot: Snapshot, policy: Policy, run_type: RunType) -> str | None:
    """Why a full run has nothing left to chase (its reason), or None while it has.

    Inside every band (when the policy has bands), and, for a run to target or a calendar-only
    policy, every weight within ``target_tolerance_percent`` points of its target: a moving
    market never lets a run reach the exact target. Other run types go on until their plan is
    empty.
    """
    if run_type is not RunType.FULL:
        return None
    report = drift_of_snapshot(snapshot, policy)
    if policy.drift_band is not None and report.any_breached:
        return None
    if policy.rebalance_to is RebalanceTo.BAND_EDGE and policy.drift_band is not None:
        return INSIDE_THE_BANDS
    tolerance = policy.target_tolerance_percent
    if any(abs(item.drift) > tolerance for item in report.assets):
        return None
    return f"{WITHIN} {format_decimal(tolerance)} {POINTS_OF_EVERY_TARGET}"


INSIDE_THE_BANDS = "inside the bands"
WITHIN, POINTS_OF_EVERY_TARGET = "within", "points of every target"


def ended_at_goal(run: RunRecord) -> bool:
    """True when ``run`` ended because its last snapshot met its goal (``goal_reached``).

    Such a run left the portfolio inside every band: a breach seen after it is new.
    """
    reason = run.reason or ""
    if run.status is not RunStatus.FILLED:
        return False
    return reason == INSIDE_THE_BANDS or (
        reason.startswith(WITHIN) and reason.endswith(POINTS_OF_EVERY_TARGET)
    )


AWAITING_APPROVAL_EVENT = RunAwaitingApproval.__name__
# Money still on its way after a round (a withdrawal whose reply was lost, or overdue): the
# next round would plan around it and move it twice, so the run ends; the daemon starts the
# next run once it has arrived.
IN_TRANSIT = "money in transit between venues; the next run goes on once it arrives"
# An approved run is planned again from fresh data before it trades; if that plan would trade
# more than this multiple of what the person approved, it waits for a new approval instead.
APPROVED_NOTIONAL_TOLERANCE = Decimal("1.10")
# After a round whose order emptied the book, the next round waits this long: sent at once it
# would meet the book it just emptied (a market maker needs a moment to quote again), fill
# nothing and use up one of the run's rounds.
BOOK_REFILL_PAUSE_S = 1.0


def plan_notional(plan: Plan) -> Decimal:
    """The quote value of every order in a plan."""
    return sum((order.notional for order in plan.orders), ZERO)


@dataclass(slots=True)
class _Tally:
    """What a run's rounds achieved so far, and why it ended."""

    nodes: int = 0
    complete: int = 0
    partial: int = 0
    reason: str | None = None
    cut_short: bool = False  # stopped before the work was done (guard, breaker, rounds)
    reached: bool = False  # ended because the goal was reached, whatever some nodes did

    def add(self, report: RoundReport) -> None:
        self.nodes += report.nodes
        self.complete += report.complete
        self.partial += report.partial

    def stop(self, reason: str) -> None:
        self.reason, self.cut_short = reason, True

    def done(self, reason: str) -> None:
        self.reason, self.reached = reason, True

    def status(self) -> RunStatus:
        if self.reached and not self.cut_short:
            return RunStatus.FILLED  # a node that failed on the way is in the events
        status = run_status(self.nodes, self.complete, self.partial)
        if not self.cut_short:
            return status
        return RunStatus.FAILED if self.complete + self.partial == 0 else RunStatus.PARTIALLY_FILLED


class RebalanceCycle:
    """Carries out runs of one portfolio."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        executor: Executor,
        gateways: Mapping[str, VenueGateway],
        deps: CycleDeps,
        *,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._executor = executor
        self._gateways = gateways
        self._deps = deps
        self._events = events or EventHub(store)
        settings = executor.settings
        self._checks = RoundChecks(
            store,
            clock,
            executor.breaker,
            settings.limits,
            settings.max_snapshot_age_s,
            events=self._events,
            prices=deps.prices,
        )

    async def start(
        self,
        policy: Policy,
        run_type: RunType,
        trigger: Trigger,
        *,
        amount: Decimal | None = None,
        unreconciled: frozenset[str] = frozenset(),
        why: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> RunRecord:
        """Create a run and carry it out (or park it for approval); return it as it ended.

        ``why`` (the trigger's reason in words) is kept in the run's ``RunTriggered`` event.
        ``snapshot`` is the one the trigger decided on, so the first round plans from exactly
        what triggered it (and skips a second read of every venue); None takes a fresh one.
        """
        run = await self._store.create_run(
            policy.name, run_type, trigger, amount=amount, at=self._clock.now()
        )
        return await self.begin(run, policy, unreconciled=unreconciled, why=why, snapshot=snapshot)

    async def begin(
        self,
        run: RunRecord,
        policy: Policy,
        *,
        unreconciled: frozenset[str] = frozenset(),
        why: str | None = None,
        snapshot: Snapshot | None = None,
    ) -> RunRecord:
        """Carry out a NEW run (just created, or a request the daemon took) as ``start`` does."""
        tag_run(run.id, 1)
        triggered = RunTriggered(
            at=self._clock.now(),
            portfolio=run.portfolio,
            run_id=run.id,
            run_type=run.run_type,
            trigger=run.trigger,
            reason=why or "",
            amount=run.amount,
        )
        if snapshot is None or not self._deps.plan_aside:
            await self._events.publish(triggered)
            if snapshot is None:
                snapshot = await self._deps.take_snapshot()
            plan = self.plan(snapshot, policy, run)
        else:
            plan = await self._plan_while(self._events.publish(triggered), snapshot, policy, run)
        limit = self._executor.settings.approval_above_notional
        if limit is not None and plan_notional(plan) > limit:
            return await self.park_for_approval(
                run, snapshot, plan, run.rounds + 1, f"plan notional above {limit}"
            )
        return await self.carry_out(run, policy, snapshot, plan, unreconciled)

    def plan(self, snapshot: Snapshot, policy: Policy, run: RunRecord) -> Plan:
        """Plan (a round of) ``run`` from ``snapshot``: its type, amount, venue and whether it
        may do less than asked, under ``policy``."""
        return self._deps.planner(
            snapshot, policy, run.run_type, run.amount, venue=run.venue, partial=run.partial
        )

    async def _plan_while(
        self, write: Awaitable[object], snapshot: Snapshot, policy: Policy, run: RunRecord
    ) -> Plan:
        """Plan in a worker thread while ``write`` goes to the Store; return the plan.

        The planner is pure and HiGHS releases the GIL while it solves, so the write's round
        trips to the database thread proceed meanwhile: the first order of a triggered run goes
        out a planning time sooner. The write is awaited first (its error wins); the thread
        inherits this task's context, so the planner's log lines name the run.
        """
        planning = asyncio.ensure_future(asyncio.to_thread(self.plan, snapshot, policy, run))
        try:
            await write
        except BaseException:
            await asyncio.gather(planning, return_exceptions=True)  # no orphaned thread result
            raise
        return await planning

    async def park_for_approval(
        self, run: RunRecord, snapshot: Snapshot, plan: Plan, round_: int, reason: str
    ) -> RunRecord:
        """Store the plan a person is asked to approve, with its notional, and wait."""
        await self._store.save_round(
            run.id, round_, self._deps.snapshot_json(snapshot), self._deps.plan_json(plan)
        )
        await self._events.publish(
            RunAwaitingApproval(
                at=self._clock.now(),
                portfolio=run.portfolio,
                run_id=run.id,
                round=round_,
                notional=plan_notional(plan),
                reason=reason,
            )
        )
        return await self._store.set_run_status(run.id, RunStatus.AWAITING_APPROVAL, reason)

    async def carry_out_approved(
        self,
        run: RunRecord,
        policy: Policy,
        unreconciled: frozenset[str] = frozenset(),
    ) -> RunRecord:
        """Plan an approved run afresh and carry it out, unless it grew past what was approved.

        Prices and balances moved while the run waited. A fresh plan trading more than
        ``APPROVED_NOTIONAL_TOLERANCE`` times the approved notional is stored as a new round
        and waits for a new approval instead of trading.
        """
        tag_run(run.id, run.rounds + 1)
        snapshot = await self._deps.take_snapshot()
        plan = self.plan(snapshot, policy, run)
        approved = await approved_notional(self._store, run.id)
        fresh = plan_notional(plan)
        if approved is not None and fresh > approved * APPROVED_NOTIONAL_TOLERANCE:
            reason = (
                f"re-planned notional {format_decimal(fresh)} is more than "
                f"{APPROVED_NOTIONAL_TOLERANCE} x the approved {format_decimal(approved)}: "
                "approve again"
            )
            return await self.park_for_approval(run, snapshot, plan, run.rounds + 1, reason)
        return await self.carry_out(run, policy, snapshot, plan, unreconciled)

    async def carry_out(
        self,
        run: RunRecord,
        policy: Policy,
        snapshot: Snapshot,
        plan: Plan,
        unreconciled: frozenset[str] = frozenset(),
    ) -> RunRecord:
        """Execute an approved run's rounds until done; set its final status."""
        await self._store.set_run_status(run.id, RunStatus.PROCESSING, at=self._clock.now())
        budget = RunBudget(await self._traded_today())
        tally = _Tally()
        max_rounds = self._executor.settings.max_rounds
        amount = run.amount
        for round_no in range(run.rounds + 1, run.rounds + max_rounds + 1):
            tag_run(run.id, round_no)
            if plan.is_empty:
                tally.done("nothing to do" if tally.nodes == 0 else "nothing left to plan")
                break
            if snapshot.in_transit:
                tally.stop(IN_TRANSIT)
                break
            if problem := await self._checks.before_round(snapshot):
                tally.stop(f"not traded: {problem}")
                break
            report = await self._round(
                run=run,
                round_no=round_no,
                snapshot=snapshot,
                plan=plan,
                unreconciled=unreconciled,
                budget=budget,
            )
            tally.add(report)
            if self._executor.stop.is_set():
                log.warning("stopped before the round ended; recovery settles it")
                return await self._store.get_run(run.id)
            before, snapshot = snapshot, await self._snapshot_after(report)
            if problem := await self._checks.after_round(run.id, round_no, plan, before, snapshot):
                tally.stop(f"reconciliation: {problem}")
                break
            if self._executor.breaker.state is not BreakerState.ACTIVE:
                tally.stop(f"circuit breaker {self._executor.breaker.state}")
                break
            if reached := goal_reached(snapshot, policy, run.run_type):
                tally.done(reached)
                break
            if run.run_type is RunType.INVEST_CASH and amount is not None:
                spent = buys_spent(plan, report, before)
                amount = amount_left_to_invest(amount, spent, snapshot, policy)
                if amount <= 0:
                    tally.done("the amount is invested")
                    break
            tag_run(run.id, round_no + 1)  # this plan is the next round's
            plan = self.plan(snapshot, policy, replace(run, amount=amount))
        else:
            if not plan.is_empty:
                tally.stop(f"residual left after {max_rounds} rounds")
        status = tally.status()
        log.info("ended %s (%s)", status, tally.reason or "done")
        ended = await self._store.set_run_status(run.id, status, tally.reason, at=self._clock.now())
        await self._tell_ended(ended, policy, snapshot)
        return ended

    async def _snapshot_after(self, report: RoundReport) -> Snapshot:
        """The snapshot the next round is planned from; a moment later when an order of the
        round emptied the book (``BOOK_REFILL_PAUSE_S``)."""
        if report.cut_short:
            log.info("the book ran out; the next round waits %g s for it", BOOK_REFILL_PAUSE_S)
            await self._clock.sleep(BOOK_REFILL_PAUSE_S)
        return await self._deps.take_snapshot()

    async def _tell_ended(self, run: RunRecord, policy: Policy, snapshot: Snapshot) -> None:
        """Publish ``RunEnded`` with what the run traded, its fees and the drift it left; then
        hand the run to ``after_run``."""
        orders = await self._store.orders_for_run(run.id)
        drift = drift_of_snapshot(snapshot, policy)
        residual = max((abs(item.drift) for item in drift.assets), default=ZERO)
        await self._events.publish(
            RunEnded(
                at=self._clock.now(),
                portfolio=run.portfolio,
                run_id=run.id,
                status=run.status,
                reason=run.reason or "",
                rounds=run.rounds,
                traded=traded_notional(orders),
                cost=fees_in_quote(orders),
                residual=residual,
                inside_bands=not drift.any_breached,
            )
        )
        if self._deps.after_run is not None:
            await self._deps.after_run(run, policy, snapshot)

    async def _traded_today(self) -> Decimal:
        """Notional traded since 00:00 UTC, for the per-day limit (not read when there is none)."""
        if self._executor.settings.limits.max_day_notional is None:
            return ZERO
        day_start = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return await self._store.notional_traded_since(day_start)

    async def _round(
        self,
        *,
        run: RunRecord,
        round_no: int,
        snapshot: Snapshot,
        plan: Plan,
        unreconciled: frozenset[str],
        budget: RunBudget,
    ) -> RoundReport:
        await self._store.save_round(
            run.id, round_no, self._deps.snapshot_json(snapshot), self._deps.plan_json(plan)
        )
        await self._events.publish(
            RoundPlanned(
                at=self._clock.now(),
                portfolio=run.portfolio,
                run_id=run.id,
                round=round_no,
                orders=len(plan.orders),
                transfers=len(plan.transfers),
                notional=plan_notional(plan),
                estimated_cost=plan.estimated_cost,
            )
        )
        venues = VenueBook(
            gateways=self._gateways,
            markets={
                name: {symbol: listed.rules for symbol, listed in state.markets.items()}
                for name, state in snapshot.venues.items()
            },
            routes=snapshot.routes,
            unreconciled=unreconciled,
        )
        return await self._executor.execute(run.id, round_no, plan, venues, budget)


def buys_spent(plan: Plan, report: RoundReport, before: Snapshot) -> Decimal:
    """Quote a round's buys spent, fees included."""
    spent = Decimal(0)
    for order in plan.orders:
        result = report.orders.get(order.id)
        if result is None or order.side is not OrderSide.BUY:
            continue
        fee = before.venue(order.venue).markets[order.symbol].rules.taker_fee
        spent += result.cost * (1 + fee)
    return spent


def amount_left_to_invest(
    amount: Decimal, spent: Decimal, now: Snapshot, policy: Policy
) -> Decimal:
    """What an ``invest_cash`` run with an amount has still to spend after a round: the amount
    less what the round spent, and never more than may be spent now.

    (Planned again with the whole amount, the next round would invest it a second time: unlike
    a withdrawal, where the cash already raised counts, an investment cannot tell its own buys
    from the portfolio's.)
    """
    return min(amount - spent, max_investable(now, policy))


async def approved_notional(store: Store, run_id: str) -> Decimal | None:
    """The notional of the plan the run last waited for approval with (None: never parked)."""
    parked = [e for e in await store.events(run_id) if e.kind == AWAITING_APPROVAL_EVENT]
    if not parked or "notional" not in parked[-1].payload:
        return None
    return to_decimal(parked[-1].payload["notional"], what="awaiting_approval.notional")


async def approvals_since_parked(store: Store, run_id: str, kind: str) -> list[EventRecord]:
    """Events of ``kind`` (e.g. approvals) recorded after the run last started waiting."""
    events = list(await store.events(run_id))
    parked = [i for i, e in enumerate(events) if e.kind == AWAITING_APPROVAL_EVENT]
    start = parked[-1] + 1 if parked else 0
    return [e for e in events[start:] if e.kind == kind]
