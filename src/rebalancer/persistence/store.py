"""``SqlStore``: the ``Store`` port over SQLAlchemy, one transaction per call.

Each public method opens a session, does its work through one repository and commits before it
returns, so a write is durable (and visible to every other connection) when the call returns
and a failure leaves nothing behind. Reads run in their own short transaction, so they see
whole writes only.

``open_store(url)`` is the way in: it builds the engine, upgrades the schema to head and hands
back a ready store.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.errors import InvalidValue, RebalancerError
from rebalancer.domain.plan import RunType
from rebalancer.domain.records import (
    BreakerRecord,
    EventRecord,
    OrderRecord,
    PlanNodeRecord,
    RoundRecord,
    RunRecord,
    TransferRecord,
)
from rebalancer.domain.requests import Inflow, PauseRecord, RequestRecord, RunRequest
from rebalancer.domain.runs import RunStatus, Trigger
from rebalancer.domain.set_asides import ReleaseCause, SetAside
from rebalancer.persistence.engine import create_engine, describe_url, read_only, sqlite_file
from rebalancer.persistence.migrate import current_revision, head_revision, upgrade_to_head
from rebalancer.persistence.repositories.fields import decimal_or_none
from rebalancer.persistence.repositories.journal import BreakerRepository, EventRepository
from rebalancer.persistence.repositories.orders import OrderRepository
from rebalancer.persistence.repositories.portfolio_states import PortfolioStateRepository
from rebalancer.persistence.repositories.requests import RequestRepository
from rebalancer.persistence.repositories.runs import RunRepository
from rebalancer.persistence.repositories.set_asides import SetAsideRepository
from rebalancer.persistence.repositories.transfers import TransferRepository
from rebalancer.ports import Clock, Store

RUN_ID_BYTES = 5  # ten hex characters: short enough for any venue's client order id


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidValue(f"limit: expected a whole number of at least 1, got {limit!r}")
    return limit


def new_set_aside_id() -> str:
    """A fresh set-aside id: ``sa-`` and eight hex characters (short enough to type)."""
    return f"sa-{secrets.token_hex(4)}"


def new_run_id() -> str:
    """A fresh random run id of lowercase hex (alphanumeric, as OKX's clOrdId requires)."""
    return secrets.token_hex(RUN_ID_BYTES)


class SqlStore:
    """The state database behind the ``Store`` port (``rebalancer.ports.Store``)."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or _UtcClock()
        self._writes = async_sessionmaker(engine, expire_on_commit=False)
        self._reads = async_sessionmaker(read_only(engine), expire_on_commit=False)
        # SQLite has one write lock per file; queueing our own writers here is cheaper than
        # letting them poll for it in SQLite's busy handler.
        single_writer = engine.dialect.name == "sqlite"
        self._write_turn = asyncio.Lock() if single_writer else contextlib.nullcontext()

    @property
    def engine(self) -> AsyncEngine:
        """The engine (for tools and tests that need raw SQL)."""
        return self._engine

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncSession]:
        async with self._write_turn, self._writes.begin() as session:
            yield session

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncSession]:
        async with self._reads.begin() as session:
            yield session

    def _at(self, at: datetime | None) -> datetime:
        return self._clock.now() if at is None else at

    # runs

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
        """Record a new run; a short alphanumeric id is generated unless ``run_id`` is given."""
        record = _new_run(
            RunRequest(portfolio, run_type, amount, venue, partial),
            trigger,
            status,
            run_id,
            self._at(at),
        )
        async with self._write() as session:
            return await RunRepository(session).add(record)

    async def get_run(self, run_id: str) -> RunRecord:
        """Return one run (RecordNotFound when missing)."""
        async with self._read() as session:
            return await RunRepository(session).get(run_id)

    async def list_runs(self, portfolio: str | None = None, limit: int = 50) -> Sequence[RunRecord]:
        """Return the newest runs first, optionally of one portfolio."""
        async with self._read() as session:
            return await RunRepository(session).list(portfolio, _limit(limit))

    async def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None = None,
        *,
        at: datetime | None = None,
    ) -> RunRecord:
        """Move a run to ``status`` (with why) and return it as stored."""
        async with self._write() as session:
            return await RunRepository(session).set_status(run_id, status, reason, self._at(at))

    async def save_round(
        self,
        run_id: str,
        round: int,
        snapshot_json: str,
        plan_json: str,
        *,
        at: datetime | None = None,
    ) -> RoundRecord:
        """Store the snapshot and plan a round was made from; the run's ``rounds`` follows."""
        async with self._write() as session:
            repository = RunRepository(session)
            return await repository.save_round(
                run_id, round, snapshot_json, plan_json, self._at(at)
            )

    async def rounds_for_run(self, run_id: str) -> Sequence[RoundRecord]:
        """Every saved round of a run, first round first."""
        async with self._read() as session:
            return await RunRepository(session).rounds(run_id)

    async def plan_nodes(self, run_id: str, round: int) -> Sequence[PlanNodeRecord]:
        """The nodes of a saved round's plan (taken from its plan JSON), in plan order."""
        async with self._read() as session:
            return await RunRepository(session).nodes(run_id, round)

    async def runs_in_flight(self) -> Sequence[RunRecord]:
        """Every run not yet in a terminal status, oldest first."""
        async with self._read() as session:
            return await RunRepository(session).in_flight()

    async def last_rebalance_at(self, portfolio: str) -> datetime | None:
        """When the portfolio's last FILLED or PARTIALLY_FILLED ``full`` run ended (the cooldown
        and the calendar count from it; other run types do not rebalance)."""
        async with self._read() as session:
            return await RunRepository(session).last_rebalance_at(portfolio)

    # orders

    async def record_order_intent(self, order: OrderRecord) -> OrderRecord:
        """Commit an order before it is sent; durable on return. Duplicate ids are refused."""
        async with self._write() as session:
            return await OrderRepository(session).add(order)

    async def save_order(self, order: OrderRecord) -> OrderRecord:
        """Overwrite an existing order (by client order id); its identity cannot change.

        The identity is run, node, round, attempt, venue, symbol, side and created_at.
        """
        async with self._write() as session:
            return await OrderRepository(session).save(order)

    async def update_order(
        self, client_order_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> OrderRecord:
        """Change fields of an order (``state=..., filled=...``); identity fields are refused."""
        async with self._write() as session:
            return await OrderRepository(session).update(client_order_id, changes, self._at(at))

    async def get_order(self, client_order_id: str) -> OrderRecord | None:
        """Return one order, or None when we never recorded it."""
        async with self._read() as session:
            return await OrderRepository(session).get(client_order_id)

    async def orders_for_run(self, run_id: str) -> Sequence[OrderRecord]:
        """Every order of a run, in the order they were recorded."""
        async with self._read() as session:
            return await OrderRepository(session).for_run(run_id)

    async def non_terminal_orders(self) -> Sequence[OrderRecord]:
        """Every order that may still change on a venue (what reconciliation must look up)."""
        async with self._read() as session:
            return await OrderRepository(session).non_terminal()

    async def notional_traded_since(self, since: datetime, portfolio: str | None = None) -> Decimal:
        """The quote value filled by orders created at or after ``since`` (turnover limits)."""
        async with self._read() as session:
            return await OrderRepository(session).notional_since(since, portfolio)

    # transfers

    async def record_transfer(self, transfer: TransferRecord) -> TransferRecord:
        """Commit a transfer before it is requested; duplicate ids are refused."""
        async with self._write() as session:
            return await TransferRepository(session).add(transfer)

    async def update_transfer(
        self, transfer_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> TransferRecord:
        """Change some fields of a transfer (e.g. ``state=..., withdrawal_id=...``)."""
        async with self._write() as session:
            return await TransferRepository(session).update(transfer_id, changes, self._at(at))

    async def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """Return one transfer, or None when we never recorded it."""
        async with self._read() as session:
            return await TransferRepository(session).get(transfer_id)

    async def pending_transfers(self) -> Sequence[TransferRecord]:
        """Every transfer that has neither arrived nor failed, oldest first."""
        async with self._read() as session:
            return await TransferRepository(session).pending()

    # breaker and events

    async def get_breaker(self) -> BreakerRecord | None:
        """The breaker's current state, or None when it was never set (treat as ACTIVE)."""
        history = await self.breaker_history(limit=1)
        return history[0] if history else None

    async def set_breaker(
        self, state: BreakerState, reasons: Sequence[str], at: datetime | None = None
    ) -> BreakerRecord:
        """Record a breaker transition; earlier ones stay in the history."""
        async with self._write() as session:
            return await BreakerRepository(session).add(state, reasons, self._at(at))

    async def breaker_history(self, limit: int = 50) -> Sequence[BreakerRecord]:
        """Breaker transitions, newest first."""
        async with self._read() as session:
            return await BreakerRepository(session).history(_limit(limit))

    async def append_event(
        self,
        kind: str,
        payload: Mapping[str, object],
        run_id: str | None = None,
        at: datetime | None = None,
    ) -> EventRecord:
        """Append to the event log (JSON payload; Decimals become strings). Never rewritten."""
        async with self._write() as session:
            return await EventRepository(session).append(kind, payload, run_id, self._at(at))

    async def events(self, run_id: str | None = None, limit: int = 100) -> Sequence[EventRecord]:
        """The newest ``limit`` events (optionally of one run), oldest first."""
        async with self._read() as session:
            return await EventRepository(session).latest(run_id, _limit(limit))

    async def events_after(self, event_id: int, limit: int = 100) -> Sequence[EventRecord]:
        """The oldest ``limit`` events logged after ``event_id``, oldest first."""
        async with self._read() as session:
            return await EventRepository(session).after(event_id, _limit(limit))

    # run requests and what is remembered per portfolio

    async def create_requested_run(
        self,
        request: RunRequest,
        trigger: Trigger,
        requested_by: str,
        *,
        key: str | None = None,
        inflows: Sequence[Inflow] = (),
        at: datetime | None = None,
    ) -> RunRecord:
        """Record a run request, its NEW run and the deposits it invests, in one transaction."""
        record = _new_run(request, trigger, RunStatus.NEW, None, self._at(at))
        async with self._write() as session:
            return await RequestRepository(session).add(record, requested_by, key, inflows)

    async def get_request(self, run_id: str) -> RequestRecord | None:
        """The request run ``run_id`` came from (None: the run was not requested)."""
        async with self._read() as session:
            return await RequestRepository(session).get(run_id)

    async def request_by_key(self, key: str) -> RequestRecord | None:
        """The request made under ``key``, if any."""
        async with self._read() as session:
            return await RequestRepository(session).by_key(key)

    async def pending_requests(self) -> Sequence[RequestRecord]:
        """Requests whose run is still NEW and not cancelled, oldest first."""
        async with self._read() as session:
            return await RequestRepository(session).pending()

    async def take_request(self, run_id: str, at: datetime | None = None) -> bool:
        """The daemon takes a request; False when it was already taken or cancelled."""
        async with self._write() as session:
            return await RequestRepository(session).take(run_id, self._at(at))

    async def cancel_request(
        self, run_id: str, reason: str, at: datetime | None = None
    ) -> RunRecord | None:
        """Cancel a request not yet taken (its run becomes CANCELLED); None when too late."""
        async with self._write() as session:
            return await RequestRepository(session).cancel(run_id, reason, self._at(at))

    async def release_untaken_requests(self) -> int:
        """Recovery: requests taken by a daemon that died before starting them wait again."""
        async with self._write() as session:
            return await RequestRepository(session).release_untaken()

    async def invested_deposits(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` a run was started to invest."""
        async with self._read() as session:
            return await RequestRepository(session).invested_deposits(venue)

    async def transfer_deposit_ids(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` that were our own transfers arriving."""
        async with self._read() as session:
            return await TransferRepository(session).deposit_ids(venue)

    async def get_pause(self, portfolio: str) -> PauseRecord | None:
        """The portfolio's pause (None: never paused)."""
        async with self._read() as session:
            return await PortfolioStateRepository(session).pause(portfolio)

    async def pauses(self) -> Sequence[PauseRecord]:
        """Every portfolio ever paused or unpaused, by name."""
        async with self._read() as session:
            return await PortfolioStateRepository(session).pauses()

    async def set_pause(
        self, portfolio: str, paused: bool, by: str, reason: str, at: datetime | None = None
    ) -> PauseRecord:
        """Pause (or unpause) a portfolio; it stays so across restarts."""
        async with self._write() as session:
            return await PortfolioStateRepository(session).set_pause(
                portfolio, paused, by, reason, self._at(at)
            )

    async def save_latest_snapshot(
        self, portfolio: str, snapshot_json: str, at: datetime | None = None
    ) -> None:
        """Keep the snapshot a check just took (commands beside the daemon value from it)."""
        async with self._write() as session:
            await PortfolioStateRepository(session).save_snapshot(
                portfolio, snapshot_json, self._at(at)
            )

    async def latest_snapshot(self, portfolio: str) -> tuple[str, datetime] | None:
        """The latest kept snapshot JSON of the portfolio and when it was taken."""
        async with self._read() as session:
            return await PortfolioStateRepository(session).latest_snapshot(portfolio)

    async def deposits_watched_since(self, portfolio: str, at: datetime | None = None) -> datetime:
        """Since when deposits to the portfolio count as contributions (set on the first call)."""
        async with self._write() as session:
            return await PortfolioStateRepository(session).deposits_since(portfolio, self._at(at))

    async def schedule_first_seen(
        self, portfolio: str, entry_key: str, at: datetime | None = None
    ) -> datetime:
        """When a recurring run was first seen (set on the first call); it fires from then."""
        async with self._write() as session:
            return await PortfolioStateRepository(session).schedule_first_seen(
                portfolio, entry_key, self._at(at)
            )

    # set-asides

    async def record_set_aside(
        self,
        portfolio: str,
        venue: str,
        asset: str,
        amount: Decimal,
        *,
        seen_balance: Decimal,
        run_id: str | None = None,
        expires_at: datetime | None = None,
        at: datetime | None = None,
    ) -> SetAside:
        """Hold ``amount`` of ``asset`` on ``venue`` out of the portfolio (a short id is made)."""
        now = self._at(at)
        item = SetAside(
            id=new_set_aside_id(),
            portfolio=portfolio,
            venue=venue,
            asset=asset,
            amount=amount,
            created_at=now,
            seen_balance=seen_balance,
            seen_at=now,
            run_id=run_id,
            expires_at=expires_at,
        )
        async with self._write() as session:
            return await SetAsideRepository(session).add(item)

    async def get_set_aside(self, set_aside_id: str) -> SetAside:
        """One set-aside, active or released (RecordNotFound when missing)."""
        async with self._read() as session:
            return await SetAsideRepository(session).get(set_aside_id)

    async def set_asides(
        self, portfolio: str | None = None, *, active_only: bool = True, limit: int = 100
    ) -> Sequence[SetAside]:
        """The newest ``limit`` set-asides, oldest first (only the active ones by default)."""
        async with self._read() as session:
            return await SetAsideRepository(session).list(portfolio, active_only, _limit(limit))

    async def release_set_aside(
        self,
        set_aside_id: str,
        cause: ReleaseCause,
        *,
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> SetAside | None:
        """Release an active set-aside; None when it was released already."""
        async with self._write() as session:
            return await SetAsideRepository(session).release(
                set_aside_id, cause, by, reason, self._at(at)
            )

    async def set_aside_seen(
        self, set_aside_id: str, balance: Decimal, at: datetime | None = None
    ) -> SetAside:
        """Remember the venue's balance, seen with no run or transfer of ours since."""
        async with self._write() as session:
            return await SetAsideRepository(session).seen(set_aside_id, balance, self._at(at))

    async def reduce_set_aside(
        self,
        set_aside_id: str,
        amount: Decimal,
        *,
        seen_balance: Decimal,
        at: datetime | None = None,
    ) -> SetAside | None:
        """Hold only ``amount`` now; None when the set-aside was released meanwhile."""
        async with self._write() as session:
            return await SetAsideRepository(session).reduce(
                set_aside_id, amount, seen_balance, self._at(at)
            )

    async def set_aside_warned(self, set_aside_id: str, at: datetime | None = None) -> SetAside:
        """Remember that the set-aside's coming expiry was announced."""
        async with self._write() as session:
            return await SetAsideRepository(session).warned(set_aside_id, self._at(at))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()


def _new_run(
    request: RunRequest, trigger: Trigger, status: RunStatus, run_id: str | None, at: datetime
) -> RunRecord:
    if not request.portfolio:
        raise InvalidValue("run.portfolio: must not be empty")
    return RunRecord(
        id=run_id or new_run_id(),
        portfolio=request.portfolio,
        run_type=request.run_type,
        trigger=trigger,
        status=status,
        created_at=at,
        updated_at=at,
        amount=decimal_or_none(request.amount, "run.amount"),
        venue=request.venue,
        partial=request.partial,
    )


async def open_store(url: str | URL, *, clock: Clock | None = None, echo: bool = False) -> SqlStore:
    """Connect to ``url``, upgrade its schema to head and return the store."""
    engine = create_engine(url, echo=echo)
    try:
        await upgrade_to_head(engine)
    except BaseException:
        await engine.dispose()
        raise
    return SqlStore(engine, clock)


class DatabaseNotReady(RebalancerError):
    """A read-only command found no database, or one at another schema revision than ours."""


async def open_existing_store(url: str | URL, *, clock: Clock | None = None) -> SqlStore:
    """Open a database that already exists at the newest schema, creating and changing nothing.

    For read-only commands (``runs``, ``replay``): a mistyped state directory must not leave
    an empty database behind. Raises ``DatabaseNotReady`` saying what is missing.
    """
    shown = describe_url(url)
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise DatabaseNotReady(
            f"no database at {path} (the daemon creates it when it first starts; "
            "`rebalancer db upgrade` creates it now)"
        )
    engine = create_engine(url)
    try:
        current = await current_revision(engine)
    except BaseException:
        await engine.dispose()
        raise
    if current != head_revision():
        await engine.dispose()
        at = f"revision {current}" if current else "no schema"
        raise DatabaseNotReady(
            f"{shown} has {at}, not this version's {head_revision()}: `rebalancer db upgrade`"
        )
    return SqlStore(engine, clock)


def _conforms_to_port(store: SqlStore) -> Store:
    """Let mypy prove SqlStore implements every method of the Store port."""
    return store
