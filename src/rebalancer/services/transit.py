"""What is on its way between venues now, as the venues say: the in-transit part of a snapshot.

A run follows the transfers it makes until they arrive. A transfer left by an interrupted run,
or one whose withdrawal reply was never heard, is followed by nobody, so the Store's list goes
stale: a withdrawal that landed would count twice (in the destination's balance and still in
transit) and one the venue took although we never heard its reply would count nowhere. Either
way the next plan spends or raises money that is not there.

So before every snapshot each pending transfer between the snapshot's venues is looked at once:
an unanswered withdrawal is settled by its client id (``TransferRunner.settle``), then the
arrival is looked for (``TransferRunner.check``); one past its deadline trips the breaker
(``TRANSFER_OVERDUE``), once. A withdrawal whose outcome cannot be learned raises
``VenueError``: no plan is made on money that may or may not have left.

``consistent_snapshot`` makes the snapshot whole: in-transit list, then balances, then the list
again; if a transfer landed or was refunded in between, the balances may or may not hold it,
so both are read again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

from rebalancer.domain.errors import VenueError, VenueUnavailable
from rebalancer.domain.records import TransferRecord, TransferState
from rebalancer.domain.snapshot import InTransit, Snapshot
from rebalancer.ports import Clock, EventSink, Store, VenueGateway
from rebalancer.services.breaker_keeper import BreakerKeeper
from rebalancer.services.execution_settings import ExecutionSettings
from rebalancer.services.transfers import OVERDUE, TransferRunner

log = logging.getLogger(__name__)

IN_FLIGHT = (TransferState.SUBMITTED, TransferState.CONFIRMED)
SNAPSHOT_ATTEMPTS = 3  # reads of the balances while transfers keep landing under them


def in_transit_of(record: TransferRecord) -> InTransit:
    """A transfer in flight as the snapshot counts it: what will arrive, after the fee."""
    return InTransit(
        record.asset, record.source, record.destination, record.amount - (record.fee or Decimal(0))
    )


class Transit:
    """Brings the Store's pending transfers up to date with the venues, for snapshots."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        breaker: BreakerKeeper,
        settings: ExecutionSettings,
        gateways: Mapping[str, VenueGateway],
        *,
        events: EventSink | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._breaker = breaker
        self._gateways = gateways
        self._runner = TransferRunner(store, clock, breaker, settings, events=events)

    async def follow(self, venues: frozenset[str]) -> tuple[InTransit, ...]:
        """Look once at every pending transfer between ``venues``; return those still moving.

        Raises ``VenueError`` when a withdrawal's outcome or a transfer's state cannot be
        learned from the venues.
        """
        moving: list[InTransit] = []
        for record in await self._store.pending_transfers():
            if not {record.source, record.destination} <= venues:
                continue
            current = await self._follow_one(record)
            if current is not None and current.state in IN_FLIGHT:
                moving.append(in_transit_of(current))
        return tuple(sorted(moving, key=lambda t: (t.asset, t.source, t.destination, t.amount)))

    async def _follow_one(self, record: TransferRecord) -> TransferRecord | None:
        source = self._gateways.get(record.source)
        destination = self._gateways.get(record.destination)
        if source is None or destination is None:
            raise VenueUnavailable(
                record.source if source is None else record.destination,
                f"transfer {record.id} involves a venue that is not configured",
            )
        if record.state is TransferState.PENDING_SUBMIT or not record.withdrawal_id:
            if record.reason is None:
                return None  # its withdrawal is being requested right now; its runner settles it
            record = await self._runner.settle(record, source)
            if record.state is TransferState.PENDING_SUBMIT:
                raise VenueUnavailable(
                    record.source,
                    f"transfer {record.id}: whether the withdrawal left is not known yet",
                )
            if record.state is TransferState.FAILED:
                return record
        record = await self._runner.check(record, source, destination)
        if record.state in IN_FLIGHT and self._overdue(record) and record.reason != OVERDUE:
            await self._runner.overdue(record)
        return record

    def _overdue(self, record: TransferRecord) -> bool:
        return record.deadline is not None and self._clock.now() >= record.deadline


async def consistent_snapshot(
    follow: Callable[[], Awaitable[tuple[InTransit, ...]]],
    read: Callable[[tuple[InTransit, ...]], Awaitable[Snapshot]],
) -> Snapshot:
    """A snapshot whose balances and in-transit list agree (see the module doc).

    ``read(in_transit)`` refreshes the balances and freezes them with ``in_transit``. If the
    list still changes after ``SNAPSHOT_ATTEMPTS`` reads, ``VenueError`` is raised.
    """
    moving = await follow()
    for _ in range(SNAPSHOT_ATTEMPTS):
        snapshot = await read(moving)
        after = await follow()
        if after == moving:
            return snapshot
        log.info("a transfer landed while balances were read; reading them again")
        moving = after
    raise VenueError("*", "transfers kept landing while balances were read; no snapshot")
