"""One supervised websocket stream: watch, apply, and on a drop back off, reconnect, refresh.

ccxt.pro reconnects and resubscribes when a ``watch_*`` is called again after a failure
(ccxt's own behaviour), so "reconnecting" is calling the watch again after a backoff with
jitter. Updates sent while the stream was down are lost, so every reconnect is followed by a
REST refresh of the same data. ``StreamHealth`` records what an operator needs to see.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, NoReturn, TypeVar

from rebalancer.core.staleness import reconnect_delay_s
from rebalancer.domain.errors import AuthenticationFailed
from rebalancer.ports import Clock
from rebalancer.services.venue_warnings import VenueWarnings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: exponential from ``initial_s`` up to ``maximum_s``, with jitter."""

    initial_s: float
    maximum_s: float

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """The wait before reconnect ``attempt`` (0-based)."""
        return reconnect_delay_s(attempt, self.initial_s, self.maximum_s, rng.random())


@dataclass(slots=True)
class StreamHealth:
    """What one stream has been doing: last message, drops, reconnects, last error."""

    name: str
    started_at: datetime
    last_message_at: datetime | None = None
    connected: bool = False
    messages: int = 0
    drops: int = 0
    reconnects: int = 0
    last_error: str | None = None
    last_drop_at: datetime | None = None

    @property
    def venue(self) -> str:
        """The venue the stream belongs to (its name is ``VENUE:WHAT``)."""
        return self.name.partition(":")[0]


@dataclass(slots=True)
class Stream(Generic[T]):
    """A watch call, what to do with each update, and how to catch up after a gap."""

    health: StreamHealth
    watch: Callable[[], Awaitable[T]]
    apply: Callable[[T], None]
    refresh: Callable[[], Awaitable[None]]


async def run_stream(
    stream: Stream[T],
    clock: Clock,
    backoff: Backoff,
    rng: random.Random,
    warnings: VenueWarnings | None = None,
) -> NoReturn:
    """Keep ``stream`` flowing until cancelled; never returns, never gives up.

    Drops are logged through ``warnings`` (at most a line per venue per minute).
    """
    health = stream.health
    warnings = warnings or VenueWarnings(clock)
    attempt = 0
    catch_up = False
    while True:
        try:
            update = await _next(stream, catch_up)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any failure is a drop; it is recorded
            catch_up = True
            _record_drop(health, error, warnings, clock.now())
            # Bad credentials will not heal quickly: wait the longest before asking again.
            delay = backoff.maximum_s if isinstance(error, AuthenticationFailed) else None
            await clock.sleep(delay if delay is not None else backoff.delay_s(attempt, rng))
            attempt += 1
            health.reconnects += 1
            continue
        if catch_up:
            warnings.recovered(log, health.venue, f"stream {health.name} is back")
        catch_up = False
        attempt = 0
        health.connected = True
        health.messages += 1
        health.last_message_at = clock.now()
        stream.apply(update)


async def _next(stream: Stream[T], catch_up: bool) -> T:
    """The next update; after a gap, subscribe first and then fetch what was missed."""
    if not catch_up:
        return await stream.watch()
    watching = asyncio.create_task(_call(stream.watch), name=f"{stream.health.name}:resubscribe")
    try:
        await asyncio.sleep(0)  # let the watch (re)connect and subscribe first
        await stream.refresh()
        return await watching
    finally:
        if not watching.done():
            watching.cancel()
        elif not watching.cancelled():
            watching.exception()  # retrieved: a refresh failure is what gets reported


async def _call(watch: Callable[[], Awaitable[T]]) -> T:
    return await watch()


def _record_drop(
    health: StreamHealth, error: Exception, warnings: VenueWarnings, now: datetime
) -> None:
    health.connected = False
    health.drops += 1
    health.last_drop_at = now
    health.last_error = f"{type(error).__name__}: {error}"
    message = f"stream {health.name} dropped ({health.last_error}); reconnecting"
    warnings.warn(log, health.venue, message)
