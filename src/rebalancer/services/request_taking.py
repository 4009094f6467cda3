"""How the daemon loop takes a waiting run request (a mixin of ``DaemonLoop``).

A request (``rebalancer request``, the API, a chat, a deposit to invest, a recurring run) is a
run in state ``NEW``. A check of its portfolio takes it when the portfolio may trade: not
paused, the breaker ACTIVE, its venues reconciled, no money of it in transit. The fresh
snapshot the request is checked against is read first, then the request is marked taken (a
conditional write: a person cancelling it at the same moment wins or loses as a whole), checked
(an amount the holdings cannot meet ends the run ``FAILED``, saying how much can be had), and
its run planned and carried out under the usual approval, breaker and pre-trade rules.

After a ``liquidate`` run the portfolio is paused: everything is cash, and the next drift check
would otherwise buy it all back. ``rebalancer unpause`` lets it trade again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from rebalancer.domain.errors import VenueError
from rebalancer.domain.events import RunEnded
from rebalancer.domain.money import ZERO
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import RunRecord
from rebalancer.domain.requests import RequestRecord
from rebalancer.domain.runs import RunStatus
from rebalancer.domain.snapshot import Snapshot
from rebalancer.ports import Clock, EventSink, Store
from rebalancer.services import operations
from rebalancer.services.check_values import (
    CheckAction,
    CheckResult,
    PortfolioWork,
    ended_text,
    paused_text,
)
from rebalancer.services.narration import describe_in_transit
from rebalancer.services.run_context import tag_run

log = logging.getLogger(__name__)

TRADED = (RunStatus.FILLED, RunStatus.PARTIALLY_FILLED)
LIQUIDATED = "liquidated: everything is cash; `rebalancer unpause` trades it again"


class RequestTaking:
    """The request part of ``DaemonLoop``; the loop provides what is declared below."""

    _store: Store
    _clock: Clock
    _events: EventSink
    _unreconciled: frozenset[str]
    stop: asyncio.Event

    def _held_back(self, work: PortfolioWork) -> str | None:
        raise NotImplementedError  # the loop's

    async def _watch(self, work: PortfolioWork) -> Snapshot:
        raise NotImplementedError  # the loop's

    async def _guarded(self, name: str, work: Awaitable[RunRecord]) -> RunRecord:
        raise NotImplementedError  # the loop's

    async def _tell(self, run: RunRecord) -> None:
        raise NotImplementedError  # the loop's

    async def _observe_after_run(self, work: PortfolioWork, run: RunRecord) -> None:
        raise NotImplementedError  # the loop's

    def _ran(self, name: str, run: RunRecord) -> CheckResult:
        raise NotImplementedError  # the loop's

    async def _requested(
        self, work: PortfolioWork, run: RunRecord, request: RequestRecord
    ) -> CheckResult:
        """Take a waiting run request: check it against a fresh snapshot, then carry it out.

        It waits (stays NEW) while the portfolio is paused or may not trade. Once taken it
        cannot be cancelled; a request the holdings cannot meet ends FAILED, saying why.
        """
        name = work.policy.name
        if waits := await self._request_waits(work, run, request):
            return waits
        try:
            snapshot = await self._watch(work)
        except VenueError as error:
            why = f"request {run.id} waits: no snapshot: {error}"
            return CheckResult(name, CheckAction.SKIPPED, why, attention=True)
        if blocked := self._request_blocked(work, run, snapshot):
            return blocked
        if not await self._store.take_request(run.id, at=self._clock.now()):
            return CheckResult(name, CheckAction.SKIPPED, f"request {run.id} was cancelled")
        waited = (self._clock.now() - request.created_at).total_seconds()
        asked = operations.describe_request(request.request)
        tag_run(run.id, 1)
        log.info(
            "%s: taking request %s (%s by %s, %.2f s after it was made)",
            name, run.id, asked, request.requested_by, waited,
        )  # fmt: skip
        try:
            operations.check_request({name: work.policy}, request.request, snapshot)
        except operations.OperationRefused as refused:
            ended = await self._refuse(run, str(refused))
            return CheckResult(name, CheckAction.RAN, ended_text(ended), ended, attention=True)
        why = f"{asked} requested by {request.requested_by}"
        ended = await self._guarded(
            name,
            work.cycle.begin(
                run, work.policy, unreconciled=self._unreconciled, why=why, snapshot=snapshot
            ),
        )
        await self._tell(ended)
        await self._observe_after_run(work, ended)
        if ended.run_type is RunType.LIQUIDATE and ended.status in TRADED:
            await self._pause_liquidated(work, ended)
        return self._ran(name, ended)

    async def _refuse(self, run: RunRecord, refused: str) -> RunRecord:
        """End a taken request the holdings cannot meet: FAILED, saying why, nothing traded."""
        ended = await self._store.set_run_status(
            run.id, RunStatus.FAILED, f"refused: {refused}", at=self._clock.now()
        )
        await self._events.publish(
            RunEnded(
                at=ended.updated_at,
                portfolio=run.portfolio,
                run_id=run.id,
                status=ended.status,
                reason=ended.reason or "",
                rounds=0,
                traded=ZERO,
                cost=ZERO,
            )
        )
        return ended

    async def _pause_liquidated(self, work: PortfolioWork, run: RunRecord) -> None:
        """Pause a portfolio its liquidate run turned to cash (else drift would buy it back)."""
        desk = operations.Desk(self._store, self._clock, self._events)
        policies = {work.policy.name: work.policy}
        by = f"liquidate run {run.id}"
        await operations.pause(desk, policies, work.policy.name, by=by, reason=LIQUIDATED)

    def _request_blocked(
        self, work: PortfolioWork, run: RunRecord, snapshot: Snapshot
    ) -> CheckResult | None:
        """Why a request still waits once its snapshot is taken (None: take it)."""
        name = work.policy.name
        if held := self._held_back(work):  # the price check may have tripped
            why = f"request {run.id} waits: {held}"
            return CheckResult(name, CheckAction.SKIPPED, why, attention=True)
        if snapshot.in_transit:
            why = f"request {run.id} waits for {describe_in_transit(snapshot.in_transit)}"
            return CheckResult(name, CheckAction.SKIPPED, why)
        return None

    async def _request_waits(
        self, work: PortfolioWork, run: RunRecord, request: RequestRecord
    ) -> CheckResult | None:
        """Why a waiting request is not taken now (None: take it)."""
        name = work.policy.name
        if request.taken_at is not None:
            return CheckResult(name, CheckAction.SKIPPED, f"request {run.id} is being carried out")
        if pause := await operations.paused(self._store, name):
            return CheckResult(
                name, CheckAction.SKIPPED, f"request {run.id} waits: {paused_text(pause)}"
            )
        if held := self._held_back(work):
            why = f"request {run.id} waits: {held}"
            return CheckResult(name, CheckAction.SKIPPED, why, attention=True)
        if self.stop.is_set():
            return CheckResult(name, CheckAction.SKIPPED, "shutting down")
        return None
