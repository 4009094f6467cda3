"""Set-asides: cash a withdraw run raised, held out of the portfolio until released.

Releasing is a conditional update (``released_at IS NULL``), so when the daemon sees the cash
leave while a person releases it by hand, exactly one of them wins, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import to_decimal
from rebalancer.domain.records import DuplicateRecord, RecordNotFound
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.persistence.models import SetAsideRow
from rebalancer.persistence.repositories.fields import aware, aware_or_none, enum_value


def _record(row: SetAsideRow) -> SetAside:
    cause = row.release_cause
    return SetAside(
        id=row.id,
        portfolio=row.portfolio,
        venue=row.venue,
        asset=row.asset,
        amount=row.amount,
        created_at=row.created_at,
        seen_balance=row.seen_balance,
        seen_at=row.seen_at,
        run_id=row.run_id,
        expires_at=row.expires_at,
        warned_at=row.warned_at,
        released_at=row.released_at,
        released_by=row.released_by,
        release_cause=None if cause is None else enum_value(ReleaseCause, cause, "release_cause"),
        release_reason=row.release_reason,
    )


def _positive(value: Decimal, what: str) -> Decimal:
    amount = to_decimal(value, what=what)
    if not amount.is_finite() or amount <= 0:
        raise InvalidValue(f"{what}: expected a positive amount, got {value}")
    return amount


class SetAsideRepository:
    """Reads and writes ``set_asides`` inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, item: SetAside) -> SetAside:
        """Insert a new, active set-aside."""
        if not item.portfolio or not item.venue or not item.asset:
            raise InvalidValue("set_aside: portfolio, venue and asset must not be empty")
        if await self._session.get(SetAsideRow, item.id) is not None:
            raise DuplicateRecord(f"set-aside {item.id} already exists")
        row = SetAsideRow(
            id=item.id,
            portfolio=item.portfolio,
            venue=item.venue,
            asset=item.asset,
            amount=_positive(item.amount, "set_aside.amount"),
            run_id=item.run_id,
            created_at=aware(item.created_at, "set_aside.created_at"),
            expires_at=aware_or_none(item.expires_at, "set_aside.expires_at"),
            seen_balance=to_decimal(item.seen_balance, what="set_aside.seen_balance"),
            seen_at=aware(item.seen_at, "set_aside.seen_at"),
        )
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def get(self, set_aside_id: str) -> SetAside:
        """One set-aside (``RecordNotFound`` when missing)."""
        row = await self._session.get(SetAsideRow, set_aside_id)
        if row is None:
            raise RecordNotFound(f"no set-aside {set_aside_id}")
        return _record(row)

    async def list(self, portfolio: str | None, active_only: bool, limit: int) -> list[SetAside]:
        """Set-asides oldest first, of one portfolio or all, the active ones or every one."""
        query = select(SetAsideRow)
        if portfolio is not None:
            query = query.where(SetAsideRow.portfolio == portfolio)
        if active_only:
            query = query.where(SetAsideRow.released_at.is_(None))
        query = query.order_by(SetAsideRow.created_at.desc(), SetAsideRow.id.desc()).limit(limit)
        rows = list(await self._session.scalars(query))
        return [_record(row) for row in reversed(rows)]

    async def release(
        self,
        set_aside_id: str,
        cause: ReleaseCause,
        by: str,
        reason: str,
        at: datetime,
    ) -> SetAside | None:
        """Release an active set-aside; None when it was released already."""
        await self.get(set_aside_id)  # RecordNotFound first
        statement = (
            update(SetAsideRow)
            .where(SetAsideRow.id == set_aside_id, SetAsideRow.released_at.is_(None))
            .values(
                released_at=aware(at, "set_aside.released_at"),
                released_by=by,
                release_cause=cause.value,
                release_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        if not isinstance(result, CursorResult) or result.rowcount != 1:
            return None
        return await self._fresh(set_aside_id)

    async def seen(self, set_aside_id: str, balance: Decimal, at: datetime) -> SetAside:
        """Remember the venue's balance as seen at ``at`` with no run of ours since."""
        row = await self._row(set_aside_id)
        row.seen_balance = to_decimal(balance, what="set_aside.seen_balance")
        row.seen_at = aware(at, "set_aside.seen_at")
        await self._session.flush()
        return _record(row)

    async def reduce(
        self, set_aside_id: str, amount: Decimal, balance: Decimal, at: datetime
    ) -> SetAside | None:
        """Hold only ``amount`` from now, watching ``balance``; None when already released."""
        await self.get(set_aside_id)  # RecordNotFound first
        statement = (
            update(SetAsideRow)
            .where(SetAsideRow.id == set_aside_id, SetAsideRow.released_at.is_(None))
            .values(
                amount=_positive(amount, "set_aside.amount"),
                seen_balance=to_decimal(balance, what="set_aside.seen_balance"),
                seen_at=aware(at, "set_aside.seen_at"),
            )
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        if not isinstance(result, CursorResult) or result.rowcount != 1:
            return None
        return await self._fresh(set_aside_id)

    async def warned(self, set_aside_id: str, at: datetime) -> SetAside:
        """Remember that the coming expiry was announced."""
        row = await self._row(set_aside_id)
        row.warned_at = aware(at, "set_aside.warned_at")
        await self._session.flush()
        return _record(row)

    async def _row(self, set_aside_id: str) -> SetAsideRow:
        row = await self._session.get(SetAsideRow, set_aside_id)
        if row is None:
            raise RecordNotFound(f"no set-aside {set_aside_id}")
        return row

    async def _fresh(self, set_aside_id: str) -> SetAside:
        row = await self._row(set_aside_id)
        await self._session.refresh(row)
        return _record(row)
