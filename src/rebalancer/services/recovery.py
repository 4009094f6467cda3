"""Start-up and crash recovery, one path: reconcile every venue, settle runs, then trade.

For every venue: fetch balances (the venue must answer), every open order carrying our prefix
(one the Store does not know is cancelled and reported), and every non-terminal order the Store
holds for that venue, looked up by client id. An order the venue definitively does not know,
once its request can no longer be carried out late (the venue's ``request_window_s`` after it
was sent), is marked REJECTED (it never arrived); one still open is cancelled (its run is
being settled, the next run plans afresh) and its final fills recorded. A venue where any of
this fails is reported unreconciled and is not traded.

Then every pending transfer. One whose withdrawal id we never recorded (``PENDING_SUBMIT``: a
crash or a lost reply between the intent and the venue's answer) is looked up at its source by
its client id: a withdrawal found is adopted (``SUBMITTED``) and followed from there; the venue
definitively having none marks it ``FAILED`` as never sent, so the next run plans it afresh. A
source that cannot answer is reported unreconciled. Every pending transfer is then checked once.

Then every run in flight is settled: a run waiting for approval keeps waiting, and so does a run
request that never started (still ``NEW``: nothing was traded for it, so it is taken again,
exactly once, even if the daemon that took it died); any other ends ``PARTIALLY_FILLED`` if some
of its orders filled, else ``FAILED``, with the reason "interrupted". Running recovery twice
changes nothing the second time.

Each venue is reconciled with the execution settings of the portfolio that owns it (read
retries and waits; a transfer is checked with its source venue's), so portfolios tuned
differently are recovered as they trade.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from rebalancer.core.client_ids import is_ours
from rebalancer.domain.errors import VenueError
from rebalancer.domain.events import RunEnded
from rebalancer.domain.orders import OrderReport, OrderStatus
from rebalancer.domain.records import (
    OrderIntentState,
    OrderRecord,
    TransferRecord,
    TransferState,
)
from rebalancer.domain.runs import RunStatus
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.execution_settings import ExecutionSettings
from rebalancer.services.order_placement import save_report
from rebalancer.services.run_outcome import fees_in_quote, traded_notional
from rebalancer.services.transfers import TransferRunner
from rebalancer.services.venue_reads import look_up_sent, with_retries

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class RecoveryReport:
    """What recovery found and did."""

    settled_orders: list[str] = field(default_factory=list)  # client ids brought up to date
    cancelled_orders: list[str] = field(default_factory=list)
    never_arrived: list[str] = field(default_factory=list)  # intents the venue never saw
    stray_orders: list[str] = field(default_factory=list)  # ours on the venue, unknown to us
    adopted_transfers: list[str] = field(default_factory=list)  # withdrawal found by client id
    unsent_transfers: list[str] = field(default_factory=list)  # the venue never received them
    settled_runs: dict[str, RunStatus] = field(default_factory=dict)
    unreconciled: dict[str, str] = field(default_factory=dict)  # venue -> why

    @property
    def tradable(self) -> bool:
        """True when every venue was reconciled."""
        return not self.unreconciled


class Recovery:
    """Brings the Store and the venues into agreement before any trading."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        settings: Mapping[str, ExecutionSettings],
        gateways: Mapping[str, VenueGateway],
        *,
        events: EventSink | None = None,
    ) -> None:
        """``settings`` maps every venue of ``gateways`` to its owning portfolio's settings."""
        missing = sorted(set(gateways) - set(settings))
        if missing:
            raise ValueError(f"recovery: no execution settings for venue(s) {', '.join(missing)}")
        self._store = store
        self._events = events or EventHub(store)
        self._clock = clock
        self._breaker = breaker
        self._settings = dict(settings)
        self._gateways = gateways

    def settings_for(self, venue: str) -> ExecutionSettings:
        """The execution settings ``venue`` is reconciled with (its portfolio's)."""
        return self._settings[venue]

    async def run(self) -> RecoveryReport:
        """Reconcile every venue, then settle every run in flight."""
        await self._breaker.load()
        report = RecoveryReport()
        pending = await self._store.non_terminal_orders()
        for venue in sorted(self._gateways):
            mine = [order for order in pending if order.venue == venue]
            try:
                await self._reconcile_venue(venue, mine, report)
            except VenueError as error:
                report.unreconciled[venue] = str(error)
                log.error(
                    "recovery: %s cannot be reconciled and will not be traded: %s", venue, error
                )
        await self._check_transfers(report)
        await self._settle_runs(report)
        return report

    async def _read(self, venue: str, call: Callable[[], Awaitable[T]]) -> T:
        """A read or cancel on ``venue``, retried as its portfolio's settings say."""
        orders = self._settings[venue].orders
        return await with_retries(
            call,
            attempts=orders.lookup_attempts,
            max_wait_s=orders.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )

    async def _reconcile_venue(
        self, venue: str, pending: list[OrderRecord], report: RecoveryReport
    ) -> None:
        gateway = self._gateways[venue]
        await self._read(venue, gateway.fetch_balances)
        known = {order.client_order_id for order in pending}
        for order in pending:
            await self._settle_order(venue, order, report)
        for open_order in await self._read(venue, gateway.fetch_open_orders):
            cid = open_order.client_order_id
            if cid is None or not is_ours(cid) or cid in known:
                continue
            await self._cancel_stray(venue, open_order.symbol, cid, report)

    async def _cancel_stray(
        self, venue: str, symbol: str, cid: str, report: RecoveryReport
    ) -> None:
        """Cancel an open order of ours the Store does not count as live (never, or terminal)."""
        gateway = self._gateways[venue]
        log.warning("recovery: %s has our open order %s the store does not track", venue, cid)
        await self._read(venue, lambda: gateway.cancel_order(symbol, cid))
        final = await self._read(venue, lambda: gateway.fetch_order_by_client_id(symbol, cid))
        if final is not None and await self._store.get_order(cid) is not None:
            await save_report(self._store, final, self._clock)
        report.stray_orders.append(cid)

    async def _settle_order(self, venue: str, order: OrderRecord, report: RecoveryReport) -> None:
        gateway = self._gateways[venue]
        cid = order.client_order_id

        async def look_up() -> OrderReport | None:
            return await gateway.fetch_order_by_client_id(order.symbol, cid)

        orders = self._settings[venue].orders
        found = await look_up_sent(  # a request held before the crash may still be carried out
            look_up,
            sent_at=order.updated_at,  # the intent, or later: the wait is never too short
            window_s=gateway.request_window_s,
            clock=self._clock,
            every_s=orders.poll_interval_s,
            attempts=orders.lookup_attempts,
            max_wait_s=orders.lookup_max_wait_s,
        )
        if found is None:
            await self._store.update_order(
                cid,
                at=self._clock.now(),
                state=OrderIntentState.REJECTED,
                reason="recovery: the venue never received it",
            )
            report.never_arrived.append(cid)
            return
        if found.status is OrderStatus.OPEN:
            await self._read(venue, lambda: gateway.cancel_order(order.symbol, cid))
            report.cancelled_orders.append(cid)
            found = await self._read(venue, look_up)
            if found is None:
                raise VenueError(venue, f"order {cid} vanished while being cancelled")
        await save_report(self._store, found, self._clock)
        report.settled_orders.append(cid)

    async def _check_transfers(self, report: RecoveryReport) -> None:
        stop = asyncio.Event()  # checking once never waits
        for transfer in await self._store.pending_transfers():
            source = self._gateways.get(transfer.source)
            destination = self._gateways.get(transfer.destination)
            if source is None or destination is None:
                continue
            if (
                transfer.source in report.unreconciled
                or transfer.destination in report.unreconciled
            ):
                continue
            settings = self._settings[transfer.source]  # both ends belong to one portfolio
            runner = TransferRunner(
                self._store, self._clock, self._breaker, settings, stop, events=self._events
            )
            try:
                current = transfer
                if current.state is TransferState.PENDING_SUBMIT or not current.withdrawal_id:
                    current = await self._settle_transfer(runner, current, source, report)
                    if current.state is TransferState.FAILED:
                        continue
                await runner.check(current, source, destination)
            except VenueError as error:
                report.unreconciled[transfer.source] = str(error)

    async def _settle_transfer(
        self,
        runner: TransferRunner,
        transfer: TransferRecord,
        source: VenueGateway,
        report: RecoveryReport,
    ) -> TransferRecord:
        """Find a transfer's withdrawal by client id: adopt it, or mark the transfer unsent."""
        settled = await runner.settle(transfer, source)
        if settled.state is TransferState.FAILED:
            report.unsent_transfers.append(transfer.id)
            log.warning(
                "recovery: transfer %s never reached %s; the next run plans it again",
                transfer.id,
                transfer.source,
            )
        else:
            report.adopted_transfers.append(transfer.id)
            log.warning(
                "recovery: transfer %s was requested before the interruption; adopted "
                "withdrawal %s and following it",
                transfer.id,
                settled.withdrawal_id,
            )
        return settled

    async def _settle_runs(self, report: RecoveryReport) -> None:
        if released := await self._store.release_untaken_requests():
            log.warning("recovery: %d run request(s) taken but never started wait again", released)
        for run in await self._store.runs_in_flight():
            if run.status is RunStatus.AWAITING_APPROVAL:
                continue
            if run.status is RunStatus.NEW and await self._store.get_request(run.id) is not None:
                continue  # a request not started yet: the daemon takes it
            orders = await self._store.orders_for_run(run.id)
            if any(not order.state.is_terminal for order in orders):
                continue  # on a venue we could not reconcile: settle it next time
            filled = any(order.filled > 0 for order in orders)
            status = RunStatus.PARTIALLY_FILLED if filled else RunStatus.FAILED
            ended = await self._store.set_run_status(
                run.id, status, "interrupted: settled by recovery", at=self._clock.now()
            )
            report.settled_runs[run.id] = status
            await self._events.publish(
                RunEnded(
                    at=ended.updated_at,
                    portfolio=ended.portfolio,
                    run_id=ended.id,
                    status=status,
                    reason=ended.reason or "",
                    rounds=ended.rounds,
                    traded=traded_notional(orders),
                    cost=fees_in_quote(orders),
                )
            )
            log.warning(
                "recovery: run %s (round %d) was interrupted; settled as %s",
                run.id,
                ended.rounds,
                status,
            )
