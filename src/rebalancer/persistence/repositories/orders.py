"""Order intents and their lifecycle, keyed by our client order id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.market import OrderSide
from rebalancer.domain.money import to_decimal
from rebalancer.domain.records import DuplicateRecord, OrderIntentState, OrderRecord, RecordNotFound
from rebalancer.persistence.models import OrderRow, RunRow
from rebalancer.persistence.repositories.fields import (
    apply_changes,
    aware,
    decimal_or_none,
    enum_value,
    positive_int,
)

TERMINAL = tuple(state.value for state in OrderIntentState if state.is_terminal)
# What an order is: set when its intent is recorded, never changed after (the client order id
# is derived from run, node and attempt, and the venue was told venue, symbol and side).
IDENTITY = ("run_id", "node_id", "round", "attempt", "venue", "symbol", "side", "created_at")
FIXED = ("client_order_id", *IDENTITY, "updated_at")


def _record(row: OrderRow) -> OrderRecord:
    return OrderRecord(
        client_order_id=row.client_order_id,
        run_id=row.run_id,
        node_id=row.node_id,
        round=row.round,
        attempt=row.attempt,
        venue=row.venue,
        symbol=row.symbol,
        side=OrderSide(row.side),
        amount=row.amount,
        state=OrderIntentState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        limit_price=row.limit_price,
        exchange_order_id=row.exchange_order_id,
        filled=row.filled,
        average_price=row.average_price,
        fee=row.fee,
        fee_asset=row.fee_asset,
        reason=row.reason,
    )


def _new_row(order: OrderRecord) -> OrderRow:
    """A row for a new intent: its identity, checked, then everything that may change."""
    what = f"order {order.client_order_id}"
    if not order.client_order_id:
        raise InvalidValue("order.client_order_id: must not be empty")
    row = OrderRow(
        client_order_id=order.client_order_id,
        run_id=order.run_id,
        node_id=order.node_id,
        round=positive_int(order.round, f"{what}.round"),
        attempt=positive_int(order.attempt, f"{what}.attempt"),
        venue=order.venue,
        symbol=order.symbol,
        side=enum_value(OrderSide, order.side, f"{what}.side").value,
        created_at=aware(order.created_at, f"{what}.created_at"),
    )
    _fill(row, order)
    return row


def _fill(row: OrderRow, order: OrderRecord) -> None:
    """Copy every changeable field of ``order`` onto ``row``, checking each one."""
    what = f"order {order.client_order_id}"
    row.amount = to_decimal(order.amount, what=f"{what}.amount")
    row.limit_price = decimal_or_none(order.limit_price, f"{what}.limit_price")
    row.state = enum_value(OrderIntentState, order.state, f"{what}.state").value
    row.exchange_order_id = order.exchange_order_id
    row.filled = to_decimal(order.filled, what=f"{what}.filled")
    row.average_price = decimal_or_none(order.average_price, f"{what}.average_price")
    row.fee = decimal_or_none(order.fee, f"{what}.fee")
    row.fee_asset = order.fee_asset
    row.reason = order.reason
    row.updated_at = aware(order.updated_at, f"{what}.updated_at")


def _check_identity(stored: OrderRecord, order: OrderRecord) -> None:
    changed = [name for name in IDENTITY if getattr(stored, name) != getattr(order, name)]
    if changed:
        raise InvalidValue(f"order {order.client_order_id}: cannot change {', '.join(changed)}")


class OrderRepository:
    """Reads and writes orders inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _row(self, client_order_id: str) -> OrderRow | None:
        query = select(OrderRow).where(OrderRow.client_order_id == client_order_id)
        return (await self._session.scalars(query)).first()

    async def add(self, order: OrderRecord) -> OrderRecord:
        """Insert an intent; its run must exist and its client order id must be new."""
        if await self._session.get(RunRow, order.run_id) is None:
            raise RecordNotFound(f"order {order.client_order_id}: run {order.run_id!r} not found")
        if await self._row(order.client_order_id) is not None:
            raise DuplicateRecord(f"order {order.client_order_id!r} is already recorded")
        row = _new_row(order)
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def save(self, order: OrderRecord) -> OrderRecord:
        """Overwrite what may change of an existing order; its identity must stay the same."""
        row = await self._require(order.client_order_id)
        _check_identity(_record(row), order)
        _fill(row, order)
        await self._session.flush()
        return _record(row)

    async def update(
        self, client_order_id: str, changes: Mapping[str, object], at: datetime
    ) -> OrderRecord:
        """Apply named field changes to an order and stamp ``updated_at``."""
        row = await self._require(client_order_id)
        changed = apply_changes(_record(row), changes, FIXED, f"order {client_order_id}")
        return await self.save(replace(changed, updated_at=at))

    async def _require(self, client_order_id: str) -> OrderRow:
        row = await self._row(client_order_id)
        if row is None:
            raise RecordNotFound(f"order {client_order_id!r} was never recorded")
        return row

    async def get(self, client_order_id: str) -> OrderRecord | None:
        """One order, or None."""
        row = await self._row(client_order_id)
        return None if row is None else _record(row)

    async def for_run(self, run_id: str) -> Sequence[OrderRecord]:
        """A run's orders in the order they were recorded."""
        query = select(OrderRow).where(OrderRow.run_id == run_id).order_by(OrderRow.id)
        return [_record(row) for row in await self._session.scalars(query)]

    async def non_terminal(self) -> Sequence[OrderRecord]:
        """Orders that may still change on a venue, oldest first."""
        query = select(OrderRow).where(OrderRow.state.not_in(TERMINAL)).order_by(OrderRow.id)
        return [_record(row) for row in await self._session.scalars(query)]

    async def notional_since(self, since: datetime, portfolio: str | None) -> Decimal:
        """Sum of filled × average price over orders created at or after ``since``."""
        query = select(OrderRow).where(OrderRow.created_at >= since)
        if portfolio is not None:
            query = query.join(RunRow, RunRow.id == OrderRow.run_id).where(
                RunRow.portfolio == portfolio
            )
        orders = [_record(row) for row in await self._session.scalars(query)]
        return sum((order.notional for order in orders), Decimal(0))
