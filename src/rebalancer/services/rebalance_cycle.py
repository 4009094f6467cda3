"""One rebalance run from start to end: snapshot, plan, approve, execute, round again.

A run is created ``NEW``; a plan above the approval notional waits in ``AWAITING_APPROVAL``;
otherwise it goes ``PROCESSING`` and executes. After each round a fresh snapshot is taken and
the residual planned; the loop ends when the plan is empty (inside the bands), after
``max_rounds``, when the breaker stops trading or when the executor is told to stop. Each round
is saved (snapshot and plan JSON) and appended as an ``UPDATED`` event on the run. The run ends
``FILLED``, ``PARTIALLY_FILLED`` or ``FAILED`` from what its rounds achieved; a stopped run stays
``PROCESSING`` for recovery to settle.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.core.drift import drift_of_snapshot
from rebalancer.core.reconcile import run_status
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import Plan, RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import RunRecord
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, Store, VenueGateway
from rebalancer.services.executor import Executor, RoundReport, VenueBook
from rebalancer.services.order_placement import RunBudget

log = logging.getLogger(__name__)

Planner = Callable[[Snapshot, Policy, RunType, Decimal | None], Plan]


@dataclass(frozen=True, slots=True)
class CycleDeps:
    """What a run needs from outside: fresh snapshots, the planner and the JSON encoders."""

    take_snapshot: Callable[[], Awaitable[Snapshot]]
    planner: Planner
    snapshot_json: Callable[[Snapshot], str]
    plan_json: Callable[[Plan], str]


def inside_bands(snapshot: Snapshot, policy: Policy, run_type: RunType) -> bool:
    """True when a full run's portfolio is back inside every band (nothing left to chase).

    Other run types, and portfolios without bands, go on until their plan is empty.
    """
    if run_type is not RunType.FULL or policy.drift_band is None:
        return False
    return not drift_of_snapshot(snapshot, policy).any_breached


def plan_notional(plan: Plan) -> Decimal:
    """The quote value of every order in a plan."""
    return sum((order.notional for order in plan.orders), ZERO)


class RebalanceCycle:
    """Carries out runs of one portfolio."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        executor: Executor,
        gateways: Mapping[str, VenueGateway],
        deps: CycleDeps,
    ) -> None:
        self._store = store
        self._clock = clock
        self._executor = executor
        self._gateways = gateways
        self._deps = deps

    async def start(
        self,
        policy: Policy,
        run_type: RunType,
        trigger: Trigger,
        amount: Decimal | None = None,
        unreconciled: frozenset[str] = frozenset(),
    ) -> RunRecord:
        """Create a run and carry it out (or park it for approval); return it as it ended."""
        run = await self._store.create_run(
            policy.name, run_type, trigger, amount=amount, at=self._clock.now()
        )
        snapshot = await self._deps.take_snapshot()
        plan = self._deps.planner(snapshot, policy, run_type, amount)
        limit = self._executor.settings.approval_above_notional
        if limit is not None and plan_notional(plan) > limit:
            await self._store.save_round(
                run.id, 1, self._deps.snapshot_json(snapshot), self._deps.plan_json(plan)
            )
            return await self._store.set_run_status(
                run.id, RunStatus.AWAITING_APPROVAL, f"plan notional above {limit}"
            )
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
        day_start = self._clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        budget = RunBudget(await self._store.notional_traded_since(day_start))
        planned = complete = partial = 0
        reason: str | None = None
        max_rounds = self._executor.settings.max_rounds
        for round_no in range(run.rounds + 1, run.rounds + max_rounds + 1):
            if plan.is_empty:
                reason = "nothing left to plan" if round_no > run.rounds + 1 else "nothing to do"
                break
            report = await self._round(
                run=run,
                round_no=round_no,
                snapshot=snapshot,
                plan=plan,
                unreconciled=unreconciled,
                budget=budget,
            )
            planned += report.nodes
            complete += report.complete
            partial += report.partial
            if self._executor.stop.is_set():
                log.warning(
                    "run %s stopped after round %s; recovery will settle it", run.id, round_no
                )
                return await self._store.get_run(run.id)
            if self._executor.breaker.state is not BreakerState.ACTIVE:
                reason = f"circuit breaker {self._executor.breaker.state}"
                break
            snapshot = await self._deps.take_snapshot()
            if inside_bands(snapshot, policy, run.run_type):
                reason = "inside the bands"
                break
            plan = self._deps.planner(snapshot, policy, run.run_type, run.amount)
        else:
            if not plan.is_empty:
                reason = f"residual left after {max_rounds} rounds"
        status = run_status(planned, complete, partial)
        if status is RunStatus.FILLED and reason and reason.startswith("residual"):
            status = RunStatus.PARTIALLY_FILLED
        log.info("run %s ended %s (%s)", run.id, status, reason or "done")
        return await self._store.set_run_status(run.id, status, reason, at=self._clock.now())

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
        await self._store.append_event(
            "UPDATED",
            {"round": round_no, "orders": len(plan.orders), "transfers": len(plan.transfers)},
            run_id=run.id,
            at=self._clock.now(),
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
