"""Looking up something we sent: "not found" is final only once the venue could no longer
carry the request out late (its request window after the send)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from rebalancer.services.venue_reads import LOOKUPS_PER_WINDOW, look_up_sent

SENT = datetime(2026, 3, 1, tzinfo=UTC)


class SteppedClock:
    """Sleeps move time on at once."""

    def __init__(self) -> None:
        self.at = SENT

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        await asyncio.sleep(0)


class Venue:
    """Knows the order only from ``executes_at`` on (None: never)."""

    def __init__(self, clock: SteppedClock, executes_at: float | None) -> None:
        self.clock = clock
        self.executes_at = executes_at
        self.lookups: list[float] = []

    async def lookup(self) -> str | None:
        elapsed = (self.clock.now() - SENT).total_seconds()
        self.lookups.append(elapsed)
        if self.executes_at is not None and elapsed >= self.executes_at:
            return "the order"
        return None


async def look(venue: Venue, clock: SteppedClock, window_s: float = 10) -> str | None:
    return await look_up_sent(
        venue.lookup, sent_at=SENT, window_s=window_s, clock=clock, every_s=1,
        attempts=1, max_wait_s=0.1,
    )  # fmt: skip


async def test_an_order_carried_out_late_within_the_window_is_found() -> None:
    clock = SteppedClock()
    venue = Venue(clock, executes_at=3.5)

    assert await look(venue, clock) == "the order"
    assert venue.lookups[-1] < 10


async def test_not_found_is_final_only_from_a_lookup_begun_after_the_window() -> None:
    clock = SteppedClock()
    venue = Venue(clock, executes_at=None)

    assert await look(venue, clock) is None
    assert venue.lookups[-1] >= 10
    assert all(at < 10 for at in venue.lookups[:-1])


async def test_a_long_window_is_looked_at_a_bounded_number_of_times() -> None:
    clock = SteppedClock()
    venue = Venue(clock, executes_at=None)

    assert await look(venue, clock, window_s=31) is None
    assert len(venue.lookups) <= LOOKUPS_PER_WINDOW + 2


async def test_no_window_means_the_first_answer_is_final() -> None:
    clock = SteppedClock()
    venue = Venue(clock, executes_at=None)

    assert await look(venue, clock, window_s=0) is None
    assert venue.lookups == [0.0]
