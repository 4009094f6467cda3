"""The append-only journals: circuit-breaker transitions and the event log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.records import BreakerRecord, EventRecord, RecordNotFound
from rebalancer.persistence.models import BreakerRow, EventRow, RunRow
from rebalancer.persistence.repositories import json_text
from rebalancer.persistence.repositories.fields import aware, enum_value


def _breaker(row: BreakerRow) -> BreakerRecord:
    reasons = json_text.load(row.reasons, "breaker.reasons")
    return BreakerRecord(BreakerState(row.state), tuple(reasons), row.at)


def _event(row: EventRow) -> EventRecord:
    payload = json_text.load(row.payload, "event.payload")
    return EventRecord(row.id, row.at, row.kind, payload, row.run_id)


class BreakerRepository:
    """Breaker transitions; the newest is the current state."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, state: BreakerState, reasons: Sequence[str], at: datetime) -> BreakerRecord:
        """Record a transition."""
        if isinstance(reasons, str) or not all(isinstance(r, str) for r in reasons):
            raise InvalidValue(f"breaker.reasons: expected a list of strings, got {reasons!r}")
        row = BreakerRow(
            state=enum_value(BreakerState, state, "breaker.state").value,
            reasons=json_text.dump(list(reasons), "breaker.reasons"),
            at=aware(at, "breaker.at"),
        )
        self._session.add(row)
        await self._session.flush()
        return _breaker(row)

    async def history(self, limit: int) -> Sequence[BreakerRecord]:
        """Transitions, newest first."""
        query = select(BreakerRow).order_by(BreakerRow.id.desc()).limit(limit)
        return [_breaker(row) for row in await self._session.scalars(query)]


class EventRepository:
    """The event log: rows are only ever appended (the database refuses anything else)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self, kind: str, payload: Mapping[str, object], run_id: str | None, at: datetime
    ) -> EventRecord:
        """Append one event; a run id must name a stored run."""
        if not kind:
            raise InvalidValue("event.kind: must not be empty")
        if not isinstance(payload, Mapping):
            raise InvalidValue(f"event.payload: expected a mapping, got {type(payload).__name__}")
        if run_id is not None and await self._session.get(RunRow, run_id) is None:
            raise RecordNotFound(f"event {kind}: run {run_id!r} not found")
        row = EventRow(
            at=aware(at, "event.at"),
            run_id=run_id,
            kind=kind,
            payload=json_text.dump(dict(payload), "event.payload"),
        )
        self._session.add(row)
        await self._session.flush()
        return _event(row)

    async def latest(self, run_id: str | None, limit: int) -> Sequence[EventRecord]:
        """The newest ``limit`` events (optionally of one run), returned oldest first."""
        query = select(EventRow).order_by(EventRow.id.desc()).limit(limit)
        if run_id is not None:
            query = query.where(EventRow.run_id == run_id)
        rows = list(await self._session.scalars(query))
        return [_event(row) for row in reversed(rows)]

    async def after(self, event_id: int, limit: int) -> Sequence[EventRecord]:
        """The oldest ``limit`` events logged after ``event_id``, oldest first."""
        query = (
            select(EventRow).where(EventRow.id > event_id).order_by(EventRow.id.asc()).limit(limit)
        )
        return [_event(row) for row in await self._session.scalars(query)]
