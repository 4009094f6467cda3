"""What is remembered per portfolio beside its runs: its pause, its latest snapshot, since when
its deposits are watched, and when each of its recurring runs was first seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.requests import PauseRecord
from rebalancer.persistence.models import PortfolioStateRow, ScheduleEntryRow
from rebalancer.persistence.repositories.fields import aware


class PortfolioStateRepository:
    """Reads and writes ``portfolio_states`` and ``schedule_entries`` inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _row(self, portfolio: str) -> PortfolioStateRow:
        """The portfolio's row, created (not paused, nothing remembered) when missing."""
        if not portfolio:
            raise InvalidValue("portfolio: must not be empty")
        row = await self._session.get(PortfolioStateRow, portfolio)
        if row is None:
            row = PortfolioStateRow(portfolio=portfolio, paused=False)
            self._session.add(row)
        return row

    async def pause(self, portfolio: str) -> PauseRecord | None:
        """The portfolio's pause (None: never paused or unpaused)."""
        row = await self._session.get(PortfolioStateRow, portfolio)
        if row is None or row.paused_at is None:
            return None
        return _pause(row)

    async def pauses(self) -> list[PauseRecord]:
        """Every portfolio ever paused or unpaused, by name."""
        query = select(PortfolioStateRow).where(PortfolioStateRow.paused_at.is_not(None))
        rows = await self._session.scalars(query.order_by(PortfolioStateRow.portfolio))
        return [_pause(row) for row in rows]

    async def set_pause(
        self, portfolio: str, paused: bool, by: str, reason: str, at: datetime
    ) -> PauseRecord:
        """Pause or unpause the portfolio."""
        row = await self._row(portfolio)
        row.paused, row.paused_by, row.paused_reason = paused, by, reason
        row.paused_at = aware(at, "pause.at")
        await self._session.flush()
        return _pause(row)

    async def save_snapshot(self, portfolio: str, snapshot_json: str, at: datetime) -> None:
        """Keep ``snapshot_json`` as the portfolio's latest snapshot (the previous one goes)."""
        row = await self._row(portfolio)
        row.snapshot_json, row.snapshot_at = snapshot_json, aware(at, "snapshot.at")
        await self._session.flush()

    async def latest_snapshot(self, portfolio: str) -> tuple[str, datetime] | None:
        """The latest snapshot JSON and when it was taken (None: none kept yet)."""
        row = await self._session.get(PortfolioStateRow, portfolio)
        if row is None or row.snapshot_json is None or row.snapshot_at is None:
            return None
        return row.snapshot_json, row.snapshot_at

    async def deposits_since(self, portfolio: str, now: datetime) -> datetime:
        """Since when the portfolio's deposits are watched; ``now`` on the first call."""
        row = await self._row(portfolio)
        if row.deposits_since is None:
            row.deposits_since = aware(now, "deposits_since")
            await self._session.flush()
        return row.deposits_since

    async def schedule_first_seen(self, portfolio: str, entry_key: str, now: datetime) -> datetime:
        """When the recurring run ``entry_key`` was first seen; ``now`` on the first call."""
        row = await self._session.get(ScheduleEntryRow, (portfolio, entry_key))
        if row is None:
            row = ScheduleEntryRow(
                portfolio=portfolio, entry_key=entry_key, first_seen_at=aware(now, "first_seen")
            )
            self._session.add(row)
            await self._session.flush()
        return row.first_seen_at


def _pause(row: PortfolioStateRow) -> PauseRecord:
    assert row.paused_at is not None  # callers check
    return PauseRecord(
        portfolio=row.portfolio,
        paused=row.paused,
        by=row.paused_by or "",
        reason=row.paused_reason or "",
        at=row.paused_at,
    )
