"""Moving an asset between venues: address, withdrawal, then following it to its arrival.

Withdrawals are as crash-safe as orders. The transfer is committed to the Store
(``PENDING_SUBMIT``) before the withdrawal is requested; its id is a client id
(``core.client_ids.make_transfer_client_id`` of run, node and round) and the withdrawal carries
it (Binance ``withdrawOrderId``, OKX ``clientId``). The request is sent once. If its outcome is
not heard (timeout, dropped reply, 5xx: anything but a definitive refusal), the withdrawal is
looked up by that id with backoff: found, it is adopted (``SUBMITTED``) and followed; the venue
definitively listing none marks the transfer ``FAILED`` as never sent, so the next round plans
it afresh. A lookup that keeps failing leaves it ``PENDING_SUBMIT`` for recovery, which settles
it the same way: a network error is never read as "not sent".

The withdrawal's status is followed at the source and the deposit's arrival at the destination
(matched by transaction id, or by amount after the fee). A transfer that has not arrived by its
deadline is logged at ERROR and trips the breaker (``TRANSFER_OVERDUE``); it stays pending in the
Store so recovery keeps following it. Each step is published: ``TransferSent`` when the venue has
the withdrawal, ``TransferArrived``, ``TransferLate``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from rebalancer.core.breaker import TripReason
from rebalancer.core.client_ids import make_transfer_client_id
from rebalancer.domain.errors import AuthenticationFailed, OrderRejected, VenueError
from rebalancer.domain.events import TransferArrived, TransferLate, TransferSent
from rebalancer.domain.plan import PlannedTransfer
from rebalancer.domain.records import TransferRecord, TransferState
from rebalancer.domain.transfers import (
    DepositAddress,
    TransferReport,
    TransferStatus,
    WithdrawRequest,
)
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.event_hub import EventHub
from rebalancer.services.execution_settings import ExecutionSettings
from rebalancer.services.pauses import pause
from rebalancer.services.venue_reads import look_up_sent, with_retries

log = logging.getLogger(__name__)

NEVER_SENT = "never sent: the venue has no withdrawal with this client id"
OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class TransferJob:
    """One planned transfer of one round of a run, with both venues and the route's fee."""

    run_id: str
    round: int
    node: PlannedTransfer
    source: VenueGateway
    destination: VenueGateway
    fee: Decimal


@dataclass(frozen=True, slots=True)
class TransferResult:
    """How a transfer node ended: arrived, or why not."""

    node_id: str
    arrived: bool
    reason: str | None = None


def find_arrival(
    deposits: list[TransferReport], withdrawal: TransferReport | None, expected: Decimal
) -> TransferReport | None:
    """The deposit that is this withdrawal's arrival: same txid, else the expected amount."""
    done = [d for d in deposits if d.status is TransferStatus.OK]
    if withdrawal is not None and withdrawal.txid:
        by_txid = [d for d in done if d.txid == withdrawal.txid]
        if by_txid:
            return by_txid[0]
    since = withdrawal.timestamp_ms if withdrawal and withdrawal.timestamp_ms else 0
    for deposit in done:
        if deposit.amount == expected and (deposit.timestamp_ms or 0) >= since:
            return deposit
    return None


