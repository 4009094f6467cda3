"""Runs, their rounds (the snapshot and plan each was made from) and the rounds' plan nodes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import (
    DuplicateRecord,
    NodeKind,
    PlanNodeRecord,
    RecordNotFound,
    RoundRecord,
    RunRecord,
)
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.persistence.models import PlanNodeRow, RoundRow, RunRow
from rebalancer.persistence.repositories import json_text
from rebalancer.persistence.repositories.fields import (
    aware,
    decimal_or_none,
    enum_value,
    positive_int,
)

IN_FLIGHT = tuple(status.value for status in RunStatus if not status.is_terminal)
COMPLETED = (RunStatus.FILLED.value, RunStatus.PARTIALLY_FILLED.value)
REBALANCING = tuple(kind.value for kind in RunType if kind.rebalances)


def _record(row: RunRow) -> RunRecord:
    return RunRecord(
        id=row.id,
        portfolio=row.portfolio,
        run_type=RunType(row.run_type),
        trigger=Trigger(row.trigger),
        status=RunStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        rounds=row.rounds,
        amount=row.amount,
        reason=row.reason,
        venue=row.venue,
        partial=row.partial,
    )


def _round_record(row: RoundRow) -> RoundRecord:
    return RoundRecord(row.run_id, row.round, row.snapshot_json, row.plan_json, row.created_at)


class RunRepository:
    """Reads and writes runs inside one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: RunRecord) -> RunRecord:
        """Insert a new run; an existing id raises DuplicateRecord."""
        if await self._session.get(RunRow, record.id) is not None:
            raise DuplicateRecord(f"run {record.id!r} already exists")
        row = RunRow(
            id=record.id,
            portfolio=record.portfolio,
            run_type=enum_value(RunType, record.run_type, "run.run_type").value,
            trigger=enum_value(Trigger, record.trigger, "run.trigger").value,
            status=enum_value(RunStatus, record.status, "run.status").value,
            amount=decimal_or_none(record.amount, "run.amount"),
            rounds=record.rounds,
            reason=record.reason,
            created_at=aware(record.created_at, "run.created_at"),
            updated_at=aware(record.updated_at, "run.updated_at"),
            venue=record.venue,
            partial=bool(record.partial),
        )
        self._session.add(row)
        await self._session.flush()
        return _record(row)

    async def _row(self, run_id: str) -> RunRow:
        row = await self._session.get(RunRow, run_id)
        if row is None:
            raise RecordNotFound(f"run {run_id!r} does not exist")
        return row

    async def get(self, run_id: str) -> RunRecord:
        """One run, or RecordNotFound."""
        return _record(await self._row(run_id))

    async def require(self, run_id: str) -> None:
        """Raise RecordNotFound unless the run exists (before writing rows that point at it)."""
        await self._row(run_id)

    async def set_status(
        self, run_id: str, status: RunStatus, reason: str | None, at: datetime
    ) -> RunRecord:
        """Move a run to ``status`` and say why."""
        row = await self._row(run_id)
        row.status = enum_value(RunStatus, status, "run.status").value
        row.reason = reason
        row.updated_at = aware(at, "run.updated_at")
        await self._session.flush()
        return _record(row)

    async def list(self, portfolio: str | None, limit: int) -> Sequence[RunRecord]:
        """Newest runs first."""
        query = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc()).limit(limit)
        if portfolio is not None:
            query = query.where(RunRow.portfolio == portfolio)
        return [_record(row) for row in await self._session.scalars(query)]

    async def in_flight(self) -> Sequence[RunRecord]:
        """Runs not yet terminal, oldest first."""
        query = (
            select(RunRow)
            .where(RunRow.status.in_(IN_FLIGHT))
            .order_by(RunRow.created_at, RunRow.id)
        )
        return [_record(row) for row in await self._session.scalars(query)]

    async def last_rebalance_at(self, portfolio: str) -> datetime | None:
        """When the portfolio's newest FILLED or PARTIALLY_FILLED run of a type that rebalances
        (``RunType.rebalances``: ``full``) was last updated."""
        query = select(RunRow.updated_at).where(
            RunRow.portfolio == portfolio,
            RunRow.status.in_(COMPLETED),
            RunRow.run_type.in_(REBALANCING),
        )
        query = query.order_by(RunRow.updated_at.desc()).limit(1)
        return (await self._session.scalars(query)).first()

    async def save_round(
        self, run_id: str, number: int, snapshot_json: str, plan_json: str, at: datetime
    ) -> RoundRecord:
        """Store one round with its plan nodes and advance the run's round count."""
        run = await self._row(run_id)
        positive_int(number, "round")
        json_text.load(snapshot_json, "snapshot_json")
        plan = json_text.load(plan_json, "plan_json")
        if await self._session.get(RoundRow, (run_id, number)) is not None:
            raise DuplicateRecord(f"run {run_id!r} round {number} is already saved")
        row = RoundRow(
            run_id=run_id,
            round=number,
            snapshot_json=snapshot_json,
            plan_json=plan_json,
            created_at=aware(at, "round.created_at"),
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add_all(_node_rows(run_id, number, plan))
        run.rounds = max(run.rounds, number)
        run.updated_at = at
        await self._session.flush()
        return _round_record(row)

    async def rounds(self, run_id: str) -> Sequence[RoundRecord]:
        """Every saved round of a run, first first."""
        query = select(RoundRow).where(RoundRow.run_id == run_id).order_by(RoundRow.round)
        return [_round_record(row) for row in await self._session.scalars(query)]

    async def nodes(self, run_id: str, number: int) -> Sequence[PlanNodeRecord]:
        """A round's plan nodes in plan order: its orders, then its transfers."""
        query = (
            select(PlanNodeRow)
            .where(PlanNodeRow.run_id == run_id, PlanNodeRow.round == number)
            .order_by(PlanNodeRow.position, PlanNodeRow.node_id)
        )
        return [
            PlanNodeRecord(
                row.run_id,
                row.round,
                row.node_id,
                NodeKind(row.kind),
                tuple(json_text.load(row.depends_on, "plan_nodes.depends_on")),
            )
            for row in await self._session.scalars(query)
        ]


def _nodes(plan: Any) -> list[tuple[str, NodeKind, list[str]]]:
    """The (id, kind, depends_on) of every node in a docs/formats.md plan."""
    if not isinstance(plan, dict):
        raise InvalidValue("plan_json: expected a JSON object")
    found: list[tuple[str, NodeKind, list[str]]] = []
    for key, kind in (("orders", NodeKind.ORDER), ("transfers", NodeKind.TRANSFER)):
        nodes = plan.get(key, [])
        if not isinstance(nodes, list):
            raise InvalidValue(f"plan_json.{key}: expected a list")
        for index, node in enumerate(nodes):
            where = f"plan_json.{key}[{index}]"
            if not isinstance(node, dict) or not isinstance(node.get("id"), str):
                raise InvalidValue(f"{where}.id: expected a string node id")
            depends_on = node.get("depends_on", [])
            if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
                raise InvalidValue(f"{where}.depends_on: expected a list of node ids")
            found.append((node["id"], kind, depends_on))
    return found


def _node_rows(run_id: str, number: int, plan: Any) -> list[PlanNodeRow]:
    rows: dict[str, PlanNodeRow] = {}
    for position, (node_id, kind, depends_on) in enumerate(_nodes(plan)):
        if node_id in rows:
            raise InvalidValue(f"plan_json: node id {node_id!r} appears twice")
        rows[node_id] = PlanNodeRow(
            run_id=run_id,
            round=number,
            node_id=node_id,
            position=position,
            kind=kind.value,
            depends_on=json_text.dump(depends_on, "depends_on"),
        )
    return list(rows.values())
