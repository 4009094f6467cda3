"""The runs a portfolio's config asks the daemon to request by itself, one per check.

Recurring runs by calendar (``services.recurring``) come first, then deposits to invest
(``services.contributions``). Each is written as a run request through
``services.operations`` (trigger ``schedule`` or ``deposit``), exactly as a person's request,
so it waits while the portfolio is paused or the breaker is not ACTIVE, is checked against a
fresh snapshot when the daemon takes it, and ends ``FAILED`` with the reason when the holdings
cannot meet it (a scheduled withdraw larger than the portfolio, say).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from rebalancer.domain.money import format_decimal
from rebalancer.domain.plan import RunType
from rebalancer.domain.policy import Policy
from rebalancer.domain.records import DuplicateRecord, RunRecord
from rebalancer.domain.requests import Inflow, RunRequest, StandingOrders
from rebalancer.domain.runs import Trigger
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import VenueGateway
from rebalancer.services import operations
from rebalancer.services.contributions import DepositWatch, NewCash
from rebalancer.services.recurring import DueRun, ScheduleWatch

log = logging.getLogger(__name__)


class StandingOrderWatch:
    """Watches one portfolio's deposits and schedule; makes the runs they call for."""

    def __init__(
        self,
        policy: Policy,
        orders: StandingOrders,
        desk: operations.Desk,
        gateways: Mapping[str, VenueGateway],
    ) -> None:
        self._policy = policy
        self._desk = desk
        store, clock = desk.store, desk.clock
        rule = orders.contributions
        self._deposits = (
            None if rule is None else DepositWatch(policy, rule, store, clock, gateways)
        )
        self._schedule = (
            ScheduleWatch(policy.name, orders.schedule, store, clock) if orders.schedule else None
        )

    async def next_request(self, snapshot: Snapshot) -> RunRecord | None:
        """Request the first run that is due (None: nothing is)."""
        if self._schedule is not None:
            for due in await self._schedule.due():
                if run := await self._scheduled(due):
                    return run
        if self._deposits is not None and (new := await self._deposits.look(snapshot)):
            return await self._invest(new)
        return None

    async def _scheduled(self, due: DueRun) -> RunRecord | None:
        entry = due.entry
        request = RunRequest(self._policy.name, entry.run_type, entry.amount, entry.venue)
        try:
            accepted = await self._ask(request, due.by, Trigger.SCHEDULE, key=due.key)
        except DuplicateRecord:  # requested by an earlier daemon
            self._schedule_done(due)
            return None
        self._schedule_done(due)
        log.info("%s: scheduled run %s requested (%s)", self._policy.name, accepted.id, due.by)
        return accepted

    def _schedule_done(self, due: DueRun) -> None:
        if self._schedule is not None:
            self._schedule.requested(due)

    async def _invest(self, new: NewCash) -> RunRecord | None:
        name, quote = self._policy.name, self._policy.quote
        amount = new.to_invest
        deposits = ", ".join(
            f"{i.deposit_id} on {i.venue} ({format_decimal(i.amount)})" for i in new.inflows
        )
        # partial: if some of the cash went meanwhile (or a reserve holds it), spend what may be
        request = RunRequest(name, RunType.INVEST_CASH, amount, partial=True)
        try:
            run = await self._ask(
                request, f"deposit {deposits}", Trigger.DEPOSIT, inflows=new.inflows
            )
        except DuplicateRecord as taken:  # invested already (another check was first)
            log.info("%s: %s", name, taken)
            return None
        log.info(
            "%s: %s %s deposited from outside (%s): run %s invests it",
            name,
            format_decimal(new.total),
            quote,
            deposits,
            run.id,
        )
        return run

    async def _ask(
        self,
        request: RunRequest,
        by: str,
        trigger: Trigger,
        *,
        key: str | None = None,
        inflows: tuple[Inflow, ...] = (),
    ) -> RunRecord:
        accepted = await operations.request_run(
            self._desk,
            {self._policy.name: self._policy},
            request,
            by=by,
            trigger=trigger,
            key=key,
            inflows=inflows,
        )
        return accepted.run
