"""An offline venue is one warning line a minute, then a sum, not a line for every failure."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from rebalancer.domain.errors import RetryableVenueError
from rebalancer.services.streams import Backoff, Stream, StreamHealth, run_stream
from rebalancer.services.venue_warnings import VenueWarnings

log = logging.getLogger("rebalancer.test.venues")


class SteppedClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 6, 4, 22, 20, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def test_a_venue_failing_every_second_logs_once_a_minute_then_sums_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SteppedClock()
    warnings = VenueWarnings(clock)
    with caplog.at_level(logging.INFO, logger=log.name):
        for second in range(75):
            warnings.warn(log, "okx", f"okx: REST refresh of quotes failed (try {second})")
            if second == 10:
                warnings.warn(log, "binance", "binance: only once")
            clock.at += timedelta(seconds=1)
        warnings.recovered(log, "okx", "stream okx:quotes is back")
        warnings.recovered(log, "kraken", "never warned about: nothing to say")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("WARNING", "okx: REST refresh of quotes failed (try 0)"),
        ("WARNING", "binance: only once"),
        (
            "WARNING",
            "okx: REST refresh of quotes failed (try 60) (59 more warning(s) about okx held "
            "back since 04:22:20Z; the last: okx: REST refresh of quotes failed (try 59))",
        ),
        (
            "INFO",
            "stream okx:quotes is back (14 more warning(s) about okx meanwhile held back since "
            "04:23:20Z; the last: okx: REST refresh of quotes failed (try 74))",
        ),
    ]


async def test_a_stream_that_keeps_dropping_warns_once_and_says_when_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [RetryableVenueError("okx", "connection refused") for _ in range(30)]
    delivered = asyncio.Event()

    async def watch() -> int:
        await asyncio.sleep(0)
        if failures:
            raise failures.pop(0)
        delivered.set()
        return 1

    async def refresh() -> None:
        if failures:
            raise failures.pop(0)

    clock = SteppedClock()
    stream = Stream(StreamHealth("okx:quotes", clock.now()), watch, lambda _: None, refresh)
    with caplog.at_level(logging.INFO, logger="rebalancer.services.streams"):
        task = asyncio.create_task(run_stream(stream, clock, Backoff(1, 1), random.Random(0)))
        await asyncio.wait_for(delivered.wait(), timeout=10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    lines = [r.getMessage() for r in caplog.records if r.name == "rebalancer.services.streams"]
    assert stream.health.drops > 10  # each drop still counts in the stream's health
    assert len(lines) == 2, lines  # the first drop, and one sum when it is back
    assert lines[0].startswith("stream okx:quotes dropped (RetryableVenueError")
    assert lines[1].startswith("stream okx:quotes is back (")
