"""Reads and cancels retried with jittered exponential backoff (tenacity); never creates.

A transport failure on a read (timeout, dropped connection, 5xx, rate limit) is retried and, if
it persists, raised: it is never turned into "not found". Only the venue's own definitive answer
(a ``None`` from a lookup) means an order does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from rebalancer.domain.errors import AmbiguousOrderOutcome, RetryableVenueError, VenueUnavailable

T = TypeVar("T")

TRANSIENT = (RetryableVenueError, AmbiguousOrderOutcome, VenueUnavailable)


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
