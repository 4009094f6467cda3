"""A snapshot's balances and in-transit list agree: a transfer landing during the read forces
another read, so the amount is never counted twice (landed and listed) or nowhere."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rebalancer.domain.errors import VenueError
from rebalancer.domain.snapshot import InTransit, Snapshot
from rebalancer.services.transit import SNAPSHOT_ATTEMPTS, consistent_snapshot

MOVING = InTransit("USDT", "okx", "binance", Decimal(100))


class Venues:
    """Follows transfers and reads balances from a script of what the venues say."""

    def __init__(self, follows: list[tuple[InTransit, ...]]) -> None:
        self.follows = follows
        self.reads: list[tuple[InTransit, ...]] = []

    async def follow(self) -> tuple[InTransit, ...]:
        return self.follows.pop(0) if len(self.follows) > 1 else self.follows[0]

    async def read(self, in_transit: tuple[InTransit, ...]) -> Snapshot:
        self.reads.append(in_transit)
        return Snapshot(datetime.now(UTC), {}, in_transit=in_transit)


async def test_nothing_landing_reads_the_balances_once() -> None:
    venues = Venues([(MOVING,)])

    snapshot = await consistent_snapshot(venues.follow, venues.read)

    assert snapshot.in_transit == (MOVING,)
    assert venues.reads == [(MOVING,)]


async def test_a_transfer_landing_during_the_read_reads_the_balances_again() -> None:
    venues = Venues([(MOVING,), (), ()])  # listed before the read, landed after it

    snapshot = await consistent_snapshot(venues.follow, venues.read)

    assert snapshot.in_transit == ()
    assert venues.reads == [(MOVING,), ()]


async def test_transfers_that_never_settle_give_no_snapshot() -> None:
    flip = [(MOVING,), ()] * SNAPSHOT_ATTEMPTS + [(MOVING,)]
    venues = Venues(flip)

    with pytest.raises(VenueError, match="kept landing"):
        await consistent_snapshot(venues.follow, venues.read)
