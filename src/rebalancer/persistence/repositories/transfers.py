"""Inter-venue transfers and how far each got."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.money import to_decimal
from rebalancer.domain.records import DuplicateRecord, RecordNotFound, TransferRecord, TransferState
from rebalancer.persistence.models import RunRow, TransferRow
from rebalancer.persistence.repositories.fields import (
    apply_changes,
    aware,
    aware_or_none,
    decimal_or_none,
    enum_value,
)

TERMINAL = tuple(state.value for state in TransferState if state.is_terminal)
# What a transfer is: set when it is recorded, never changed after.
IDENTITY = ("run_id", "node_id", "asset", "network", "source", "destination", "created_at")
FIXED = ("id", *IDENTITY, "updated_at")


def _record(row: TransferRow) -> TransferRecord:
    return TransferRecord(
        id=row.id,
        run_id=row.run_id,
        node_id=row.node_id,
        asset=row.asset,
        network=row.network,
        source=row.source,
        destination=row.destination,
        amount=row.amount,
        state=TransferState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        fee=row.fee,
        withdrawal_id=row.withdrawal_id,
        deposit_id=row.deposit_id,
        arrived_at=row.arrived_at,
        deadline=row.deadline,
        reason=row.reason,
    )


def _new_row(transfer: TransferRecord) -> TransferRow:
    """A row for a new transfer: its identity, then everything that may change."""
    row = TransferRow(
        id=transfer.id,
        run_id=transfer.run_id,
        node_id=transfer.node_id,
        asset=transfer.asset,
        network=transfer.network,
        source=transfer.source,
        destination=transfer.destination,
        created_at=aware(transfer.created_at, f"transfer {transfer.id}.created_at"),
    )
    _fill(row, transfer)
    return row


def _fill(row: TransferRow, transfer: TransferRecord) -> None:
    """Copy every changeable field of ``transfer`` onto ``row``, checking each one."""
    what = f"transfer {transfer.id}"
    row.amount = to_decimal(transfer.amount, what=f"{what}.amount")
    row.fee = decimal_or_none(transfer.fee, f"{what}.fee")
    row.state = enum_value(TransferState, transfer.state, f"{what}.state").value
    row.withdrawal_id = transfer.withdrawal_id
    row.deposit_id = transfer.deposit_id
    row.arrived_at = aware_or_none(transfer.arrived_at, f"{what}.arrived_at")
    row.deadline = aware_or_none(transfer.deadline, f"{what}.deadline")
    row.reason = transfer.reason
    row.updated_at = aware(transfer.updated_at, f"{what}.updated_at")


class TransferRepository:
    """Reads and writes transfers inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, transfer: TransferRecord) -> TransferRecord:
        """Insert a transfer; its run must exist and its id must be new."""
        if not transfer.id:
            raise InvalidValue("transfer.id: must not be empty")
        if await self._session.get(RunRow, transfer.run_id) is None:
            raise RecordNotFound(f"transfer {transfer.id}: run {transfer.run_id!r} not found")
        if await self._session.get(TransferRow, transfer.id) is not None:
            raise DuplicateRecord(f"transfer {transfer.id!r} is already recorded")
        row = _new_row(transfer)
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def update(
        self, transfer_id: str, changes: Mapping[str, object], at: datetime
    ) -> TransferRecord:
        """Apply named field changes to a transfer and stamp ``updated_at``."""
        row = await self._session.get(TransferRow, transfer_id)
        if row is None:
            raise RecordNotFound(f"transfer {transfer_id!r} was never recorded")
        changed = apply_changes(_record(row), changes, FIXED, f"transfer {transfer_id}")
        _fill(row, replace(changed, updated_at=at))
        await self._session.flush()
        return _record(row)

    async def get(self, transfer_id: str) -> TransferRecord | None:
        """One transfer, or None."""
        row = await self._session.get(TransferRow, transfer_id)
        return None if row is None else _record(row)

    async def pending(self) -> Sequence[TransferRecord]:
        """Transfers neither arrived nor failed, oldest first."""
        query = (
            select(TransferRow)
            .where(TransferRow.state.not_in(TERMINAL))
            .order_by(TransferRow.created_at, TransferRow.id)
        )
        return [_record(row) for row in await self._session.scalars(query)]

    async def deposit_ids(self, destination: str) -> frozenset[str]:
        """The venue's deposit ids our transfers to ``destination`` arrived as."""
        query = select(TransferRow.deposit_id).where(
            TransferRow.destination == destination, TransferRow.deposit_id.is_not(None)
        )
        return frozenset(str(found) for found in await self._session.scalars(query))
