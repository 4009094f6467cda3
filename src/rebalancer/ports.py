"""The seams between services and the outside world, as ``typing.Protocol``s.

Services see only these; ``rebalancer.runtime`` (the one composition root) builds the concrete
adapters (ccxt venues, SQLAlchemy store, alert sinks, the system clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from rebalancer.domain.breaker import BreakerState
from rebalancer.domain.events import DomainEvent, Published
from rebalancer.domain.market import Market
from rebalancer.domain.orders import Balance, OrderReport, SubmitOrder
from rebalancer.domain.plan import RunType
from rebalancer.domain.quotes import Quote
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
from rebalancer.domain.transfers import DepositAddress, TransferReport, WithdrawRequest


class Clock(Protocol):
    """The source of "now" (UTC, timezone-aware) and the one way services wait.

    Every wait in services (grace periods, polls, retry backoff) goes through ``sleep``, so a
    simulated clock (backtests) can move time on at once instead of waiting; the daemon's clock
    sleeps for real. Tests pass a fixed, stepped or simulated clock.
    """

    def now(self) -> datetime:
        """Return the current time."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (on this clock's time) before returning."""
        ...


class VenueGateway(Protocol):
    """One exchange account, as the daemon uses it.

    Errors are raised from ``rebalancer.domain.errors``: ``RetryableVenueError``,
    ``OrderRejected``, ``AmbiguousOrderOutcome``, ``AuthenticationFailed``, ``VenueUnavailable``.
    Reads retry transient failures themselves; ``create_order``, ``cancel_order`` and
    ``withdraw`` are sent once. A malformed reply raises, it never reads as empty.
    """

    @property
    def name(self) -> str:
        """The venue's name in the config."""
        ...

    @property
    def request_window_s(self) -> float:
        """How long after a request is sent the venue may still carry it out, in seconds.

        A signed request carries its time, and the venue refuses it once it is older than this
        (Binance: ``recvWindow``; OKX: 30 s). A create or withdrawal the venue has no trace of
        after the window never will have: only then is "not found" an answer.
        """
        ...

    async def load_markets(self) -> Mapping[str, Market]:
        """Load every spot market's rules, keyed by symbol."""
        ...

    async def fetch_balances(self) -> Mapping[str, Balance]:
        """Fetch every nonzero balance over REST."""
        ...

    async def watch_balances(self) -> Mapping[str, Balance]:
        """Wait for the next balance update from the user-data stream.

        Returns the assets that update states in absolute terms, which may be a subset (or
        none, for a delta-only event); merge them into what ``fetch_balances`` returned.
        """
        ...

    async def fetch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """Fetch best bid and ask for ``symbols`` over REST."""
        ...

    async def watch_quotes(self, symbols: Sequence[str]) -> Mapping[str, Quote]:
        """Wait for the next best bid/ask updates for ``symbols`` from the market stream.

        Returns only the symbols the triggering message carried; the first call subscribes, so
        updates sent before it are missed (fetch over REST after every (re)subscribe).
        """
        ...

    async def create_order(self, order: SubmitOrder) -> OrderReport:
        """Place an order. Never retried blindly: ambiguity raises ``AmbiguousOrderOutcome``."""
        ...

    async def fetch_order_by_client_id(
        self, symbol: str, client_order_id: str
    ) -> OrderReport | None:
        """Look an order up by our id; None only when the exchange says it does not exist."""
        ...

    async def cancel_order(self, symbol: str, client_order_id: str) -> OrderReport | None:
        """Cancel an order by our id; None when it was already gone."""
        ...

    async def fetch_open_orders(self, symbol: str | None = None) -> Sequence[OrderReport]:
        """Every open order (optionally of one symbol)."""
        ...

    async def watch_orders(self) -> Sequence[OrderReport]:
        """Wait for the next order updates from the user-data stream."""
        ...

    async def withdraw(self, request: WithdrawRequest) -> TransferReport:
        """Start a withdrawal, once, carrying ``request.client_id``.

        A lost reply raises ``AmbiguousOrderOutcome``: settle it with
        ``fetch_withdrawal_by_client_id``, never by sending it again.
        """
        ...

    async def fetch_withdrawal_by_client_id(
        self, asset: str, client_id: str
    ) -> TransferReport | None:
        """Look a withdrawal up by our id; None only when the venue says none exists.

        A network error raises (it is never read as "none").
        """
        ...

    async def fetch_withdrawals(self, asset: str | None = None) -> Sequence[TransferReport]:
        """Recent withdrawals."""
        ...

    async def fetch_deposits(self, asset: str | None = None) -> Sequence[TransferReport]:
        """Recent deposits."""
        ...

    async def fetch_deposit_address(self, asset: str, network: str) -> DepositAddress:
        """Where to send ``asset`` over ``network`` to credit this account."""
        ...

    async def close(self) -> None:
        """Release connections. Always called."""
        ...