class TransferRunner:
    """Carries out transfer nodes."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        settings: ExecutionSettings,
        stop: asyncio.Event | None = None,
        *,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._events = events or EventHub(store)
        self._clock = clock
        self._breaker = breaker
        self._settings = settings
        self._stop = stop or asyncio.Event()

    async def run(self, job: TransferJob) -> TransferResult:
        """Withdraw and follow to arrival; never raises for venue problems."""
        if not self._breaker.allows(None):
            return TransferResult(job.node.id, False, f"circuit breaker is {self._breaker.state}")
        record = await self._start(job)
        if record.state is TransferState.FAILED:
            return TransferResult(job.node.id, False, record.reason)
        if record.state is TransferState.PENDING_SUBMIT:
            return TransferResult(job.node.id, False, "withdrawal outcome unknown")
        return await self.follow(record, job.source, job.destination)

    async def _start(self, job: TransferJob) -> TransferRecord:
        """Commit the intent, then request the withdrawal once and settle what came of it."""
        node = job.node
        now = self._clock.now()
        record = await self._store.record_transfer(
            TransferRecord(
                id=make_transfer_client_id(job.run_id, node.id, job.round),
                run_id=job.run_id,
                node_id=node.id,
                asset=node.asset,
                network=node.network,
                source=node.source,
                destination=node.destination,
                amount=node.amount,
                state=TransferState.PENDING_SUBMIT,
                created_at=now,
                updated_at=now,
                fee=job.fee,
                deadline=now + timedelta(seconds=self._settings.transfers.arrival_timeout_s),
            )
        )
        try:
            address = await self._deposit_address(job, node)
        except VenueError as error:  # nothing was requested yet
            return await self._fail(record, f"no deposit address: {error}")
        request = WithdrawRequest(
            node.asset, node.network, node.amount, address.address, address.tag, record.id
        )
        # stamped as it goes out: how long the venue may still carry it out counts from here
        record = await self._store.update_transfer(record.id, at=self._clock.now())
        try:
            report = await job.source.withdraw(request)
        except (OrderRejected, AuthenticationFailed) as error:
            return await self._fail(record, str(error))
        except VenueError as error:
            log.warning(
                "transfer %s: withdrawal outcome unknown (%s); looking it up by client id",
                record.id,
                error,
            )
            return await self._settle_in_run(record, job.source, str(error))
        return await self._adopt(record, report)

    async def _deposit_address(self, job: TransferJob, node: PlannedTransfer) -> DepositAddress:
        """The config's pinned address for the destination if any, else the venue's own."""
        pinned = self._settings.transfers.deposit_addresses.get(
            (node.destination, node.asset, node.network)
        )
        if pinned is not None:
            return DepositAddress(node.asset, node.network, pinned)
        reads = self._settings.orders
        return await with_retries(
            lambda: job.destination.fetch_deposit_address(node.asset, node.network),
            attempts=reads.lookup_attempts,
            max_wait_s=reads.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )

    async def _fail(self, record: TransferRecord, reason: str) -> TransferRecord:
        """The venue definitively refused: nothing left the account."""
        await self._breaker.failure(f"transfer {record.id}: {reason}")
        log.error("transfer %s failed to start: %s", record.id, reason)
        return await self._store.update_transfer(
            record.id, at=self._clock.now(), state=TransferState.FAILED, reason=reason
        )

    async def _settle_in_run(
        self, record: TransferRecord, source: VenueGateway, why: str
    ) -> TransferRecord:
        """Settle an unanswered withdrawal by its client id, after the venue's grace period."""
        await self._clock.sleep(self._settings.orders.ambiguous_grace_s)
        try:
            settled = await self.settle(record, source)
        except VenueError as error:
            # Unknown stays unknown (PENDING_SUBMIT): recovery settles it; never "not sent".
            await self._breaker.failure(f"transfer {record.id}: withdrawal outcome unknown")
            log.error(
                "transfer %s: withdrawal outcome still unknown (%s); recovery will settle it",
                record.id,
                error,
            )
            return await self._store.update_transfer(
                record.id, at=self._clock.now(), reason=f"withdrawal outcome unknown: {why}"
            )
        if settled.state is TransferState.FAILED:
            await self._breaker.failure(f"transfer {record.id}: {NEVER_SENT}")
        return settled

    async def settle(self, record: TransferRecord, source: VenueGateway) -> TransferRecord:
        """Look a transfer's withdrawal up by its client id and store what the venue says.

        Found: adopted (``SUBMITTED`` with the venue's id), to be followed to arrival. None (the
        venue's definitive answer, given once the venue can no longer carry the request out:
        ``request_window_s`` after it went out, ``look_up_sent``): ``FAILED`` with reason
        ``NEVER_SENT``. Lookups retry with backoff; a venue that keeps failing raises
        ``VenueError`` and nothing is changed.
        """
        reads = self._settings.orders
        found = await look_up_sent(
            lambda: source.fetch_withdrawal_by_client_id(record.asset, record.id),
            sent_at=record.updated_at,  # stamped just before the request (or later: safe)
            window_s=source.request_window_s,
            clock=self._clock,
            every_s=reads.poll_interval_s,
            attempts=reads.lookup_attempts,
            max_wait_s=reads.lookup_max_wait_s,
        )
        if found is None:
            log.warning("transfer %s: %s; it will be planned again", record.id, NEVER_SENT)
            return await self._store.update_transfer(
                record.id, at=self._clock.now(), state=TransferState.FAILED, reason=NEVER_SENT
            )
        log.info("transfer %s: found withdrawal %s by client id", record.id, found.id)
        return await self._adopt(record, found)

    async def _adopt(self, record: TransferRecord, report: TransferReport) -> TransferRecord:
        """Record the venue's withdrawal as this transfer's (``SUBMITTED``)."""
        adopted = await self._store.update_transfer(
            record.id,
            at=self._clock.now(),
            state=TransferState.SUBMITTED,
            withdrawal_id=report.id,
            fee=report.fee if report.fee is not None else record.fee,
            reason=None,
        )
        await self._events.publish(
            TransferSent(
                at=self._clock.now(),
                run_id=adopted.run_id,
                transfer_id=adopted.id,
                asset=adopted.asset,
                network=adopted.network,
                source=adopted.source,
                destination=adopted.destination,
                amount=adopted.amount,
                fee=adopted.fee,
            )
        )
        return adopted

    async def follow(
        self, record: TransferRecord, source: VenueGateway, destination: VenueGateway
    ) -> TransferResult:
        """Follow a submitted transfer until it arrives, fails, or passes its deadline."""
        while True:
            record = await self.check(record, source, destination)
            if record.state is TransferState.ARRIVED:
                return TransferResult(record.node_id, True)
            if record.state is TransferState.FAILED:
                return TransferResult(record.node_id, False, record.reason)
            if record.deadline is not None and self._clock.now() >= record.deadline:
                return await self.overdue(record)
            if self._stop.is_set():
                return TransferResult(record.node_id, False, "stopped while in transit")
            await pause(self._clock, self._settings.transfers.poll_interval_s, self._stop)

    async def check(
        self, record: TransferRecord, source: VenueGateway, destination: VenueGateway
    ) -> TransferRecord:
        """Look once at the withdrawal and the deposit; store what changed."""
        reads = self._settings.orders
        withdrawals = await with_retries(
            lambda: source.fetch_withdrawals(record.asset),
            attempts=reads.lookup_attempts,
            max_wait_s=reads.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )
        withdrawal = next((w for w in withdrawals if w.id == record.withdrawal_id), None)
        if withdrawal is not None and withdrawal.status in (
            TransferStatus.FAILED,
            TransferStatus.CANCELED,
        ):
            log.error("transfer %s: withdrawal %s", record.id, withdrawal.status)
            await self._breaker.failure(f"transfer {record.id} withdrawal {withdrawal.status}")
            return await self._store.update_transfer(
                record.id,
                at=self._clock.now(),
                state=TransferState.FAILED,
                reason=f"withdrawal {withdrawal.status}",
            )
        deposits = await with_retries(
            lambda: destination.fetch_deposits(record.asset),
            attempts=reads.lookup_attempts,
            max_wait_s=reads.lookup_max_wait_s,
            sleep=self._clock.sleep,
        )
        arrival = find_arrival(list(deposits), withdrawal, record.amount - (record.fee or 0))
        if arrival is not None:
            log.info("transfer %s arrived at %s", record.id, record.destination)
            arrived = await self._store.update_transfer(
                record.id,
                at=self._clock.now(),
                state=TransferState.ARRIVED,
                deposit_id=arrival.id,
                arrived_at=self._clock.now(),
            )
            await self._events.publish(
                TransferArrived(
                    at=self._clock.now(),
                    run_id=arrived.run_id,
                    transfer_id=arrived.id,
                    asset=arrived.asset,
                    source=arrived.source,
                    destination=arrived.destination,
                    amount=arrived.amount,
                )
            )
            return arrived
        if (
            withdrawal is not None
            and withdrawal.status is TransferStatus.OK
            and record.state is not TransferState.CONFIRMED
        ):
            return await self._store.update_transfer(
                record.id, at=self._clock.now(), state=TransferState.CONFIRMED
            )
        return record

    async def overdue(self, record: TransferRecord) -> TransferResult:
        """A transfer missed its deadline: say so, mark it, trip the breaker; keep it pending."""
        detail = (
            f"transfer {record.id} of {record.amount} {record.asset} "
            f"{record.source}->{record.destination} has not arrived by {record.deadline}"
        )
        log.error("%s", detail)
        await self._store.update_transfer(record.id, at=self._clock.now(), reason=OVERDUE)
        await self._events.publish(
            TransferLate(
                at=self._clock.now(),
                run_id=record.run_id,
                transfer_id=record.id,
                asset=record.asset,
                source=record.source,
                destination=record.destination,
                amount=record.amount,
                deadline=record.deadline,
            )
        )
        await self._breaker.trip(TripReason.TRANSFER_OVERDUE, detail)
        return TransferResult(record.node_id, False, OVERDUE)
