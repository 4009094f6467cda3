"""Reads and cancels retried with jittered exponential backoff (tenacity); never creates.

A transport failure on a read (timeout, dropped connection, 5xx, rate limit) is retried and, if
it persists, raised: it is never turned into "not found". Only the venue's own definitive answer
(a ``None`` from a lookup) means an order does not exist, and for something we sent only once
the venue can no longer carry it out (``look_up_sent``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from rebalancer.domain.errors import AmbiguousOrderOutcome, RetryableVenueError, VenueUnavailable
from rebalancer.ports import Clock

T = TypeVar("T")

TRANSIENT = (RetryableVenueError, AmbiguousOrderOutcome, VenueUnavailable)
LOOKUPS_PER_WINDOW = 10  # while a venue may still carry a request out: every 3 s for OKX's 30


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    max_wait_s: float,
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    """Await ``call()`` until it succeeds or ``attempts`` transient failures; raise the last.

    The waits between attempts go through ``sleep`` (the ``Clock`` port's), never real time.
    """
    retrying = AsyncRetrying(
        sleep=sleep,
        retry=retry_if_exception_type(TRANSIENT),
        wait=wait_random_exponential(multiplier=max_wait_s / 8, max=max_wait_s),
        stop=stop_after_attempt(attempts),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


async def look_up_sent(
    lookup: Callable[[], Awaitable[T | None]],
    *,
    sent_at: datetime,
    window_s: float,
    clock: Clock,
    every_s: float,
    attempts: int,
    max_wait_s: float,
) -> T | None:
    """Look up something we sent (an order, a withdrawal) until it is found or can never be.

    A venue may carry out a request it received up to ``window_s`` after it was sent (the
    client timed out or lost the connection, the venue had it all and executes it late); until
    then "not found" only means "not yet". So the lookup is repeated every ``every_s`` (at
    most ``LOOKUPS_PER_WINDOW`` times) while the window lasts, and None is returned only by a
    lookup that began after it closed.
    """
    deadline = sent_at + timedelta(seconds=window_s)
    every_s = max(every_s, window_s / LOOKUPS_PER_WINDOW)
    while True:
        final = clock.now() >= deadline
        found = await with_retries(
            lookup, attempts=attempts, max_wait_s=max_wait_s, sleep=clock.sleep
        )
        if found is not None or final:
            return found
        left = (deadline - clock.now()).total_seconds()
        await clock.sleep(max(0.0, min(every_s, left)))
