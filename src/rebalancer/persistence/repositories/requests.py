"""Run requests: a run in state NEW plus who asked, and the daemon taking or a person cancelling it.

Taking and cancelling are conditional updates of the same request row (``taken_at IS NULL AND
cancelled_at IS NULL``), so when the daemon takes a request while a person cancels it exactly
one of them wins, on SQLite (one writer at a time) and on PostgreSQL (the row lock makes the
second update re-check its condition) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.plan import RunType
from rebalancer.domain.records import DuplicateRecord, RecordNotFound, RunRecord
from rebalancer.domain.requests import Inflow, RequestRecord, RunRequest
from rebalancer.domain.runs import RunStatus
from rebalancer.persistence.models import InflowRow, RunRequestRow, RunRow
from rebalancer.persistence.repositories.fields import aware, decimal_or_none
from rebalancer.persistence.repositories.runs import RunRepository

NEW = RunStatus.NEW.value


def _record(request: RunRequestRow, run: RunRow) -> RequestRecord:
    return RequestRecord(
        run_id=request.run_id,
        request=RunRequest(
            portfolio=run.portfolio,
            run_type=RunType(run.run_type),
            amount=run.amount,
            venue=run.venue,
            partial=run.partial,
        ),
        requested_by=request.requested_by,
        created_at=request.created_at,
        key=request.key,
        taken_at=request.taken_at,
        cancelled_at=request.cancelled_at,
    )


class RequestRepository:
    """Reads and writes run requests inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        run: RunRecord,
        requested_by: str,
        key: str | None,
        inflows: Sequence[Inflow],
    ) -> RunRecord:
        """Insert the run (NEW), its request row and the deposits it invests."""
        if key is not None and await self._by_key(key) is not None:
            raise DuplicateRecord(f"a run request with key {key!r} already exists")
        stored = await RunRepository(self._session).add(run)
        self._session.add(
            RunRequestRow(
                run_id=run.id,
                requested_by=requested_by,
                key=key,
                created_at=aware(run.created_at, "request.created_at"),
            )
        )
        for inflow in inflows:
            if await self._session.get(InflowRow, (inflow.venue, inflow.deposit_id)) is not None:
                raise DuplicateRecord(
                    f"deposit {inflow.deposit_id} on {inflow.venue} is already being invested"
                )
            self._session.add(
                InflowRow(
                    venue=inflow.venue,
                    deposit_id=inflow.deposit_id,
                    portfolio=run.portfolio,
                    asset=inflow.asset,
                    amount=decimal_or_none(inflow.amount, "inflow.amount"),
                    run_id=run.id,
                    at=run.created_at,
                )
            )
        await self._session.flush()
        return stored

    async def _by_key(self, key: str) -> RunRequestRow | None:
        query = select(RunRequestRow).where(RunRequestRow.key == key)
        return (await self._session.scalars(query)).first()

    async def get(self, run_id: str) -> RequestRecord | None:
        """The request that became run ``run_id`` (None: that run was not requested)."""
        request = await self._session.get(RunRequestRow, run_id)
        if request is None:
            return None
        run = await self._session.get(RunRow, run_id)
        if run is None:  # pragma: no cover - the foreign key forbids it
            raise RecordNotFound(f"run {run_id!r} does not exist")
        return _record(request, run)

    async def by_key(self, key: str) -> RequestRecord | None:
        """The request made under ``key``, if any."""
        request = await self._by_key(key)
        return None if request is None else await self.get(request.run_id)

    async def pending(self) -> Sequence[RequestRecord]:
        """Requests whose run is still NEW and not cancelled, oldest first."""
        query = (
            select(RunRequestRow, RunRow)
            .join(RunRow, RunRow.id == RunRequestRow.run_id)
            .where(RunRow.status == NEW, RunRequestRow.cancelled_at.is_(None))
            .order_by(RunRequestRow.created_at, RunRequestRow.run_id)
        )
        return [_record(request, run) for request, run in (await self._session.execute(query))]

    async def take(self, run_id: str, at: datetime) -> bool:
        """Mark the request taken by the daemon; False when it was taken or cancelled first."""
        result = await self._session.execute(
            update(RunRequestRow)
            .where(
                RunRequestRow.run_id == run_id,
                RunRequestRow.taken_at.is_(None),
                RunRequestRow.cancelled_at.is_(None),
            )
            .values(taken_at=aware(at, "request.taken_at"))
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def cancel(self, run_id: str, reason: str, at: datetime) -> RunRecord | None:
        """Cancel a request the daemon has not taken; None when it was taken (or cancelled)."""
        if await self._session.get(RunRequestRow, run_id) is None:
            raise RecordNotFound(f"run request {run_id!r} does not exist")
        runs = RunRepository(self._session)
        if (await runs.get(run_id)).status is not RunStatus.NEW:
            return None
        result = await self._session.execute(
            update(RunRequestRow)
            .where(
                RunRequestRow.run_id == run_id,
                RunRequestRow.taken_at.is_(None),
                RunRequestRow.cancelled_at.is_(None),
            )
            .values(cancelled_at=aware(at, "request.cancelled_at"))
            .execution_options(synchronize_session=False)
        )
        if not _changed(result):
            return None
        return await runs.set_status(run_id, RunStatus.CANCELLED, reason, at)

    async def release_untaken(self) -> int:
        """Forget every mark of a request taken but never started (its run is still NEW).

        Only recovery calls this: a daemon that took a request and died before its run left
        NEW traded nothing for it, so the request is simply taken again.
        """
        started = select(RunRow.id).where(RunRow.status != NEW)
        result = await self._session.execute(
            update(RunRequestRow)
            .where(RunRequestRow.taken_at.is_not(None), RunRequestRow.run_id.not_in(started))
            .values(taken_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0

    async def invested_deposits(self, venue: str) -> frozenset[str]:
        """The ids of every deposit on ``venue`` a run was started to invest."""
        query = select(InflowRow.deposit_id).where(InflowRow.venue == venue)
        return frozenset(await self._session.scalars(query))


def _changed(result: object) -> bool:
    return isinstance(result, CursorResult) and result.rowcount == 1
