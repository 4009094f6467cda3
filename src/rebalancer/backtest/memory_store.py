"""The ``Store`` port kept in memory: a backtest's journal of runs, orders and transfers.

A backtest replays years in seconds; a database transaction per order or check would dominate
it. This store keeps the same records with the same rules as the state database: unknown ids
raise ``RecordNotFound``, a second record under one key raises ``DuplicateRecord``, what an
order or a transfer *is* (its identity) never changes, records point at runs that exist, times
are timezone-aware, and event payloads go through JSON (Decimals as strings) exactly as stored
ones do. Indexes answer what every check asks (runs in flight, pending transfers, the last
completed run) without scanning the whole history. Nothing survives the process.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from rebalancer.backtest.memory_checks import (
    as_stored,
    checked_limit,
    checked_order,
    checked_transfer,
    json_of,
    plan_nodes,
    require_aware,
    require_positive,
    same_identity,
    with_changes,
)
from rebalancer.backtest.memory_requests import RequestJournal
from rebalancer.backtest.memory_set_asides import SetAsideJournal
from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import (
    BreakerRecord,
    DuplicateRecord,
    EventRecord,
    OrderRecord,
    PlanNodeRecord,
    RecordNotFound,
    RoundRecord,
    RunRecord,
    TransferRecord,
)
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.ports import Clock

ORDER_IDENTITY = ("run_id", "node_id", "round", "attempt", "venue", "symbol", "side", "created_at")
TRANSFER_IDENTITY = ("run_id", "node_id", "asset", "network", "source", "destination", "created_at")
COMPLETED = (RunStatus.FILLED, RunStatus.PARTIALLY_FILLED)


class MemoryStore(RequestJournal, SetAsideJournal):
    """Runs, rounds, orders, transfers, breaker transitions and events, in dictionaries."""

    def __init__(self, clock: Clock) -> None:
        self._init_requests()
        self._init_set_asides()
        self._clock = clock
        self._runs: dict[str, RunRecord] = {}
        self._rounds: dict[tuple[str, int], RoundRecord] = {}
        self._nodes: dict[tuple[str, int], tuple[PlanNodeRecord, ...]] = {}
        self._orders: dict[str, OrderRecord] = {}
        self._orders_by_run: dict[str, list[str]] = {}
        self._order_ids: list[str] = []  # in recording order
        self._created: list[datetime] = []  # their created_at, same order
        self._in_time_order = True
        self._transfers: dict[str, TransferRecord] = {}
        self._breaker: list[BreakerRecord] = []
        self._events: list[EventRecord] = []
        self._events_by_run: dict[str, list[EventRecord]] = {}
        self._in_flight: dict[str, None] = {}  # run ids, oldest first
        self._pending_transfers: dict[str, None] = {}
        self._live_orders: dict[str, None] = {}
        self._last_rebalance: dict[str, datetime] = {}
        self._ids = itertools.count(1)

    def _at(self, at: datetime | None) -> datetime:
        return self._clock.now() if at is None else require_aware(at, "at")

    # -- runs -------------------------------------------------------------------------------

    async def create_run(
        self,
        portfolio: str,
        run_type: RunType,
        trigger: Trigger,
        *,
        amount: Decimal | None = None,
        status: RunStatus = RunStatus.NEW,
        run_id: str | None = None,
        at: datetime | None = None,
        venue: str | None = None,
        partial: bool = False,
    ) -> RunRecord:
        """Record a new run (ids are ``bt`` and a counter unless given)."""
        if not portfolio:
            raise InvalidValue("run.portfolio: must not be empty")
        run_id = run_id or f"bt{next(self._ids):08d}"
        if run_id in self._runs:
            raise DuplicateRecord(f"run {run_id!r} already exists")
        when = self._at(at)
        record = RunRecord(
            id=run_id,
            portfolio=portfolio,
            run_type=RunType(run_type),
            trigger=Trigger(trigger),
            status=RunStatus(status),
            created_at=when,
            updated_at=when,
            amount=amount,
            venue=venue,
            partial=partial,
        )
        self._put_run(record)
        return record

    def _put_run(self, record: RunRecord) -> None:
        self._runs[record.id] = record
        if record.status.is_terminal:
            self._in_flight.pop(record.id, None)
        else:
            self._in_flight[record.id] = None
        if record.status in COMPLETED and record.run_type.rebalances:
            last = self._last_rebalance.get(record.portfolio)
            if last is None or record.updated_at >= last:
                self._last_rebalance[record.portfolio] = record.updated_at

    def _run(self, run_id: str) -> RunRecord:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RecordNotFound(f"run {run_id!r} does not exist") from None

    async def get_run(self, run_id: str) -> RunRecord:
        """One run."""
        return self._run(run_id)

    async def list_runs(self, portfolio: str | None = None, limit: int = 50) -> Sequence[RunRecord]:
        """The newest runs first, optionally of one portfolio."""
        runs = [r for r in self._runs.values() if portfolio in (None, r.portfolio)]
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return runs[: checked_limit(limit)]

    async def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None = None,
        *,
        at: datetime | None = None,
    ) -> RunRecord:
        """Move a run to ``status`` (with why)."""
        record = dataclasses.replace(
            self._run(run_id), status=RunStatus(status), reason=reason, updated_at=self._at(at)
        )
        self._put_run(record)
        return record

    async def save_round(
        self,
        run_id: str,
        round: int,
        snapshot_json: str,
        plan_json: str,
        *,
        at: datetime | None = None,
    ) -> RoundRecord:
        """Keep a round's snapshot and plan text and its plan nodes."""
        run = self._run(run_id)
        require_positive(round, "round")
        if (run_id, round) in self._rounds:
            raise DuplicateRecord(f"run {run_id!r} round {round} is already saved")
        json_of(snapshot_json, "snapshot_json")
        nodes = plan_nodes(run_id, round, json_of(plan_json, "plan_json"))
        when = self._at(at)
        record = RoundRecord(run_id, round, snapshot_json, plan_json, when)
        self._rounds[(run_id, round)] = record
        self._nodes[(run_id, round)] = nodes
        self._put_run(dataclasses.replace(run, rounds=max(run.rounds, round), updated_at=when))
        return record

    async def rounds_for_run(self, run_id: str) -> Sequence[RoundRecord]:
        """A run's rounds, first first."""
        return sorted(
            (r for (run, _), r in self._rounds.items() if run == run_id), key=lambda r: r.round
        )

    async def plan_nodes(self, run_id: str, round: int) -> Sequence[PlanNodeRecord]:
        """A round's plan nodes in plan order."""
        return self._nodes.get((run_id, round), ())

    async def runs_in_flight(self) -> Sequence[RunRecord]:
        """Runs not yet terminal, oldest first."""
        return [self._runs[run_id] for run_id in self._in_flight]

    async def last_rebalance_at(self, portfolio: str) -> datetime | None:
        """When the portfolio's newest FILLED or PARTIALLY_FILLED ``full`` run was last updated."""
        return self._last_rebalance.get(portfolio)

    # -- orders -----------------------------------------------------------------------------

    async def record_order_intent(self, order: OrderRecord) -> OrderRecord:
        """Keep an order before it is sent; its run must exist and its id be new."""
        if order.run_id not in self._runs:
            raise RecordNotFound(f"order {order.client_order_id}: run {order.run_id!r} not found")
        if not order.client_order_id:
            raise InvalidValue("order.client_order_id: must not be empty")
        if order.client_order_id in self._orders:
            raise DuplicateRecord(f"order {order.client_order_id!r} is already recorded")
        what = f"order {order.client_order_id}"
        require_positive(order.round, f"{what}.round")
        require_positive(order.attempt, f"{what}.attempt")
        record = checked_order(order)
        self._put_order(record)
        self._orders_by_run.setdefault(order.run_id, []).append(order.client_order_id)
        if self._created and order.created_at < self._created[-1]:
            self._in_time_order = False  # given ``created_at``s out of order: scan them all
        self._order_ids.append(order.client_order_id)
        self._created.append(order.created_at)
        return record

    def _put_order(self, order: OrderRecord) -> None:
        self._orders[order.client_order_id] = order
        if order.state.is_terminal:
            self._live_orders.pop(order.client_order_id, None)
        else:
            self._live_orders[order.client_order_id] = None

    def _order(self, client_order_id: str) -> OrderRecord:
        try:
            return self._orders[client_order_id]
        except KeyError:
            raise RecordNotFound(f"order {client_order_id!r} was never recorded") from None

    async def save_order(self, order: OrderRecord) -> OrderRecord:
        """Overwrite an order; its identity must stay what it was."""
        stored = self._order(order.client_order_id)
        same_identity(stored, order, ORDER_IDENTITY, f"order {order.client_order_id}")
        record = checked_order(order)
        self._put_order(record)
        return record

    async def update_order(
        self, client_order_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> OrderRecord:
        """Change some fields of an order and stamp the time."""
        stored = self._order(client_order_id)
        fixed = ("client_order_id", *ORDER_IDENTITY, "updated_at")
        changed = with_changes(stored, changes, fixed, f"order {client_order_id}")
        record = checked_order(dataclasses.replace(changed, updated_at=self._at(at)))
        self._put_order(record)
        return record

    async def get_order(self, client_order_id: str) -> OrderRecord | None:
        """One order, or None."""
        return self._orders.get(client_order_id)

    async def orders_for_run(self, run_id: str) -> Sequence[OrderRecord]:
        """A run's orders in the order they were recorded."""
        return [self._orders[cid] for cid in self._orders_by_run.get(run_id, ())]

    async def non_terminal_orders(self) -> Sequence[OrderRecord]:
        """Orders that may still change on a venue, oldest first."""
        return [self._orders[cid] for cid in self._live_orders]

    async def notional_traded_since(self, since: datetime, portfolio: str | None = None) -> Decimal:
        """Filled × average price over orders created at or after ``since``."""
        # Orders are recorded in time order on one clock, so the recent ones are at the end.
        start = bisect.bisect_left(self._created, since) if self._in_time_order else 0
        total = Decimal(0)
        for client_order_id in self._order_ids[start:]:
            order = self._orders[client_order_id]
            if order.created_at >= since and portfolio in (
                None,
                self._runs[order.run_id].portfolio,
            ):
                total += order.notional
        return total

    # -- transfers --------------------------------------------------------------------------

    async def record_transfer(self, transfer: TransferRecord) -> TransferRecord:
        """Keep a transfer before it is requested; its run must exist and its id be new."""
        if not transfer.id:
            raise InvalidValue("transfer.id: must not be empty")
        if transfer.run_id not in self._runs:
            raise RecordNotFound(f"transfer {transfer.id}: run {transfer.run_id!r} not found")
        if transfer.id in self._transfers:
            raise DuplicateRecord(f"transfer {transfer.id!r} is already recorded")
        record = checked_transfer(transfer)
        self._put_transfer(record)
        return record

    def _put_transfer(self, transfer: TransferRecord) -> None:
        self._transfers[transfer.id] = transfer
        if transfer.state.is_terminal:
            self._pending_transfers.pop(transfer.id, None)
        else:
            self._pending_transfers[transfer.id] = None

    async def update_transfer(
        self, transfer_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> TransferRecord:
        """Change some fields of a transfer and stamp the time."""
        stored = self._transfers.get(transfer_id)
        if stored is None:
            raise RecordNotFound(f"transfer {transfer_id!r} was never recorded")
        fixed = ("id", *TRANSFER_IDENTITY, "updated_at")
        changed = with_changes(stored, changes, fixed, f"transfer {transfer_id}")
        record = checked_transfer(dataclasses.replace(changed, updated_at=self._at(at)))
        self._put_transfer(record)
        return record

    async def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """One transfer, or None."""
        return self._transfers.get(transfer_id)

    async def pending_transfers(self) -> Sequence[TransferRecord]:
        """Transfers neither arrived nor failed, oldest first."""
        pending = [self._transfers[t] for t in self._pending_transfers]
        return sorted(pending, key=lambda t: (t.created_at, t.id))

    # -- breaker and events -----------------------------------------------------------------

    async def get_breaker(self) -> BreakerRecord | None:
        """The latest breaker transition, or None."""
        return self._breaker[-1] if self._breaker else None

    async def set_breaker(
        self, state: BreakerState, reasons: Sequence[str], at: datetime | None = None
    ) -> BreakerRecord:
        """Record a breaker transition."""
        if isinstance(reasons, str) or not all(isinstance(r, str) for r in reasons):
            raise InvalidValue(f"breaker.reasons: expected a list of strings, got {reasons!r}")
        record = BreakerRecord(BreakerState(state), tuple(reasons), self._at(at))
        self._breaker.append(record)
        return record

    async def breaker_history(self, limit: int = 50) -> Sequence[BreakerRecord]:
        """Breaker transitions, newest first."""
        return list(reversed(self._breaker))[: checked_limit(limit)]

    async def append_event(
        self,
        kind: str,
        payload: Mapping[str, object],
        run_id: str | None = None,
        at: datetime | None = None,
    ) -> EventRecord:
        """Append to the event log; the payload reads back as it would from the database."""
        if not kind:
            raise InvalidValue("event.kind: must not be empty")
        if not isinstance(payload, Mapping):
            raise InvalidValue(f"event.payload: expected a mapping, got {type(payload).__name__}")
        if run_id is not None and run_id not in self._runs:
            raise RecordNotFound(f"event {kind}: run {run_id!r} not found")
        stored = as_stored(dict(payload), "event.payload")
        record = EventRecord(len(self._events) + 1, self._at(at), kind, stored, run_id)
        self._events.append(record)
        if run_id is not None:
            self._events_by_run.setdefault(run_id, []).append(record)
        return record

    async def events(self, run_id: str | None = None, limit: int = 100) -> Sequence[EventRecord]:
        """The newest ``limit`` events (optionally of one run), oldest first."""
        events = self._events if run_id is None else self._events_by_run.get(run_id, [])
        return events[-checked_limit(limit) :]

    async def events_after(self, event_id: int, limit: int = 100) -> Sequence[EventRecord]:
        """The oldest ``limit`` events logged after ``event_id``, oldest first."""
        return [e for e in self._events if e.id > event_id][: checked_limit(limit)]

    async def close(self) -> None:
        """Nothing to release."""

    # -- reading the whole journal (reports) -----------------------------------------------

    def all_runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return sorted(self._runs.values(), key=lambda r: (r.created_at, r.id))

    def all_orders(self) -> list[OrderRecord]:
        """Every order, in the order they were recorded."""
        return list(self._orders.values())

    def all_events(self) -> list[EventRecord]:
        """The whole event log, oldest first."""
        return list(self._events)