class Store(Protocol):
    """The daemon's durable memory: runs, order intents, transfers, breaker and event log.

    Every write is one transaction and is durable when the call returns; reads never see half a
    write. Timestamps are timezone-aware UTC; ``at=None`` means "now" by the store's clock.
    Missing ids raise ``RecordNotFound``; a second record with the same unique key raises
    ``DuplicateRecord`` (both in ``rebalancer.domain.records``).
    """

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
        ...

    async def get_run(self, run_id: str) -> RunRecord:
        """Return one run."""
        ...

    async def list_runs(self, portfolio: str | None = None, limit: int = 50) -> Sequence[RunRecord]:
        """Return the newest runs first, optionally of one portfolio."""
        ...

    async def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None = None,
        *,
        at: datetime | None = None,
    ) -> RunRecord:
        """Move a run to ``status`` (with why) and return it as stored."""
        ...

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
        ...

    async def rounds_for_run(self, run_id: str) -> Sequence[RoundRecord]:
        """Every saved round of a run, first round first."""
        ...

    async def plan_nodes(self, run_id: str, round: int) -> Sequence[PlanNodeRecord]:
        """The nodes of a saved round's plan (taken from its plan JSON), in plan order."""
        ...

    async def runs_in_flight(self) -> Sequence[RunRecord]:
        """Every run not yet in a terminal status, oldest first (what start-up must settle)."""
        ...

    async def last_rebalance_at(self, portfolio: str) -> datetime | None:
        """When the portfolio's last FILLED or PARTIALLY_FILLED ``full`` run ended (the cooldown
        and the calendar count from it; other run types do not rebalance)."""
        ...

    async def record_order_intent(self, order: OrderRecord) -> OrderRecord:
        """Commit an order before it is sent; durable on return. Duplicate ids are refused."""
        ...

    async def save_order(self, order: OrderRecord) -> OrderRecord:
        """Overwrite an existing order (by client order id); its identity cannot change.

        The identity is run, node, round, attempt, venue, symbol, side and created_at.
        """
        ...

    async def update_order(
        self, client_order_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> OrderRecord:
        """Change fields of an order (``state=..., filled=...``); identity fields are refused."""
        ...

    async def get_order(self, client_order_id: str) -> OrderRecord | None:
        """Return one order, or None when we never recorded it."""
        ...

    async def orders_for_run(self, run_id: str) -> Sequence[OrderRecord]:
        """Every order of a run, in the order they were recorded."""
        ...

    async def non_terminal_orders(self) -> Sequence[OrderRecord]:
        """Every order that may still change on a venue (what reconciliation must look up)."""
        ...

    async def notional_traded_since(self, since: datetime, portfolio: str | None = None) -> Decimal:
        """The quote value filled by orders created at or after ``since`` (turnover limits)."""
        ...

    async def record_transfer(self, transfer: TransferRecord) -> TransferRecord:
        """Commit a transfer before it is requested; duplicate ids are refused."""
        ...

    async def update_transfer(
        self, transfer_id: str, /, *, at: datetime | None = None, **changes: object
    ) -> TransferRecord:
        """Change some fields of a transfer (e.g. ``state=..., withdrawal_id=...``)."""
        ...

    async def get_transfer(self, transfer_id: str) -> TransferRecord | None:
        """Return one transfer, or None when we never recorded it."""
        ...

    async def pending_transfers(self) -> Sequence[TransferRecord]:
        """Every transfer that has neither arrived nor failed, oldest first."""
        ...

    async def get_breaker(self) -> BreakerRecord | None:
        """The breaker's current state, or None when it was never set (treat as ACTIVE)."""
        ...

    async def set_breaker(
        self, state: BreakerState, reasons: Sequence[str], at: datetime | None = None
    ) -> BreakerRecord:
        """Record a breaker transition; earlier ones stay in the history."""
        ...

    async def breaker_history(self, limit: int = 50) -> Sequence[BreakerRecord]:
        """Breaker transitions, newest first."""
        ...

    async def append_event(
        self,
        kind: str,
        payload: Mapping[str, object],
        run_id: str | None = None,
        at: datetime | None = None,
    ) -> EventRecord:
        """Append to the event log (JSON payload; Decimals become strings). Never rewritten."""
        ...

    async def events(self, run_id: str | None = None, limit: int = 100) -> Sequence[EventRecord]:
        """The newest ``limit`` events (optionally of one run), oldest first."""
        ...

    async def events_after(self, event_id: int, limit: int = 100) -> Sequence[EventRecord]:
        """The oldest ``limit`` events logged after ``event_id``, oldest first (for paging)."""
        ...

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
        """Record a run request: a NEW run of what was asked, who asked, and in one transaction
        the deposits it invests. A second request with the same ``key``, or a deposit already
        being invested, raises ``DuplicateRecord`` and writes nothing."""
        ...

    async def get_request(self, run_id: str) -> RequestRecord | None:
        """The request run ``run_id`` came from (None: the run was not requested)."""
        ...

    async def request_by_key(self, key: str) -> RequestRecord | None:
        """The request made under ``key``, if any."""
        ...

    async def pending_requests(self) -> Sequence[RequestRecord]:
        """Requests whose run is still NEW and not cancelled, oldest first."""
        ...

    async def take_request(self, run_id: str, at: datetime | None = None) -> bool:
        """The daemon takes a request; False when it was already taken or cancelled."""
        ...

    async def cancel_request(
        self, run_id: str, reason: str, at: datetime | None = None
    ) -> RunRecord | None:
        """Cancel a request not yet taken (its run becomes CANCELLED); None when too late.

        A missing request raises ``RecordNotFound``.
        """
        ...

    async def release_untaken_requests(self) -> int:
        """Recovery: requests taken by a daemon that died before starting them wait again."""
        ...

    async def invested_deposits(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` a run was started to invest."""
        ...

    async def transfer_deposit_ids(self, venue: str) -> frozenset[str]:
        """Ids of the deposits on ``venue`` that were our own transfers arriving."""
        ...

    async def get_pause(self, portfolio: str) -> PauseRecord | None:
        """The portfolio's pause (None: never paused)."""
        ...

    async def pauses(self) -> Sequence[PauseRecord]:
        """Every portfolio ever paused or unpaused, by name."""
        ...

    async def set_pause(
        self, portfolio: str, paused: bool, by: str, reason: str, at: datetime | None = None
    ) -> PauseRecord:
        """Pause (or unpause) a portfolio; it stays so across restarts."""
        ...

    async def save_latest_snapshot(
        self, portfolio: str, snapshot_json: str, at: datetime | None = None
    ) -> None:
        """Keep the snapshot a check just took (commands beside the daemon value from it)."""
        ...

    async def latest_snapshot(self, portfolio: str) -> tuple[str, datetime] | None:
        """The latest kept snapshot JSON of the portfolio and when it was taken."""
        ...

    async def deposits_watched_since(self, portfolio: str, at: datetime | None = None) -> datetime:
        """Since when deposits to the portfolio count as contributions (set on the first call)."""
        ...

    async def schedule_first_seen(
        self, portfolio: str, entry_key: str, at: datetime | None = None
    ) -> datetime:
        """When a recurring run was first seen (set on the first call); it fires from then."""
        ...

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
        """Hold ``amount`` of ``asset`` on ``venue`` out of the portfolio (a short id is made);
        ``seen_balance`` is the venue's balance of the asset now."""
        ...

    async def get_set_aside(self, set_aside_id: str) -> SetAside:
        """One set-aside, active or released."""
        ...

    async def set_asides(
        self, portfolio: str | None = None, *, active_only: bool = True, limit: int = 100
    ) -> Sequence[SetAside]:
        """The newest ``limit`` set-asides (of one portfolio, or all), oldest first; only the
        active ones unless ``active_only`` is False."""
        ...

    async def release_set_aside(
        self,
        set_aside_id: str,
        cause: ReleaseCause,
        *,
        by: str,
        reason: str = "",
        at: datetime | None = None,
    ) -> SetAside | None:
        """Give the cash back to the portfolio (or note it left); None when already released."""
        ...

    async def set_aside_seen(
        self, set_aside_id: str, balance: Decimal, at: datetime | None = None
    ) -> SetAside:
        """Remember the venue's balance, seen with no run or transfer of ours since."""
        ...

    async def reduce_set_aside(
        self,
        set_aside_id: str,
        amount: Decimal,
        *,
        seen_balance: Decimal,
        at: datetime | None = None,
    ) -> SetAside | None:
        """Hold only ``amount`` now (part was paid out; the balance after it is
        ``seen_balance``); None when the set-aside was released meanwhile."""
        ...

    async def set_aside_warned(self, set_aside_id: str, at: datetime | None = None) -> SetAside:
        """Remember that the set-aside's coming expiry was announced."""
        ...

    async def close(self) -> None:
        """Release connections. Always called."""
        ...


class EventSink(Protocol):
    """Where services publish what happened (``rebalancer.domain.events``).

    One implementation fans every event out: first to the Store's event log (awaited: the log
    is the record the daemon reads back, and a Store error raises like any Store write), then
    to each subscriber's bounded queue, never waiting for a subscriber. A slow, hanging or
    failing subscriber therefore never delays trading; its failures are counted and logged.
    """

    async def publish(self, event: DomainEvent) -> Published:
        """Record ``event`` and hand it to every subscriber; return it with its log id."""
        ...


class EventSubscriber(Protocol):
    """One consumer of the event stream: an alert sink, the metrics, the API's live stream.

    ``deliver`` is called with one event at a time, in log order, from the subscriber's own
    task. It may take its time (retry, honour a rate limit): only its own queue waits, and
    when that queue is full, the oldest non-critical event is dropped (and counted). An
    exception from ``deliver`` is counted and logged; the next event is delivered as usual.
    """

    @property
    def name(self) -> str:
        """A short name for logs and metrics (``telegram``, ``slack``, ``metrics``)."""
        ...

    async def deliver(self, published: Published) -> None:
        """Handle one event."""
        ...
