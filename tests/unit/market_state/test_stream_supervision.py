"""One supervised stream: a drop is recorded, the wait grows, and the gap is fetched over REST."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from rebalancer.domain.errors import AuthenticationFailed, RetryableVenueError
from rebalancer.services.streams import Backoff, Stream, StreamHealth, run_stream


class FixedClock:
    def now(self) -> datetime:
        return datetime(2024, 3, 1, tzinfo=UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScriptedVenue:
    """A watch that fails, then delivers numbered updates; a REST refresh that is recorded."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = list(failures)
        self.events: list[str] = []
        self.sent = 0

    async def watch(self) -> int:
        await asyncio.sleep(0)
        if self.failures:
            raise self.failures.pop(0)
        self.sent += 1
        return self.sent

    async def refresh(self) -> None:
        self.events.append("refresh")

    def apply(self, update: int) -> None:
        self.events.append(f"update {update}")


async def run_until(
    stream: Stream[int], venue: ScriptedVenue, updates: int, backoff: Backoff
) -> None:
    task = asyncio.create_task(run_stream(stream, FixedClock(), backoff, random.Random(0)))
    try:
        for _ in range(500):
            if venue.sent >= updates:
                return
            await asyncio.sleep(0.001)
        raise AssertionError("the stream never delivered")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def stream_of(venue: ScriptedVenue) -> Stream[int]:
    health = StreamHealth("okx:quotes", FixedClock().now())
    return Stream(health, venue.watch, venue.apply, venue.refresh)


async def test_after_a_drop_the_gap_is_fetched_before_updates_resume() -> None:
    venue = ScriptedVenue([RetryableVenueError("okx", "closing code 1001")])
    stream = stream_of(venue)
    await run_until(stream, venue, 2, Backoff(0.001, 0.002))
    assert venue.events[:3] == ["refresh", "update 1", "update 2"]
    assert (stream.health.drops, stream.health.reconnects) == (1, 1)
    assert stream.health.connected
    assert stream.health.last_error == "RetryableVenueError: okx: closing code 1001"


async def test_repeated_drops_are_each_counted_and_followed_by_one_refresh() -> None:
    drops = [RetryableVenueError("okx", "reset") for _ in range(3)]
    venue = ScriptedVenue(drops)
    stream = stream_of(venue)
    await run_until(stream, venue, 1, Backoff(0.001, 0.004))
    assert stream.health.drops == 3
    assert venue.events.count("refresh") == 3  # every reconnect attempt catches up first
    assert venue.events[:4] == ["refresh", "refresh", "refresh", "update 1"]


async def test_bad_credentials_wait_the_longest_backoff() -> None:
    venue = ScriptedVenue([AuthenticationFailed("okx", "Invalid Sign")])
    stream = stream_of(venue)
    task = asyncio.create_task(
        run_stream(stream, FixedClock(), Backoff(0.001, 60), random.Random(0))
    )
    for _ in range(100):
        if stream.health.drops:
            break
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.02)
    assert stream.health.drops == 1
    assert stream.health.reconnects == 0  # still waiting out the maximum, not hammering
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
